//! FL201 DNS: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels, ms, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: name-resolution failures (browser `net::ERR_NAME_NOT_RESOLVED`, probe errors such as SERVFAIL, NXDOMAIN, \"could not resolve host\"), DNS probe tests (failure share and resolve_ms), and the DNS phase of HTTP requests, during vs before.

Points to: dns, when resolution errors appear on first-party names (at least {MIN_FAILURES} of them, >= {HTTP_FAIL_SHARE_MIN} of first-party requests, and at least {RISE_FACTOR} times the share before plus {HTTP_RISE_MARGIN}) or DNS probes fail (at least {MIN_FAILURES} failures, >= {PROBE_FAIL_SHARE_MIN} of DNS probes, at least {RISE_FACTOR} times the share before plus {PROBE_RISE_MARGIN}), since a name that does not resolve means the request never left the client: no connect, no TLS, no HTTP status. Regions whose DNS probes fail at {PROBE_FAIL_SHARE_MIN} or more, and vantages whose first-party requests fail to resolve at {HTTP_FAIL_SHARE_MIN} or more, are listed; one vantage whose own requests pass the request tests fires it too (a resolver failing in one region is a third of the requests at most). A DNS phase spike without failures (median ratio >= {SPIKE_RATIO}, the median during the window at least {SPIKE_MIN_MS}, significant) is weaker evidence. When third-party names fail to resolve as well (their failure share at least {EVERY_NAME_RATIO} times the first party's, on at least {MIN_THIRD_PARTY_DOMAINS} third-party domains, or on fewer when at least {EVERY_THIRD_PARTY_SHARE} of the third-party requests failed, as on a page with one third party), every name failed at once: that is the capturing machine's resolver or its connection, not the site's DNS, so it points to client instead (a site's DNS cannot take other sites' names down with it). When everything resolves, reports the numbers that rule DNS out, and argues against DNS once at least {MIN_CHECKS_TO_CLEAR} requests and probes were seen, unless {MIN_FAILURES} or more first-party requests stopped after the name lookup with no error text (Firefox's one shape for a failed lookup and a failed connect).

Known false positives: a single client's resolver (then only one vantage sees it: the client detector FL701 weighs that); typo'd or decommissioned hostnames that failed before the window as well (the comparison with before removes those); ad blockers that answer NXDOMAIN for trackers (third-party names only).";

