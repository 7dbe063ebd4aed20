//! FL101 first-party 5xx: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};
use crate::model::Party;

pub const DOC: &str = "\
Looks at: the share of first-party HTTP responses (browser XHR/fetch/documents and HTTP probes) with status 5xx, during vs before (two-proportion test), per vantage, and the mix of 502 / 503 / 504 and how it progresses through the incident (first half vs second half).

Points to: backend, when the first-party 5xx rate reaches {RATE_MIN} (at least {MIN_5XX} such responses), clearly up from before (the shared rate test; with no baseline the level alone decides). A 5xx is an HTTP response: the request crossed DNS, the network and TLS and reached the service's front door (load balancer, gateway, web tier), which then could not get a good answer from what sits behind it. 502 = the upstream answered badly or crashed, 503 = the service refused work (overload, maintenance, a circuit open), 504 = the upstream was too slow. A 502 -> 503 progression is the classic shape of a backend that fell over and was then drained or put into maintenance while it was fixed. It also argues against network, DNS, TLS and the client, since responses came back. The backend support is damped when more than {EDGE_CODES_SHARE} of the 5xx are edge codes (520-530), or when 5xx on static assets from a host that serves no page document (the site's CDN), or marked as the edge's own error on any host, outnumber the application's more than {CDN_ASSETS_FACTOR} to 1. A vantage is listed when its own 5xx rate reaches {REGION_SHARE_OF_RATE} of the overall rate (and at least {RATE_MIN}) and {REGION_RISE_FACTOR} times its own before, or when it is too thin to clear: at the overall rate it should have seen fewer than {EXPECTED_5XX_TO_CLEAR} errors. When it does not fire, at least {MIN_RESPONSES_TO_CLEAR} responses with a 5xx rate below {CLEAR_RATE_MAX} argue weakly against backend.

Known false positives: an edge / CDN answering 5xx for its own reasons (520-530 codes, edge headers: the cdn detector FL501 separates those); a client-side proxy that fabricates 502s (then only one vantage sees them: compare vantages); load tests that deliberately overload a staging host.";

