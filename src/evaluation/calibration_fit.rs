//! Fitting the confidence map, and measuring it.
//!
//! Why apart from `crate::calibration`: the verdict reads the fitted map on
//! every run, but fits it never; the fit runs only inside
//! `faultlens accuracy --all --fit-calibration`, on the labelled cases this
//! module's siblings produce, and its output is `src/calibration.json`.
//! Reliability is how the held-out half of those cases checks the fit.

use crate::calibration::Map;

/// A named domain whose calibrated confidence is lower is not named:
/// such verdicts are wrong more often than right (written into the map by
/// the fit).
pub const INCONCLUSIVE_BELOW: f64 = 0.5;
/// Pseudo-cases pulling each isotonic block toward its group's mean, so a
/// block of three right answers does not claim certainty.
pub const PRIOR_WEIGHT: f64 = 3.0;

/// One labelled observation: raw score and whether the answer was right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub raw: f64,
    pub right: bool,
}

/// Isotonic (non-decreasing) regression by pool-adjacent-violators,
/// each block shrunk toward the mean by [`PRIOR_WEIGHT`] pseudo-cases and
/// pooled again so the result stays monotone. Knots sit at each block's
/// mean raw score.
pub fn fit_isotonic(obs: &[Obs]) -> Map {
    if obs.is_empty() {
        return Map::identity();
    }
    let mut o: Vec<Obs> = obs.to_vec();
    o.sort_by(|a, b| a.raw.total_cmp(&b.raw).then(a.right.cmp(&b.right)));
    let mean = o.iter().filter(|x| x.right).count() as f64 / o.len() as f64;
    // (sum of raw, sum of y, weight); equal raw scores start as one block
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    let mut last: Option<f64> = None;
    for x in &o {
        let y = if x.right { 1.0 } else { 0.0 };
        match (last, blocks.last_mut()) {
            (Some(l), Some(b)) if l == x.raw => {
                b.0 += x.raw;
                b.1 += y;
                b.2 += 1.0;
            }
            _ => blocks.push((x.raw, y, 1.0)),
        }
        last = Some(x.raw);
    }
    let blocks = pav(blocks);
    let shrunk: Vec<(f64, f64, f64)> = blocks
        .iter()
        .map(|&(sx, sy, w)| {
            let x = sx / w;
            let p = (sy + PRIOR_WEIGHT * mean) / (w + PRIOR_WEIGHT);
            (x * w, p * w, w)
        })
        .collect();
    let blocks = pav(shrunk);
    Map {
        knots: blocks
            .iter()
            .map(|&(sx, sy, w)| [round4(sx / w), round4(sy / w)])
            .collect(),
        cases: obs.len(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Pool adjacent blocks until the means are non-decreasing.
fn pav(blocks: Vec<(f64, f64, f64)>) -> Vec<(f64, f64, f64)> {
    let mut out: Vec<(f64, f64, f64)> = Vec::with_capacity(blocks.len());
    for b in blocks {
        out.push(b);
        while out.len() >= 2 {
            let n = out.len();
            let (a, c) = (out[n - 2], out[n - 1]);
            if a.1 / a.2 > c.1 / c.2 {
                out.pop();
                out[n - 2] = (a.0 + c.0, a.1 + c.1, a.2 + c.2);
            } else {
                break;
            }
        }
    }
    out
}

/// Reliability of (confidence, right) pairs: ten equal-width bins.
#[derive(Debug, Clone, PartialEq)]
pub struct Reliability {
    /// (bin low, bin high, cases, mean confidence, observed accuracy).
    pub bins: Vec<(f64, f64, usize, f64, f64)>,
    /// Expected calibration error: the case-weighted mean gap between
    /// confidence and accuracy over the bins.
    pub ece: f64,
    /// Mean squared gap between confidence and the 0/1 outcome.
    pub brier: f64,
    pub cases: usize,
    /// The expected calibration error a perfectly calibrated verdict would
    /// show on this many cases at these confidences (the mean over
    /// [`FLOOR_DRAWS`] draws of outcomes, each right with its confidence's
    /// chance): on a few dozen cases the binned error is mostly sampling
    /// noise, and this is its size.
    pub ece_floor: f64,
}

/// Simulated outcome sets behind [`Reliability::ece_floor`].
pub const FLOOR_DRAWS: usize = 2000;

pub fn reliability(pairs: &[(f64, bool)]) -> Reliability {
    let (ece, bins) = binned(pairs);
    let n = pairs.len();
    let brier = pairs
        .iter()
        .map(|(c, y)| (c - if *y { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
        / n.max(1) as f64;
    // seeded, so the same cases give the same floor on every run; the
    // bins do not move between draws (the confidences stay), only how many
    // in each came out right
    let mut rng = crate::rng::SplitMix64::new(0x5eed_ca1b);
    let bin: Vec<usize> = pairs.iter().map(|(c, _)| bin_of(*c)).collect();
    let mut floor = 0.0;
    if n > 0 {
        for _ in 0..FLOOR_DRAWS {
            let mut right = [0usize; 10];
            for ((c, _), b) in pairs.iter().zip(&bin) {
                if rng.next_f64() < *c {
                    right[*b] += 1;
                }
            }
            floor += bins
                .iter()
                .map(|&(lo, _, k, conf, _)| {
                    let k = k as f64;
                    let acc = right[(lo * 10.0).round() as usize] as f64 / k;
                    k / n as f64 * (conf - acc).abs()
                })
                .sum::<f64>();
        }
        floor /= FLOOR_DRAWS as f64;
    }
    Reliability {
        bins,
        ece,
        brier,
        cases: n,
        ece_floor: floor,
    }
}

/// Ten equal-width bins, by index, so a confidence of 0.3 falls in
/// 0.3-0.4 exactly once.
fn bin_of(c: f64) -> usize {
    ((c * 10.0 + 1e-9).floor().max(0.0) as usize).min(9)
}

/// Ten equal-width bins: the expected calibration error and each bin's
/// (low, high, cases, mean confidence, accuracy).
#[allow(clippy::type_complexity)]
fn binned(pairs: &[(f64, bool)]) -> (f64, Vec<(f64, f64, usize, f64, f64)>) {
    let n = pairs.len();
    let mut bins = Vec::new();
    let mut ece = 0.0;
    for i in 0..10 {
        let lo = i as f64 / 10.0;
        let hi = (i + 1) as f64 / 10.0;
        let inb: Vec<&(f64, bool)> = pairs.iter().filter(|(c, _)| bin_of(*c) == i).collect();
        if inb.is_empty() {
            continue;
        }
        let k = inb.len() as f64;
        let conf = inb.iter().map(|p| p.0).sum::<f64>() / k;
        let acc = inb.iter().filter(|p| p.1).count() as f64 / k;
        ece += k / n as f64 * (conf - acc).abs();
        bins.push((lo, hi, inb.len(), conf, acc));
    }
    (ece, bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators_and_shrinks() {
        // raw 0.1..0.9; right answers become likelier with raw, one violator
        let obs: Vec<Obs> = [
            (0.1, false),
            (0.2, false),
            (0.3, true),
            (0.4, false),
            (0.5, true),
            (0.6, true),
            (0.7, false),
            (0.8, true),
            (0.9, true),
        ]
        .iter()
        .map(|&(raw, right)| Obs { raw, right })
        .collect();
        let m = fit_isotonic(&obs);
        for w in m.knots.windows(2) {
            assert!(w[0][1] <= w[1][1]);
        }
        // shrinkage: no block claims 0 or 1
        assert!(m.at(0.0) > 0.0 && m.at(1.0) < 1.0, "{m:?}");
        assert!(m.at(0.9) > m.at(0.1));
        assert_eq!(m.cases, 9);
    }

    #[test]
    fn reliability_of_a_perfectly_calibrated_set() {
        // confidence 0.8, 8 of 10 right; confidence 0.3, 3 of 10 right
        let mut p: Vec<(f64, bool)> = (0..10).map(|i| (0.8, i < 8)).collect();
        p.extend((0..10).map(|i| (0.3, i < 3)));
        let r = reliability(&p);
        assert!(r.ece < 1e-9, "{}", r.ece);
        assert_eq!(r.bins.len(), 2);
        let brier = (8.0 * 0.04 + 2.0 * 0.64 + 3.0 * 0.49 + 7.0 * 0.09) / 20.0;
        assert!((r.brier - brier).abs() < 1e-9);
        let skewed: Vec<(f64, bool)> = (0..10).map(|_| (0.9, false)).collect();
        assert!((reliability(&skewed).ece - 0.9).abs() < 1e-9);
    }

    /// The noise floor: large for a handful of cases, small for many, and
    /// the same on every run.
    #[test]
    fn ece_floor_shrinks_with_cases() {
        let few: Vec<(f64, bool)> = (0..19).map(|i| (0.85, i < 16)).collect();
        let many: Vec<(f64, bool)> = (0..1900).map(|i| (0.85, i % 20 < 17)).collect();
        let (a, b) = (reliability(&few).ece_floor, reliability(&many).ece_floor);
        assert!(a > 0.05 && a < 0.15, "{a}");
        assert!(b < 0.02, "{b}");
        assert_eq!(reliability(&few).ece_floor, a);
        // an unmistakable miscalibration stands far above it
        let off: Vec<(f64, bool)> = (0..19).map(|i| (0.95, i < 10)).collect();
        let r = reliability(&off);
        assert!(r.ece > r.ece_floor + 0.2, "{} {}", r.ece, r.ece_floor);
    }
}
