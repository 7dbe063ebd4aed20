//! FL501 CDN / edge: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};
use crate::model::Party;

pub const DOC: &str = "\
Looks at: first-party requests split by whether the response carried CDN / edge headers (cf-ray, x-cache, x-amz-cf-*, x-served-by, via, akamai, server: cloudflare ...) or came from a static-content host, their error rates during vs before, edge-specific status codes (520-530, Cloudflare's origin-unreachable family), and the 5xx rate of the origin's own log.

Points to: cdn, when edge-served first-party content fails (error rate >= {FAILING_RATE}, risen significantly over the baseline's, or appearing where the baseline had no edge-served response at all, as with an edge that shows its headers only on its own error pages; at least {MIN_EDGE_ERRORS} errors) while the origin's own calls stay fine (error rate under {FAILING_RATE} or not risen) and the access log, when there is one, logged under {SERVER_5XX_RATE_MAX} 5xx: delivery failed at the edge, not in the application. It stays silent when the failed edge-served requests are mostly the application's calls and documents rather than static assets and none carried an edge status code: that is the origin failing behind the edge. It stays silent too when more than {UNANSWERED_SHARE_MAX} of the failed requests to edge-marked hosts never got an answer from the edge (the name did not resolve, the certificate or handshake failed, the connection failed, the client was offline; a producer such as WebPageTest marks a CDN host's every request, failed or not): the edge did not fail to deliver, it was never reached, and the detectors of those layers read them. Edge status codes make the support stronger. Argues against backend (the origin stayed healthy) and dns (the edge answered). A vantage is listed as affected when its first-party error rate reaches {FAILING_RATE}. With at least {MIN_RESPONSES_CLEAR} edge-served responses in the window and their error rate under {FAILING_RATE}, it argues against cdn, unless {MIN_EDGE_ERRORS} or more first-party requests failed with the edge's own error in place of the asset (Chromium blocks an image or script whose answer is an HTML error page as ORB and records no status or headers, so those are in no edge-served count).

Known false positives: an origin that is down behind the CDN (edge answers 502/504 for it, but then the origin API and the access log fail too: backend wins); a purge that makes every asset a miss (slow, not failing).";

