//! FL601 third party: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_from, pct};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};
use crate::model::Party;
use std::collections::BTreeMap;

pub const DOC: &str = "\
Looks at: requests to third-party registrable domains (anything that is not the site's own: first party = the registrable domains of the pages' main documents and probe targets, or `--first-party`), their error rate during vs before, which domains fail, and whether first-party traffic stayed healthy; then page loads, to say whether users were affected.

Points to: third_party, when failures are confined to third-party domains (error rate up, first party flat): a dependency run by another organisation failed. Says whether users were impacted (page load time or failed components up) or not (beacons and trackers failing quietly). Argues against a third party when only first-party calls fail (\"the disruption was specific to the service\").

Known false positives: ad/tracker blocking in the capturing browser (`ERR_BLOCKED_BY_CLIENT` is not counted as a failure); a first-party service hosted on another registrable domain (declare it with `--first-party`).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

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
    let strong = ctx.rate_rose(ct, t.error_rate(), 0.05) && t.errors >= 3;
    // thin but clean contrast: failures now, none at all in a real baseline
    let thin = !strong
        && t.errors >= 2
        && t.error_rate() >= 0.1
        && ct.is_some_and(|c| {
            c.n_before >= 10 && c.before == Some(0.0) && c.p_value.is_some_and(|p| p < 0.25)
        });
    let third_bad = strong || thin;
    let first_rate = first.map_or(0.0, |g| g.error_rate());
    let first_ok =
        first.is_none_or(|g| !ctx.rate_rose(cf, g.error_rate(), 0.03) || g.error_rate() < 0.03);
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
            .filter(|(_, (n, e))| *e >= 2 && *e as f64 / *n as f64 >= 0.2)
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
            Some(p) if p.significant() && p.ratio.unwrap_or(1.0) >= 1.2 => format!(
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
                && g.error_rate() >= 0.05
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
        if !third_bad && t.count >= 10 {
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
