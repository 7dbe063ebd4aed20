//! FL801 server log corroboration: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, ms, pct};
use crate::aggregate::WindowName;
use crate::aggregate::{Axis, Signal};

pub const DOC: &str = "\
Looks at: the service's own access logs (nginx/Apache/IIS): 5xx share, upstream (backend) time, or request time where no upstream time is logged, and the request rate, during vs before.

Points to: backend, when the server itself logged 5xx (share >= {LOGGED_5XX_RATE_MIN}, risen significantly, at least {MIN_5XX} of them) or its upstream time rose (p50 >= {SLOW_UPSTREAM_RATIO}x and at least {SLOW_UPSTREAM_MIN_EXTRA_MS} more, significant): the failure is visible from inside, and the requests reached the server, which argues against DNS and the network. When at least {STATIC_5XX_SHARE_MIN} of the logged 5xx are static files, the log is the delivery tier's and it points to cdn instead. When the request rate at the server dropped instead (below {RATE_DROP_SHARE} of the baseline's) while the server's own responses stayed clean, the requests never reached it: that points away from the backend, towards DNS and the network. A clean log with a steady rate (at least {MIN_REQUESTS_CLEAR} requests in the window) argues against backend.

Known false positives: logs from only one of several servers or regions; log sampling; 5xx for bots or health checks (the endpoint breakdown shows which).";

