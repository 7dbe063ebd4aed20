//! Small, dependency-free statistics used to compare windows.
//!
//! Why hand-written: the comparison stage needs a handful of classical tests
//! (Mann-Whitney U, Benjamini-Hochberg, Cliff's delta, a bootstrap CI, a
//! two-proportion / Fisher test) with exactly reproducible output across
//! platforms and thread counts. Pulling a statistics crate for five functions
//! would add build time and hide the tie and continuity conventions, which
//! here are chosen to match scipy/statsmodels defaults so results can be
//! checked against those reference implementations (see the unit tests).
//!
//! Conventions: every function filters NaN inputs out first, never panics,
//! and returns `None` when the statistic is undefined (empty input, ...).
//! "a"/"before"/"1" is the baseline sample; "b"/"during"/"2" the compared one.

mod bootstrap;
mod proportion;
mod rank;

pub use bootstrap::{BOOTSTRAP_MAX_PER_SIDE, bootstrap_median_ratio_ci};
pub use proportion::{PropTest, fisher_exact_two_sided, two_proportion_test};
pub use rank::{MannWhitney, cliffs_delta, mann_whitney_u};

/// Below this many observations on either side a comparison says
/// "insufficient data" instead of guessing.
pub const MIN_SAMPLES: usize = 5;

/// Whether two samples are large enough to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sufficiency {
    Ok,
    /// `have` is the size of the smaller sample.
    Insufficient {
        have: usize,
        need: usize,
    },
}

/// Checks both sample sizes against [`MIN_SAMPLES`].
pub fn sufficiency(n_a: usize, n_b: usize) -> Sufficiency {
    let have = n_a.min(n_b);
    if have < MIN_SAMPLES {
        Sufficiency::Insufficient {
            have,
            need: MIN_SAMPLES,
        }
    } else {
        Sufficiency::Ok
    }
}

pub(super) fn clean(xs: &[f64]) -> Vec<f64> {
    xs.iter().copied().filter(|x| !x.is_nan()).collect()
}

pub(super) fn clean_sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = clean(xs);
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile of an ascending-sorted slice, numpy's default (type 7, linear
/// interpolation between closest ranks). NaNs are ignored. `None` when the
/// slice is empty or `q` is outside `[0, 1]`.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.iter().any(|x| x.is_nan()) {
        return quantile_sorted(&clean(sorted), q);
    }
    quantile_sorted(sorted, q)
}

pub(super) fn quantile_sorted(s: &[f64], q: f64) -> Option<f64> {
    if s.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (s.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    let frac = h - lo as f64;
    if frac == 0.0 {
        return Some(s[lo]);
    }
    Some(s[lo] + frac * (s[hi] - s[lo]))
}

/// [`quantile`] of an unsorted sample, by selection instead of a sort
/// (O(n)): the same figure to the last bit. Reorders `xs` and drops its NaNs.
pub fn quantile_select(xs: &mut Vec<f64>, q: f64) -> Option<f64> {
    if xs.iter().any(|x| x.is_nan()) {
        xs.retain(|x| !x.is_nan());
    }
    let n = xs.len();
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, at, above) = xs.select_nth_unstable_by(lo, f64::total_cmp);
    let lo_v = *at;
    if frac == 0.0 {
        return Some(lo_v);
    }
    let hi_v = above.iter().copied().min_by(f64::total_cmp).unwrap_or(lo_v);
    Some(lo_v + frac * (hi_v - lo_v))
}

/// Median (average of the two middle values for even n).
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile_sorted(&clean_sorted(xs), 0.5)
}

/// Arithmetic mean.
pub fn mean(xs: &[f64]) -> Option<f64> {
    let v = clean(xs);
    if v.is_empty() {
        return None;
    }
    Some(v.iter().sum::<f64>() / v.len() as f64)
}

/// Raw median absolute deviation from the median (not scaled by 1.4826).
pub fn mad(xs: &[f64]) -> Option<f64> {
    let v = clean(xs);
    let m = median(&v)?;
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    median(&dev)
}

/// Upper tail of the standard normal distribution, P(Z > z).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function, relative error ~1e-15 (positive-term
/// series below 2.5, Lentz continued fraction above).
fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        // erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1))
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
            if term <= sum * 1e-17 {
                break;
            }
        }
        let erf = 2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum;
        return 1.0 - erf;
    }
    if x > 27.3 {
        return 0.0;
    }
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

