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
//!
//! The score is `score`'s, the segmentation `segment`'s; this module turns
//! abnormal spans into the incident, its waves and the blips.

mod score;
mod segment;

use score::combined_score;
use segment::abnormal_spans;

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

/// Pass 1 flags long segments above this fraction of the threshold as suspect.
const PASS1_FRACTION: f64 = 0.3;
/// Smallest number of present values a signal needs to define a baseline.
const MIN_PRESENT: usize = 3;

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
