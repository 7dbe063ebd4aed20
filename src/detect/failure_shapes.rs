//! FL110 failure shapes: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels, pct};
use crate::aggregate::loads::{LoadFacts, Shape};
use crate::model::{Party, Request, ResourceType};
use std::collections::{BTreeMap, BTreeSet};

pub const DOC: &str = "\
Looks at: every failed request of the page loads in the incident window (the whole capture when it has no healthy stretch) of the captures that had a load in it that failed or lost components (one region's outage is not diluted by the other regions' healthy loads), by where it stopped (HTTP 5xx, an edge's error, name not resolved, TLS / certificate, connection refused / reset / timed out, the client offline, status 0 with no phase), by party (the site's own domains, including sibling CDN domains, against everyone else's), and by role (the page document, API calls, static assets). Failures that were already there in the baseline's loads (a chronic broken pixel: the same host and endpoint failing in at least {CHRONIC_SHARE} of the baseline's loads, when it has at least {CHRONIC_MIN_BASE_LOADS}) are set aside, and so is noise: `ERR_ABORTED` on requests cut off by the next navigation, and what Firefox and Safari write for the same (status 0, no phase, begun after the load event of a page whose navigation succeeded), client-side blocking, 4xx.

Points to: the domain whose shape dominates, each failure counting 1, or {KEY_REQUEST_WEIGHT} for the page document or an API call. It fires when failed requests per load reach {ROSE_RATIO} times the baseline's and at least {MIN_FAILURES_PER_LOAD}, or, when the baseline's loads had no failure at all, when the application's own document or API calls answered 5xx in at least {KEY_5XX_MIN_LOADS} of the incident's loads and at least {KEY_5XX_MIN_SHARE} of them (few per load, but new). A healthy page has next to no first-party 5xx, name-resolution, certificate or connection errors, so their presence is evidence even without a baseline (then any failure that matters counts, and the summary says so). First-party 5xx on the document or API calls -> backend; 5xx on first-party static assets from a host that serves no page document, 5xx carrying an edge's headers on a frame or asset host other than the one the page navigated to (not an API call: the edge answered, the page's own origin served the navigation), or edge errors (520-530, `x-cache: Error`, an HTML error page refused by opaque-response blocking) on first-party requests -> cdn; names not resolving (first party) -> dns, and so are Firefox's requests that stopped after the name lookup with no connect on a first-party host none of whose requests in those loads got through (Firefox writes a failed lookup and a failed connect alike; a name fails every request that asks for it, a path lets some through; when third-party hosts fail whole the same way, it is the machine or its path: network); certificate or handshake failures -> tls, and so is every connection to one https host failing at once where the producer words a refused connection and a failed handshake alike (BrowserMob's `Unable to connect to host`; at least {REFUSED_MIN_FAILURES}, each given up within {REFUSED_MAX_MS}, none of the host's requests getting through: a lossy path times out and lets some through); first-party connections failing -> network, and third-party ones with them when they span at least {SPREAD_MIN_DOMAINS} domains; the browser offline -> client, and so is every host failing with no phase reached (at least {NEVER_STARTED_SHARE} of the failures never started, across {SPREAD_MIN_DOMAINS} or more domains or both parties, nobody offline, at least {HOSTS_FAILED_SHARE} of the failing pages' hosts failed), and so are names failing to resolve for the site and third parties alike (at least {NEVER_STARTED_SHARE} of the failures, across {SPREAD_MIN_DOMAINS} or more domains, or fewer when at least {HOSTS_FAILED_SHARE} of the failing pages' hosts failed, as on a page with one third party: a site's DNS cannot take other sites' names down with it; the machine's resolver or connection can); failures confined to third-party domains -> third_party. When no failure was recorded and more than {NOTHING_LOADED_SHARE} of the loads recorded no request at all (a producer that drops requests that got no response), it fires weakly for client, then dns, and against backend.

Known false positives: a capture of a page that is broken by design (a staging site); a status-0 request from a producer that writes no reason and no phases (Safari, old Firefox) reads as `never started`, which is weak evidence for anything.";

