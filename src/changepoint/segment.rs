//! Where the score changes level, and which stretches are abnormal.
//!
//! PELT gives the exact optimum of a penalised mean-shift cost, so onset and
//! recovery are segment boundaries, accurate to a bin, rather than the edges
//! of a smoothing window; segments are then judged by their mean against
//! the threshold, and weak neighbours of an abnormal run join it.

/// Floor on the score-noise sigma used by the segmentation penalty.
const SIGMA_FLOOR: f64 = 0.5;
/// A segment next to an abnormal run must have a mean above this fraction
/// of the threshold to be absorbed into it.
const EDGE_FRACTION: f64 = 0.5;

/// PELT (Killick et al. 2012) for a change in mean with squared-error cost.
/// Returns segment end indices (exclusive), the last one being `y.len()`.
fn pelt_mean(y: &[f64], penalty: f64) -> Vec<usize> {
    let n = y.len();
    if n == 0 {
        return Vec::new();
    }
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, v) in y.iter().enumerate() {
        s1[i + 1] = s1[i] + v;
        s2[i + 1] = s2[i] + v * v;
    }
    let cost = |a: usize, b: usize| {
        let len = (b - a) as f64;
        let sum = s1[b] - s1[a];
        (s2[b] - s2[a] - sum * sum / len).max(0.0)
    };
    let mut f = vec![0.0; n + 1];
    f[0] = -penalty;
    let mut last = vec![0usize; n + 1];
    let mut cands: Vec<usize> = vec![0];
    for t in 1..=n {
        let mut best = f64::INFINITY;
        let mut arg = 0;
        for &s in &cands {
            let v = f[s] + cost(s, t) + penalty;
            if v < best {
                best = v;
                arg = s;
            }
        }
        f[t] = best;
        last[t] = arg;
        // Prune candidates that can never be optimal again (K = 0 for this
        // cost), then admit t.
        cands.retain(|&s| f[s] + cost(s, t) <= best);
        cands.push(t);
    }
    let mut ends = Vec::new();
    let mut t = n;
    while t > 0 {
        ends.push(t);
        t = last[t];
    }
    ends.reverse();
    ends
}

/// Abnormal spans (in bin indices, half-open) of a score series.
pub(super) fn abnormal_spans(
    score: &[f64],
    threshold: f64,
    min_bins: usize,
) -> Vec<(usize, usize)> {
    // Segment only the bins that have a score; map back afterwards.
    let idx: Vec<usize> = (0..score.len()).filter(|&i| !score[i].is_nan()).collect();
    let y: Vec<f64> = idx.iter().map(|&i| score[i]).collect();
    if y.is_empty() {
        return Vec::new();
    }
    // Noise level of the score from first differences (robust to the level
    // shifts being looked for), floored.
    let diffs: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let mad_diff = crate::stats::mad(&diffs).unwrap_or(0.0);
    let sigma = (1.4826 * mad_diff / std::f64::consts::SQRT_2).max(SIGMA_FLOOR);
    let penalty = 2.0 * (y.len().max(2) as f64).ln() * sigma * sigma;
    let ends = pelt_mean(&y, penalty);
    // Segments as (start, end, sum) in compressed indices.
    let mut segs: Vec<(usize, usize, f64)> = Vec::with_capacity(ends.len());
    let mut start = 0;
    for &end in &ends {
        segs.push((start, end, y[start..end].iter().sum()));
        start = end;
    }
    let mut abn: Vec<bool> = segs
        .iter()
        .map(|&(a, b, sum)| sum / (b - a) as f64 > threshold)
        .collect();
    // PELT may split an incident's edge into a weaker segment (partial bin,
    // ramp). Absorb an elevated neighbouring segment into an abnormal run of
    // at least `min_bins` when the run stays above the threshold with it;
    // calm segments never join and blips never grow.
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..segs.len() {
            let (a, b, sum) = segs[i];
            if abn[i] || sum / ((b - a) as f64) <= EDGE_FRACTION * threshold {
                continue;
            }
            for run in [run_left(&abn, i), run_right(&abn, i)]
                .into_iter()
                .flatten()
            {
                let (ra, rb) = (segs[run.0].0, segs[run.1].1);
                if rb - ra < min_bins {
                    // blips do not grow into incidents
                    continue;
                }
                let rsum: f64 = segs[run.0..=run.1].iter().map(|s| s.2).sum();
                if (rsum + sum) / ((rb - ra + b - a) as f64) > threshold {
                    abn[i] = true;
                    changed = true;
                    break;
                }
            }
        }
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (k, &(start, end, _)) in segs.iter().enumerate() {
        if abn[k] {
            let (a, b) = (idx[start], idx[end - 1] + 1);
            match spans.last_mut() {
                // Adjacent abnormal segments (only missing bins between them)
                // form one span.
                Some(last) if score[last.1..a].iter().all(|v| v.is_nan()) => last.1 = b,
                _ => spans.push((a, b)),
            }
        }
    }
    spans
}

/// Segment index range of the abnormal run ending just left of `i`.
fn run_left(abn: &[bool], i: usize) -> Option<(usize, usize)> {
    if i == 0 || !abn[i - 1] {
        return None;
    }
    let mut a = i - 1;
    while a > 0 && abn[a - 1] {
        a -= 1;
    }
    Some((a, i - 1))
}

/// Segment index range of the abnormal run starting just right of `i`.
fn run_right(abn: &[bool], i: usize) -> Option<(usize, usize)> {
    if i + 1 >= abn.len() || !abn[i + 1] {
        return None;
    }
    let mut b = i + 1;
    while b + 1 < abn.len() && abn[b + 1] {
        b += 1;
    }
    Some((i + 1, b))
}
