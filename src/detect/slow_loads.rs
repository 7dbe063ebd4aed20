//! FL111 slow page loads: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_levels, ms};
use crate::aggregate::loads::{
    ABS_API_VS_STATIC, ABS_SLOW_API_MS, BUSY_READ_MIN_MS, BUSY_READ_RATIO, ClientPace, LoadFacts,
    busy_client,
};

pub const DOC: &str = "\
Looks at: page loads that did not fail but were slow, load by load (those of the captures with bad loads in the window, when only some had them): the median server wait of the site's API calls, and the median time (wait + receive) of its static assets and of third-party requests, in the incident's loads against the baseline's.

Points to: backend, when the API's wait grew (>= {API_SLOW_RATIO}x) while static assets and third parties kept their pace (< {PACE_KEPT_RATIO}x): \"API response times doubled while the frontend stayed fast\". Network, when static assets slowed (>= {PATH_SLOW_RATIO}x) and third-party requests with them (>= {PATH_SLOW_RATIO}x; with no third-party requests, the API's wait), and the API slowed no more than {API_VS_PATH_MAX} times as much as the static assets: a slow path slows every host behind it, and the server cannot slow someone else's. With no static asset timed (all from the cache), third parties slowing by {PATH_SLOW_RATIO}x and the API by no more than {API_VS_PATH_MAX} times their added milliseconds is the same shape (a path adds its delay to every round trip: an API answering in 7 ms before is x50 with 300 ms more). Needs a baseline: slowness has no absolute level. When the loads of every vantage together show neither, each vantage with at least {MIN_VANTAGE_LOADS} loads before and during is judged alone for a slow path (static and third parties >= {VANTAGE_PATH_SLOW_RATIO}x), and fires when some (not all) vantages show one: a regional path. Not a slow path when the capturing browser was busy: the static and third-party answers took >= {BUSY_READ_RATIO}x (and >= {BUSY_READ_MIN_MS}) longer to read once their first byte came, more than the servers' wait and the connects grew (a machine short of CPU reads every answer late; a slow path adds to the connects and the wait, a slow server to the wait). With no healthy load to compare with (a capture taken during the slowdown): backend when the API's calls wait >= {ABS_SLOW_API_MS} per load and >= {ABS_API_VS_STATIC}x the same loads' static assets, slow on their face.

Known false positives: a heavier page in the incident's loads (compare the vanished and new components); a busy machine whose reading stayed quick (producers that time no `receive`).";