/// Weight a failure of the page's document or of an API call counts for,
/// against 1 for any other component.
const KEY_REQUEST_WEIGHT: f64 = 2.0;
/// Page loads that recorded no request at all (a producer that drops
/// failed requests): the client's side, weakly ...
const NOTHING_LOADED_CLIENT_WEIGHT: f64 = 0.4;
/// ... with name resolution next.
const NOTHING_LOADED_DNS_WEIGHT: f64 = 0.3;

/// Failures per load in the incident window must be at least this many
/// times the baseline's to count when a baseline exists.
const ROSE_RATIO: f64 = 2.0;
/// ... and at least this many per load.
const MIN_FAILURES_PER_LOAD: f64 = 0.5;
/// Incident loads with a first-party 5xx on the document or an API call
/// that count (below `MIN_FAILURES_PER_LOAD`) when the baseline's loads had
/// no failure at all.
const KEY_5XX_MIN_LOADS: usize = 2;
/// ... and at least this share of the incident's loads: a 5xx in two of
/// sixteen loads is the noise of a busy service (the generator's noisy
/// healthy controls, with probes and a server log that saw nothing).
const KEY_5XX_MIN_SHARE: f64 = 0.25;
/// Share of the baseline's loads a template must fail in to be chronic.
const CHRONIC_SHARE: f64 = 0.5;
/// Baseline loads needed before anything counts as chronic.
const CHRONIC_MIN_BASE_LOADS: f64 = 2.0;
/// Share of the incident's loads above which "nothing loaded" decides.
const NOTHING_LOADED_SHARE: f64 = 0.5;
/// Registrable domains failures must span to be the path's (or the client's).
const SPREAD_MIN_DOMAINS: f64 = 3.0;
/// Share of failures that never started, for the client.
const NEVER_STARTED_SHARE: f64 = 0.8;
/// Share of the failing pages' hosts that failed, for the client.
const HOSTS_FAILED_SHARE: f64 = 0.8;
/// A connection a proxy could not make, given up within this many ms: the
/// far end answered (a refusal or a failed handshake), nothing was lost.
const REFUSED_MAX_MS: f64 = 1000.0;
/// Such failures a host needs, none of its requests getting through, for
/// its own front door to be read as the one that refused.
const REFUSED_MIN_FAILURES: f64 = 2.0;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "KEY_REQUEST_WEIGHT",
        value: KEY_REQUEST_WEIGHT,
        unit: Unit::Number,
        meaning: "a failed document or API call counts this much, any other component 1",
    },
    Threshold {
        name: "ROSE_RATIO",
        value: ROSE_RATIO,
        unit: Unit::Number,
        meaning: "failures per load over the baseline's at or above which they rose",
    },
    Threshold {
        name: "MIN_FAILURES_PER_LOAD",
        value: MIN_FAILURES_PER_LOAD,
        unit: Unit::Number,
        meaning: "failures per load needed (with a baseline)",
    },
    Threshold {
        name: "KEY_5XX_MIN_LOADS",
        value: KEY_5XX_MIN_LOADS as f64,
        unit: Unit::Count,
        meaning: "incident loads with an application 5xx that count, fewer per load, when the baseline had no failure",
    },
    Threshold {
        name: "KEY_5XX_MIN_SHARE",
        value: KEY_5XX_MIN_SHARE,
        unit: Unit::Share,
        meaning: "... and the share of the incident's loads they must be",
    },
    Threshold {
        name: "CHRONIC_SHARE",
        value: CHRONIC_SHARE,
        unit: Unit::Share,
        meaning: "share of the baseline's loads a template fails in to be chronic",
    },
    Threshold {
        name: "CHRONIC_MIN_BASE_LOADS",
        value: CHRONIC_MIN_BASE_LOADS,
        unit: Unit::Count,
        meaning: "baseline loads needed before anything counts as chronic",
    },
    Threshold {
        name: "NOTHING_LOADED_SHARE",
        value: NOTHING_LOADED_SHARE,
        unit: Unit::Share,
        meaning: "share of loads with no request at all above which nothing loaded",
    },
    Threshold {
        name: "SPREAD_MIN_DOMAINS",
        value: SPREAD_MIN_DOMAINS,
        unit: Unit::Count,
        meaning: "domains failures must span to be the path's (or the client's)",
    },
    Threshold {
        name: "NEVER_STARTED_SHARE",
        value: NEVER_STARTED_SHARE,
        unit: Unit::Share,
        meaning: "share of failures that never started, for the client",
    },
    Threshold {
        name: "HOSTS_FAILED_SHARE",
        value: HOSTS_FAILED_SHARE,
        unit: Unit::Share,
        meaning: "share of the failing pages' hosts that failed, for the client",
    },
    Threshold {
        name: "REFUSED_MAX_MS",
        value: REFUSED_MAX_MS,
        unit: Unit::Ms,
        meaning: "a proxy's failed connection given up this fast was refused, not lost",
    },
    Threshold {
        name: "REFUSED_MIN_FAILURES",
        value: REFUSED_MIN_FAILURES,
        unit: Unit::Count,
        meaning: "fast failed connections a host needs (none getting through) to have refused them",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL110",
    name: "failure-shapes",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn attribute(
    r: &Request,
    s: Shape,
    census: &crate::aggregate::loads::LoadCensus,
    unresolved: &BTreeSet<&str>,
    refused: &BTreeSet<&str>,
) -> FaultDomain {
    let third = r.party == Party::Third;
    if third && s != Shape::Offline {
        return FaultDomain::ThirdParty;
    }
    match s {
        // a name either resolves or not, for every request that asks; a
        // path drops some connections and lets others through
        Shape::AfterLookup if unresolved.contains(r.host.as_str()) => FaultDomain::Dns,
        Shape::AfterLookup => FaultDomain::Network,
        Shape::Offline => FaultDomain::Client,
        Shape::Dns => FaultDomain::Dns,
        Shape::Tls => FaultDomain::Tls,
        // a proxy's one wording for a refused connection and a failed
        // handshake, every time and at once, on one https host: that
        // host's front door, not the path (which lets some through)
        Shape::Connect if refused.contains(r.host.as_str()) => FaultDomain::Tls,
        Shape::Connect | Shape::NoAnswer | Shape::NeverStarted => FaultDomain::Network,
        Shape::EdgeError => FaultDomain::Cdn,
        Shape::Http5xx => {
            // the edge answering with an error for a frame or an asset
            // host while the page's own origin served its navigation: the
            // edge failed, not the application behind it (whose calls
            // and pages stay backend, edge headers or not)
            let edge_signed_off_origin = r.edge.provider.is_some()
                && !census.nav_hosts.contains(&r.host)
                && !census.is_dynamic(r);
            if census.is_edge_asset(r) || edge_signed_off_origin {
                FaultDomain::Cdn
            } else {
                FaultDomain::Backend
            }
        }
    }
}

/// Failed below HTTP somewhere on the path (not a name that never
/// resolved, nor a host that refused every connection).
fn connect_shaped(
    r: &Request,
    s: Shape,
    unresolved: &BTreeSet<&str>,
    refused: &BTreeSet<&str>,
) -> bool {
    match s {
        Shape::Connect => !refused.contains(r.host.as_str()),
        Shape::NoAnswer | Shape::NeverStarted => true,
        Shape::AfterLookup => !unresolved.contains(r.host.as_str()),
        _ => false,
    }
}

/// Hosts every request of the incident's loads to which stopped after the
/// name lookup (at least one did, none got through): a name that does not
/// resolve fails every request that asks for it, while a path that drops
/// connections lets some through. What settles Firefox's one shape for
/// both (see `Shape::AfterLookup`).
fn unresolved_hosts<'a>(ctx: &Ctx<'a>, loads: &[&LoadFacts]) -> BTreeSet<&'a str> {
    let pages: BTreeSet<&str> = loads.iter().map(|l| l.page_id.as_str()).collect();
    let mut by_host: BTreeMap<&'a str, (u32, u32, bool)> = BTreeMap::new();
    for r in &ctx.ds.requests {
        if !r.page_id.as_deref().is_some_and(|p| pages.contains(p)) {
            continue;
        }
        let e = by_host.entry(r.host.as_str()).or_default();
        e.2 = r.party == Party::Third;
        match crate::aggregate::loads::shape(r) {
            Some(Shape::AfterLookup) => e.0 += 1,
            None if r.status > 0 => e.1 += 1,
            _ => {}
        }
    }
    let whole = |(lookup, ok, _): &(u32, u32, bool)| *lookup > 0 && *ok == 0;
    // other organisations' names failing alike: the machine or its path,
    // not the site's names
    if by_host.values().any(|v| v.2 && whole(v)) {
        return BTreeSet::new();
    }
    by_host
        .into_iter()
        .filter(|(_, v)| whole(v))
        .map(|(h, _)| h)
        .collect()
}

