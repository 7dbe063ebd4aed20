//! Proportion tests: did the share of failing requests change?
//!
//! Counts of failures are often tiny in the baseline (zero errors is the
//! healthy state), so the normal approximation gives way to Fisher's exact
//! test wherever an expected cell count is below 5.

use super::normal_sf;

/// Result of comparing two proportions x1/n1 (baseline) and x2/n2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PropTest {
    pub p1: f64,
    pub p2: f64,
    /// p2 - p1: positive when the second (during) proportion is higher.
    pub diff: f64,
    /// Pooled two-proportion z (sign of `diff`); 0 when the pooled
    /// proportion is 0 or 1.
    pub z: f64,
    /// Two-sided p-value: pooled z-test, or Fisher's exact test when `exact`.
    pub p_value: f64,
    /// True when an expected cell count was below 5 and `p_value` is
    /// Fisher's exact two-sided p instead of the normal approximation.
    pub exact: bool,
}

/// Two-sided test of x1/n1 vs x2/n2: pooled z-test, switching to Fisher's
/// exact test when any expected count of the 2x2 table is below 5.
/// `None` if a denominator is 0 or a count exceeds its denominator.
pub fn two_proportion_test(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<PropTest> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (fx1, fn1, fx2, fn2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let p1 = fx1 / fn1;
    let p2 = fx2 / fn2;
    let diff = p2 - p1;
    let pooled = (fx1 + fx2) / (fn1 + fn2);
    let se = (pooled * (1.0 - pooled) * (1.0 / fn1 + 1.0 / fn2)).sqrt();
    let z = if se > 0.0 { diff / se } else { 0.0 };
    let min_expected = [
        fn1 * pooled,
        fn1 * (1.0 - pooled),
        fn2 * pooled,
        fn2 * (1.0 - pooled),
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    let exact = min_expected < 5.0;
    let p_value = if exact {
        fisher_exact_two_sided(x1, n1 - x1, x2, n2 - x2)
    } else if se > 0.0 {
        (2.0 * normal_sf(z.abs())).min(1.0)
    } else {
        1.0
    };
    Some(PropTest {
        p1,
        p2,
        diff,
        z,
        p_value,
        exact,
    })
}

/// Fisher's exact test, two-sided, for the table [[a, b], [c, d]]: the sum of
/// the probabilities of all tables with the same margins that are no more
/// likely than the observed one (relative tolerance 1e-7, as scipy).
pub fn fisher_exact_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    // Row 1 has r1 = a + b items, column 1 has k = a + c; a ~ Hypergeom.
    let r1 = a + b;
    let r2 = c + d;
    let k = a + c;
    let n = r1 + r2;
    if n == 0 {
        return 1.0;
    }
    let lo = k.saturating_sub(r2);
    let hi = k.min(r1);
    // Unnormalised log-pmf by the ratio recurrence
    // P(x+1)/P(x) = (k-x)(r1-x) / ((x+1)(r2-k+x+1)).
    let mut logw = Vec::with_capacity((hi - lo + 1) as usize);
    let mut cur = 0.0_f64;
    logw.push(cur);
    for x in lo..hi {
        let num = (k - x) as f64 * (r1 - x) as f64;
        let den = (x + 1) as f64 * (r2 + x + 1 - k) as f64;
        cur += (num / den).ln();
        logw.push(cur);
    }
    let max = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logw.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = w.iter().sum();
    let obs = w[(a - lo) as usize];
    let tail: f64 = w.iter().filter(|&&p| p <= obs * (1.0 + 1e-7)).sum();
    (tail / total).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::close;

    #[test]
    fn two_proportion_z_hand_computed() {
        // x1/n1 = 20/1000, x2/n2 = 60/1000. pooled = 0.04,
        // se = sqrt(0.04*0.96*(2/1000)) = 0.0087635609..., z = 0.04/se = 4.564354645876384
        // p = 2*sf(z) = 5.010331956390443e-06 (2*scipy.stats.norm.sf(4.564354645876384))
        let r = two_proportion_test(20, 1000, 60, 1000).unwrap();
        assert!(!r.exact);
        assert!(close(r.diff, 0.04, 1e-12));
        assert!(close(r.z, 4.564354645876384, 1e-12), "{r:?}");
        assert!(close(r.p_value, PROP_P, 1e-9), "{r:?}");
        // equal proportions -> z 0, p 1; all zero -> exact branch, p 1
        let r = two_proportion_test(50, 500, 100, 1000).unwrap();
        assert_eq!(r.z, 0.0);
        assert!(close(r.p_value, 1.0, 1e-12));
        let r = two_proportion_test(0, 500, 0, 1000).unwrap();
        assert!(r.exact);
        assert_eq!(r.p_value, 1.0);
        assert!(two_proportion_test(1, 0, 1, 2).is_none());
        assert!(two_proportion_test(3, 2, 1, 2).is_none());
    }

    const PROP_P: f64 = 5.010331956390443e-06;

    #[test]
    fn fisher_exact_scipy_docs_example() {
        // scipy docs example: scipy.stats.fisher_exact([[8, 2], [1, 5]]) -> pvalue 0.0349650349650...
        let p = fisher_exact_two_sided(8, 2, 1, 5);
        assert!(close(p, 0.03496503496503495, 1e-12), "{p}");
        // Small counts route two_proportion_test through Fisher:
        // before 8/10 successes, during 1/6.
        let r = two_proportion_test(8, 10, 1, 6).unwrap();
        assert!(r.exact);
        assert!(close(r.p_value, 0.03496503496503495, 1e-12));
        // scipy.stats.fisher_exact([[1, 999], [9, 991]]).pvalue (scipy 1.17.1)
        let p = fisher_exact_two_sided(1, 999, 9, 991);
        assert!(close(p, FISHER_P2, 1e-9), "{p}");
        assert_eq!(fisher_exact_two_sided(0, 0, 0, 0), 1.0);
        // scipy.stats.fisher_exact([[0, 100], [5, 95]]).pvalue = 0.059383210468586585:
        // 0/100 errors before vs 5/100 during has expected counts 2.5 -> exact.
        let r = two_proportion_test(0, 100, 5, 100).unwrap();
        assert!(r.exact);
        assert!(close(r.p_value, 0.059383210468586585, 1e-9), "{r:?}");
        // scipy.stats.fisher_exact([[2, 3], [40, 10]]).pvalue = 0.0797878899987668
        let p = fisher_exact_two_sided(2, 3, 40, 10);
        assert!(close(p, 0.0797878899987668, 1e-9), "{p}");
    }

    const FISHER_P2: f64 = 0.02117752939684125;
}
