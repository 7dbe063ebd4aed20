//! FL105 vanished components: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels};
use crate::aggregate::WindowName;
use crate::model::{Party, Request, ResourceType};
use std::collections::{BTreeMap, BTreeSet};

pub const DOC: &str = "\
Looks at: the requests, by URL template (host and path with ids folded), that make up the baseline's page loads (those in at least {PRESENT_SHARE} of them), and which of them the incident's page loads make rarely or no longer ({VANISHED_SHARE} of the loads or fewer): the seed's \"fewer components\", named one by one and grouped by host and type. At least {MIN_VANISHED} must vanish to make a finding.

Points to: backend, when at least {FIRST_PARTY_SHARE_MIN} of the vanished components are first-party while the page's document still loads (in at least {DOC_LOADED_SHARE_MIN} of the incident's loads): the page was reachable, and what it renders from the application's answers never came (the widgets an API call would have filled, the images and scripts they pull). It is evidence of what users lost more than of where the fault is, so its weight is modest; a component that is requested and fails is not vanished (the failure detectors read it). Cdn instead when most of the incident's bad page loads also got edge errors for the site's static files (delivery's loss, not the application's). Dns (weakly, {GONE_HOST_DNS_WEIGHT}), against backend, when at least half the vanished first-party components are on asset hosts that are gone whole: in at least {GONE_PRESENT_SHARE} of the baseline's loads, at least that share of their requests static (or any first-party host when not one first-party request of the incident failed on record), and not one request in the incident's loads, whose documents came (a producer that keeps no request without a response, chrome-har, leaves exactly this when a sibling asset host's name stops resolving, or its certificate or the path to it fails; a failing application takes its calls and what they render, not every file of an asset host). Third_party, against backend, when only third-party components vanished, from at most {MAX_THIRD_DOMAINS} registrable domains, while the document still loads: the site's own components all came.

Known false positives: a deploy that really removed components (then they stay gone after recovery); personalised or rotating content (ads, A/B tests) that differs from load to load (only templates present in at least {PRESENT_SHARE} of the baseline's loads count, and none of a host and type whose incident loads still make {ROTATED_SHARE} as many of them per load: a shop's featured products change every minute).";

/// A template counts as part of the page when the baseline's loads make it
/// this often ...
const PRESENT_SHARE: f64 = 0.8;
/// ... and as vanished when the incident's loads make it at most this often.
const VANISHED_SHARE: f64 = 0.2;
/// A host's vanished templates of one type were swapped, not lost, when
/// the incident's loads still make at least this share of that host's and
/// type's requests per load.
const ROTATED_SHARE: f64 = 0.8;
/// Fewest vanished templates that make a finding.
const MIN_VANISHED: usize = 2;
/// Share of the vanished templates that must be first-party to speak for
/// backend (or cdn).
const FIRST_PARTY_SHARE_MIN: f64 = 0.5;
/// Share of the incident's loads whose document must still have loaded.
const DOC_LOADED_SHARE_MIN: f64 = 0.5;
/// Most third-party registrable domains whose components alone vanished
/// that still speak for a third party.
const MAX_THIRD_DOMAINS: usize = 2;
/// Support for dns when the vanished components are a whole asset host's
/// (weak: a certificate or the path to that host leave the same trace).
const GONE_HOST_DNS_WEIGHT: f64 = 0.45;