/// Resolution failures (requests or probes) needed before they count.
const MIN_FAILURES: f64 = 2.0;
/// Share of first-party requests failing to resolve.
const HTTP_FAIL_SHARE_MIN: f64 = 0.05;
/// During at least this many times the share before (plus a margin).
const RISE_FACTOR: f64 = 2.0;
/// Margin over the doubled request failure share before.
const HTTP_RISE_MARGIN: f64 = 0.02;
/// Share of DNS probes failing.
const PROBE_FAIL_SHARE_MIN: f64 = 0.1;
/// Margin over the doubled probe failure share before.
const PROBE_RISE_MARGIN: f64 = 0.05;
/// DNS phase over before at or above which it spiked.
const SPIKE_RATIO: f64 = 3.0;
/// DNS phase median a spike must reach.
const SPIKE_MIN_MS: f64 = 50.0;
/// Requests plus probes needed before a clean window argues against DNS.
const MIN_CHECKS_TO_CLEAR: f64 = 10.0;
/// Third-party failure share over the first party's at which every name
/// failed ...
const EVERY_NAME_RATIO: f64 = 0.5;
/// ... on at least this many third-party domains,
const MIN_THIRD_PARTY_DOMAINS: f64 = 2.0;
/// ... or on fewer when this share of the third-party requests failed (a
/// page with one third party: every name it asked for failed).
const EVERY_THIRD_PARTY_SHARE: f64 = 0.9;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "MIN_FAILURES",
        value: MIN_FAILURES,
        unit: Unit::Count,
        meaning: "resolution failures (requests or probes) needed before they count",
    },
    Threshold {
        name: "HTTP_FAIL_SHARE_MIN",
        value: HTTP_FAIL_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of first-party requests (or of one vantage's) failing to resolve",
    },
    Threshold {
        name: "RISE_FACTOR",
        value: RISE_FACTOR,
        unit: Unit::Number,
        meaning: "failure share during at least this many times before (plus a margin)",
    },
    Threshold {
        name: "HTTP_RISE_MARGIN",
        value: HTTP_RISE_MARGIN,
        unit: Unit::Share,
        meaning: "margin over the request failure share before, times the factor",
    },
    Threshold {
        name: "PROBE_FAIL_SHARE_MIN",
        value: PROBE_FAIL_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of DNS probes (or of one region's) failing",
    },
    Threshold {
        name: "PROBE_RISE_MARGIN",
        value: PROBE_RISE_MARGIN,
        unit: Unit::Share,
        meaning: "margin over the probe failure share before, times the factor",
    },
    Threshold {
        name: "SPIKE_RATIO",
        value: SPIKE_RATIO,
        unit: Unit::Number,
        meaning: "DNS phase median over before at or above which it spiked",
    },
    Threshold {
        name: "SPIKE_MIN_MS",
        value: SPIKE_MIN_MS,
        unit: Unit::Ms,
        meaning: "DNS phase median a spike must reach",
    },
    Threshold {
        name: "EVERY_NAME_RATIO",
        value: EVERY_NAME_RATIO,
        unit: Unit::Number,
        meaning: "third-party failure share over the first party's at which every name failed ...",
    },
    Threshold {
        name: "MIN_THIRD_PARTY_DOMAINS",
        value: MIN_THIRD_PARTY_DOMAINS,
        unit: Unit::Count,
        meaning: "... on at least this many third-party domains",
    },
    Threshold {
        name: "EVERY_THIRD_PARTY_SHARE",
        value: EVERY_THIRD_PARTY_SHARE,
        unit: Unit::Share,
        meaning: "... or on fewer, when this share of third-party requests failed to resolve",
    },
    Threshold {
        name: "MIN_CHECKS_TO_CLEAR",
        value: MIN_CHECKS_TO_CLEAR,
        unit: Unit::Count,
        meaning: "requests plus probes before a clean window argues against DNS",
    },
];

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
    let global_fired = ed as f64 >= MIN_FAILURES
        && http_rate >= HTTP_FAIL_SHARE_MIN
        && http_rate >= http_before * RISE_FACTOR + HTTP_RISE_MARGIN;
    let hit = ctx.vantages_failing(
        is_dns_class,
        MIN_FAILURES as u64,
        HTTP_FAIL_SHARE_MIN,
        RISE_FACTOR,
        HTTP_RISE_MARGIN,
    );
    let http_fired = global_fired || !hit.is_empty();
    let probe_fired = pd.is_some_and(|s| s.dns_failures as f64 >= MIN_FAILURES)
        && probe_rate >= PROBE_FAIL_SHARE_MIN
        && probe_rate >= probe_before * RISE_FACTOR + PROBE_RISE_MARGIN;
    let spike = ctx
        .cmp(Axis::Http(Dim::Party), "first", Signal::DnsMs)
        .filter(|c| {
            c.significant()
                && c.ratio.unwrap_or(1.0) >= SPIKE_RATIO
                && c.value.unwrap_or(0.0) >= SPIKE_MIN_MS
        });
    // every name at once, third parties included: the client's resolver
    let (etd, ntd) = ctx
        .http(Dim::Party, "third", WindowName::During)
        .map(|g| (g.errors_where(is_dns_class), g.count))
        .unwrap_or((0, 0));
    let tp_rate = rate(etd, ntd).unwrap_or(0.0);
    let tp_domains: std::collections::BTreeSet<&str> = ctx
        .ds
        .requests
        .iter()
        .filter(|r| {
            r.party == crate::model::Party::Third
                && r.error_class.is_some_and(|c| c.is_dns())
                && ctx.in_during(r.source.file, r.start)
        })
        .map(|r| r.registrable_domain.as_str())
        .collect();
    // judged where it was seen: a vantage that failed alone is compared
    // with its own third-party requests
    let (tp_rate, http_rate_here) = match hit.first() {
        Some(v) if !global_fired => {
            let key = format!("third@{}", v.vantage);
            let here = ctx
                .http(Dim::Vantage, &key, WindowName::During)
                .map(|g| (g.errors_where(is_dns_class), g.count))
                .unwrap_or((0, 0));
            (rate(here.0, here.1).unwrap_or(0.0), v.share)
        }
        _ => (tp_rate, http_rate),
    };
    let every_name = http_fired
        && tp_rate >= HTTP_FAIL_SHARE_MIN
        && tp_rate >= http_rate_here * EVERY_NAME_RATIO
        && (tp_domains.len() as f64 >= MIN_THIRD_PARTY_DOMAINS
            || tp_rate >= EVERY_THIRD_PARTY_SHARE);
    if every_name {
        f.evidence.push(evidence_levels(
            "third-party name-resolution failures",
            "ratio",
            [None, Some(tp_rate), None],
            [0, ntd],
            vec![],
        ));
        f.fired = true;
        f.summary = format!(
            "every name failed to resolve at once: {} of first-party requests ({ed} of {nd}) and {} of third-party ones ({etd} of {ntd}, {} domains); a site's DNS cannot take other sites' names down with it: the capturing machine's resolver or its connection",
            pct(http_rate),
            pct(tp_rate),
            tp_domains.len()
        );
        f.support(
            FaultDomain::Client,
            0.6,
            "third-party names failed to resolve as well as the site's",
        );
        f.support(
            FaultDomain::Dns,
            -0.2,
            "other sites' names failed too: not the site's DNS",
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "requests failed before any connection: the service was never asked",
        );
    } else if http_fired || probe_fired {
        f.fired = true;
        let vantage_rate = hit.first().map_or(0.0, |v| v.share);
        f.summary = match hit.first() {
            Some(v) if !global_fired && !probe_fired => format!(
                "name resolution failed from {}: {} of its first-party requests ({} of {}) failed to resolve, up from {} ({} over every vantage, {} of DNS probes); requests never reached the service",
                v.vantage,
                pct(v.share),
                v.errors,
                v.requests,
                pct(v.share_before),
                pct(http_rate),
                pct(probe_rate)
            ),
            _ => format!(
                "name resolution failed: {} of first-party requests ({ed} of {nd}) and {} of DNS probes failed to resolve, up from {} / {}; requests never reached the service",
                pct(http_rate),
                pct(probe_rate),
                pct(http_before),
                pct(probe_before)
            ),
        };
        f.support(
            FaultDomain::Dns,
            (0.5 + http_rate.max(probe_rate).max(vantage_rate)).min(0.9),
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
            if let Some(s) = by_w.get(&WindowName::During).filter(|s| {
                s.dns_n > 0 && s.dns_failures as f64 / s.dns_n as f64 >= PROBE_FAIL_SHARE_MIN
            }) {
                let _ = s;
                f.regions.push(region.clone());
            }
        }
        for v in ctx.vantages("first") {
            if let Some(g) = ctx.http(Dim::Vantage, &format!("first@{v}"), WindowName::During) {
                let e: u64 = g.errors_where(is_dns_class);
                if g.count > 0
                    && e as f64 / g.count as f64 >= HTTP_FAIL_SHARE_MIN
                    && !f.regions.contains(&v)
                {
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
        // Firefox writes a lookup that failed as a lookup with no connect,
        // with no error text: such requests are no proof that names resolved
        let after_lookup = ctx
            .ds
            .requests
            .iter()
            .filter(|r| {
                r.party != crate::model::Party::Third
                    && crate::aggregate::loads::shape(r)
                        == Some(crate::aggregate::loads::Shape::AfterLookup)
                    && ctx.in_during(r.source.file, r.start)
            })
            .count();
        if after_lookup as f64 >= MIN_FAILURES {
            f.summary.push_str(&format!(
                "; {after_lookup} first-party requests stopped after the name lookup with no error text (a failed lookup or a failed connect: the producer writes both so)"
            ));
        } else if (nd + pd.map_or(0, |s| s.dns_n)) as f64 >= MIN_CHECKS_TO_CLEAR {
            f.support(FaultDomain::Dns, -0.6, f.summary.clone());
        }
    }
    vec![f]
}