/// API wait ratio that makes the backend slow ...
const API_SLOW_RATIO: f64 = 1.5;
/// ... while the static and third-party pace stays under this ratio.
const PACE_KEPT_RATIO: f64 = 1.3;
/// Static and third-party slowdown that makes the path slow.
const PATH_SLOW_RATIO: f64 = 2.0;
/// ... as long as the API's ratio is at most this many times the static one.
const API_VS_PATH_MAX: f64 = 1.5;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "API_SLOW_RATIO",
        value: API_SLOW_RATIO,
        unit: Unit::Number,
        meaning: "API wait per load over the baseline's at which the server is slow ...",
    },
    Threshold {
        name: "PACE_KEPT_RATIO",
        value: PACE_KEPT_RATIO,
        unit: Unit::Number,
        meaning: "... while static and third-party times stay under this ratio",
    },
    Threshold {
        name: "PATH_SLOW_RATIO",
        value: PATH_SLOW_RATIO,
        unit: Unit::Number,
        meaning: "static and third-party slowdown at which the path is slow ...",
    },
    Threshold {
        name: "API_VS_PATH_MAX",
        value: API_VS_PATH_MAX,
        unit: Unit::Number,
        meaning: "... while the API's ratio is at most this many times the static one",
    },
    Threshold {
        name: "MIN_VANTAGE_LOADS",
        value: MIN_VANTAGE_LOADS as f64,
        unit: Unit::Count,
        meaning: "loads a vantage needs before and during to be judged alone",
    },
    Threshold {
        name: "VANTAGE_PATH_SLOW_RATIO",
        value: VANTAGE_PATH_SLOW_RATIO,
        unit: Unit::Number,
        meaning: "one vantage alone: static and third-party slowdown at which its path is slow",
    },
    Threshold {
        name: "BUSY_READ_RATIO",
        value: BUSY_READ_RATIO,
        unit: Unit::Number,
        meaning: "static and third-party reading time (receive) over the baseline's at which the capturing machine was busy ...",
    },
    Threshold {
        name: "BUSY_READ_MIN_MS",
        value: BUSY_READ_MIN_MS,
        unit: Unit::Ms,
        meaning: "... and rose at least this much (and more than wait and connect)",
    },
    Threshold {
        name: "ABS_SLOW_API_MS",
        value: ABS_SLOW_API_MS,
        unit: Unit::Ms,
        meaning: "no baseline: API wait per load (p50) slow on its face ...",
    },
    Threshold {
        name: "ABS_API_VS_STATIC",
        value: ABS_API_VS_STATIC,
        unit: Unit::Number,
        meaning: "... and this many times the same loads' static asset time",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL111",
    name: "slow-loads",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

/// A capture taken entirely during the slowdown: judged on absolute times.
fn absolute(inc: &[&LoadFacts]) -> Option<Finding> {
    let api = median(inc.iter().filter_map(|l| l.api_wait_ms).collect())?;
    let st = median(inc.iter().filter_map(|l| l.static_ms).collect())?;
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let ns = [0, inc.len() as u64];
    f.evidence.push(evidence_levels(
        "API wait per page load (p50)",
        "ms",
        [None, Some(api), None],
        ns,
        vec![],
    ));
    f.evidence.push(evidence_levels(
        "static asset time per page load (p50)",
        "ms",
        [None, Some(st), None],
        ns,
        vec![],
    ));
    if api >= ABS_SLOW_API_MS && api >= st * ABS_API_VS_STATIC {
        f.fired = true;
        f.summary = format!(
            "API calls waited {} (p50 per page load) while static assets took {}: the server is slow, the path is not; no baseline in the data: judged on absolute evidence",
            ms(api),
            ms(st)
        );
        f.support(
            FaultDomain::Backend,
            ABS_SLOW_API_WEIGHT,
            format!("API wait {} against static {}", ms(api), ms(st)),
        );
        f.support(
            FaultDomain::Network,
            -0.2,
            "network: static assets crossed the same path quickly",
        );
        f.regions = inc
            .iter()
            .map(|l| l.vantage.clone())
            .filter(|v| !v.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
    } else {
        f.summary = format!(
            "no baseline: API {} and static {} per page load, not slow on their face",
            ms(api),
            ms(st)
        );
    }
    Some(f)
}

/// Weight of an API slow on its face (no baseline: less than a measured rise).
const ABS_SLOW_API_WEIGHT: f64 = 0.45;

fn median(v: Vec<f64>) -> Option<f64> {
    crate::stats::median(&v)
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if ctx.an.windows.during.is_none() {
        return vec![];
    }
    // the captures whose loads were bad in the window: one region's slow
    // path is not diluted by the others' fast loads
    let (base, inc) = ctx.loads_of_hit_captures(|_| true);
    if inc.is_empty() {
        return vec![];
    }
    if base.is_empty() {
        return absolute(&inc).into_iter().collect();
    }
    let whole = compared(&base, &inc, Seen::Several);
    if whole.fired {
        return vec![whole];
    }
    // one vantage's slow path (its regional route) among vantages that kept
    // their pace: judged vantage by vantage, its own loads against its own
    // baseline
    let vantages: std::collections::BTreeSet<&str> = inc
        .iter()
        .map(|l| l.vantage.as_str())
        .filter(|v| !v.is_empty())
        .collect();
    if vantages.len() > 1 {
        let fired: Vec<Finding> = vantages
            .iter()
            .filter_map(|v| {
                let b: Vec<&LoadFacts> = base.iter().filter(|l| l.vantage == *v).copied().collect();
                let i: Vec<&LoadFacts> = inc.iter().filter(|l| l.vantage == *v).copied().collect();
                (b.len() >= MIN_VANTAGE_LOADS && i.len() >= MIN_VANTAGE_LOADS)
                    .then(|| compared(&b, &i, Seen::OneOfSeveral))
                    .filter(|f| f.fired)
            })
            .collect();
        // only when the others kept their pace: every vantage slowing is
        // the whole comparison's to call, and it did not
        if !fired.is_empty() && fired.len() < vantages.len() {
            let mut f = fired[0].clone();
            for g in &fired[1..] {
                for r in &g.regions {
                    if !f.regions.contains(r) {
                        f.regions.push(r.clone());
                    }
                }
            }
            f.summary = format!("in {}: {}", f.regions.join(", "), f.summary);
            return vec![f];
        }
    }
    vec![whole]
}

/// Loads a vantage needs in the baseline and in the window to be judged
/// alone.
const MIN_VANTAGE_LOADS: usize = 3;
/// Static and third-party slowdown at which one vantage's path is slow:
/// higher than [`PATH_SLOW_RATIO`], its medians rest on fewer loads (the
/// lab's healthy captures, three browsers on two cores, reach 3.4x on one
/// vantage; its 120 ms regional delay, 5.4x and 8.3x).
const VANTAGE_PATH_SLOW_RATIO: f64 = 4.0;

/// No static asset timed on either side (all from the cache): third
/// parties slowed as a path does, and the API by no more milliseconds than
/// [`API_VS_PATH_MAX`] times theirs. In milliseconds, not ratios: a path
/// adds its delay to every round trip, and an API that answered in 7 ms
/// before is "x50" after 300 ms more.
fn path_without_static(
    api: (Option<f64>, Option<f64>),
    st: (Option<f64>, Option<f64>),
    tp: (Option<f64>, Option<f64>),
    path_ratio: f64,
) -> bool {
    let (Some(t0), Some(t1)) = tp else {
        return false;
    };
    let added = |p: (Option<f64>, Option<f64>)| p.0.zip(p.1).map(|(a, b)| b - a);
    (st.0.is_none() || st.1.is_none())
        && t0 > 0.0
        && t1 / t0 >= path_ratio
        && added(api).is_some_and(|a| a <= (t1 - t0) * API_VS_PATH_MAX)
}

/// Whose loads a comparison reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Several vantages' loads together.
    Several,
    /// One vantage among several, judged alone for its regional path.
    OneOfSeveral,
}

/// The incident's loads against the baseline's: which pace changed.
fn compared(base: &[&LoadFacts], inc: &[&LoadFacts], seen: Seen) -> Finding {
    let one_vantage = seen != Seen::Several;
    let m = |ls: &[&LoadFacts], f: fn(&LoadFacts) -> Option<f64>| {
        median(ls.iter().filter_map(|l| f(l)).collect())
    };
    let api = (m(base, |l| l.api_wait_ms), m(inc, |l| l.api_wait_ms));
    let st = (m(base, |l| l.static_ms), m(inc, |l| l.static_ms));
    let tp = (m(base, |l| l.third_party_ms), m(inc, |l| l.third_party_ms));
    let ratio = |p: (Option<f64>, Option<f64>)| match p {
        (Some(a), Some(b)) if a > 0.0 => Some(b / a),
        _ => None,
    };
    let (ra, rs, rt) = (ratio(api), ratio(st), ratio(tp));
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let ns = [base.len() as u64, inc.len() as u64];
    f.evidence.push(evidence_levels(
        "API wait per page load (p50)",
        "ms",
        [api.0, api.1, None],
        ns,
        vec![],
    ));
    f.evidence.push(evidence_levels(
        "static asset time per page load (p50)",
        "ms",
        [st.0, st.1, None],
        ns,
        vec![],
    ));
    f.evidence.push(evidence_levels(
        "third-party request time per page load (p50)",
        "ms",
        [tp.0, tp.1, None],
        ns,
        vec![],
    ));
    let kept = |r: Option<f64>| r.is_none_or(|r| r < PACE_KEPT_RATIO);
    let show = |p: (Option<f64>, Option<f64>)| match p {
        (Some(a), Some(b)) => format!("{} -> {}", ms(a), ms(b)),
        _ => "-".into(),
    };
    // one vantage alone: fewer loads, noisier medians, and a server slow
    // for one region only is a path's doing: only a clearly slow path
    let path_ratio = if one_vantage {
        VANTAGE_PATH_SLOW_RATIO
    } else {
        PATH_SLOW_RATIO
    };
    if !one_vantage && ra.is_some_and(|r| r >= API_SLOW_RATIO) && kept(rs) && kept(rt) {
        f.fired = true;
        f.summary = format!(
            "API response times x{:.1} ({}) while static assets ({}) and third parties ({}) kept their pace: the server took longer, the path did not",
            ra.unwrap_or(1.0),
            show(api),
            show(st),
            show(tp)
        );
        f.support(
            FaultDomain::Backend,
            0.6,
            format!("API wait x{:.1}, frontend pace kept", ra.unwrap_or(1.0)),
        );
        f.support(
            FaultDomain::Network,
            -0.3,
            "network: static assets and third parties were as fast as before",
        );
    } else if let Some(p) = busy_client(base, inc) {
        f.summary = format!(
            "page loads slowed (static {}, third party {}, API {}), but the {}",
            show(st),
            show(tp),
            show(api),
            busy_words(&p)
        );
    } else if (rs.is_some_and(|r| r >= path_ratio)
        && (rt.is_some_and(|r| r >= path_ratio)
            || rt.is_none() && ra.is_some_and(|r| r >= path_ratio))
        && ra.is_none_or(|a| a <= rs.unwrap_or(1.0) * API_VS_PATH_MAX))
        || path_without_static(api, st, tp, path_ratio)
    {
        f.fired = true;
        f.summary = format!(
            "every host slowed: static assets {} (x{:.1}), third parties {} (x{:.1}), API {}: a slow path, not one server",
            show(st),
            rs.unwrap_or(1.0),
            show(tp),
            rt.unwrap_or(1.0),
            show(api)
        );
        f.support(
            FaultDomain::Network,
            0.7,
            "static assets slowed as much as the API (and third parties with them)",
        );
        f.support(
            FaultDomain::Backend,
            -0.3,
            "backend: other organisations' servers slowed as much as the site's",
        );
    } else {
        f.summary = format!(
            "page loads' pace: API {}, static {}, third party {}",
            show(api),
            show(st),
            show(tp)
        );
    }
    f.regions = inc
        .iter()
        .filter(|l| l.bad)
        .map(|l| l.vantage.clone())
        .filter(|v| !v.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    f
}

/// A busy capturing machine, in words (shared with FL102).
pub fn busy_words(p: &ClientPace) -> String {
    format!(
        "capturing browser was busy: it took x{:.1} as long to read the answers ({} -> {}) while the servers' wait went {} -> {}{}: a machine short of time reads every answer late, so these timings measure it, not the site or the path",
        p.read_ratio(),
        ms(p.read_ms.0),
        ms(p.read_ms.1),
        ms(p.wait_ms.0),
        ms(p.wait_ms.1),
        match p.connect_ms {
            (Some(a), Some(b)) => format!(" and connects {} -> {}", ms(a), ms(b)),
            _ => String::new(),
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(api: f64, st: f64) -> LoadFacts {
        LoadFacts {
            vantage: "office".into(),
            api_wait_ms: Some(api),
            static_ms: Some(st),
            ..Default::default()
        }
    }

    #[test]
    fn api_slow_on_its_face_fires_without_baseline() {
        let ls = [
            load(5100.0, 170.0),
            load(4800.0, 160.0),
            load(5600.0, 180.0),
        ];
        let refs: Vec<&LoadFacts> = ls.iter().collect();
        let f = absolute(&refs).expect("finding");
        assert!(f.fired, "{}", f.summary);
        assert!(f.summary.contains("no baseline"), "{}", f.summary);
        assert!(
            f.supports
                .iter()
                .any(|s| s.domain == FaultDomain::Backend && s.weight > 0.0)
        );
        assert_eq!(f.regions, vec!["office".to_string()]);
    }

    #[test]
    fn normal_or_uniformly_slow_pages_do_not_fire_without_baseline() {
        // a fast API
        let ok = [load(120.0, 80.0), load(140.0, 90.0)];
        let refs: Vec<&LoadFacts> = ok.iter().collect();
        assert!(!absolute(&refs).unwrap().fired);
        // everything slow alike: the path, not the server
        let slow = [load(3000.0, 2500.0), load(3200.0, 2600.0)];
        let refs: Vec<&LoadFacts> = slow.iter().collect();
        assert!(!absolute(&refs).unwrap().fired);
    }

    /// mitmproxy.org's Firefox loads: every static asset from the cache,
    /// an API answering in 7 ms on a near-local link, third parties in
    /// 55 ms. A path 300 ms slower is network; the API alone 300 ms slower
    /// is not.
    #[test]
    fn a_slow_path_with_no_static_asset_timed() {
        let cached = |api: f64, tp: f64| LoadFacts {
            vantage: "office".into(),
            api_wait_ms: Some(api),
            third_party_ms: Some(tp),
            ..Default::default()
        };
        let base = [cached(7.0, 55.0), cached(6.0, 52.0), cached(8.0, 57.0)];
        let b: Vec<&LoadFacts> = base.iter().collect();
        let path = [
            cached(391.0, 314.0),
            cached(350.0, 300.0),
            cached(420.0, 330.0),
        ];
        let f = compared(&b, &path.iter().collect::<Vec<_>>(), Seen::OneOfSeveral);
        assert!(f.fired, "{}", f.summary);
        assert!(
            f.supports
                .iter()
                .any(|s| s.domain == FaultDomain::Network && s.weight > 0.0)
        );
        let server = [
            cached(391.0, 56.0),
            cached(350.0, 54.0),
            cached(420.0, 58.0),
        ];
        let f = compared(&b, &server.iter().collect::<Vec<_>>(), Seen::OneOfSeveral);
        assert!(
            !f.supports
                .iter()
                .any(|s| s.domain == FaultDomain::Network && s.weight > 0.0),
            "{}",
            f.summary
        );
    }

    fn paced(api: f64, st: f64, tp: f64) -> LoadFacts {
        LoadFacts {
            third_party_ms: Some(tp),
            ..load(api, st)
        }
    }

    /// One vantage's path: every host slower by 5-8x fires; the 3x a busy
    /// machine gives one vantage does not, nor does its API alone.
    #[test]
    fn one_vantage_needs_a_clearly_slow_path() {
        let base = [
            paced(110.0, 48.0, 37.0),
            paced(100.0, 50.0, 40.0),
            paced(120.0, 45.0, 35.0),
        ];
        let b: Vec<&LoadFacts> = base.iter().collect();
        let slow = [
            paced(330.0, 260.0, 300.0),
            paced(350.0, 270.0, 310.0),
            paced(340.0, 250.0, 290.0),
        ];
        let f = compared(&b, &slow.iter().collect::<Vec<_>>(), Seen::OneOfSeveral);
        assert!(f.fired, "{}", f.summary);
        assert!(
            f.supports
                .iter()
                .any(|s| s.domain == FaultDomain::Network && s.weight > 0.0)
        );
        let noisy = [
            paced(250.0, 160.0, 105.0),
            paced(240.0, 150.0, 100.0),
            paced(260.0, 155.0, 95.0),
        ];
        assert!(!compared(&b, &noisy.iter().collect::<Vec<_>>(), Seen::OneOfSeveral).fired);
        // all vantages together: 3x static and 2.8x third parties is a slow path
        assert!(compared(&b, &noisy.iter().collect::<Vec<_>>(), Seen::Several).fired);
        let api_only = [
            paced(400.0, 48.0, 37.0),
            paced(420.0, 50.0, 40.0),
            paced(380.0, 45.0, 35.0),
        ];
        assert!(!compared(&b, &api_only.iter().collect::<Vec<_>>(), Seen::OneOfSeveral).fired);
        assert!(compared(&b, &api_only.iter().collect::<Vec<_>>(), Seen::Several).fired);
    }
}