/// https hosts every request of the incident's loads to which failed as a
/// connection the capturing proxy could not make (BrowserMob's "Unable to
/// connect to host", its one wording for a refused connection, a timeout
/// and an upstream certificate it does not trust), each given up within
/// `REFUSED_MAX_MS`: the far end answered and said no, every time. A path
/// that loses packets times out and lets some connections through; a host
/// whose certificate or handshake fails refuses them all, at once. What
/// settles BrowserMob's one shape for both (as `unresolved_hosts` does for
/// Firefox's).
fn refused_hosts<'a>(ctx: &Ctx<'a>, loads: &[&LoadFacts]) -> BTreeSet<&'a str> {
    let pages: BTreeSet<&str> = loads.iter().map(|l| l.page_id.as_str()).collect();
    // (fast ambiguous refusals, anything else asked of the host)
    let mut by_host: BTreeMap<&'a str, (u32, u32)> = BTreeMap::new();
    for r in &ctx.ds.requests {
        if r.scheme != "https" || !r.page_id.as_deref().is_some_and(|p| pages.contains(p)) {
            continue;
        }
        let e = by_host.entry(r.host.as_str()).or_default();
        let spent_ms = r.phases.connect_ms.or(r.phases.total_ms);
        let refused = r.error_class == Some(crate::model::ErrorClass::ConnectFailed)
            && spent_ms.is_some_and(|v| v <= REFUSED_MAX_MS);
        if refused {
            e.0 += 1;
        } else if crate::aggregate::loads::shape(r).is_some() || r.status > 0 {
            e.1 += 1;
        }
    }
    by_host
        .into_iter()
        .filter(|(_, (n, other))| f64::from(*n) >= REFUSED_MIN_FAILURES && *other == 0)
        .map(|(h, _)| h)
        .collect()
}