/// Benjamini-Hochberg adjusted p-values (q-values), in the input order,
/// monotone in p and capped at 1 (as statsmodels `multipletests(method="fdr_bh")`).
/// NaN p-values stay NaN and do not count towards the number of tests.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; p.len()];
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let m = idx.len() as f64;
    let mut running = 1.0_f64;
    for (rank0, &i) in idx.iter().enumerate().rev() {
        let q = p[i] * m / (rank0 + 1) as f64;
        running = running.min(q);
        out[i] = running.clamp(0.0, 1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    pub(super) fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// Selection gives the sorted quantile bit for bit (ties, NaNs, signed
    /// zeros, every q on a grid).
    #[test]
    fn quantile_select_matches_sorted_quantile() {
        let mut rng = SplitMix64::new(11);
        for n in [0usize, 1, 2, 3, 10, 101, 1000] {
            for levels in [1usize, 3, 1000] {
                let v: Vec<f64> = (0..n)
                    .map(|i| match i % 53 {
                        7 => f64::NAN,
                        8 => -0.0,
                        _ => rng.below(levels) as f64 * 0.1 - 0.05 * levels as f64,
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                for qi in 0..=40 {
                    let q = qi as f64 / 40.0;
                    let mut x = v.clone();
                    assert_eq!(
                        quantile_select(&mut x, q).map(f64::to_bits),
                        quantile(&sorted, q).map(f64::to_bits),
                        "n {n} levels {levels} q {q}"
                    );
                }
            }
        }
    }

    #[test]
    fn quantiles_match_numpy_type7() {
        // numpy.quantile([1, 2, 3, 4, 10], q) -> 1.0, 1.4, 3.0, 7.6, 8.8, 10.0
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        for (q, want) in [
            (0.0, 1.0),
            (0.1, 1.4),
            (0.5, 3.0),
            (0.9, 7.6),
            (0.95, 8.8),
            (1.0, 10.0),
        ] {
            let got = quantile(&s, q).unwrap();
            assert!(close(got, want, 1e-12), "q={q}: {got} vs {want}");
        }
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&s, 1.5), None);
        assert_eq!(quantile(&[f64::NAN, 2.0], 0.5), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, f64::NAN, 3.0, 2.0]), Some(2.5));
        assert_eq!(mean(&[1.0, f64::NAN, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[f64::NAN]), None);
        // |x - 3| for [1,2,3,4,10] = [2,1,0,1,7] -> median 1
        assert_eq!(mad(&s), Some(1.0));
    }

    #[test]
    fn normal_tail_matches_scipy() {
        // scipy.stats.norm.sf values
        for (z, want) in [
            (0.0, 0.5),
            (1.0, 0.15865525393145707),
            (1.959963984540054, 0.025),
            (3.0, 0.0013498980316300933),
            (5.0, 2.866515718791933e-07),
            (10.0, 7.61985302416047e-24),
            (-2.0, 0.9772498680518208),
        ] {
            let got = normal_sf(z);
            assert!(close(got, want, 1e-12), "z={z}: {got} vs {want}");
        }
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]
        // p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2]
        // -> [0.03, 0.06, 0.06, 0.03, 0.5, 0.24] (hand-computed: p*6/rank, then running min from the top)
        let p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2];
        let want = [0.03, 0.06, 0.06, 0.03, 0.5, 0.24];
        let q = benjamini_hochberg(&p);
        for (g, w) in q.iter().zip(want) {
            assert!(close(*g, w, 1e-12), "{q:?}");
        }
        let q = benjamini_hochberg(&[0.9, f64::NAN, 0.95]);
        assert!(q[1].is_nan());
        assert!(
            close(q[0], 0.95, 1e-12) && close(q[2], 0.95, 1e-12),
            "{q:?}"
        );
        assert!(benjamini_hochberg(&[]).is_empty());
        // monotone: 0.8*3/1 = 2.4 capped by the running minimum 0.99
        assert!(close(benjamini_hochberg(&[0.8, 0.9, 0.99])[0], 0.99, 1e-12));
        assert_eq!(benjamini_hochberg(&[0.9, 0.95]), vec![0.95, 0.95]);
    }

    #[test]
    fn sufficiency_rule() {
        assert_eq!(sufficiency(5, 100), Sufficiency::Ok);
        assert_eq!(
            sufficiency(100, 4),
            Sufficiency::Insufficient { have: 4, need: 5 }
        );
    }
}
