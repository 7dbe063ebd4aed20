//! FL601 third party: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};
use crate::model::Party;
use std::collections::BTreeMap;

pub const DOC: &str = "\
Looks at: requests to third-party registrable domains (anything that is not the site's own: first party = the registrable domains of the pages' main documents and probe targets, or `--first-party`), their error rate during vs before, which domains fail, and whether first-party traffic stayed healthy; then page load times, to say whether users were affected.

Points to: third_party, when failures are confined to third-party domains: third-party error rate >= {THIRD_FAILING_RATE}, risen significantly, with at least {MIN_ERRORS} errors (or, on thin evidence, at least {THIN_MIN_ERRORS} errors and >= {THIN_RATE_MIN} where a baseline of at least {THIN_MIN_BASELINE} third-party requests had none, p < {THIN_P_MAX}), while the first-party error rate stays under {FIRST_FAILING_RATE} or does not rise: a dependency run by another organisation failed. Names the domains with at least {DOMAIN_MIN_ERRORS} errors making up >= {DOMAIN_FAIL_SHARE} of their requests. Says whether users were impacted (page load time up significantly, >= {IMPACT_LOAD_RATIO}x) or not (beacons and trackers failing quietly). A vantage is listed as affected when its third-party error rate reaches {THIRD_FAILING_RATE} (when every vantage that loads third parties is affected, every region is). Argues against a third party when at least {MIN_REQUESTS_CLEAR} third-party requests in the window showed no such failure, in every vantage on its own (one vantage with at least {MIN_ERRORS} errors making up {THIRD_FAILING_RATE} of its third-party requests, at least {VANTAGE_RISE_FACTOR} times its own share before plus {VANTAGE_RISE_MARGIN}, is not clean) (if only first-party calls fail: \"the disruption was specific to the service\"), and, more weakly, when first-party calls failed as well.

Known false positives: ad/tracker blocking in the capturing browser (`ERR_BLOCKED_BY_CLIENT` is not counted as a failure); a first-party service hosted on another registrable domain (declare it with `--first-party`).";

/// Third-party error rate at which third-party traffic (or one vantage's)
/// counts as failing.
const THIRD_FAILING_RATE: f64 = 0.05;
/// Fewest third-party errors that make a finding.
const MIN_ERRORS: u64 = 3;
/// One vantage's third-party error share must be this many times its own
/// share before ...
const VANTAGE_RISE_FACTOR: f64 = 2.0;
/// ... plus this, before it keeps the clean rest from arguing.
const VANTAGE_RISE_MARGIN: f64 = 0.02;
/// Thin evidence: fewest errors ...
const THIN_MIN_ERRORS: u64 = 2;
/// ... at least this error rate ...
const THIN_RATE_MIN: f64 = 0.1;
/// ... against a clean baseline of at least this many requests ...
const THIN_MIN_BASELINE: u64 = 10;
/// ... and a p-value under this.
const THIN_P_MAX: f64 = 0.25;
/// First-party error rate at which first-party calls fail as well.
const FIRST_FAILING_RATE: f64 = 0.03;
/// A domain named as failing has at least this many errors ...
const DOMAIN_MIN_ERRORS: u64 = 2;
/// ... making up at least this share of its requests.
const DOMAIN_FAIL_SHARE: f64 = 0.2;
/// Page load time over the baseline's at which users were affected.
const IMPACT_LOAD_RATIO: f64 = 1.2;
/// Third-party requests in the window needed to argue against a third party.
const MIN_REQUESTS_CLEAR: u64 = 10;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "VANTAGE_RISE_FACTOR",
        value: VANTAGE_RISE_FACTOR,
        unit: Unit::Number,
        meaning: "one vantage's third-party error share over its own share before ...",
    },
    Threshold {
        name: "VANTAGE_RISE_MARGIN",
        value: VANTAGE_RISE_MARGIN,
        unit: Unit::Share,
        meaning: "... plus this, before the clean rest may argue against a third party",
    },
    Threshold {
        name: "THIRD_FAILING_RATE",
        value: THIRD_FAILING_RATE,
        unit: Unit::Share,
        meaning: "error rate at which third-party traffic (overall or one vantage's) fails",
    },
    Threshold {
        name: "MIN_ERRORS",
        value: MIN_ERRORS as f64,
        unit: Unit::Count,
        meaning: "fewest third-party errors that make a finding",
    },
    Threshold {
        name: "THIN_MIN_ERRORS",
        value: THIN_MIN_ERRORS as f64,
        unit: Unit::Count,
        meaning: "thin evidence: fewest errors ...",
    },
    Threshold {
        name: "THIN_RATE_MIN",
        value: THIN_RATE_MIN,
        unit: Unit::Share,
        meaning: "... at least this error rate ...",
    },
    Threshold {
        name: "THIN_MIN_BASELINE",
        value: THIN_MIN_BASELINE as f64,
        unit: Unit::Count,
        meaning: "... against a clean baseline of at least this many requests ...",
    },
    Threshold {
        name: "THIN_P_MAX",
        value: THIN_P_MAX,
        unit: Unit::Number,
        meaning: "... and a p-value under this",
    },
    Threshold {
        name: "FIRST_FAILING_RATE",
        value: FIRST_FAILING_RATE,
        unit: Unit::Share,
        meaning: "first-party error rate at which first-party calls fail as well",
    },
    Threshold {
        name: "DOMAIN_MIN_ERRORS",
        value: DOMAIN_MIN_ERRORS as f64,
        unit: Unit::Count,
        meaning: "a domain named as failing has at least this many errors ...",
    },
    Threshold {
        name: "DOMAIN_FAIL_SHARE",
        value: DOMAIN_FAIL_SHARE,
        unit: Unit::Share,
        meaning: "... making up at least this share of its requests",
    },
    Threshold {
        name: "IMPACT_LOAD_RATIO",
        value: IMPACT_LOAD_RATIO,
        unit: Unit::Number,
        meaning: "page load time over the baseline's at which users were affected",
    },
    Threshold {
        name: "MIN_REQUESTS_CLEAR",
        value: MIN_REQUESTS_CLEAR as f64,
        unit: Unit::Count,
        meaning: "third-party requests in the window needed to argue against a third party",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL601",
    name: "third-party",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let Some(t) = ctx.http(Dim::Party, "third", WindowName::During) else {
        f.summary = "third party: no third-party requests in the window".into();
        return vec![f];
    };
    let ct = ctx.cmp(Axis::Http(Dim::Party), "third", Signal::ErrorRate);
    let cf = ctx.cmp(Axis::Http(Dim::Party), "first", Signal::ErrorRate);
    let first = ctx.http(Dim::Party, "first", WindowName::During);
    let locs = ctx.example_requests(|r| r.party == Party::Third && r.is_error());
    f.evidence.push(evidence_from(
        ct,
        ctx.an.comparison(
            Axis::Http(Dim::Party),
            "third",
            Signal::ErrorRate,
            WindowName::After,
        ),
        "third-party error rate",
        "ratio",
        locs,
    ));
    f.evidence.push(evidence_from(
        cf,
        ctx.an.comparison(
            Axis::Http(Dim::Party),
            "first",
            Signal::ErrorRate,
            WindowName::After,
        ),
        "first-party error rate",
        "ratio",
        vec![],
    ));
    let strong = ctx.rate_rose(ct, t.error_rate(), THIRD_FAILING_RATE) && t.errors >= MIN_ERRORS;
    // thin but clean contrast: failures now, none at all in a real baseline
    let thin = !strong
        && t.errors >= THIN_MIN_ERRORS
        && t.error_rate() >= THIN_RATE_MIN
        && ct.is_some_and(|c| {
            c.n_before >= THIN_MIN_BASELINE
                && c.before == Some(0.0)
                && c.p_value.is_some_and(|p| p < THIN_P_MAX)
        });
    let third_bad = strong || thin;
    let first_rate = first.map_or(0.0, |g| g.error_rate());
    let first_ok = first.is_none_or(|g| {
        !ctx.rate_rose(cf, g.error_rate(), FIRST_FAILING_RATE)
            || g.error_rate() < FIRST_FAILING_RATE
    });
    if third_bad && first_ok {
        f.fired = true;
        // which domains
        let w = ctx.an.windows.during;
        let mut by_domain: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for r in ctx.ds.requests.iter().filter(|r| {
            r.party == Party::Third
                && (w.is_none_or(|w| w.contains(r.start)) || !ctx.an.windows.by_file.is_empty())
        }) {
            let e = by_domain.entry(&r.registrable_domain).or_default();
            e.0 += 1;
            e.1 += r.is_error() as u64;
        }
        let mut failing: Vec<(&str, u64, u64)> = by_domain
            .into_iter()
            .filter(|(_, (n, e))| {
                *e >= DOMAIN_MIN_ERRORS && *e as f64 / *n as f64 >= DOMAIN_FAIL_SHARE
            })
            .map(|(d, (n, e))| (d, n, e))
            .collect();
        failing.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        let names: Vec<String> = failing
            .iter()
            .take(4)
            .map(|(d, n, e)| format!("{d} ({e} of {n})"))
            .collect();
        let pages = ctx
            .an
            .comparison(Axis::PageVantage, "all", Signal::LoadMs, WindowName::During);
        let impact = match pages {
            Some(p) if p.significant() && p.ratio.unwrap_or(1.0) >= IMPACT_LOAD_RATIO => format!(
                "users were affected: page load time {:.0} -> {:.0} ms",
                p.before.unwrap_or(0.0),
                p.value.unwrap_or(0.0)
            ),
            Some(_) => "page loads were not measurably slower: users were likely little affected"
                .to_string(),
            None if ctx.an.windows.get(ctx.an.baseline).is_none() => {
                "no baseline to judge user impact".to_string()
            }
            None => "no page timings to judge user impact".to_string(),
        };
        f.summary = format!(
            "failures confined to third-party domains: {} ({} of third-party requests failed) while first-party calls stayed at {} errors; {impact}",
            names.join(", "),
            pct(t.error_rate()),
            pct(first_rate)
        );
        f.support(
            FaultDomain::ThirdParty,
            if strong { 0.75 } else { 0.45 },
            "third-party failures, first party healthy",
        );
        f.support(
            FaultDomain::Backend,
            -0.4,
            "first-party calls stayed healthy",
        );
        f.support(
            FaultDomain::Network,
            -0.2,
            "first-party hosts were reachable on the same path",
        );
        let observed = ctx.vantages("third");
        for v in &observed {
            if let Some(g) = ctx.http(Dim::Vantage, &format!("third@{v}"), WindowName::During)
                && g.error_rate() >= THIRD_FAILING_RATE
            {
                f.regions.push(v.clone());
            }
        }
        // a dependency failing for every vantage that loads it fails for
        // everyone: only a subset of observing vantages makes it regional
        if f.regions.len() == observed.len() {
            f.regions = ctx.an.regions.clone();
        }
    } else {
        f.summary = format!(
            "third party: error rate {} over {} third-party requests during the window (first party {})",
            pct(t.error_rate()),
            t.count,
            pct(first_rate)
        );
        // one region's broken dependency is a sliver of every region's
        // third-party requests: judged there, it is not clean
        let hit = if third_bad {
            Vec::new()
        } else {
            ctx.vantages_failing_by(
                "third",
                |g| g.errors,
                MIN_ERRORS,
                THIRD_FAILING_RATE,
                VANTAGE_RISE_FACTOR,
                VANTAGE_RISE_MARGIN,
            )
        };
        if let Some(v) = hit.first() {
            f.summary.push_str(&format!(
                "; but from {} {} of third-party requests failed ({} of {})",
                v.vantage,
                pct(v.share),
                v.errors,
                v.requests
            ));
        }
        if !third_bad && t.count >= MIN_REQUESTS_CLEAR && hit.is_empty() {
            f.support(FaultDomain::ThirdParty, -0.5, format!("third party: {} errors over {} third-party requests, no third-party domain failing", pct(t.error_rate()), t.count));
        } else if third_bad && !first_ok {
            f.support(
                FaultDomain::ThirdParty,
                -0.3,
                "first-party calls failed as well: not confined to a third party",
            );
        }
    }
    vec![f]
}
