//! FL201 DNS: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_levels, ms, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: name-resolution failures (browser `net::ERR_NAME_NOT_RESOLVED`, probe errors such as SERVFAIL, NXDOMAIN, \"could not resolve host\"), DNS probe tests (failure share and resolve_ms), and the DNS phase of HTTP requests, during vs before.

Points to: dns, when resolution errors appear on first-party names (>= 5 % of attempts, up from before) or DNS probes fail, since a name that does not resolve means the request never left the client: no connect, no TLS, no HTTP status. A DNS phase spike without failures is weaker evidence. When everything resolves, reports the numbers that rule DNS out.

Known false positives: a single client's resolver (then only one vantage sees it: the client detector FL701 weighs that); typo'd or decommissioned hostnames that failed before the window as well (the comparison with before removes those); ad blockers that answer NXDOMAIN for trackers (third-party names only).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

pub static DETECTOR: Detector = Detector {
    code: "FL201",
    name: "dns",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn is_dns_class(c: &str) -> bool {
    c.starts_with("dns_") || c == "name_not_resolved"
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let count_dns = |w: WindowName| -> (u64, u64) {
        ctx.http(Dim::Party, "first", w)
            .map(|g| (g.errors_where(is_dns_class), g.count))
            .unwrap_or((0, 0))
    };
    let (eb, nb) = count_dns(ctx.an.baseline);
    let (ed, nd) = count_dns(WindowName::During);
    let (ea, na) = count_dns(WindowName::After);
    let rate = |e: u64, n: u64| (n > 0).then(|| e as f64 / n as f64);
    let locs = ctx.example_requests(|r| r.error_class.is_some_and(|c| c.is_dns()));
    f.evidence.push(evidence_levels(
        "first-party name-resolution failures",
        "ratio",
        [rate(eb, nb), rate(ed, nd), rate(ea, na)],
        [nb, nd],
        locs,
    ));
    let probe = |w: WindowName| {
        ctx.an
            .net
            .get("all")
            .and_then(|m| m.get(&w))
            .filter(|s| s.dns_n > 0)
    };
    let (pb, pd, pa) = (
        probe(ctx.an.baseline),
        probe(WindowName::During),
        probe(WindowName::After),
    );
    let prate =
        |s: Option<&crate::aggregate::NetStat>| s.map(|s| s.dns_failures as f64 / s.dns_n as f64);
    if pd.is_some() {
        f.evidence.push(evidence_levels(
            "DNS probe failure share",
            "ratio",
            [prate(pb), prate(pd), prate(pa)],
            [pb.map_or(0, |s| s.dns_n), pd.map_or(0, |s| s.dns_n)],
            vec![],
        ));
    }
    let http_rate = rate(ed, nd).unwrap_or(0.0);
    let http_before = rate(eb, nb).unwrap_or(0.0);
    let probe_rate = prate(pd).unwrap_or(0.0);
    let probe_before = prate(pb).unwrap_or(0.0);
    let http_fired = ed >= 2 && http_rate >= 0.05 && http_rate >= http_before * 2.0 + 0.02;
    let probe_fired = pd.is_some_and(|s| s.dns_failures >= 2)
        && probe_rate >= 0.1
        && probe_rate >= probe_before * 2.0 + 0.05;
    let spike = ctx
        .cmp(Axis::Http(Dim::Party), "first", Signal::DnsMs)
        .filter(|c| {
            c.significant() && c.ratio.unwrap_or(1.0) >= 3.0 && c.value.unwrap_or(0.0) >= 50.0
        });
    if http_fired || probe_fired {
        f.fired = true;
        f.summary = format!(
            "name resolution failed: {} of first-party requests ({ed} of {nd}) and {} of DNS probes failed to resolve, up from {} / {}; requests never reached the service",
            pct(http_rate),
            pct(probe_rate),
            pct(http_before),
            pct(probe_before)
        );
        f.support(
            FaultDomain::Dns,
            (0.5 + http_rate.max(probe_rate)).min(0.9),
            "resolution errors",
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "requests failed before any connection: the service was never asked",
        );
        // regions: dns probes per region
        for (region, by_w) in &ctx.an.net {
            if region == "all" {
                continue;
            }
            if let Some(s) = by_w
                .get(&WindowName::During)
                .filter(|s| s.dns_n > 0 && s.dns_failures as f64 / s.dns_n as f64 >= 0.1)
            {
                let _ = s;
                f.regions.push(region.clone());
            }
        }
        for v in ctx.vantages("first") {
            if let Some(g) = ctx.http(Dim::Vantage, &format!("first@{v}"), WindowName::During) {
                let e: u64 = g.errors_where(is_dns_class);
                if g.count > 0 && e as f64 / g.count as f64 >= 0.05 && !f.regions.contains(&v) {
                    f.regions.push(v);
                }
            }
        }
    } else if let Some(s) = spike {
        f.fired = true;
        f.summary = format!(
            "DNS phase of first-party requests rose {} -> {} without resolution errors",
            ms(s.before.unwrap_or(0.0)),
            ms(s.value.unwrap_or(0.0))
        );
        f.support(FaultDomain::Dns, 0.3, "DNS phase spike");
    } else {
        let resolve = pd
            .map(|s| format!("; DNS probes resolve p50 {}", ms(s.resolve_ms.p50)))
            .unwrap_or_default();
        f.summary = format!(
            "dns: {ed} resolution errors in {nd} first-party requests ({}) and {} DNS probe failures during the window{resolve}",
            pct(http_rate),
            pd.map_or(0, |s| s.dns_failures)
        );
        if nd + pd.map_or(0, |s| s.dns_n) >= 10 {
            f.support(FaultDomain::Dns, -0.6, f.summary.clone());
        }
    }
    vec![f]
}
