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

fn clean(xs: &[f64]) -> Vec<f64> {
    xs.iter().copied().filter(|x| !x.is_nan()).collect()
}

fn clean_sorted(xs: &[f64]) -> Vec<f64> {
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

fn quantile_sorted(s: &[f64], q: f64) -> Option<f64> {
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

/// Deterministic SplitMix64 generator (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform index in `0..n` (multiply-shift; bias < n / 2^64).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

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

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
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

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 seeded with 1234567, from a line-by-line Python transcription
        // of Vigna's splitmix64.c (independent of this Rust code).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

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

    #[test]
    fn sufficiency_rule() {
        assert_eq!(sufficiency(5, 100), Sufficiency::Ok);
        assert_eq!(
            sufficiency(100, 4),
            Sufficiency::Insufficient { have: 4, need: 5 }
        );
    }
}
