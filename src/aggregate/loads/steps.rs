//! A clean step in one short capture's API waits: the change when nothing
//! else in the capture went wrong.
//!
//! Why apart from the census: the census flags each load on its own, and a
//! 2x slowdown is inside one load's noise; only the whole capture's order
//! (every load after the step slower than every load before) shows it.

use super::{LoadFacts, SLOW_API_MIN_EXTRA_MS, median};
use std::collections::{BTreeMap, BTreeSet};

/// A capture's API waits stepped up when a stretch of its loads waited,
/// at the median, this many times as long as the rest ...
pub const API_STEP_RATIO: f64 = 1.6;
/// ... every load of the stretch at least this many times the slowest of
/// the rest (a step, not noise around one level) ...
pub const API_STEP_SEPARATION: f64 = 1.25;
/// ... while the same loads' static components stayed within this factor
/// of the rest's (the server slowed, not the path) ...
pub const API_STEP_STATIC_MAX: f64 = 1.3;
/// ... with at least this many loads in the stretch and one outside it.
pub const API_STEP_MIN_LOADS: usize = 2;
/// Streams longer than this are left to the rank tests over windows.
const API_STEP_MAX_STREAM: usize = 60;

/// "API response times doubled while the frontend stayed fast", inside one
/// short capture: a 2x slowdown is under one load's noise
/// ([`SLOW_API_RATIO`]) but a clean step, every load after it slower than
/// every load before, with the static components unmoved, is the change
/// itself. The stretch's loads are marked slow, so the window search finds
/// the step and the detectors compare its two sides. Only in a capture
/// none of whose loads is bad otherwise: the fallback for "nothing failed".
pub(super) fn mark_api_steps(loads: &mut [LoadFacts]) {
    let mut streams: BTreeMap<(u32, &str), Vec<usize>> = BTreeMap::new();
    for (i, l) in loads.iter().enumerate() {
        if l.api_wait_ms.is_some() && l.static_ms.is_some() {
            streams
                .entry((l.file, l.vantage.as_str()))
                .or_default()
                .push(i);
        }
    }
    let streams_bad: BTreeSet<(u32, &str)> = loads
        .iter()
        .filter(|l| l.bad)
        .map(|l| (l.file, l.vantage.as_str()))
        .collect();
    let mut marks: Vec<(usize, String)> = Vec::new();
    for idx in streams.values() {
        let n = idx.len();
        // a fallback for captures where nothing else went wrong: beside
        // failed or lost loads the step is not the change, and a 16x
        // slowdown is flagged load by load already
        if !(API_STEP_MIN_LOADS + 1..=API_STEP_MAX_STREAM).contains(&n)
            || streams_bad.contains(&(loads[idx[0]].file, loads[idx[0]].vantage.as_str()))
        {
            continue;
        }
        let api: Vec<f64> = idx
            .iter()
            .map(|&i| loads[i].api_wait_ms.unwrap_or(0.0))
            .collect();
        let st: Vec<f64> = idx
            .iter()
            .map(|&i| loads[i].static_ms.unwrap_or(0.0))
            .collect();
        let mut best: Option<(f64, usize, usize, f64, f64, f64, f64)> = None;
        for a in 0..n {
            for b in (a + API_STEP_MIN_LOADS)..=n {
                if b - a == n {
                    continue;
                }
                let inside = a..b;
                let (mut s_api, mut r_api, mut s_st, mut r_st) = (vec![], vec![], vec![], vec![]);
                for k in 0..n {
                    if inside.contains(&k) {
                        s_api.push(api[k]);
                        s_st.push(st[k]);
                    } else {
                        r_api.push(api[k]);
                        r_st.push(st[k]);
                    }
                }
                let min_in = s_api.iter().copied().fold(f64::INFINITY, f64::min);
                let max_out = r_api.iter().copied().fold(0.0, f64::max);
                if max_out <= 0.0 || min_in < max_out * API_STEP_SEPARATION {
                    continue;
                }
                let (Some(ma), Some(mr), Some(sa), Some(sr)) = (
                    median(&mut s_api),
                    median(&mut r_api),
                    median(&mut s_st),
                    median(&mut r_st),
                ) else {
                    continue;
                };
                let ratio = ma / mr;
                if ratio < API_STEP_RATIO
                    || ma - mr < SLOW_API_MIN_EXTRA_MS / 2.0
                    || sa > sr * API_STEP_STATIC_MAX
                {
                    continue;
                }
                if best.is_none_or(|b| ratio > b.0) {
                    best = Some((ratio, a, b, mr, ma, sr, sa));
                }
            }
        }
        if let Some((ratio, a, b, mr, ma, sr, sa)) = best {
            for &i in &idx[a..b] {
                marks.push((
                    i,
                    format!(
                        "API wait stepped up {mr:.0} ms -> {ma:.0} ms (x{ratio:.1}) with static {sr:.0} ms -> {sa:.0} ms"
                    ),
                ));
            }
        }
    }
    for (i, why) in marks {
        let l = &mut loads[i];
        if !l.bad {
            l.slow_only = true;
        }
        l.bad = true;
        l.why.push(why);
    }
}
