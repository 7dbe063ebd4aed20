//! One anomaly score per bin from many signals in different units.
//!
//! Each signal is measured against its own typical level (median / MAD, with
//! floors so a flat healthy series does not turn a tiny change into a huge
//! z), only the worse direction counts, and the bin's score is the weighted
//! maximum: one bad signal is enough, and no unit dominates by its size.

use super::{Direction, MIN_PRESENT, Signal};
use crate::stats::median;

/// Per-signal robust z of one signal is capped here: beyond this the bin is
/// simply "very abnormal", and one absurd value must not dominate totals.
const Z_CAP: f64 = 50.0;
/// Relative floor on the scale: 5 % of the typical level is one sigma at most.
const REL_SCALE_FLOOR: f64 = 0.05;

/// Robust location and scale of a signal's values in `bins` (all bins when
/// `None`), or `None` if it cannot define a baseline.
fn baseline(sig: &Signal, keep: Option<&[bool]>) -> Option<(f64, f64)> {
    let vals: Vec<f64> = sig
        .values
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.is_none_or(|k| k.get(*i).copied().unwrap_or(true)))
        .filter_map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .collect();
    if vals.len() < MIN_PRESENT {
        return None;
    }
    let m = median(&vals)?;
    let dev: Vec<f64> = vals.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&dev)?;
    let min_scale = if sig.min_scale.is_finite() {
        sig.min_scale.max(0.0)
    } else {
        0.0
    };
    let mut scale = (1.4826 * mad).max(REL_SCALE_FLOOR * m.abs()).max(min_scale);
    if scale <= 0.0 {
        // More than half the values equal the median exactly (flat series)
        // and the caller gave no floor: fall back to the mean absolute
        // deviation (scaled to sigma for normal data). Self-limiting: the
        // larger the departure, the larger this scale.
        let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
        scale = 1.2533 * mean_ad;
    }
    if scale > 0.0 && scale.is_finite() {
        Some((m, scale))
    } else {
        None
    }
}

/// Per-bin combined score: weighted max of directional robust z.
pub(super) fn combined_score(signals: &[Signal], n: usize, keep: Option<&[bool]>) -> Vec<f64> {
    let mut score = vec![f64::NAN; n];
    for sig in signals {
        if !(sig.weight > 0.0 && sig.weight.is_finite()) {
            continue;
        }
        let Some((m, s)) = baseline(sig, keep) else {
            // No baseline: its present bins still count as "measured, normal".
            for (i, v) in sig.values.iter().enumerate() {
                if v.is_some_and(f64::is_finite) && score[i].is_nan() {
                    score[i] = 0.0;
                }
            }
            continue;
        };
        for (i, v) in sig.values.iter().enumerate() {
            let Some(x) = v.filter(|x| x.is_finite()) else {
                continue;
            };
            let z = (x - m) / s;
            let dz = match sig.direction {
                Direction::HigherIsWorse => z.max(0.0),
                Direction::LowerIsWorse => (-z).max(0.0),
                Direction::Both => z.abs(),
            };
            let w = (dz.min(Z_CAP)) * sig.weight;
            if score[i].is_nan() || w > score[i] {
                score[i] = w;
            }
        }
    }
    score
}