/// 5xx rate the first-party responses (or one vantage's) must reach.
const RATE_MIN: f64 = 0.02;
/// 5xx responses needed before the rate counts.
const MIN_5XX: f64 = 3.0;
/// Responses needed before a clean window argues against backend.
const MIN_RESPONSES_TO_CLEAR: f64 = 20.0;
/// 5xx rate below which a window is clean.
const CLEAR_RATE_MAX: f64 = 0.01;
/// Share of the 5xx that are edge codes above which backend support is damped.
const EDGE_CODES_SHARE: f64 = 0.5;
/// Static CDN 5xx over the application's above which backend support is damped.
const CDN_ASSETS_FACTOR: f64 = 2.0;
/// Part of the overall 5xx rate a vantage's own rate must reach.
const REGION_SHARE_OF_RATE: f64 = 0.4;
/// A vantage's 5xx rate over its own before.
const REGION_RISE_FACTOR: f64 = 2.0;
/// Errors a vantage should have seen at the overall rate to count as spared.
const EXPECTED_5XX_TO_CLEAR: f64 = 2.0;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "RATE_MIN",
        value: RATE_MIN,
        unit: Unit::Share,
        meaning: "5xx rate the first-party responses (or one vantage's) must reach",
    },
    Threshold {
        name: "MIN_5XX",
        value: MIN_5XX,
        unit: Unit::Count,
        meaning: "5xx responses needed before the rate counts",
    },
    Threshold {
        name: "MIN_RESPONSES_TO_CLEAR",
        value: MIN_RESPONSES_TO_CLEAR,
        unit: Unit::Count,
        meaning: "responses before a clean window argues against backend",
    },
    Threshold {
        name: "CLEAR_RATE_MAX",
        value: CLEAR_RATE_MAX,
        unit: Unit::Share,
        meaning: "5xx rate below which a window is clean",
    },
    Threshold {
        name: "EDGE_CODES_SHARE",
        value: EDGE_CODES_SHARE,
        unit: Unit::Share,
        meaning: "share of edge codes (520-530) above which backend support is damped",
    },
    Threshold {
        name: "CDN_ASSETS_FACTOR",
        value: CDN_ASSETS_FACTOR,
        unit: Unit::Number,
        meaning: "static CDN 5xx over the application's above which backend support is damped",
    },
    Threshold {
        name: "REGION_SHARE_OF_RATE",
        value: REGION_SHARE_OF_RATE,
        unit: Unit::Share,
        meaning: "part of the overall 5xx rate a vantage's own rate must reach",
    },
    Threshold {
        name: "REGION_RISE_FACTOR",
        value: REGION_RISE_FACTOR,
        unit: Unit::Number,
        meaning: "a vantage's 5xx rate over its own before",
    },
    Threshold {
        name: "EXPECTED_5XX_TO_CLEAR",
        value: EXPECTED_5XX_TO_CLEAR,
        unit: Unit::Count,
        meaning: "errors a vantage should have seen at the overall rate to count as spared",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL101",
    name: "api-5xx",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let Some(during) = ctx.http(Dim::Party, "first", WindowName::During) else {
        return vec![];
    };
    let cmp = ctx.cmp(Axis::Http(Dim::Party), "first", Signal::Rate5xx);
    let after = ctx.an.comparison(
        Axis::Http(Dim::Party),
        "first",
        Signal::Rate5xx,
        WindowName::After,
    );
    let rate = during.rate_5xx();
    let locs = ctx.example_requests(|r| r.party == Party::First && r.status >= 500);
    f.evidence.push(evidence_from(
        cmp,
        after,
        "first-party HTTP 5xx rate",
        "ratio",
        locs,
    ));
    if !(ctx.rate_rose(cmp, rate, RATE_MIN) && during.status_5xx as f64 >= MIN_5XX) {
        f.summary = format!(
            "first-party 5xx rate {} during (n={})",
            pct(rate),
            during.count
        );
        if during.count as f64 >= MIN_RESPONSES_TO_CLEAR && rate < CLEAR_RATE_MAX {
            f.support(
                FaultDomain::Backend,
                -0.2,
                format!(
                    "first-party 5xx stayed at {} of {} responses",
                    pct(rate),
                    during.count
                ),
            );
        }
        return vec![f];
    }
    f.fired = true;
    // status mix and its progression through the incident
    let mix: Vec<(i32, u64)> = during
        .status_mix
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(s, n)| (*s, *n))
        .collect();
    let progression = progression(ctx);
    let mix_txt = mix
        .iter()
        .map(|(s, n)| format!("{n}x{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let before = cmp.and_then(|c| c.before).unwrap_or(0.0);
    let prog_txt = if progression.len() >= 2 {
        format!("HTTP {} then {}", progression[0], progression[1])
    } else {
        format!(
            "HTTP {}",
            mix.iter()
                .max_by_key(|(_, n)| *n)
                .map(|(s, _)| s.to_string())
                .unwrap_or_default()
        )
    };
    f.summary = format!(
        "{prog_txt} on first-party calls: 5xx rate {} -> {} ({mix_txt}); the front door answered, the service behind it failed",
        pct(before),
        pct(rate)
    );
    let gateway = mix
        .iter()
        .filter(|(s, _)| matches!(s, 502..=504))
        .map(|(_, n)| n)
        .sum::<u64>();
    let edge_codes = mix
        .iter()
        .filter(|(s, _)| (520..=530).contains(s))
        .map(|(_, n)| n)
        .sum::<u64>();
    let total5: u64 = mix.iter().map(|(_, n)| n).sum();
    // 5xx on the site's static assets served from a host other than the
    // page's own (its CDN) are delivery failures: the cdn detectors weigh
    // them; only the application's calls and documents speak for the backend
    let (cdn_assets, app) = static_cdn_share(ctx);
    let cdn_damp = if cdn_assets as f64 > app as f64 * CDN_ASSETS_FACTOR {
        0.35
    } else {
        1.0
    };
    let edge_damp = if edge_codes as f64 > total5 as f64 * EDGE_CODES_SHARE {
        0.4
    } else {
        1.0
    };
    let w = (0.45 + rate * 1.5).min(0.85) * edge_damp * cdn_damp;
    f.support(
        FaultDomain::Backend,
        w,
        format!(
            "{} of first-party responses were 5xx ({gateway} gateway errors 502-504)",
            pct(rate)
        ),
    );
    f.support(
        FaultDomain::Network,
        -0.35,
        "HTTP responses came back: the network path to the front door worked",
    );
    f.support(
        FaultDomain::Dns,
        -0.35,
        "HTTP responses came back: names resolved",
    );
    f.support(
        FaultDomain::Tls,
        -0.25,
        "HTTP responses came back over completed TLS handshakes",
    );
    f.support(
        FaultDomain::Client,
        -0.2,
        "server-side status codes are not produced by the client",
    );
    // regions where it rose
    for v in ctx.vantages("first") {
        let key = format!("first@{v}");
        if let Some(s) = ctx.http(Dim::Vantage, &key, WindowName::During) {
            // a region shares the fault when its own 5xx rate is a sizeable
            // part of the overall one (small regional samples rarely reach
            // significance on their own)
            let before = ctx
                .http(Dim::Vantage, &key, ctx.an.baseline)
                .map_or(0.0, |b| b.rate_5xx());
            let hit = s.status_5xx >= 1
                && s.rate_5xx() >= (REGION_SHARE_OF_RATE * rate).max(RATE_MIN)
                && s.rate_5xx() >= REGION_RISE_FACTOR * before;
            // a region only counts as spared when it had enough traffic
            // that, at the overall rate, it should have seen 2+ errors
            let too_thin_to_clear = (s.count as f64) * rate < EXPECTED_5XX_TO_CLEAR;
            if hit || too_thin_to_clear {
                f.regions.push(v);
            }
        }
    }
    vec![f]
}

/// Dominant 5xx code in the first and second half of the incident, when they differ.
fn progression(ctx: &Ctx) -> Vec<i32> {
    let Some(w) = ctx.an.windows.during else {
        return vec![];
    };
    let mid = w.start + (w.end - w.start) / 2;
    let mut halves = [
        std::collections::BTreeMap::<i32, u64>::new(),
        std::collections::BTreeMap::new(),
    ];
    for r in ctx
        .ds
        .requests
        .iter()
        .filter(|r| r.party == Party::First && r.status >= 500 && w.contains(r.start))
    {
        *halves[(r.start >= mid) as usize]
            .entry(r.status)
            .or_default() += 1;
    }
    for p in ctx
        .ds
        .probes
        .iter()
        .filter(|p| p.status.is_some_and(|s| s >= 500) && w.contains(p.ts))
    {
        *halves[(p.ts >= mid) as usize]
            .entry(p.status.unwrap_or(0))
            .or_default() += 1;
    }
    let dom = |m: &std::collections::BTreeMap<i32, u64>| {
        m.iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(s, _)| *s)
    };
    match (dom(&halves[0]), dom(&halves[1])) {
        (Some(a), Some(b)) if a != b => vec![a, b],
        (Some(a), _) => vec![a],
        (None, Some(b)) => vec![b],
        _ => vec![],
    }
}

/// First-party 5xx in the incident window: (static assets on a host that
/// serves no page document or marked as the edge's error, everything else).
fn static_cdn_share(ctx: &Ctx) -> (usize, usize) {
    let Some(w) = ctx.an.windows.during else {
        return (0, 0);
    };
    let (mut cdn, mut app) = (0, 0);
    for r in &ctx.ds.requests {
        let in_w = ctx.in_during(r.source.file, r.start);
        if !in_w || r.party != Party::First || r.status < 500 {
            continue;
        }
        if ctx.an.loads.is_edge_asset(r) {
            cdn += 1;
        } else {
            app += 1;
        }
    }
    // HTTP probes of the CDN's static files count with them
    for p in &ctx.ds.probes {
        if !w.contains(p.ts) || p.status.is_none_or(|s| s < 500) {
            continue;
        }
        let (_, host, path) = crate::classify::split_url(&p.target);
        let is_static_file = crate::classify::is_static_path(path);
        if is_static_file && !ctx.an.loads.doc_hosts.contains(host) {
            cdn += 1;
        } else {
            app += 1;
        }
    }
    (cdn, app)
}
