//! Resampling: a confidence interval for how many times slower.
//!
//! A ratio of medians has no usable closed-form interval on skewed data, so
//! it is bootstrapped, on a fixed seed so that a rerun prints the same
//! interval.

use super::{clean_sorted, quantile_sorted};
use crate::rng::SplitMix64;

/// Largest sample used per side by the bootstrap.
pub const BOOTSTRAP_MAX_PER_SIDE: usize = 2000;

/// Evenly spaced order statistics: keeps the empirical distribution's shape
/// while bounding the bootstrap cost, and is deterministic.
fn thin_sorted(s: &[f64], k: usize) -> Vec<f64> {
    if s.len() <= k {
        return s.to_vec();
    }
    (0..k)
        .map(|i| s[((i as f64) * (s.len() - 1) as f64 / (k - 1) as f64).round() as usize])
        .collect()
}

/// Median of a resample (with replacement) of a sorted sample, in O(n):
/// draws counts per index and walks them in order.
fn resample_median(s: &[f64], rng: &mut SplitMix64, counts: &mut Vec<u32>) -> f64 {
    let n = s.len();
    counts.clear();
    counts.resize(n, 0);
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
    // 0-based order-statistic positions of the median.
    let (lo_pos, hi_pos) = ((n - 1) / 2, n / 2);
    let mut seen = 0usize;
    let mut lo = None;
    for (i, &c) in counts.iter().enumerate() {
        seen += c as usize;
        if lo.is_none() && seen > lo_pos {
            lo = Some(s[i]);
        }
        if seen > hi_pos {
            return (lo.unwrap_or(s[i]) + s[i]) / 2.0;
        }
    }
    s[n - 1]
}

/// Percentile bootstrap CI of median(during) / median(before).
///
/// Returns `(ratio, lo, hi)` with `ratio` computed on the full samples and
/// `[lo, hi]` the `1 - alpha` percentile interval over `iters` resamples.
/// Meant for non-negative measurements (durations, sizes, counts). Zero
/// medians: `None` when median(before) is 0 (the ratio is undefined);
/// resamples whose before-median is 0 are dropped, and if more than half are
/// dropped the result is `None`. Each side is thinned to at most
/// [`BOOTSTRAP_MAX_PER_SIDE`] evenly spaced order statistics. Deterministic
/// for a given `seed`. `None` also for empty sides, `iters == 0` or `alpha`
/// outside (0, 1).
pub fn bootstrap_median_ratio_ci(
    before: &[f64],
    during: &[f64],
    iters: usize,
    alpha: f64,
    seed: u64,
) -> Option<(f64, f64, f64)> {
    if iters == 0 || !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let b = clean_sorted(before);
    let d = clean_sorted(during);
    let mb = quantile_sorted(&b, 0.5)?;
    let md = quantile_sorted(&d, 0.5)?;
    if mb == 0.0 {
        return None;
    }
    let ratio = md / mb;
    let b = thin_sorted(&b, BOOTSTRAP_MAX_PER_SIDE);
    let d = thin_sorted(&d, BOOTSTRAP_MAX_PER_SIDE);
    let mut rng = SplitMix64::new(seed);
    let mut counts = Vec::new();
    let mut reps = Vec::with_capacity(iters);
    for _ in 0..iters {
        let rb = resample_median(&b, &mut rng, &mut counts);
        let rd = resample_median(&d, &mut rng, &mut counts);
        if rb != 0.0 {
            reps.push(rd / rb);
        }
    }
    if reps.len() * 2 < iters {
        return None;
    }
    reps.sort_by(f64::total_cmp);
    let lo = quantile_sorted(&reps, alpha / 2.0)?;
    let hi = quantile_sorted(&reps, 1.0 - alpha / 2.0)?;
    Some((ratio, lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::median;
    use crate::stats::tests::close;

    #[test]
    fn bootstrap_ci_brackets_ratio_and_is_deterministic() {
        let before: Vec<f64> = (0..500).map(|i| 100.0 + (i % 37) as f64).collect();
        let during: Vec<f64> = (0..300).map(|i| 300.0 + 2.0 * (i % 41) as f64).collect();
        let (r, lo, hi) = bootstrap_median_ratio_ci(&before, &during, 500, 0.05, 42).unwrap();
        // medians: before 118 (values 100..136 cycle), during 340
        let want = median(&during).unwrap() / median(&before).unwrap();
        assert!(close(r, want, 1e-12));
        assert!(lo <= r && r <= hi && lo > 2.0 && hi < 3.5, "{r} {lo} {hi}");
        assert_eq!(
            bootstrap_median_ratio_ci(&before, &during, 500, 0.05, 42),
            Some((r, lo, hi))
        );
        // identical constant samples: ratio exactly 1, zero-width CI
        assert_eq!(
            bootstrap_median_ratio_ci(&[5.0; 10], &[5.0; 10], 100, 0.05, 1),
            Some((1.0, 1.0, 1.0))
        );
        assert_eq!(
            bootstrap_median_ratio_ci(&[0.0; 10], &[5.0; 10], 100, 0.05, 1),
            None
        );
        assert_eq!(
            bootstrap_median_ratio_ci(&[], &[5.0; 10], 100, 0.05, 1),
            None
        );
        assert_eq!(bootstrap_median_ratio_ci(&[1.0], &[5.0], 0, 0.05, 1), None);
        // large inputs are thinned, still fast and sensible
        let big_b: Vec<f64> = (0..100_000).map(|i| (i % 1000) as f64 + 1.0).collect();
        let big_d: Vec<f64> = (0..100_000)
            .map(|i| 2.0 * ((i % 1000) as f64 + 1.0))
            .collect();
        let (r, lo, hi) = bootstrap_median_ratio_ci(&big_b, &big_d, 200, 0.05, 3).unwrap();
        assert!(
            close(r, 2.0, 1e-12) && lo < 2.0 && hi > 2.0 && hi - lo < 0.4,
            "{lo} {hi}"
        );
    }
}
