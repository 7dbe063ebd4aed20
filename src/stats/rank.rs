//! Rank statistics: does one sample tend to sit above the other?
//!
//! Latencies are heavy-tailed and their shape moves with load, so the
//! before / during comparison asks about order, not means: Mann-Whitney U
//! for whether, Cliff's delta for how much, both from the same ranks.

use super::{clean, clean_sorted, normal_sf};

/// Result of a two-sided Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample `a` (scipy's `statistic`): the number
    /// of pairs with a > b, ties counting one half.
    pub u: f64,
    /// Normal-approximation z of `u`, with continuity and tie correction;
    /// positive when `a` tends to be larger than `b`. 0 when all values tie.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// True when `p_value` comes from the exact null distribution (no ties
    /// and one side has at most 8 values, as scipy's `method="auto"`).
    pub exact: bool,
    /// Sizes of `a` and `b` after NaNs were dropped.
    pub n_a: usize,
    pub n_b: usize,
}

impl MannWhitney {
    /// Cliff's delta of `b` against `a` from the same ranks, bit for bit what
    /// [`cliffs_delta`] gives: U counts the pairs with a > b plus half the
    /// ties, so P(b > a) - P(b < a) = (pairs - 2U) / pairs, and every term
    /// is an exact integer in f64 (ranks are half-integers).
    pub fn cliffs_delta(&self) -> f64 {
        let pairs = self.n_a as f64 * self.n_b as f64;
        (pairs - 2.0 * self.u) / pairs
    }
}

/// Sum of the average ranks (1-based, ties sharing their mean rank) of
/// `a`'s values in the pooled sample `a` + `b`, plus the tie term
/// sum(t^3 - t) over tie groups. One direct sort of (value, side) pairs.
/// Every rank is a half-integer and every partial sum stays below 2^53, so
/// the sums are exact whatever order they are added in.
fn rank_sum_first(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|x| (*x, true))
        .chain(b.iter().map(|x| (*x, false)))
        .collect();
    all.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let (mut r1, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < all.len() {
        let mut j = i + 1;
        let mut in_a = all[i].1 as u64;
        while j < all.len() && all[j].0 == all[i].0 {
            in_a += all[j].1 as u64;
            j += 1;
        }
        let avg = (i + 1 + j) as f64 / 2.0;
        r1 += avg * in_a as f64;
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    (r1, ties)
}

/// P(U <= k) under the null for sample sizes m, n without ties.
///
/// The counts of arrangements by U are the coefficients of the Gaussian
/// binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i); only
/// degrees 0..=k are needed, so the work is O(min(m,n) * k) and memory O(k).
fn mwu_exact_cdf(m: usize, n: usize, k: usize) -> f64 {
    let (m, n) = (m.min(n), m.max(n));
    let k = k.min(m * n);
    let mut c = vec![0.0_f64; k + 1];
    c[0] = 1.0;
    for i in 1..=m {
        // multiply by (1 - q^(n+i)), truncated at degree k
        let s = n + i;
        if s <= k {
            for j in (s..=k).rev() {
                c[j] -= c[j - s];
            }
        }
        // divide by (1 - q^i), i.e. multiply by 1 + q^i + q^2i + ...
        for j in i..=k {
            c[j] += c[j - i];
        }
    }
    // total number of arrangements: C(m+n, m)
    let total = (1..=m).fold(1.0_f64, |acc, i| acc * (n + i) as f64 / i as f64);
    (c.iter().sum::<f64>() / total).clamp(0.0, 1.0)
}

/// Two-sided Mann-Whitney U test of `a` against `b`.
///
/// Average ranks for ties, tie-corrected variance, continuity correction and
/// the normal approximation, as `scipy.stats.mannwhitneyu` (method "auto":
/// exact null distribution when there are no ties and one side has <= 8
/// values). `None` if either side is empty. Constant samples are valid: when
/// every value is identical the samples are equal and p = 1.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let a = clean(a);
    let b = clean(b);
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (r1, ties) = rank_sum_first(&a, &b);
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let mu = f1 * f2 / 2.0;
    let n = f1 + f2;
    let var = f1 * f2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    let (z, p_asym) = if var <= 0.0 || !var.is_finite() {
        (0.0, 1.0)
    } else {
        let s = var.sqrt();
        let dev = u1 - mu;
        let z = if dev == 0.0 {
            0.0
        } else {
            (dev.abs() - 0.5).max(0.0) / s * dev.signum()
        };
        (z, (2.0 * normal_sf(z.abs())).min(1.0))
    };
    let exact = ties == 0.0 && (n1 <= 8 || n2 <= 8);
    let p_value = if exact {
        // Without ties U is an integer; P(U >= max) = P(U <= min) by symmetry.
        (2.0 * mwu_exact_cdf(n1, n2, u1.min(u2).round() as usize)).clamp(0.0, 1.0)
    } else {
        p_asym
    };
    Some(MannWhitney {
        u: u1,
        z,
        p_value,
        exact,
        n_a: n1,
        n_b: n2,
    })
}