const THRESHOLDS: &[Threshold] = &[
    super::GONE_PRESENT_THRESHOLD,
    Threshold {
        name: "ROTATED_SHARE",
        value: ROTATED_SHARE,
        unit: Unit::Share,
        meaning: "share of a host's and type's templates per load the incident still makes, at which its vanished ones were swapped",
    },
    Threshold {
        name: "GONE_HOST_DNS_WEIGHT",
        value: GONE_HOST_DNS_WEIGHT,
        unit: Unit::Number,
        meaning: "support for dns when the vanished components are a whole asset host's",
    },
    Threshold {
        name: "PRESENT_SHARE",
        value: PRESENT_SHARE,
        unit: Unit::Share,
        meaning: "share of baseline loads a template is in to count as part of the page",
    },
    Threshold {
        name: "VANISHED_SHARE",
        value: VANISHED_SHARE,
        unit: Unit::Share,
        meaning: "share of incident loads it is in, at most, to count as vanished",
    },
    Threshold {
        name: "MIN_VANISHED",
        value: MIN_VANISHED as f64,
        unit: Unit::Count,
        meaning: "fewest vanished templates that make a finding",
    },
    Threshold {
        name: "FIRST_PARTY_SHARE_MIN",
        value: FIRST_PARTY_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of vanished templates that are first-party, to speak for backend or cdn",
    },
    Threshold {
        name: "DOC_LOADED_SHARE_MIN",
        value: DOC_LOADED_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of incident loads whose page document still loaded",
    },
    Threshold {
        name: "MAX_THIRD_DOMAINS",
        value: MAX_THIRD_DOMAINS as f64,
        unit: Unit::Count,
        meaning: "most third-party domains whose components alone vanished, to speak for third_party",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL105",
    name: "vanished-components",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

type Template = (String, String, ResourceType, Party);

/// A request's template, typed as the template is when it succeeds (a
/// failed image answered with an HTML error page is still that image).
fn template(r: &Request, census: &crate::aggregate::loads::LoadCensus) -> Template {
    (r.host.clone(), r.endpoint.clone(), census.role(r), r.party)
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if ctx.an.windows.during.is_none() {
        return vec![];
    }
    let mut loads: BTreeMap<&str, (WindowName, BTreeSet<Template>, bool)> = BTreeMap::new();
    for l in &ctx.an.loads.loads {
        if let Some(w) = ctx.window_at(l.file, l.start) {
            loads.insert(l.page_id.as_str(), (w, BTreeSet::new(), false));
        }
    }
    for r in &ctx.ds.requests {
        let Some(e) = r.page_id.as_deref().and_then(|p| loads.get_mut(p)) else {
            continue;
        };
        e.1.insert(template(r, &ctx.an.loads));
        if r.resource_type == ResourceType::Document
            && r.party != Party::Third
            && (200..400).contains(&r.status)
        {
            e.2 = true;
        }
    }
    let base_w = ctx.an.baseline;
    let count = |w: WindowName| loads.values().filter(|l| l.0 == w).count();
    let (nb, nd) = (count(base_w), count(WindowName::During));
    if nb < 1 || nd < 1 {
        return vec![];
    }
    let mut freq: BTreeMap<&Template, (usize, usize)> = BTreeMap::new();
    for (w, ts, _) in loads.values() {
        for t in ts {
            let e = freq.entry(t).or_default();
            if *w == base_w {
                e.0 += 1;
            } else if *w == WindowName::During {
                e.1 += 1;
            }
        }
    }
    let vanished: Vec<&Template> = freq
        .iter()
        .filter(|(_, (b, d))| {
            *b as f64 >= PRESENT_SHARE * nb as f64 && *d as f64 <= VANISHED_SHARE * nd as f64
        })
        .map(|(t, _)| *t)
        .collect();
    // rotating content: a host's images (or scripts) of one kind swapped
    // for others, as many per load as before, were not lost (a shop's
    // featured products change every minute; a failing API takes them
    // all)
    let per_load = |w: WindowName, key: (&str, ResourceType, Party), n: usize| {
        let total: usize = loads
            .values()
            .filter(|l| l.0 == w)
            .map(|l| {
                l.1.iter()
                    .filter(|t| (t.0.as_str(), t.2, t.3) == key)
                    .count()
            })
            .sum();
        total as f64 / n.max(1) as f64
    };
    let rotated: BTreeSet<(&str, ResourceType, Party)> = vanished
        .iter()
        .map(|t| (t.0.as_str(), t.2, t.3))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|k| {
            per_load(WindowName::During, *k, nd) >= ROTATED_SHARE * per_load(base_w, *k, nb)
        })
        .collect();
    let swapped = vanished
        .iter()
        .filter(|t| rotated.contains(&(t.0.as_str(), t.2, t.3)))
        .count();
    let vanished: Vec<&Template> = vanished
        .into_iter()
        .filter(|t| !rotated.contains(&(t.0.as_str(), t.2, t.3)))
        .collect();
    let docs_ok = loads
        .values()
        .filter(|l| l.0 == WindowName::During && l.2)
        .count();
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let typical = freq
        .values()
        .filter(|(b, _)| *b as f64 >= PRESENT_SHARE * nb as f64)
        .count();
    f.evidence.push(evidence_levels(
        "page components present in nearly every load",
        "count",
        [
            Some(typical as f64),
            Some((typical - vanished.len()) as f64),
            None,
        ],
        [nb as u64, nd as u64],
        vec![],
    ));
    if vanished.len() < MIN_VANISHED {
        f.summary = format!(
            "{} of {typical} usual page components missing from the incident's loads{}",
            vanished.len(),
            if swapped > 0 {
                format!(
                    " ({swapped} more gone but replaced by as many others of their host and type per load: rotating content)"
                )
            } else {
                String::new()
            }
        );
        return vec![f];
    }
    f.fired = true;
    // grouped by host and type, named one by one (a few per group)
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    for (host, ep, rt, party) in &vanished {
        groups
            .entry((party.as_str(), host.as_str(), rt.as_str()))
            .or_default()
            .push(ep.as_str());
    }
    let named = groups
        .iter()
        .map(|((party, host, rt), eps)| {
            let shown: Vec<&str> = eps.iter().take(3).copied().collect();
            format!(
                "{host} ({party} party) {}x {rt}: {}{}",
                eps.len(),
                shown.join(", "),
                if eps.len() > 3 { ", ..." } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let first = vanished.iter().filter(|t| t.3 != Party::Third).count();
    f.summary = format!(
        "{} of {typical} usual page components vanished from the incident's page loads: {named}",
        vanished.len()
    );
    let third_domains: BTreeSet<String> = vanished
        .iter()
        .filter(|t| t.3 == Party::Third)
        .map(|t| crate::classify::registrable_domain(&t.0))
        .collect();
    let docs_loaded = docs_ok as f64 >= DOC_LOADED_SHARE_MIN * nd as f64;
    let mostly_first = first as f64 >= FIRST_PARTY_SHARE_MIN * vanished.len() as f64;
    if first == 0
        && !third_domains.is_empty()
        && third_domains.len() <= MAX_THIRD_DOMAINS
        && docs_loaded
    {
        // the site's own components all still came: only another
        // organisation's did not (requests that got no answer are not
        // recorded by some producers, so vanishing is their failure)
        f.support(
            FaultDomain::ThirdParty,
            0.55,
            format!(
                "only third-party components vanished ({}), the site's own all loaded",
                third_domains.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "backend: every first-party component still loaded",
        );
    }
    // a whole asset host gone without one recorded failure (see
    // Ctx::static_hosts_gone)
    let gone: &[String] = if mostly_first && docs_loaded {
        ctx.static_hosts_gone()
    } else {
        &[]
    };
    let on_gone = vanished
        .iter()
        .filter(|t| t.3 != Party::Third && gone.contains(&t.0))
        .count();
    let host_gone = !gone.is_empty() && on_gone * 2 >= first;
    if mostly_first && docs_loaded && ctx.delivery_failing() {
        f.support(
            FaultDomain::Cdn,
            0.25,
            format!(
                "{first} first-party components vanished while the site's static files failed at the edge"
            ),
        );
    } else if host_gone {
        f.summary.push_str(&format!(
            "; every request to {} is gone and none was recorded failing: the browser never got an answer from that host (its name, its certificate or the path to it; this producer keeps no request without a response), not the application",
            gone.join(", ")
        ));
        f.support(
            FaultDomain::Dns,
            GONE_HOST_DNS_WEIGHT,
            format!("every request to {} vanished, unrecorded", gone.join(", ")),
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "backend: what vanished is an asset host's every file, not the application's calls",
        );
    } else if mostly_first && docs_loaded {
        f.support(
            FaultDomain::Backend,
            0.3,
            format!(
                "{first} first-party components vanished while the page document loaded in {docs_ok} of {nd} loads"
            ),
        );
        f.support(
            FaultDomain::Dns,
            -0.15,
            "dns: the page's document still loaded",
        );
    }
    vec![f]
}