/// Error rate at which first-party content (edge-served, origin, one
/// vantage's) counts as failing.
const FAILING_RATE: f64 = 0.05;
/// Fewest edge-served errors that make a finding.
const MIN_EDGE_ERRORS: u64 = 3;
/// The access log's 5xx rate under which the origin is healthy.
const SERVER_5XX_RATE_MAX: f64 = 0.02;
/// Edge-served responses in the window needed to argue against cdn.
const MIN_RESPONSES_CLEAR: u64 = 10;
/// Share of the edge-marked failures that never reached the edge above
/// which they are not the edge's.
const UNANSWERED_SHARE_MAX: f64 = 0.5;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "FAILING_RATE",
        value: FAILING_RATE,
        unit: Unit::Share,
        meaning: "error rate at which edge-served, origin or one vantage's first-party content fails",
    },
    Threshold {
        name: "MIN_EDGE_ERRORS",
        value: MIN_EDGE_ERRORS as f64,
        unit: Unit::Count,
        meaning: "fewest edge-served errors that make a finding",
    },
    Threshold {
        name: "SERVER_5XX_RATE_MAX",
        value: SERVER_5XX_RATE_MAX,
        unit: Unit::Share,
        meaning: "access log 5xx rate under which the origin is healthy",
    },
    Threshold {
        name: "UNANSWERED_SHARE_MAX",
        value: UNANSWERED_SHARE_MAX,
        unit: Unit::Share,
        meaning: "share of edge-marked failures that never reached the edge above which they are not the edge's",
    },
    Threshold {
        name: "MIN_RESPONSES_CLEAR",
        value: MIN_RESPONSES_CLEAR as f64,
        unit: Unit::Count,
        meaning: "edge-served responses in the window needed to argue against cdn",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL501",
    name: "cdn-edge",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let edge = ctx.http(Dim::Edge, "edge", WindowName::During);
    let origin = ctx.http(Dim::Edge, "origin", WindowName::During);
    let Some(e) = edge else {
        f.summary = "cdn: no edge-served first-party responses seen".into();
        return vec![f];
    };
    let ce = ctx.cmp(Axis::Http(Dim::Edge), "edge", Signal::ErrorRate);
    let co = ctx.cmp(Axis::Http(Dim::Edge), "origin", Signal::ErrorRate);
    let edge_codes: u64 = e
        .status_mix
        .iter()
        .filter(|(s, _)| (520..=530).contains(*s))
        .map(|(_, n)| n)
        .sum();
    f.evidence.push(evidence_from(
        ce,
        ctx.an.comparison(
            Axis::Http(Dim::Edge),
            "edge",
            Signal::ErrorRate,
            WindowName::After,
        ),
        "error rate of edge-served first-party content",
        "ratio",
        ctx.example_requests(|r| r.party == Party::First && r.edge.is_marked() && r.is_error()),
    ));
    if co.is_some() {
        f.evidence.push(evidence_from(
            co,
            ctx.an.comparison(
                Axis::Http(Dim::Edge),
                "origin",
                Signal::ErrorRate,
                WindowName::After,
            ),
            "error rate of first-party origin / API calls",
            "ratio",
            vec![],
        ));
    }
    // an edge that shows its headers only on its own error pages (Akamai
    // adds none to what it serves well) has no edge-served baseline: its
    // errors appear from nothing, which is a rise
    let no_edge_baseline = ce.is_none_or(|c| c.n_before == 0);
    let edge_bad = (ctx.rate_rose(ce, e.error_rate(), FAILING_RATE)
        || (no_edge_baseline && e.error_rate() >= FAILING_RATE))
        && e.errors >= MIN_EDGE_ERRORS;
    let origin_rate = origin.map_or(0.0, |o| o.error_rate());
    let origin_ok = origin.is_none_or(|o| {
        o.error_rate() < FAILING_RATE || !ctx.rate_rose(co, o.error_rate(), FAILING_RATE)
    });
    let server_ok = ctx
        .an
        .comparison(
            Axis::ServerEndpoint,
            "all",
            Signal::Rate5xx,
            WindowName::During,
        )
        .is_none_or(|c| c.value.unwrap_or(0.0) < SERVER_5XX_RATE_MAX);
    // an origin failing behind the edge: the edge-served requests that
    // failed are the application's own calls or documents, not assets
    let EdgeFailures {
        static_5xx,
        app_5xx,
        answered,
        unanswered,
    } = edge_failures(ctx);
    let origin_behind_edge = app_5xx > static_5xx && edge_codes == 0;
    // failures on edge-marked hosts that never reached the edge
    let never_reached = unanswered as f64 > (answered + unanswered) as f64 * UNANSWERED_SHARE_MAX;
    if edge_bad && never_reached {
        f.summary = format!(
            "cdn: {unanswered} of {} failed requests to edge-marked first-party hosts never reached the edge (name, handshake, connection or the client), so they are not the edge's failures ({} of edge-marked requests failed)",
            answered + unanswered,
            pct(e.error_rate())
        );
        return vec![f];
    }
    if edge_bad && origin_ok && server_ok && !origin_behind_edge {
        f.fired = true;
        f.summary = format!(
            "edge-served first-party content failed ({} errors, {edge_codes} edge status codes 520-530) while origin calls stayed at {} errors: delivery failed at the CDN edge",
            pct(e.error_rate()),
            pct(origin_rate)
        );
        f.support(
            FaultDomain::Cdn,
            if edge_codes > 0 { 0.8 } else { 0.65 },
            "failures confined to edge-served content",
        );
        f.support(
            FaultDomain::Backend,
            -0.4,
            "origin API and server log healthy",
        );
        f.support(
            FaultDomain::Dns,
            -0.2,
            "edge responses came back with HTTP status",
        );
        for v in ctx.vantages("first") {
            if let Some(g) = ctx.http(Dim::Vantage, &format!("first@{v}"), WindowName::During)
                && g.error_rate() >= FAILING_RATE
            {
                f.regions.push(v);
            }
        }
    } else {
        f.summary = format!(
            "cdn: edge-served content error rate {} during (origin {})",
            pct(e.error_rate()),
            pct(origin_rate)
        );
        // an asset whose answer was an edge's HTML error page is blocked by
        // the browser (ORB) and recorded with no status or headers, so it
        // is in no edge-served count: such failures mean the edge was not
        // clean, whatever the counted responses say
        let blocked = edge_shaped_failures(ctx);
        if blocked >= MIN_EDGE_ERRORS {
            f.summary.push_str(&format!(
                "; {blocked} first-party requests failed with an edge's error in place of the asset (blocked as ORB or marked as the edge's error) and are not in that count"
            ));
        }
        if e.count >= MIN_RESPONSES_CLEAR
            && e.error_rate() < FAILING_RATE
            && blocked < MIN_EDGE_ERRORS
        {
            f.support(
                FaultDomain::Cdn,
                -0.5,
                format!(
                    "cdn: edge-served first-party content stayed at {} errors over {} responses",
                    pct(e.error_rate()),
                    e.count
                ),
            );
        }
    }
    vec![f]
}

/// First-party requests of the incident window whose failure is the
/// edge's own (see `aggregate::loads::shape`).
fn edge_shaped_failures(ctx: &Ctx) -> u64 {
    ctx.ds
        .requests
        .iter()
        .filter(|r| {
            r.party == Party::First
                && crate::aggregate::loads::shape(r)
                    == Some(crate::aggregate::loads::Shape::EdgeError)
                && ctx.in_during(r.source.file, r.start)
        })
        .count() as u64
}

/// What failed on edge-marked first-party hosts in the incident window,
/// in one pass over the requests.
struct EdgeFailures {
    /// 5xx on static assets and on application calls and documents, by
    /// the type their URL template has when it succeeds.
    static_5xx: usize,
    app_5xx: usize,
    /// Failures that reached the edge (an HTTP error, the edge's own
    /// error, no answer after sending) and those that never did (the
    /// name, the handshake, the connection or the client failed first).
    answered: u64,
    unanswered: u64,
}

fn edge_failures(ctx: &Ctx) -> EdgeFailures {
    use crate::aggregate::loads::{Shape, shape};
    let mut e = EdgeFailures {
        static_5xx: 0,
        app_5xx: 0,
        answered: 0,
        unanswered: 0,
    };
    for r in &ctx.ds.requests {
        if r.party != Party::First || !r.edge.is_marked() || !ctx.in_during(r.source.file, r.start)
        {
            continue;
        }
        if r.status >= 500 {
            if ctx.an.loads.is_static(r) {
                e.static_5xx += 1;
            } else {
                e.app_5xx += 1;
            }
        }
        match shape(r) {
            None => {}
            Some(Shape::Http5xx | Shape::EdgeError | Shape::NoAnswer) => e.answered += 1,
            Some(_) => e.unanswered += 1,
        }
    }
    e
}