/// Cliff's delta = P(b > a) - P(b < a), in [-1, 1]. Positive means `b`
/// (the during/after sample) tends to be larger than `a` (the baseline).
/// O((n + m) log n): `a` is sorted once and each `b` is located by binary search.
pub fn cliffs_delta(a: &[f64], b: &[f64]) -> Option<f64> {
    let a = clean_sorted(a);
    let b = clean(b);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut greater: u128 = 0; // pairs with b > a
    let mut less: u128 = 0; // pairs with b < a
    for &y in &b {
        let below = a.partition_point(|&x| x < y);
        let not_above = a.partition_point(|&x| x <= y);
        greater += below as u128;
        less += (a.len() - not_above) as u128;
    }
    let pairs = a.len() as f64 * b.len() as f64;
    Some((greater as f64 - less as f64) / pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use crate::stats::tests::close;

    #[test]
    fn mann_whitney_scipy_docs_example() {
        // scipy.stats.mannwhitneyu docs: males vs females.
        // exact: U1 = 17, p = 0.1111111111111111
        // method="asymptotic": p = 0.11134688653314041 (scipy 1.17.1)
        let males = [19.0, 22.0, 16.0, 29.0, 24.0];
        let females = [20.0, 11.0, 17.0, 12.0];
        let r = mann_whitney_u(&males, &females).unwrap();
        assert_eq!(r.u, 17.0);
        assert!(r.exact);
        assert!(close(r.p_value, 0.1111111111111111, 1e-12), "{r:?}");
        assert!(r.z > 0.0);
        // Asymptotic branch reproduced via the z: 2*sf(z) vs scipy asymptotic.
        assert!(
            close(2.0 * normal_sf(r.z), 0.11134688653314041, 1e-9),
            "{r:?}"
        );
    }

    #[test]
    fn mann_whitney_ties_asymptotic() {
        // scipy.stats.mannwhitneyu(a, b) (auto -> asymptotic because of ties)
        // a = [1,2,2,3,3,3,4,5,9,9], b = [3,4,4,5,6,6,7,8,8,10,12]
        // -> statistic 25.0, pvalue 0.03659427769893652 (scipy 1.17.1)
        let a = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 9.0, 9.0];
        let b = [3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0, 8.0, 8.0, 10.0, 12.0];
        let r = mann_whitney_u(&a, &b).unwrap();
        assert!(!r.exact);
        assert_eq!(r.u, 25.0);
        assert!(r.z < 0.0);
        assert!(close(r.p_value, MWU_TIES_P, 1e-9), "{r:?}");
    }

    const MWU_TIES_P: f64 = 0.03659427769893652;

    #[test]
    fn mann_whitney_more_scipy_values() {
        // scipy 1.17.1: a = [(i*37) % 101 for i in range(40)],
        // b = [(i*53) % 97 + 10 for i in range(35)] (ties -> asymptotic)
        // -> statistic 634.5, pvalue 0.4899577679683973
        let a: Vec<f64> = (0..40).map(|i| ((i * 37) % 101) as f64).collect();
        let b: Vec<f64> = (0..35).map(|i| ((i * 53) % 97 + 10) as f64).collect();
        let r = mann_whitney_u(&a, &b).unwrap();
        assert!(!r.exact);
        assert_eq!(r.u, 634.5);
        assert!(close(r.p_value, 0.4899577679683973, 1e-9), "{r:?}");
        // exact, unequal sizes: [1.5, 7, 3] vs [2, 4..=13 without 3, 7]
        // -> statistic 5.0, pvalue 0.1118881118881119
        let r = mann_whitney_u(
            &[1.5, 7.0, 3.0],
            &[2.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0],
        )
        .unwrap();
        assert!(r.exact);
        assert_eq!(r.u, 5.0);
        assert!(close(r.p_value, 0.1118881118881119, 1e-12), "{r:?}");
        // exact with one large side (cheap: O(min side * U)), scipy 1.17.1:
        // mannwhitneyu([0.5, 3.5, 10.5, 20.5, 40.5], range(3000))
        // -> statistic 78.0, pvalue 3.190211379325937e-10
        let big: Vec<f64> = (0..3000).map(f64::from).collect();
        let r = mann_whitney_u(&[0.5, 3.5, 10.5, 20.5, 40.5], &big).unwrap();
        assert!(r.exact);
        assert_eq!(r.u, 78.0);
        assert!(close(r.p_value, 3.190211379325937e-10, 1e-9), "{r:?}");
        // mannwhitneyu(range(8), [i + 5.5 for i in range(12)])
        // -> statistic 3.0, pvalue 0.00011113757243788204
        let a: Vec<f64> = (0..8).map(f64::from).collect();
        let b: Vec<f64> = (0..12).map(|i| f64::from(i) + 5.5).collect();
        let r = mann_whitney_u(&a, &b).unwrap();
        assert!(r.exact && r.z < 0.0);
        assert!(close(r.p_value, 0.00011113757243788204, 1e-9), "{r:?}");
    }

    #[test]
    fn mann_whitney_constant_and_empty() {
        let r = mann_whitney_u(&[3.0; 6], &[3.0; 7]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert_eq!(r.z, 0.0);
        assert_eq!(r.u, 21.0);
        // constant but different samples are a real difference
        let r = mann_whitney_u(&[1.0; 20], &[2.0; 20]).unwrap();
        assert!(r.p_value < 1e-6, "{r:?}");
        assert!(mann_whitney_u(&[], &[1.0]).is_none());
        assert!(mann_whitney_u(&[f64::NAN], &[1.0]).is_none());
    }

    /// Cliff's delta from the Mann-Whitney ranks equals the pair count, to
    /// the last bit, with ties, NaNs and unequal sizes.
    #[test]
    fn cliffs_delta_from_ranks_matches_pair_count() {
        let mut rng = SplitMix64::new(7);
        for (na, nb) in [(1, 1), (3, 9), (50, 20), (400, 1000), (2000, 1999)] {
            for levels in [2usize, 10, 1_000_000] {
                let mut draw = |n: usize| -> Vec<f64> {
                    (0..n)
                        .map(|i| {
                            if i % 97 == 5 {
                                f64::NAN
                            } else {
                                rng.below(levels) as f64 * 0.25
                            }
                        })
                        .collect()
                };
                let (a, b) = (draw(na), draw(nb));
                let want = cliffs_delta(&a, &b);
                let got = mann_whitney_u(&a, &b).map(|m| m.cliffs_delta());
                assert_eq!(
                    want.map(f64::to_bits),
                    got.map(f64::to_bits),
                    "{na} {nb} {levels}"
                );
            }
        }
    }

    #[test]
    fn cliffs_delta_hand_computed() {
        // a = [1,2,3], b = [2,4]: pairs (b>a): 2>1, 4>1, 4>2, 4>3 = 4;
        // (b<a): 2<3 = 1; ties: 2=2. delta = (4 - 1) / 6 = 0.5
        assert_eq!(cliffs_delta(&[1.0, 2.0, 3.0], &[2.0, 4.0]), Some(0.5));
        assert_eq!(cliffs_delta(&[2.0, 4.0], &[1.0, 2.0, 3.0]), Some(-0.5));
        assert_eq!(cliffs_delta(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
        assert_eq!(cliffs_delta(&[5.0; 4], &[5.0; 3]), Some(0.0));
        assert_eq!(cliffs_delta(&[], &[1.0]), None);
    }

    #[test]
    fn cliffs_delta_agrees_with_u() {
        // delta = 2 * U_b / (n m) - 1 where U_b = n m - U_a
        let mut rng = SplitMix64::new(7);
        let a: Vec<f64> = (0..300).map(|_| (rng.below(50)) as f64).collect();
        let b: Vec<f64> = (0..200).map(|_| (rng.below(60)) as f64).collect();
        let d = cliffs_delta(&a, &b).unwrap();
        let brute: f64 = a
            .iter()
            .flat_map(|x| {
                b.iter()
                    .map(move |y| (y > x) as i32 as f64 - (y < x) as i32 as f64)
            })
            .sum::<f64>()
            / (a.len() * b.len()) as f64;
        assert!(close(d, brute, 1e-12));
        let u = mann_whitney_u(&a, &b).unwrap().u;
        let nm = 300.0 * 200.0;
        assert!(close(d, 2.0 * (nm - u) / nm - 1.0, 1e-12));
    }
}
