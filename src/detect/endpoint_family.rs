//! FL104 endpoint families: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: first-party endpoint families (host plus the first meaningful path segments, e.g. `api.example.com /api/v1/messages`) with at least {MIN_FAMILY_REQUESTS} requests in the window, their error rate during vs before.

Points to: backend (a specific service), when some families on a host that serves the site's pages or API calls fail (error rate >= {FAILING_RATE_MIN}, risen significantly, and up by at least {FAILING_RISE_MIN} of the family's requests over the baseline's) while other first-party families stay healthy (< {HEALTHY_RATE_MAX}); at least half of a failing family's errors must be HTTP 5xx answers (a document whose name, connection or certificate failed gates the page's other calls, which then never run: that is not one service failing). Users \"could connect but not send messages\": connectivity, DNS and TLS are shared by all families, so a failure confined to some families lives in the service behind them. Also argues against network, DNS and TLS.

Known false positives: a family served from a different host or CDN (then the host, not the service, differs: check the host breakdown); rate limiting of one API (429 is not counted as an error, 503 from a limiter is).";

/// Requests in the window a family needs to be judged at all.
const MIN_FAMILY_REQUESTS: u64 = 5;
/// Error rate at or above which a family fails ...
const FAILING_RATE_MIN: f64 = 0.1;
/// ... when it also rose at least this much over the family's baseline.
const FAILING_RISE_MIN: f64 = 0.1;
/// Error rate under which a family is healthy.
const HEALTHY_RATE_MAX: f64 = 0.05;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "MIN_FAMILY_REQUESTS",
        value: MIN_FAMILY_REQUESTS as f64,
        unit: Unit::Count,
        meaning: "requests in the window a family needs to be judged",
    },
    Threshold {
        name: "FAILING_RATE_MIN",
        value: FAILING_RATE_MIN,
        unit: Unit::Share,
        meaning: "error rate at or above which a family fails ...",
    },
    Threshold {
        name: "FAILING_RISE_MIN",
        value: FAILING_RISE_MIN,
        unit: Unit::Share,
        meaning: "... when it also rose this much over its baseline",
    },
    Threshold {
        name: "HEALTHY_RATE_MAX",
        value: HEALTHY_RATE_MAX,
        unit: Unit::Share,
        meaning: "error rate under which a family is healthy",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL104",
    name: "endpoint-family",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    // a family is a service of the site only on a host that serves the
    // site's pages or API calls: families of a static CDN host or of a
    // third party failing are delivery's or someone else's (FL110, FL501,
    // FL601 read those)
    // a probe's target counts only where no browser saw the host: a
    // health check of the static CDN does not make it an app host
    let browser_hosts: std::collections::BTreeSet<&str> =
        ctx.ds.requests.iter().map(|r| r.host.as_str()).collect();
    let app_hosts: std::collections::BTreeSet<&str> = ctx
        .ds
        .requests
        .iter()
        .filter(|r| {
            r.party == crate::model::Party::First
                && (ctx.an.loads.role(r) == crate::model::ResourceType::Document
                    || ctx.an.loads.is_dynamic(r))
        })
        .map(|r| r.host.as_str())
        .chain(
            ctx.ds
                .probes
                .iter()
                .map(|p| {
                    let t: &str = &p.target;
                    t.split("://")
                        .nth(1)
                        .unwrap_or(t)
                        .split(['/', ':'])
                        .next()
                        .unwrap_or("")
                })
                .filter(|h| !browser_hosts.contains(h)),
        )
        .collect();
    let mut failing = Vec::new();
    let mut healthy = Vec::new();
    for ((dim, key), by_w) in &ctx.an.http {
        if *dim != Dim::Family {
            continue;
        }
        let Some(d) = by_w.get(&WindowName::During) else {
            continue;
        };
        if d.count < MIN_FAMILY_REQUESTS {
            continue;
        }
        let c = ctx.cmp(Axis::Http(Dim::Family), key, Signal::ErrorRate);
        let before = c.and_then(|c| c.before).unwrap_or(0.0);
        // the service answered with the errors: a request that never got
        // an answer (name, connection, certificate) failed before any
        // family did, and the page it gated never asked the others
        let answered: u64 = d.status_mix.range(500..).map(|(_, n)| n).sum();
        if ctx.rate_rose(c, d.error_rate(), FAILING_RATE_MIN)
            && d.error_rate() - before >= FAILING_RISE_MIN
            && answered * 2 >= d.errors
            && app_hosts.contains(key.split(' ').next().unwrap_or(""))
        {
            failing.push((key.clone(), before, d.error_rate(), c));
        } else if d.error_rate() < HEALTHY_RATE_MAX {
            healthy.push(key.clone());
        }
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    if failing.is_empty() || healthy.is_empty() {
        f.summary = format!(
            "{} endpoint families failing, {} healthy",
            failing.len(),
            healthy.len()
        );
        return vec![f];
    }
    f.fired = true;
    for (key, _, _, c) in &failing {
        f.evidence.push(evidence_from(
            *c,
            ctx.an.comparison(
                Axis::Http(Dim::Family),
                key,
                Signal::ErrorRate,
                WindowName::After,
            ),
            &format!("error rate {key}"),
            "ratio",
            vec![],
        ));
    }
    let names: Vec<String> = failing
        .iter()
        .map(|(k, b, d, _)| format!("{k} ({} -> {})", pct(*b), pct(*d)))
        .collect();
    f.summary = format!(
        "only some endpoint families failed: {}; {} other families stayed healthy ({}): a service behind the front door, not connectivity",
        names.join(", "),
        healthy.len(),
        healthy
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    f.support(
        FaultDomain::Backend,
        0.45,
        "failures confined to some endpoint families",
    );
    f.support(
        FaultDomain::Network,
        -0.3,
        "other endpoints on the same hosts were fine",
    );
    f.support(
        FaultDomain::Dns,
        -0.3,
        "other endpoints on the same hosts were fine",
    );
    f.support(
        FaultDomain::Tls,
        -0.2,
        "other endpoints on the same hosts were fine",
    );
    vec![f]
}
