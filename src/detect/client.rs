//! FL701 client: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels, pct};
use crate::aggregate::{Dim, WindowName};
use std::collections::{BTreeMap, BTreeSet};

pub const DOC: &str = "\
Looks at: per browser vantage (HAR capture / label), during the incident window, browser-side errors (`net::ERR_INTERNET_DISCONNECTED`, `ERR_NETWORK_CHANGED`, `ERR_PROXY_*`, `ERR_TUNNEL_CONNECTION_FAILED`) against all its requests, first and third party alike; and the error share of the first-party probes over the same window.

Points to: client, when a vantage has at least {MIN_CLIENT_ERRORS} browser-side errors making up at least {CLIENT_ERR_SHARE_MIN} of its requests, while the probes (if any) stay below {PROBE_ERR_SHARE} errors: the capturing machine lost its own connection, changed networks or its proxy broke. Nothing about the service is learned from such a capture. Other vantages are not required to be clean: the summary says whether they saw none, and the support is stronger when another vantage or probes are there to compare with. How many of the vantage's hosts failed is reported, not tested. Argues against every server-side domain. When it does not fire, at least {MIN_REQUESTS_TO_CLEAR} browser requests without a single browser-side error argue against the client, as do (with no browser requests) at least {MIN_REQUESTS_TO_CLEAR} probes failing at {PROBE_ERR_SHARE} or more.

Known false positives: a real global outage captured from a single vantage with no probes (then the errors are not browser-side ones: timeouts or 5xx); VPN reconnects during a capture (which are a client problem too).";

/// Browser-side errors a vantage needs before it counts as cut off.
const MIN_CLIENT_ERRORS: f64 = 2.0;
/// Share of a vantage's requests that failed browser-side.
const CLIENT_ERR_SHARE_MIN: f64 = 0.1;
/// Probe error share below which the probes stayed healthy.
const PROBE_ERR_SHARE: f64 = 0.05;
/// Requests (or probes) needed before a clean window argues against the client.
const MIN_REQUESTS_TO_CLEAR: f64 = 10.0;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "MIN_CLIENT_ERRORS",
        value: MIN_CLIENT_ERRORS,
        unit: Unit::Count,
        meaning: "browser-side errors a vantage needs to count as cut off",
    },
    Threshold {
        name: "CLIENT_ERR_SHARE_MIN",
        value: CLIENT_ERR_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of the vantage's requests that failed browser-side",
    },
    Threshold {
        name: "PROBE_ERR_SHARE",
        value: PROBE_ERR_SHARE,
        unit: Unit::Share,
        meaning: "probe error share below which the probes stayed healthy",
    },
    Threshold {
        name: "MIN_REQUESTS_TO_CLEAR",
        value: MIN_REQUESTS_TO_CLEAR,
        unit: Unit::Count,
        meaning: "requests (or probes) before a clean window argues against the client",
    },
];

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
        .filter(|(_, v)| {
            v.client_err as f64 >= MIN_CLIENT_ERRORS
                && v.client_err as f64 / v.n as f64 >= CLIENT_ERR_SHARE_MIN
        })
        .collect();
    let probes = ctx.http(Dim::Origin, "probe:first", WindowName::During);
    let probes_ok = probes.is_none_or(|p| p.error_rate() < PROBE_ERR_SHARE);
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
        if n as f64 >= MIN_REQUESTS_TO_CLEAR && total == 0 {
            f.support(FaultDomain::Client, -0.6, f.summary.clone());
        } else if n == 0
            && probes.is_some_and(|p| {
                p.count as f64 >= MIN_REQUESTS_TO_CLEAR && p.error_rate() >= PROBE_ERR_SHARE
            })
        {
            f.support(
                FaultDomain::Client,
                -0.5,
                "client: independent probes saw the failures, not one browser",
            );
        }
    }
    vec![f]
}