/// Logged 5xx share at or above which the server failed ...
const LOGGED_5XX_RATE_MIN: f64 = 0.02;
/// ... with at least this many 5xx.
const MIN_5XX: u64 = 3;
/// Ratio of the logged upstream / request time (p50) that counts as slower ...
const SLOW_UPSTREAM_RATIO: f64 = 1.5;
/// Least rise of the logged upstream / request time (p50) that counts.
pub const SLOW_UPSTREAM_MIN_EXTRA_MS: f64 = 50.0;
/// Share of the logged 5xx that are static files at which the log is the
/// delivery tier's.
const STATIC_5XX_SHARE_MIN: f64 = 0.8;
/// Request rate, as a share of the baseline's, under which requests stopped
/// reaching the server.
const RATE_DROP_SHARE: f64 = 0.6;
/// Logged requests in the window needed to argue against backend.
const MIN_REQUESTS_CLEAR: u64 = 20;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "LOGGED_5XX_RATE_MIN",
        value: LOGGED_5XX_RATE_MIN,
        unit: Unit::Share,
        meaning: "logged 5xx share at or above which the server failed ...",
    },
    Threshold {
        name: "MIN_5XX",
        value: MIN_5XX as f64,
        unit: Unit::Count,
        meaning: "... with at least this many 5xx",
    },
    Threshold {
        name: "SLOW_UPSTREAM_RATIO",
        value: SLOW_UPSTREAM_RATIO,
        unit: Unit::Number,
        meaning: "upstream / request time (p50) over the baseline's that counts as slower ...",
    },
    Threshold {
        name: "SLOW_UPSTREAM_MIN_EXTRA_MS",
        value: SLOW_UPSTREAM_MIN_EXTRA_MS,
        unit: Unit::Ms,
        meaning: "... and rose at least this much",
    },
    Threshold {
        name: "STATIC_5XX_SHARE_MIN",
        value: STATIC_5XX_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of logged 5xx on static files at which the log is the delivery tier's",
    },
    Threshold {
        name: "RATE_DROP_SHARE",
        value: RATE_DROP_SHARE,
        unit: Unit::Share,
        meaning: "request rate, as a share of the baseline's, under which requests stopped arriving",
    },
    Threshold {
        name: "MIN_REQUESTS_CLEAR",
        value: MIN_REQUESTS_CLEAR as f64,
        unit: Unit::Count,
        meaning: "logged requests in the window needed to argue against backend",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL801",
    name: "server-log",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let Some(by_w) = ctx.an.server.get("all") else {
        return vec![];
    };
    let Some(d) = by_w.get(&WindowName::During) else {
        return vec![];
    };
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let c5 = ctx.an.comparison(
        Axis::ServerEndpoint,
        "all",
        Signal::Rate5xx,
        WindowName::During,
    );
    let cu = ctx
        .an
        .comparison(
            Axis::ServerEndpoint,
            "all",
            Signal::UpstreamMs,
            WindowName::During,
        )
        .or_else(|| {
            ctx.an.comparison(
                Axis::ServerEndpoint,
                "all",
                Signal::RequestMs,
                WindowName::During,
            )
        });
    let locs: Vec<_> = ctx
        .ds
        .server
        .iter()
        .filter(|s| s.status >= 500 && ctx.an.windows.during.is_some_and(|w| w.contains(s.ts)))
        .take(3)
        .map(|s| s.source)
        .collect();
    f.evidence.push(evidence_from(
        c5,
        ctx.an.comparison(
            Axis::ServerEndpoint,
            "all",
            Signal::Rate5xx,
            WindowName::After,
        ),
        "server-logged 5xx rate",
        "ratio",
        locs,
    ));
    if let Some(u) = cu {
        f.evidence.push(evidence_from(
            Some(u),
            None,
            &format!("server {} (p50)", u.signal.as_str().trim_end_matches("_ms")),
            "ms",
            vec![],
        ));
    }
    let rate = d.status_5xx as f64 / d.n.max(1) as f64;
    let before = by_w.get(&ctx.an.baseline);
    let rpm_before = before.map(|b| b.requests_per_min).unwrap_or(0.0);
    let logged_5xx = ctx.rate_rose(c5, rate, LOGGED_5XX_RATE_MIN) && d.status_5xx >= MIN_5XX;
    // a slower upstream is the backend's only when users could feel it:
    // 21 -> 38 ms is noise on a loopback lab, not an outage
    let slow = cu.is_some_and(|u| {
        u.significant()
            && u.ratio.unwrap_or(1.0) >= SLOW_UPSTREAM_RATIO
            && u.value.unwrap_or(0.0) - u.before.unwrap_or(0.0) >= SLOW_UPSTREAM_MIN_EXTRA_MS
    });
    let dropped = rpm_before > 0.0 && d.requests_per_min < rpm_before * RATE_DROP_SHARE;
    let mix: Vec<String> = d
        .status_mix
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(s, n)| format!("{n}x{s}"))
        .collect();
    if logged_5xx || slow {
        f.fired = true;
        let mut parts = Vec::new();
        if logged_5xx {
            parts.push(format!(
                "5xx {} -> {} ({})",
                pct(c5.and_then(|c| c.before).unwrap_or(0.0)),
                pct(rate),
                mix.join(", ")
            ));
        }
        if slow && let Some(u) = cu {
            parts.push(format!(
                "{} {} -> {}",
                u.signal.as_str().replace("_ms", " time"),
                ms(u.before.unwrap_or(0.0)),
                ms(u.value.unwrap_or(0.0))
            ));
        }
        f.summary = format!("the server's own log confirms it: {}", parts.join("; "));
        // a log whose 5xx are static files (an edge or static server's
        // log: css, js, images) speaks for delivery, not the application
        let (static_5xx, all_5xx) = static_share_5xx(ctx);
        if logged_5xx && static_5xx as f64 >= STATIC_5XX_SHARE_MIN * all_5xx as f64 && all_5xx > 0 {
            f.summary.push_str(&format!(
                "; {static_5xx} of {all_5xx} logged 5xx are static files: the delivery tier's log"
            ));
            f.support(
                FaultDomain::Cdn,
                0.35,
                "the logged 5xx are static files (an edge or static server)",
            );
        } else {
            f.support(
                FaultDomain::Backend,
                0.5,
                "server-side 5xx / upstream time in the access log",
            );
        }
        f.support(FaultDomain::Network, -0.3, "requests reached the server");
        f.support(FaultDomain::Dns, -0.3, "requests reached the server");
    } else if dropped {
        f.fired = true;
        f.summary = format!(
            "requests never reached the server: its request rate fell {:.1} -> {:.1} per minute while its own responses stayed clean ({} 5xx)",
            rpm_before,
            d.requests_per_min,
            pct(rate)
        );
        f.support(
            FaultDomain::Backend,
            -0.45,
            "the server saw fewer requests and answered those it saw",
        );
        f.support(
            FaultDomain::Network,
            0.15,
            "requests lost before the server",
        );
        f.support(FaultDomain::Dns, 0.15, "requests lost before the server");
    } else {
        f.summary = format!(
            "server log: {} 5xx over {} requests during the window, rate {:.1}/min (before {:.1}/min)",
            pct(rate),
            d.n,
            d.requests_per_min,
            rpm_before
        );
        if d.n >= MIN_REQUESTS_CLEAR {
            f.support(FaultDomain::Backend, -0.35, f.summary.clone());
        }
    }
    vec![f]
}

/// Logged 5xx in the incident window: (static files by extension, all).
fn static_share_5xx(ctx: &Ctx) -> (usize, usize) {
    let Some(w) = ctx.an.windows.during else {
        return (0, 0);
    };
    let (mut st, mut all) = (0, 0);
    for r in &ctx.ds.server {
        if r.status >= 500 && w.contains(r.ts) {
            all += 1;
            if crate::classify::is_static_path(&r.endpoint) {
                st += 1;
            }
        }
    }
    (st, all)
}