fn is_key(r: &Request, census: &crate::aggregate::loads::LoadCensus) -> bool {
    census.role(r) == ResourceType::Document || census.is_dynamic(r)
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if ctx.an.windows.during.is_none() {
        return vec![];
    }
    let census = &ctx.an.loads;
    if census.loads.is_empty() {
        return vec![];
    }
    // read the captures that saw the incident: a region's outage is every
    // load of its captures, and the other regions' healthy loads beside it
    // would dilute it to nothing (and their baseline is not its baseline)
    let (base_loads, during_loads) = ctx.loads_of_hit_captures(|l| !l.slow_only);
    if during_loads.is_empty() {
        return vec![];
    }
    let req = |i: usize| &ctx.ds.requests[i];
    // chronic failures: templates failing in half the baseline's loads
    let mut chronic_count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for l in &base_loads {
        let t: BTreeSet<(&str, &str)> = l
            .failures
            .iter()
            .map(|(i, _)| (req(*i).host.as_str(), req(*i).endpoint.as_str()))
            .collect();
        for k in t {
            *chronic_count.entry(k).or_default() += 1;
        }
    }
    let chronic: BTreeSet<(&str, &str)> = chronic_count
        .into_iter()
        .filter(|(_, n)| {
            base_loads.len() as f64 >= CHRONIC_MIN_BASE_LOADS
                && *n as f64 >= base_loads.len() as f64 * CHRONIC_SHARE
        })
        .map(|(k, _)| k)
        .collect();
    let counted = |l: &LoadFacts| -> Vec<(usize, Shape)> {
        l.failures
            .iter()
            .filter(|(i, _)| !chronic.contains(&(req(*i).host.as_str(), req(*i).endpoint.as_str())))
            .copied()
            .collect()
    };
    let unresolved = unresolved_hosts(ctx, &during_loads);
    let refused = refused_hosts(ctx, &during_loads);
    let mut score: BTreeMap<FaultDomain, f64> = BTreeMap::new();
    let mut shapes: BTreeMap<(Shape, bool), u64> = BTreeMap::new();
    let mut hosts_by_domain: BTreeMap<FaultDomain, BTreeSet<&str>> = BTreeMap::new();
    let mut failing_domains: BTreeSet<&str> = BTreeSet::new();
    let mut first_failing_domains: BTreeSet<&str> = BTreeSet::new();
    let mut examples: BTreeMap<FaultDomain, Vec<crate::model::SourceRef>> = BTreeMap::new();
    let mut loads_hit = 0usize;
    let mut regions: BTreeMap<FaultDomain, BTreeSet<String>> = BTreeMap::new();
    let mut n_fail = 0u64;
    // third-party name failures' weight, and every domain whose names failed
    let mut dns_third_score = 0.0;
    let mut dns_domains: BTreeSet<&str> = BTreeSet::new();
    for l in &during_loads {
        let c = counted(l);
        if !c.is_empty() && l.bad {
            loads_hit += 1;
        }
        for (i, s) in c {
            let r = req(i);
            n_fail += 1;
            let d = attribute(r, s, census, &unresolved, &refused);
            let weight = if is_key(r, census) {
                KEY_REQUEST_WEIGHT
            } else {
                1.0
            };
            *score.entry(d).or_default() += weight;
            if s == Shape::Dns {
                dns_domains.insert(r.registrable_domain.as_str());
                if r.party == Party::Third {
                    dns_third_score += weight;
                }
            }
            *shapes.entry((s, r.party == Party::Third)).or_default() += 1;
            hosts_by_domain
                .entry(d)
                .or_default()
                .insert(r.host.as_str());
            failing_domains.insert(r.registrable_domain.as_str());
            if r.party != Party::Third {
                first_failing_domains.insert(r.registrable_domain.as_str());
            }
            let ex = examples.entry(d).or_default();
            if ex.len() < 3 {
                ex.push(r.source);
            }
            if !l.vantage.is_empty() {
                regions.entry(d).or_default().insert(l.vantage.clone());
            }
        }
    }
    let base_fail: usize = base_loads.iter().map(|l| counted(l).len()).sum();
    let per_load_during = n_fail as f64 / during_loads.len() as f64;
    let per_load_base = base_fail as f64 / base_loads.len().max(1) as f64;
    let has_baseline = !base_loads.is_empty();
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    f.evidence.push(evidence_levels(
        "failed requests per page load",
        "count",
        [
            has_baseline.then_some(per_load_base),
            Some(per_load_during),
            None,
        ],
        [base_loads.len() as u64, during_loads.len() as u64],
        examples.values().flatten().take(3).copied().collect(),
    ));
    f.evidence.push(evidence_levels(
        "page loads with failures that matter",
        "ratio",
        [
            has_baseline.then(|| {
                base_loads.iter().filter(|l| l.bad).count() as f64 / base_loads.len() as f64
            }),
            Some(loads_hit as f64 / during_loads.len() as f64),
            None,
        ],
        [base_loads.len() as u64, during_loads.len() as u64],
        vec![],
    ));
    let empty = during_loads.iter().filter(|l| l.components == 0).count();
    if n_fail == 0 && empty as f64 > during_loads.len() as f64 * NOTHING_LOADED_SHARE {
        f.fired = true;
        f.summary = format!(
            "{empty} of {} page loads recorded no request at all: the page never loaded, and the capture's producer drops requests that got no response, so where it stopped cannot be read from it: most often the capturing client's own connection, else its name resolution; not the backend (no request reached it)",
            during_loads.len()
        );
        // nothing at all loaded from this vantage, not even the document:
        // the client's side first (its connection, proxy or resolver),
        // weakly, since the producer hid where the requests stopped
        f.support(
            FaultDomain::Client,
            NOTHING_LOADED_CLIENT_WEIGHT,
            "client: not one request of the page loads was recorded",
        );
        f.support(
            FaultDomain::Dns,
            NOTHING_LOADED_DNS_WEIGHT,
            "dns: a document whose name does not resolve records nothing either",
        );
        f.support(
            FaultDomain::Backend,
            -0.4,
            "backend: no request of the failed page loads reached a server",
        );
        return vec![f];
    }
    // the application's own calls or pages answering 5xx in several loads
    // of the incident and in none of the baseline's: few, but a healthy
    // page has next to none, and the baseline shows this one had none
    let key_5xx_loads = during_loads
        .iter()
        .filter(|l| {
            counted(l).iter().any(|(i, s)| {
                *s == Shape::Http5xx && req(*i).party != Party::Third && is_key(req(*i), census)
            })
        })
        .count();
    let app_5xx_new = base_fail == 0
        && key_5xx_loads >= KEY_5XX_MIN_LOADS
        && key_5xx_loads as f64 >= during_loads.len() as f64 * KEY_5XX_MIN_SHARE;
    let by_rate = per_load_during >= (per_load_base * ROSE_RATIO).max(MIN_FAILURES_PER_LOAD);
    let rose = !has_baseline || app_5xx_new || by_rate;
    if n_fail == 0 || loads_hit == 0 || !rose {
        f.summary = format!(
            "{} failed requests in {} page loads during ({} per load before)",
            n_fail,
            during_loads.len(),
            if has_baseline {
                format!("{per_load_base:.1}")
            } else {
                "no baseline".into()
            }
        );
        return vec![f];
    }
    // the network fails connections to every host behind it: connection
    // failures spread over several domains, first party among them, are
    // the path's, not each third party's
    let connect_domains: BTreeSet<&str> = during_loads
        .iter()
        .flat_map(|l| counted(l))
        .filter(|(i, s)| connect_shaped(req(*i), *s, &unresolved, &refused))
        .map(|(i, _)| req(i).registrable_domain.as_str())
        .collect();
    let connect_first = during_loads.iter().flat_map(|l| counted(l)).any(|(i, s)| {
        connect_shaped(req(i), s, &unresolved, &refused) && req(i).party != Party::Third
    });
    if connect_domains.len() as f64 >= SPREAD_MIN_DOMAINS && connect_first {
        let moved: f64 = during_loads
            .iter()
            .flat_map(|l| counted(l))
            .filter(|(i, s)| {
                req(*i).party == Party::Third && connect_shaped(req(*i), *s, &unresolved, &refused)
            })
            .count() as f64;
        *score.entry(FaultDomain::ThirdParty).or_default() -= moved;
        *score.entry(FaultDomain::Network).or_default() += moved;
    }
    // every host failing with no phase reached: the machine, not the path
    let never: u64 = shapes
        .iter()
        .filter(|((s, _), _)| *s == Shape::NeverStarted)
        .map(|(_, n)| n)
        .sum();
    let offline: u64 = shapes
        .iter()
        .filter(|((s, _), _)| *s == Shape::Offline)
        .map(|(_, n)| n)
        .sum();
    let third_failed = shapes.keys().any(|(_, third)| *third);
    if never as f64 >= n_fail as f64 * NEVER_STARTED_SHARE
        && (failing_domains.len() as f64 >= SPREAD_MIN_DOMAINS
            || third_failed && !first_failing_domains.is_empty())
        && offline == 0
        && all_hosts_failed(ctx, &during_loads)
    {
        let net = score.remove(&FaultDomain::Network).unwrap_or(0.0)
            + score.remove(&FaultDomain::ThirdParty).unwrap_or(0.0);
        *score.entry(FaultDomain::Client).or_default() += net;
    }
    // every name failing to resolve, the site's and third parties' alike:
    // the machine's resolver or its connection, not each site's DNS
    let dns_first = shapes.get(&(Shape::Dns, false)).copied().unwrap_or(0);
    let dns_third = shapes.get(&(Shape::Dns, true)).copied().unwrap_or(0);
    if dns_first > 0
        && dns_third > 0
        && (dns_first + dns_third) as f64 >= n_fail as f64 * NEVER_STARTED_SHARE
        && (dns_domains.len() as f64 >= SPREAD_MIN_DOMAINS || all_hosts_failed(ctx, &during_loads))
    {
        let moved = score.remove(&FaultDomain::Dns).unwrap_or(0.0) + dns_third_score;
        *score.entry(FaultDomain::ThirdParty).or_default() -= dns_third_score;
        *score.entry(FaultDomain::Client).or_default() += moved;
    }
    let total: f64 = score.values().filter(|v| **v > 0.0).sum();
    let Some((&top, &top_score)) = score
        .iter()
        .filter(|(_, v)| **v > 0.0)
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
    else {
        return vec![f];
    };
    let share = top_score / total.max(f64::MIN_POSITIVE);
    f.fired = true;
    let w = if has_baseline {
        0.45 + 0.35 * share
    } else {
        0.5 + 0.35 * share
    };
    let shape_txt = shapes
        .iter()
        .map(|((s, third), n)| {
            format!(
                "{n}x {} ({})",
                s.as_str(),
                if *third { "third party" } else { "first party" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let hosts = hosts_by_domain
        .get(&top)
        .map(|h| h.iter().take(4).copied().collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    f.summary = format!(
        "{} of {} page loads had failures that matter ({}); {} points to {} (hosts: {hosts}){}",
        loads_hit,
        during_loads.len(),
        pct(loads_hit as f64 / during_loads.len() as f64),
        shape_txt,
        top.as_str().replace('_', " "),
        if !has_baseline {
            "; no baseline in the data: judged on absolute evidence".to_string()
        } else if !by_rate {
            format!(
                "; few per load, but the application's own calls or pages answered 5xx in {key_5xx_loads} loads and the baseline's {} loads had no failure at all",
                base_loads.len()
            )
        } else {
            String::new()
        }
    );
    if top == FaultDomain::Tls && !refused.is_empty() {
        f.summary.push_str(&format!(
            "; every connection to {} failed within {} ms, none got through: the proxy words a refused connection and a failed handshake alike, and a host that refuses every connection at once is its own front door (its TLS or its listener), not a lossy path",
            refused.iter().take(4).copied().collect::<Vec<_>>().join(", "),
            REFUSED_MAX_MS
        ));
    }
    f.support(
        top,
        w,
        format!(
            "{} of weighted failures are {}-shaped ({shape_txt})",
            pct(share),
            top.as_str()
        ),
    );
    // what the shapes rule out: a response came back, so the layers below
    // it worked
    let http_answered = shapes
        .keys()
        .any(|(s, third)| matches!(s, Shape::Http5xx | Shape::EdgeError) && !third);
    if matches!(top, FaultDomain::Backend | FaultDomain::Cdn) && http_answered {
        for (d, why) in [
            (
                FaultDomain::Network,
                "failed requests got HTTP answers: the path to the site worked",
            ),
            (
                FaultDomain::Dns,
                "failed requests got HTTP answers: names resolved",
            ),
            (
                FaultDomain::Client,
                "the browser reached the servers and got answers",
            ),
        ] {
            f.support(d, -0.3, format!("{}: {why}", d.as_str()));
        }
    }
    if top == FaultDomain::ThirdParty {
        f.support(
            FaultDomain::Backend,
            -0.3,
            format!(
                "backend: first-party requests did not fail ({} third-party domains did)",
                failing_domains.len()
            ),
        );
    }
    if first_failing_domains.is_empty() && top != FaultDomain::Client {
        f.support(
            FaultDomain::Network,
            -0.2,
            "network: the site's own hosts were reached without failures",
        );
    }
    f.regions = regions
        .remove(&top)
        .unwrap_or_default()
        .into_iter()
        .collect();
    vec![f]
}

/// In the loads that failed, did (nearly) every host the page talks to
/// fail? A client that lost its connection fails everything at once; a
/// network path usually leaves some hosts reachable.
fn all_hosts_failed(ctx: &Ctx, loads: &[&LoadFacts]) -> bool {
    let failing: BTreeSet<&str> = loads
        .iter()
        .flat_map(|l| l.failures.iter())
        .map(|(i, _)| ctx.ds.requests[*i].host.as_str())
        .collect();
    let ids: BTreeSet<&str> = loads
        .iter()
        .filter(|l| !l.failures.is_empty())
        .map(|l| l.page_id.as_str())
        .collect();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    for r in &ctx.ds.requests {
        if r.page_id.as_deref().is_some_and(|p| ids.contains(p)) {
            hosts.insert(r.host.as_str());
        }
    }
    !hosts.is_empty() && failing.len() as f64 >= hosts.len() as f64 * HOSTS_FAILED_SHARE
}
