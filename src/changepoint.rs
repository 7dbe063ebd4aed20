//! Automatic incident window: where, in a set of binned health signals, did
//! things go bad and when did they recover?
//!
//! Why this shape: signals have wildly different units and noise (error
//! rates that are flat zero when healthy, latencies with heavy tails,
//! component counts that only matter when they drop), so each is first put on
//! a common robust scale against its own typical level (median / MAD), only
//! the "worse" direction is kept, and the per-bin worst weighted value becomes
//! one anomaly score. A single change-point segmentation of that score (PELT,
//! exact optimum of a penalised mean-shift cost) then gives onset and
//! recovery as segment boundaries, which is what makes the onset accurate to
//! a bin instead of depending on a smoothing window. Segments are classified
//! afterwards: abnormal if their mean score exceeds the threshold, blips if
//! shorter than `min_bins`, and abnormal spans separated by a short calm gap
//! are one incident with several waves.
//!
//! Assumption: the series is mostly healthy (the incident covers less than
//! half of the measured bins), because the baseline is the median of the
//! series. A long incident inflates the MAD and under-scores itself, so the
//! baseline is re-estimated (up to 3 times) without the long segments that
//! look elevated at 30 % of the threshold. When the assumption cannot hold,
//! explicit windows are the answer.
//!
//! Heavy-tailed signals (raw latency) give occasional 2-bin spikes of 10
//! robust sigmas: pass log values or set `min_scale` for them.

use crate::stats::median;

/// Which way a signal moves when things get worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Error rates, latencies, loss.
    HigherIsWorse,
    /// Availability, page component counts, throughput.
    LowerIsWorse,
    /// Any departure from the typical level counts.
    Both,
}

/// One binned series. All signals passed to [`detect`] share the same bins;
/// `values[i]` is `None` when nothing was measured in bin `i` (ignored, never
/// read as zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub direction: Direction,
    /// Multiplies the signal's robust z before the per-bin max; <= 0 disables.
    pub weight: f64,
    /// Smallest scale (in the signal's own unit) that one robust sigma may
    /// have, so that a flat healthy series (e.g. 0 % errors) does not turn
    /// tiny changes into huge z. E.g. 0.01 for an error-rate fraction, 20.0
    /// for a latency in ms. 0 means "no caller floor".
    pub min_scale: f64,
}

impl Signal {
    pub fn new(name: &str, values: Vec<Option<f64>>, direction: Direction) -> Self {
        Signal {
            name: name.to_string(),
            values,
            direction,
            weight: 1.0,
            min_scale: 0.0,
        }
    }
}

/// Tuning of [`detect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpOptions {
    /// An abnormal span shorter than this many bins is a blip, not an incident.
    pub min_bins: usize,
    /// Abnormal spans separated by a calm gap of at most this many bins are
    /// one incident (each span is a wave).
    pub merge_gap_bins: usize,
    /// A segment is abnormal when its mean score (robust sigmas) exceeds this.
    pub threshold: f64,
}

/// [`CpOptions::threshold`] unless the caller says otherwise, in robust
/// sigmas: the bar for a series taken as it comes (the unit tests' noisy
/// steps and waves are tuned against it).
pub const DEFAULT_THRESHOLD_SIGMAS: f64 = 4.0;

/// The threshold the pipeline passes (`aggregate::series`), in robust
/// sigmas: lower than the default so that moderate latency incidents are
/// found. Its signals reach [`detect`] through a 3-bin rolling median,
/// so single noisy bins are gone before the bar is applied.
pub const SMOOTHED_THRESHOLD_SIGMAS: f64 = 3.0;

impl Default for CpOptions {
    fn default() -> Self {
        CpOptions {
            min_bins: 2,
            merge_gap_bins: 5,
            threshold: DEFAULT_THRESHOLD_SIGMAS,
        }
    }
}

