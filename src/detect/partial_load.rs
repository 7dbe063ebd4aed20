//! FL103 partial page load ("faster but fewer"): see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, ms};
use crate::aggregate::WindowName;
use crate::aggregate::{Axis, Signal};

pub const DOC: &str = "\
Looks at: per page load (HAR pages and page probes), the number of components (requests that made up the page) and the load time (onLoad / page_load_ms), during vs before.

Points to: backend, when the component count falls (median at most {COMPONENTS_FELL_RATIO} times before, p < {P_MAX}, Cliff's delta <= {EFFECT_MAX}) while the load time falls or holds (ratio <= {LOAD_HELD_RATIO}; below {LOAD_IMPROVED_RATIO} the summary says it improved). A page that suddenly loads *faster* with fewer parts did not get better: parts that depend on the application (API calls, the scripts and data they pull) never loaded. The frontend was reachable, the backend was not. This is the Asana outage shape: \"page load time improved, but the number of page components dropped\". Cdn instead when most of the incident's bad page loads also got edge errors for the site's static files: the components lost are those the failed scripts would have fetched. Against backend instead when a first-party asset host is gone whole (in at least {GONE_PRESENT_SHARE} of the baseline's loads, mostly static, not one request in the incident's; any first-party host when not one first-party request of the incident failed on record, since a failing application answers with errors): the host never answered, which the application does not decide (FL105 weighs it). Vantages whose own component median fell to at most {COMPONENTS_FELL_RATIO} times before are listed. When the load time rose instead, it still fires, as weak evidence for backend (components failing slowly). When the median fell to {NOTHING_LOADED_COMPONENTS} component or fewer (the document alone, or nothing), the page did not load past its document: it does not fire, since the document's own failure says why (a name that did not resolve, a handshake, a 5xx); with no component at all it argues weakly against backend.

Known false positives: a deploy that really removed components (a lighter page: then it stays lighter after recovery too; compare after vs before); ad or tracker blocking on the capturing browser; captures of different pages mixed in one window.";

/// Component median over before at or below which the count fell.
const COMPONENTS_FELL_RATIO: f64 = 0.9;
/// p-value below which the fall is significant.
const P_MAX: f64 = 0.05;
/// Cliff's delta of the fall, at or below.
const EFFECT_MAX: f64 = -0.3;
/// Load time ratio at or below which the load time held.
const LOAD_HELD_RATIO: f64 = 1.1;
/// Load time ratio below which the load time improved.
const LOAD_IMPROVED_RATIO: f64 = 0.95;
/// Component median at or below which the page did not load past its
/// document.
const NOTHING_LOADED_COMPONENTS: f64 = 1.0;

const THRESHOLDS: &[Threshold] = &[
    super::GONE_PRESENT_THRESHOLD,
    Threshold {
        name: "COMPONENTS_FELL_RATIO",
        value: COMPONENTS_FELL_RATIO,
        unit: Unit::Number,
        meaning: "component median over before at or below which the count fell",
    },
    Threshold {
        name: "P_MAX",
        value: P_MAX,
        unit: Unit::Number,
        meaning: "p-value below which the fall is significant",
    },
    Threshold {
        name: "EFFECT_MAX",
        value: EFFECT_MAX,
        unit: Unit::Number,
        meaning: "Cliff's delta of the fall, at or below",
    },
    Threshold {
        name: "LOAD_HELD_RATIO",
        value: LOAD_HELD_RATIO,
        unit: Unit::Number,
        meaning: "load time ratio at or below which the load time held",
    },
    Threshold {
        name: "LOAD_IMPROVED_RATIO",
        value: LOAD_IMPROVED_RATIO,
        unit: Unit::Number,
        meaning: "load time ratio below which it improved (wording)",
    },
    Threshold {
        name: "NOTHING_LOADED_COMPONENTS",
        value: NOTHING_LOADED_COMPONENTS,
        unit: Unit::Count,
        meaning: "component median at or below which the page did not load past its document",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL103",
    name: "partial-load",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() || ctx.an.windows.get(ctx.an.baseline).is_none() {
        return vec![];
    }
    let comp = ctx.an.comparison(
        Axis::PageVantage,
        "all",
        Signal::Components,
        WindowName::During,
    );
    let load = ctx
        .an
        .comparison(Axis::PageVantage, "all", Signal::LoadMs, WindowName::During);
    let Some(c) = comp else { return vec![] };
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    f.evidence.push(evidence_from(
        Some(c),
        ctx.an.comparison(
            Axis::PageVantage,
            "all",
            Signal::Components,
            WindowName::After,
        ),
        "page components (p50)",
        "count",
        vec![],
    ));
    if let Some(l) = load {
        f.evidence.push(evidence_from(
            Some(l),
            ctx.an
                .comparison(Axis::PageVantage, "all", Signal::LoadMs, WindowName::After),
            "page load time (p50)",
            "ms",
            vec![],
        ));
    }
    let (cb, cd) = (c.before.unwrap_or(0.0), c.value.unwrap_or(0.0));
    let fell = c.sufficient
        && cb > 0.0
        && cd <= cb * COMPONENTS_FELL_RATIO
        && c.p_value.is_some_and(|p| p < P_MAX)
        && c.effect.is_some_and(|e| e <= EFFECT_MAX);
    let load_ratio = load.and_then(|l| l.ratio).unwrap_or(1.0);
    // a page left with its document alone (or nothing) did not load past
    // it: the document itself failed, and its own failure says why
    let nothing_loaded = cd <= NOTHING_LOADED_COMPONENTS;
    if nothing_loaded && fell {
        f.summary = format!(
            "page components dropped {cb:.0} -> {cd:.0}: the page did not load past its document (the document failed), which is not the partial load of a backend fault"
        );
        if cd < NOTHING_LOADED_COMPONENTS {
            f.support(
                FaultDomain::Backend,
                -0.2,
                "backend: the page's document itself did not load",
            );
        }
        return vec![f];
    }
    if fell && load_ratio <= LOAD_HELD_RATIO {
        f.fired = true;
        let (lb, ld) = (
            load.and_then(|l| l.before).unwrap_or(0.0),
            load.and_then(|l| l.value).unwrap_or(0.0),
        );
        f.summary = format!(
            "page load time {} ({} -> {}) but page components dropped {cb:.0} -> {cd:.0}: not everything loaded, the frontend was reachable and the backend was not",
            if load_ratio < LOAD_IMPROVED_RATIO {
                "improved"
            } else {
                "held"
            },
            ms(lb),
            ms(ld)
        );
        if ctx.delivery_failing() {
            // the components lost are those the failed static files would
            // have fetched: delivery's loss
            f.summary.push_str(
                "; the same loads got edge errors for the site's static files, so what vanished is delivery's loss",
            );
            f.support(
                FaultDomain::Cdn,
                0.35,
                format!("components {cb:.0} -> {cd:.0} while static files failed at the edge"),
            );
        } else if let gone = ctx.static_hosts_gone()
            && !gone.is_empty()
        {
            // a whole asset host gone, nothing recorded failing: the host
            // never answered, which the application does not decide
            f.summary = format!(
                "page components dropped {cb:.0} -> {cd:.0} while the page document loaded: every request to {} is gone, none recorded failing (the browser never got an answer from that host), so not everything loaded, but not for the application's sake",
                gone.join(", ")
            );
            f.support(
                FaultDomain::Backend,
                -0.2,
                format!(
                    "components lost with every request to {} gone",
                    gone.join(", ")
                ),
            );
        } else {
            f.support(
                FaultDomain::Backend,
                0.5,
                format!("components {cb:.0} -> {cd:.0} with load time x{load_ratio:.2}"),
            );
        }
        f.support(
            FaultDomain::Network,
            -0.25,
            "pages still loaded, and faster: the path to the frontend worked",
        );
        f.support(
            FaultDomain::Dns,
            -0.25,
            "the page's main document still loaded: its name resolved",
        );
        for (key, _) in ctx.an.pages.iter().filter(|(k, _)| *k != "all") {
            if let Some(vc) = ctx.an.comparison(
                Axis::PageVantage,
                key,
                Signal::Components,
                WindowName::During,
            ) && vc.sufficient
                && vc.value.unwrap_or(0.0) <= vc.before.unwrap_or(0.0) * COMPONENTS_FELL_RATIO
            {
                f.regions
                    .push(key.split('@').nth(1).unwrap_or(key).to_string());
            }
        }
    } else if fell {
        f.fired = true;
        f.summary = format!(
            "page components dropped {cb:.0} -> {cd:.0} while load time rose x{load_ratio:.2}: components failing slowly"
        );
        f.support(
            FaultDomain::Backend,
            0.2,
            "components missing from page loads",
        );
    } else {
        f.summary = format!("page components {cb:.0} -> {cd:.0}, load time x{load_ratio:.2}");
    }
    vec![f]
}
