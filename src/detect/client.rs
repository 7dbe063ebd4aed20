//! FL701 client: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_levels, pct};
use crate::aggregate::{Dim, WindowName};
use std::collections::{BTreeMap, BTreeSet};

pub const DOC: &str = "\
Looks at: per browser vantage (HAR capture / label), browser-side errors (`net::ERR_INTERNET_DISCONNECTED`, `ERR_NETWORK_CHANGED`, `ERR_PROXY_*`, `ERR_TUNNEL_CONNECTION_FAILED`) and how many distinct hosts failed, first and third party alike; then whether other vantages and the probes stayed healthy over the same window.

Points to: client, when one vantage sees browser-side errors across (nearly) every host it talks to, while other vantages and probes are fine: the capturing machine lost its own connection, changed networks or its proxy broke. Nothing about the service is learned from such a capture. Argues against every server-side domain.

Known false positives: a real global outage captured from a single vantage with no probes (then the errors are not browser-side ones: timeouts or 5xx); VPN reconnects during a capture (which are a client problem too).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

pub static DETECTOR: Detector = Detector {
    code: "FL701",
    name: "client",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

#[derive(Default)]
struct V {
    n: u64,
    client_err: u64,
    hosts: BTreeSet<String>,
    failing_hosts: BTreeSet<String>,
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let mut by_v: BTreeMap<String, V> = BTreeMap::new();
    for r in &ctx.ds.requests {
        let in_w = ctx.in_during(r.source.file, r.start);
        if !in_w {
            continue;
        }
        let key = r
            .vantage
            .clone()
            .unwrap_or_else(|| format!("capture-{}", r.source.file));
        let v = by_v.entry(key).or_default();
        v.n += 1;
        v.hosts.insert(r.host.clone());
        if r.error_class.is_some_and(|c| c.is_client_side()) {
            v.client_err += 1;
            v.failing_hosts.insert(r.host.clone());
        }
    }
    let bad: Vec<(&String, &V)> = by_v
        .iter()
        .filter(|(_, v)| v.client_err >= 2 && v.client_err as f64 / v.n as f64 >= 0.1)
        .collect();
    let probes = ctx.http(Dim::Origin, "probe:first", WindowName::During);
    let probes_ok = probes.is_none_or(|p| p.error_rate() < 0.05);
    let others_ok = by_v
        .iter()
        .filter(|(k, _)| !bad.iter().any(|(b, _)| b == k))
        .all(|(_, v)| v.client_err == 0);
    if !bad.is_empty() && probes_ok && (others_ok || bad.len() < by_v.len()) {
        f.fired = true;
        let (name, v) = bad[0];
        let rate = v.client_err as f64 / v.n as f64;
        f.evidence.push(evidence_levels(
            &format!("browser-side errors at {name}"),
            "ratio",
            [None, Some(rate), None],
            [0, v.n],
            ctx.example_requests(|r| r.error_class.is_some_and(|c| c.is_client_side())),
        ));
        let elsewhere = match (by_v.len() > bad.len(), probes) {
            (true, Some(p)) => format!(
                "other vantages saw none and probes stayed at {} errors",
                pct(p.error_rate())
            ),
            (true, None) => "other vantages saw none".to_string(),
            (false, Some(p)) => format!("probes stayed at {} errors", pct(p.error_rate())),
            (false, None) => "no other vantage to compare with".to_string(),
        };
        f.summary = format!(
            "the capturing client lost its connection: {} of requests from {name} failed with browser-side errors (ERR_INTERNET_DISCONNECTED and similar) across {} of {} hosts; {elsewhere}",
            pct(rate),
            v.failing_hosts.len(),
            v.hosts.len()
        );
        let weight = if by_v.len() > bad.len() || probes.is_some() {
            0.9
        } else {
            0.7
        };
        f.support(
            FaultDomain::Client,
            weight,
            "browser-side errors on one vantage",
        );
        for d in [
            FaultDomain::Backend,
            FaultDomain::Network,
            FaultDomain::Dns,
            FaultDomain::Cdn,
            FaultDomain::ThirdParty,
            FaultDomain::Tls,
        ] {
            f.support(
                d,
                -0.3,
                "the errors were raised by the capturing browser itself",
            );
        }
        f.regions = bad.iter().map(|(k, _)| (*k).clone()).collect();
    } else {
        let total: u64 = by_v.values().map(|v| v.client_err).sum();
        let n: u64 = by_v.values().map(|v| v.n).sum();
        f.summary = format!(
            "client: {total} browser-side errors in {n} browser requests from {} vantage{} during the window",
            by_v.len(),
            if by_v.len() == 1 { "" } else { "s" }
        );
        if n >= 10 && total == 0 {
            f.support(FaultDomain::Client, -0.6, f.summary.clone());
        } else if n == 0 && probes.is_some_and(|p| p.count >= 10 && p.error_rate() >= 0.05) {
            f.support(
                FaultDomain::Client,
                -0.5,
                "client: independent probes saw the failures, not one browser",
            );
        }
    }
    vec![f]
}
