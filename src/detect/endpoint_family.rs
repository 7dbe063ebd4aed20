//! FL104 endpoint families: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: first-party endpoint families (host plus the first meaningful path segments, e.g. `api.example.com /api/v1/messages`), their error rate during vs before.

Points to: backend (a specific service), when some families fail (error rate up >= 10 points, significant) while other families on the same hosts with enough traffic stay healthy (< 5 %). Users \"could connect but not send messages\": connectivity, DNS and TLS are shared by all families, so a failure confined to one family lives in the service behind it. Also argues against network and DNS.

Known false positives: a family served from a different host or CDN (then the host, not the service, differs: check the host breakdown); rate limiting of one API (429 is not counted as an error, 503 from a limiter is).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

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
        if d.count < 5 {
            continue;
        }
        let c = ctx.cmp(Axis::Http(Dim::Family), key, Signal::ErrorRate);
        let before = c.and_then(|c| c.before).unwrap_or(0.0);
        if ctx.rate_rose(c, d.error_rate(), 0.1)
            && d.error_rate() - before >= 0.1
            && app_hosts.contains(key.split(' ').next().unwrap_or(""))
        {
            failing.push((key.clone(), before, d.error_rate(), c));
        } else if d.error_rate() < 0.05 {
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
