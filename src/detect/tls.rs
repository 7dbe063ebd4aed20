//! FL401 TLS: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels, pct};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: certificate and handshake errors (browser `net::ERR_CERT_*`, `ERR_SSL_*`, probe errors mentioning certificates, TLS or handshakes, RIPE Atlas sslcert alerts) on first-party hosts, their share of first-party requests during vs before.

Points to: tls, when at least {MIN_TLS_ERRORS} such errors make up >= {TLS_FAIL_SHARE_MIN} of first-party attempts during the window and at least {RISE_FACTOR} times the baseline's share plus {RISE_MARGIN}: an expired or wrong certificate, a broken chain or a handshake failure at the terminating proxy. A handshake that failed had already resolved the name and connected, so it argues against dns and network; nothing reaches the application, so it argues against backend too. A vantage is listed as affected when its own share of such errors reaches {TLS_FAIL_SHARE_MIN}; one vantage whose own share passes the same three tests fires it too (a certificate served in one region only is a third of the requests at most, and the other regions' clean handshakes do not make it healthy). With at least {MIN_REQUESTS_CLEAR} first-party requests in the window and no such rise, it argues against tls, unless a first-party request of the window stopped inside the handshake with no reason written (WebPageTest's catch-all code, Firefox's status 0: read from the phases by FL110, never in these counts).

Known false positives: TLS-intercepting corporate proxies on one client (one vantage only: the client detector FL701); clock skew on a probe (one agent); old clients that cannot negotiate a newly required protocol version.";

/// Fewest certificate / handshake errors that make a finding.
const MIN_TLS_ERRORS: u64 = 2;
/// Share of first-party attempts failing the handshake that counts as failing.
const TLS_FAIL_SHARE_MIN: f64 = 0.05;
/// The window's share must be at least this many times the baseline's ...
const RISE_FACTOR: f64 = 2.0;
/// ... plus this.
const RISE_MARGIN: f64 = 0.02;
/// First-party requests in the window needed to argue against tls.
const MIN_REQUESTS_CLEAR: u64 = 10;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "MIN_TLS_ERRORS",
        value: MIN_TLS_ERRORS as f64,
        unit: Unit::Count,
        meaning: "fewest certificate / handshake errors that make a finding",
    },
    Threshold {
        name: "TLS_FAIL_SHARE_MIN",
        value: TLS_FAIL_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of first-party attempts (overall or one vantage's) failing the handshake",
    },
    Threshold {
        name: "RISE_FACTOR",
        value: RISE_FACTOR,
        unit: Unit::Number,
        meaning: "the window's share is at least this many times the baseline's ...",
    },
    Threshold {
        name: "RISE_MARGIN",
        value: RISE_MARGIN,
        unit: Unit::Share,
        meaning: "... plus this",
    },
    Threshold {
        name: "MIN_REQUESTS_CLEAR",
        value: MIN_REQUESTS_CLEAR as f64,
        unit: Unit::Count,
        meaning: "first-party requests in the window needed to argue against tls",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL401",
    name: "tls",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn is_tls_class(c: &str) -> bool {
    matches!(c, "cert_error" | "tls_error")
}

fn tls_count(ctx: &Ctx, key_dim: Dim, key: &str, w: WindowName) -> (u64, u64) {
    ctx.http(key_dim, key, w)
        .map(|g| (g.errors_where(is_tls_class), g.count))
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
    let global = ed >= MIN_TLS_ERRORS
        && rate >= TLS_FAIL_SHARE_MIN
        && rate >= before * RISE_FACTOR + RISE_MARGIN;
    let hit = ctx.vantages_failing(
        is_tls_class,
        MIN_TLS_ERRORS,
        TLS_FAIL_SHARE_MIN,
        RISE_FACTOR,
        RISE_MARGIN,
    );
    if global || !hit.is_empty() {
        f.fired = true;
        let worst = hit.first().map_or(rate, |v| v.share.max(rate));
        f.summary = if global {
            format!(
                "TLS handshakes failed: {} of first-party attempts ({ed} of {nd}) hit certificate or handshake errors, up from {}",
                pct(rate),
                pct(before)
            )
        } else {
            let v = &hit[0];
            format!(
                "TLS handshakes failed from {}: {} of its first-party attempts ({} of {}) hit certificate or handshake errors, up from {} ({} over every vantage)",
                v.vantage,
                pct(v.share),
                v.errors,
                v.requests,
                pct(v.share_before),
                pct(rate)
            )
        };
        f.support(
            FaultDomain::Tls,
            (0.55 + worst).min(0.9),
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
            if n > 0 && e as f64 / n as f64 >= TLS_FAIL_SHARE_MIN {
                f.regions.push(v);
            }
        }
        for v in hit {
            if !f.regions.contains(&v.vantage) {
                f.regions.push(v.vantage);
            }
        }
    } else {
        f.summary = format!(
            "tls: {ed} certificate or handshake errors in {nd} first-party requests during the window"
        );
        // a producer that writes no reason (WebPageTest's catch-all code,
        // Firefox's status 0) leaves a failed handshake to its phases: the
        // counts above never see those, so they cannot clear TLS
        let by_phase = ctx
            .ds
            .requests
            .iter()
            .filter(|r| {
                r.party == crate::model::Party::First
                    && !r.error_class.is_some_and(|c| c.is_tls())
                    && ctx.in_during(r.source.file, r.start)
                    && crate::aggregate::loads::shape(r)
                        == Some(crate::aggregate::loads::Shape::Tls)
            })
            .count();
        if by_phase > 0 {
            f.summary.push_str(&format!(
                "; {by_phase} more stopped inside the handshake with no reason written (read from their phases by FL110)"
            ));
        } else if nd >= MIN_REQUESTS_CLEAR {
            f.support(FaultDomain::Tls, -0.6, f.summary.clone());
        }
    }
    vec![f]
}