/// What [`detect`] found. Ranges are half-open bin ranges `[start, end)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The incident `[onset, recovery)`: `recovery` is the first healthy bin
    /// (equal to the number of bins if it never recovered). `None` when
    /// nothing is abnormal beyond noise.
    pub incident: Option<(usize, usize)>,
    /// The abnormal spans inside `incident` (one per wave), in time order.
    pub waves: Vec<(usize, usize)>,
    /// Abnormal spans shorter than `min_bins`. They never start, extend or
    /// bridge an incident.
    pub blips: Vec<(usize, usize)>,
    /// Other incidents (further apart than `merge_gap_bins` from the chosen
    /// one), with smaller total score, in time order. The chosen incident is
    /// the one with the largest total score.
    pub other_incidents: Vec<(usize, usize)>,
    /// Per-bin combined anomaly score (robust sigmas, worse direction only,
    /// weighted max over signals); NaN for bins where no signal had a value.
    pub score: Vec<f64>,
    /// Bin of the highest score inside the incident (earliest on ties).
    pub peak_bin: Option<usize>,
}

/// Per-signal robust z of one signal is capped here: beyond this the bin is
/// simply "very abnormal", and one absurd value must not dominate totals.
const Z_CAP: f64 = 50.0;
/// Relative floor on the scale: 5 % of the typical level is one sigma at most.
const REL_SCALE_FLOOR: f64 = 0.05;
/// Floor on the score-noise sigma used by the segmentation penalty.
const SIGMA_FLOOR: f64 = 0.5;
/// Pass 1 flags long segments above this fraction of the threshold as suspect.
const PASS1_FRACTION: f64 = 0.3;
/// A segment next to an abnormal run must have a mean above this fraction
/// of the threshold to be absorbed into it.
const EDGE_FRACTION: f64 = 0.5;
/// Smallest number of present values a signal needs to define a baseline.
const MIN_PRESENT: usize = 3;

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
fn combined_score(signals: &[Signal], n: usize, keep: Option<&[bool]>) -> Vec<f64> {
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
fn abnormal_spans(score: &[f64], threshold: f64, min_bins: usize) -> Vec<(usize, usize)> {
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

struct Found {
    blips: Vec<(usize, usize)>,
    incidents: Vec<Vec<(usize, usize)>>,
}

fn classify(spans: &[(usize, usize)], opts: &CpOptions) -> Found {
    let min_bins = opts.min_bins.max(1);
    let mut blips = Vec::new();
    let mut waves = Vec::new();
    for &(a, b) in spans {
        if b - a < min_bins {
            blips.push((a, b));
        } else {
            waves.push((a, b));
        }
    }
    let mut incidents: Vec<Vec<(usize, usize)>> = Vec::new();
    for &w in &waves {
        match incidents.last_mut() {
            Some(inc) if w.0 - inc.last().map_or(w.0, |l| l.1) <= opts.merge_gap_bins => {
                inc.push(w)
            }
            _ => incidents.push(vec![w]),
        }
    }
    Found { blips, incidents }
}

fn total(score: &[f64], waves: &[(usize, usize)]) -> f64 {
    waves
        .iter()
        .flat_map(|&(a, b)| score[a..b].iter())
        .filter(|v| !v.is_nan())
        .sum()
}

/// Finds the incident window in binned signals. Deterministic; O(n^2) worst
/// case in the number of bins (PELT usually prunes to near-linear).
pub fn detect(signals: &[Signal], opts: &CpOptions) -> Detection {
    let n = signals.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let threshold = if opts.threshold.is_finite() {
        opts.threshold
    } else {
        DEFAULT_THRESHOLD_SIGMAS
    };

    // Pass 1: baseline from every bin. A long incident inflates the MAD and
    // so under-scores itself: segments longer than `min_bins` whose mean
    // exceeds a fraction of the threshold are suspect, and the baseline is
    // re-estimated without them (up to 3 times, while the remaining bins are
    // the majority). Short spikes are not excluded, so heavy-tailed healthy
    // series keep their honest scale.
    let mut score = combined_score(signals, n, None);
    let measured = score.iter().filter(|v| !v.is_nan()).count();
    let mut excluded: Vec<(usize, usize)> = Vec::new();
    for _ in 0..3 {
        let suspect: Vec<(usize, usize)> =
            abnormal_spans(&score, PASS1_FRACTION * threshold, opts.min_bins)
                .into_iter()
                .filter(|(a, b)| b - a > opts.min_bins.max(2))
                .collect();
        if suspect.is_empty() || suspect == excluded {
            break;
        }
        let mut keep = vec![true; n];
        for &(a, b) in &suspect {
            keep[a..b].iter_mut().for_each(|k| *k = false);
        }
        let kept = (0..n).filter(|&i| keep[i] && !score[i].is_nan()).count();
        if kept < MIN_PRESENT || kept * 2 <= measured {
            break;
        }
        score = combined_score(signals, n, Some(&keep));
        excluded = suspect;
    }
    let spans = abnormal_spans(&score, threshold, opts.min_bins);

    let found = classify(&spans, opts);
    let mut best: Option<(usize, f64)> = None;
    for (k, inc) in found.incidents.iter().enumerate() {
        let t = total(&score, inc);
        if best.is_none_or(|(_, bt)| t > bt) {
            best = Some((k, t));
        }
    }
    let (incident, waves, others) = match best {
        Some((k, _)) => {
            let inc = &found.incidents[k];
            let range = (inc[0].0, inc[inc.len() - 1].1);
            let others = found
                .incidents
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, o)| (o[0].0, o[o.len() - 1].1))
                .collect();
            (Some(range), inc.clone(), others)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let peak_bin = incident.and_then(|(a, b)| {
        let mut peak: Option<usize> = None;
        for i in a..b {
            if !score[i].is_nan() && peak.is_none_or(|p| score[i] > score[p]) {
                peak = Some(i);
            }
        }
        peak
    });
    Detection {
        incident,
        waves,
        blips: found.blips,
        other_incidents: others,
        score,
        peak_bin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Deterministic pseudo-noise: `n` values from a standard normal
    /// (Box-Muller over SplitMix64).
    fn pseudo_normal(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        (0..n)
            .map(|_| {
                let u1 = 1.0 - rng.next_f64();
                let u2 = rng.next_f64();
                (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            })
            .collect()
    }

    fn noisy(n: usize, level: f64, sd: f64, seed: u64) -> Vec<f64> {
        pseudo_normal(n, seed)
            .into_iter()
            .map(|z| level + sd * z)
            .collect()
    }

    fn sig(name: &str, v: Vec<f64>, d: Direction) -> Signal {
        Signal::new(name, v.into_iter().map(Some).collect(), d)
    }

    #[test]
    fn step_change_onset_within_one_bin() {
        // latency ~ 200 +- 10 ms, jumps to 320 ms at bin 60 until bin 90
        for seed in 1..=5 {
            let mut v = noisy(150, 200.0, 10.0, seed);
            for x in &mut v[60..90] {
                *x += 120.0;
            }
            let d = detect(
                &[sig("wait_p50_ms", v, Direction::HigherIsWorse)],
                &CpOptions::default(),
            );
            let (on, rec) = d.incident.expect("step must be detected");
            assert!(on.abs_diff(60) <= 1, "seed {seed}: onset {on}");
            assert!(rec.abs_diff(90) <= 1, "seed {seed}: recovery {rec}");
            assert_eq!(d.waves.len(), 1);
            let p = d.peak_bin.unwrap();
            assert!((on..rec).contains(&p));
        }
    }

    #[test]
    fn two_waves_with_short_gap_merge() {
        // error rate 1 % +- 0.3 %, waves at [40,55) and [58,70) at ~20 %
        let mut v: Vec<f64> = noisy(120, 0.01, 0.003, 9)
            .into_iter()
            .map(|x| x.max(0.0))
            .collect();
        for i in (40..55).chain(58..70) {
            v[i] = 0.2;
        }
        let mut s = sig("error_rate", v, Direction::HigherIsWorse);
        s.min_scale = 0.01;
        let d = detect(&[s.clone()], &CpOptions::default());
        assert_eq!(d.incident, Some((40, 70)), "{d:?}");
        assert_eq!(d.waves, vec![(40, 55), (58, 70)]);
        assert!(d.other_incidents.is_empty());
        // with a smaller merge gap they are two incidents; the larger wins
        let opts = CpOptions {
            merge_gap_bins: 2,
            ..CpOptions::default()
        };
        let d = detect(&[s], &opts);
        assert_eq!(d.incident, Some((40, 55)));
        assert_eq!(d.other_incidents, vec![(58, 70)]);
    }

    #[test]
    fn one_bin_blip_does_not_trigger() {
        let mut v = noisy(100, 200.0, 10.0, 3);
        v[50] = 900.0;
        let d = detect(
            &[sig("wait_p95_ms", v, Direction::HigherIsWorse)],
            &CpOptions::default(),
        );
        assert_eq!(d.incident, None, "{d:?}");
        assert_eq!(d.blips, vec![(50, 51)]);
        assert!(d.peak_bin.is_none());
    }

    #[test]
    fn healthy_noisy_series_yield_none() {
        for seed in 0..20 {
            let signals = vec![
                sig(
                    "wait_ms",
                    noisy(240, 150.0, 15.0, seed),
                    Direction::HigherIsWorse,
                ),
                sig(
                    "components",
                    noisy(240, 80.0, 2.0, seed + 100)
                        .into_iter()
                        .map(f64::round)
                        .collect(),
                    Direction::LowerIsWorse,
                ),
                {
                    let mut s = sig(
                        "error_rate",
                        noisy(240, 0.0, 0.002, seed + 200)
                            .into_iter()
                            .map(|x| x.max(0.0))
                            .collect(),
                        Direction::HigherIsWorse,
                    );
                    s.min_scale = 0.01;
                    s
                },
            ];
            let d = detect(&signals, &CpOptions::default());
            assert_eq!(d.incident, None, "seed {seed}: {:?}", d.waves);
        }
    }

    #[test]
    fn flat_zero_series_small_change_is_not_infinite() {
        // healthy error rate exactly 0; a 0.1 % wobble must not be an
        // incident when the caller says 1 % is one sigma.
        let mut v = vec![0.0; 100];
        for x in &mut v[30..40] {
            *x = 0.001;
        }
        let mut s = sig("error_rate", v.clone(), Direction::HigherIsWorse);
        s.min_scale = 0.01;
        assert_eq!(detect(&[s], &CpOptions::default()).incident, None);
        // ... while 30 % errors is one.
        for x in &mut v[30..40] {
            *x = 0.3;
        }
        let mut s = sig("error_rate", v, Direction::HigherIsWorse);
        s.min_scale = 0.01;
        assert_eq!(detect(&[s], &CpOptions::default()).incident, Some((30, 40)));
    }

    #[test]
    fn drop_in_lower_is_worse_found_rise_ignored() {
        let base: Vec<f64> = noisy(120, 80.0, 1.5, 11)
            .into_iter()
            .map(f64::round)
            .collect();
        let mut drop = base.clone();
        for x in &mut drop[50..75] {
            *x = 45.0;
        }
        let d = detect(
            &[sig("components", drop, Direction::LowerIsWorse)],
            &CpOptions::default(),
        );
        let (on, rec) = d.incident.expect("component drop must be found");
        assert!(on.abs_diff(50) <= 1 && rec.abs_diff(75) <= 1, "{on} {rec}");

        let mut rise = base;
        for x in &mut rise[50..75] {
            *x = 120.0;
        }
        let d = detect(
            &[sig("components", rise, Direction::LowerIsWorse)],
            &CpOptions::default(),
        );
        assert_eq!(d.incident, None, "{d:?}");
        assert!(d.blips.is_empty());
    }

    #[test]
    fn missing_bins_are_ignored_not_zero() {
        // A LowerIsWorse signal with gaps: missing bins must not look like a
        // drop to zero; the real drop is still found and spans the gap.
        let mut v: Vec<Option<f64>> = noisy(100, 50.0, 1.0, 5).into_iter().map(Some).collect();
        for i in (0..100).step_by(7) {
            v[i] = None;
        }
        let d = detect(
            &[Signal::new(
                "availability",
                v.clone(),
                Direction::LowerIsWorse,
            )],
            &CpOptions::default(),
        );
        assert_eq!(d.incident, None, "{d:?}");
        assert!(d.score[7].is_nan() && !d.score[8].is_nan());
        for x in v[40..60].iter_mut().flatten() {
            *x = 10.0;
        }
        let d = detect(
            &[Signal::new("availability", v, Direction::LowerIsWorse)],
            &CpOptions::default(),
        );
        assert_eq!(d.incident, Some((40, 60)), "{d:?}");
        assert_eq!(d.waves.len(), 1);
    }

    #[test]
    fn combined_signals_and_weights() {
        // Latency is healthy; the weighted error-rate signal carries the
        // incident; a zero-weight signal is ignored entirely.
        let lat = sig(
            "wait_ms",
            noisy(100, 200.0, 10.0, 1),
            Direction::HigherIsWorse,
        );
        let mut err: Vec<f64> = vec![0.01; 100];
        for x in &mut err[20..35] {
            *x = 0.5;
        }
        let mut e = sig("error_rate", err, Direction::HigherIsWorse);
        e.min_scale = 0.02;
        let mut muted = sig("noise", noisy(100, 0.0, 1.0, 2), Direction::Both);
        for x in muted.values[70..90].iter_mut().flatten() {
            *x = 100.0;
        }
        muted.weight = 0.0;
        let d = detect(&[lat, e, muted], &CpOptions::default());
        assert_eq!(d.incident, Some((20, 35)), "{d:?}");
        assert_eq!(d.score.len(), 100);
        assert!(d.score.iter().all(|s| !s.is_nan()));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let o = CpOptions::default();
        assert_eq!(detect(&[], &o).incident, None);
        let d = detect(&[Signal::new("x", vec![None; 10], Direction::Both)], &o);
        assert_eq!(d.incident, None);
        assert!(d.score.iter().all(|s| s.is_nan()));
        let d = detect(&[sig("x", vec![1.0; 50], Direction::Both)], &o);
        assert_eq!(d.incident, None);
        // signals of unequal length: the shorter one is missing at the end
        let d = detect(
            &[
                sig("a", vec![1.0; 5], Direction::Both),
                sig("b", vec![2.0; 8], Direction::Both),
            ],
            &o,
        );
        assert_eq!(d.score.len(), 8);
        let d = detect(
            &[sig("x", vec![f64::INFINITY, 1.0, 2.0], Direction::Both)],
            &o,
        );
        assert_eq!(d.incident, None);
    }

    #[test]
    fn long_series_step_and_determinism() {
        // 3000 one-minute bins (two days), 40-minute incident at bin 2000.
        let mut v = noisy(3000, 500.0, 40.0, 77);
        for x in &mut v[2000..2040] {
            *x += 400.0;
        }
        let s = [sig("latency_ms", v, Direction::HigherIsWorse)];
        let d = detect(&s, &CpOptions::default());
        let (on, rec) = d.incident.expect("incident in long series");
        assert!(
            on.abs_diff(2000) <= 1 && rec.abs_diff(2040) <= 1,
            "{on} {rec}"
        );
        let again = detect(&s, &CpOptions::default());
        assert_eq!(format!("{d:?}"), format!("{again:?}"));
    }

    #[test]
    fn incident_until_end_of_capture() {
        let mut v = noisy(80, 100.0, 5.0, 21);
        for x in &mut v[60..] {
            *x = 400.0;
        }
        let d = detect(
            &[sig("total_ms", v, Direction::HigherIsWorse)],
            &CpOptions::default(),
        );
        assert_eq!(d.incident, Some((60, 80)), "{d:?}");
    }

    #[test]
    fn long_incident_does_not_hide_in_its_own_baseline() {
        // 40 % of the capture at +6 sigma: the whole-series MAD is inflated
        // (pass-1 z ~1.5); the re-estimated baseline must recover it.
        // Measured: 9/10 seeds exact within one bin (0/10 without pass 2).
        let mut hits = 0;
        for seed in 0..10 {
            let mut v = noisy(100, 200.0, 10.0, seed);
            for x in &mut v[50..90] {
                *x += 60.0;
            }
            let d = detect(
                &[sig("wait_ms", v, Direction::HigherIsWorse)],
                &CpOptions::default(),
            );
            if d.incident
                .is_some_and(|(on, rec)| on.abs_diff(50) <= 1 && rec.abs_diff(90) <= 1)
            {
                hits += 1;
            }
        }
        assert!(hits >= 8, "{hits}/10");
    }

    #[test]
    fn weak_step_edges_within_one_bin() {
        // +4.5 sigma for 20 bins, barely above the threshold: PELT tends to
        // split the edges off; absorption must put them back.
        // Measured: 17/20 seeds exact within one bin (3/20 without it).
        let mut hits = 0;
        for seed in 0..20 {
            let mut v = noisy(200, 100.0, 10.0, seed);
            for x in &mut v[100..120] {
                *x += 45.0;
            }
            let d = detect(
                &[sig("wait_ms", v, Direction::HigherIsWorse)],
                &CpOptions::default(),
            );
            if d.incident
                .is_some_and(|(on, rec)| on.abs_diff(100) <= 1 && rec.abs_diff(120) <= 1)
            {
                hits += 1;
            }
        }
        assert!(hits >= 15, "{hits}/20");
    }
}
