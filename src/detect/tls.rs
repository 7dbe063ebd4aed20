//! FL401 TLS: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_levels, pct};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: certificate and handshake errors (browser `net::ERR_CERT_*`, `ERR_SSL_*`, probe errors mentioning certificates, TLS or handshakes, RIPE Atlas sslcert alerts) on first-party hosts, during vs before, next to the DNS and connect phases.

Points to: tls, when such errors make up >= 5 % of first-party attempts (up from before) while names resolve and TCP connects: an expired or wrong certificate, a broken chain or a handshake failure at the terminating proxy. Nothing reaches the application, so the backend is not the cause; nothing is lost on the path either.

Known false positives: TLS-intercepting corporate proxies on one client (one vantage only: the client detector FL701); clock skew on a probe (one agent); old clients that cannot negotiate a newly required protocol version.";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

pub static DETECTOR: Detector = Detector {
    code: "FL401",
    name: "tls",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn tls_count(ctx: &Ctx, key_dim: Dim, key: &str, w: WindowName) -> (u64, u64) {
    ctx.http(key_dim, key, w)
        .map(|g| {
            (
                g.errors_where(|c| matches!(c, "cert_error" | "tls_error")),
                g.count,
            )
        })
        .unwrap_or((0, 0))
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let (eb, nb) = tls_count(ctx, Dim::Party, "first", ctx.an.baseline);
    let (ed, nd) = tls_count(ctx, Dim::Party, "first", WindowName::During);
    let (ea, na) = tls_count(ctx, Dim::Party, "first", WindowName::After);
    let r = |e: u64, n: u64| (n > 0).then(|| e as f64 / n as f64);
    let locs = ctx.example_requests(|r| r.error_class.is_some_and(|c| c.is_tls()));
    f.evidence.push(evidence_levels(
        "first-party TLS / certificate failures",
        "ratio",
        [r(eb, nb), r(ed, nd), r(ea, na)],
        [nb, nd],
        locs,
    ));
    let rate = r(ed, nd).unwrap_or(0.0);
    let before = r(eb, nb).unwrap_or(0.0);
    if ed >= 2 && rate >= 0.05 && rate >= before * 2.0 + 0.02 {
        f.fired = true;
        f.summary = format!(
            "TLS handshakes failed: {} of first-party attempts ({ed} of {nd}) hit certificate or handshake errors, up from {}",
            pct(rate),
            pct(before)
        );
        f.support(
            FaultDomain::Tls,
            (0.55 + rate).min(0.9),
            "certificate / handshake errors",
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "the handshake failed before any request reached the application",
        );
        f.support(
            FaultDomain::Dns,
            -0.3,
            "a TLS handshake needs a resolved name and a TCP connection: both worked",
        );
        f.support(
            FaultDomain::Network,
            -0.2,
            "TCP connections completed; the handshake itself failed",
        );
        for v in ctx.vantages("first") {
            let (e, n) = tls_count(ctx, Dim::Vantage, &format!("first@{v}"), WindowName::During);
            if n > 0 && e as f64 / n as f64 >= 0.05 {
                f.regions.push(v);
            }
        }
    } else {
        f.summary = format!(
            "tls: {ed} certificate or handshake errors in {nd} first-party requests during the window"
        );
        if nd >= 10 {
            f.support(FaultDomain::Tls, -0.6, f.summary.clone());
        }
    }
    vec![f]
}
