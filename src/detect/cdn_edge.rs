//! FL501 CDN / edge: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};
use crate::model::Party;

pub const DOC: &str = "\
Looks at: first-party requests split by whether the response carried CDN / edge headers (cf-ray, x-cache, x-amz-cf-*, x-served-by, via, akamai, server: cloudflare ...) or came from a static-content host, their error rates during vs before, edge-specific status codes (520-530, Cloudflare's origin-unreachable family), and the origin's own log.

Points to: cdn, when errors are confined to edge-served first-party content (static hosts, assets) or carry edge status codes, while the origin API stays fine (its error rate flat, the access log clean): delivery failed at the edge, not in the application. Argues against backend when the origin stays healthy.

Known false positives: an origin that is down behind the CDN (edge answers 502/504 for it, but then the origin API and the access log fail too: backend wins); a purge that makes every asset a miss (slow, not failing).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

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
        ctx.example_requests(|r| {
            r.party == Party::First
                && (r.edge.provider.is_some() || r.edge.cache.is_some())
                && r.is_error()
        }),
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
    let edge_bad = ctx.rate_rose(ce, e.error_rate(), 0.05) && e.errors >= 3;
    let origin_rate = origin.map_or(0.0, |o| o.error_rate());
    let origin_ok =
        origin.is_none_or(|o| o.error_rate() < 0.05 || !ctx.rate_rose(co, o.error_rate(), 0.05));
    let server_ok = ctx
        .an
        .comparison(
            Axis::ServerEndpoint,
            "all",
            Signal::Rate5xx,
            WindowName::During,
        )
        .is_none_or(|c| c.value.unwrap_or(0.0) < 0.02);
    // an origin failing behind the edge: the edge-served requests that
    // failed are the application's own calls or documents, not assets
    let (failed_static, failed_app) = failed_edge_roles(ctx);
    let origin_behind_edge = failed_app > failed_static && edge_codes == 0;
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
                && g.error_rate() >= 0.05
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
        if e.count >= 10 && !edge_bad {
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

/// Edge-served first-party requests that failed in the incident window:
/// (static assets, application calls and documents), by the type their
/// URL template has when it succeeds.
fn failed_edge_roles(ctx: &Ctx) -> (usize, usize) {
    let (mut st, mut app) = (0, 0);
    for r in &ctx.ds.requests {
        let in_w = ctx.in_during(r.source.file, r.start);
        if !in_w
            || r.party != Party::First
            || !(r.edge.provider.is_some() || r.edge.cache.is_some())
            || r.status < 500
        {
            continue;
        }
        if ctx.an.loads.is_static(r) {
            st += 1;
        } else {
            app += 1;
        }
    }
    (st, app)
}
