//! Calibration: what a verdict's confidence means.
//!
//! The verdict's own number (the margin between the best and the runner-up
//! domain, or for "no incident" a constant by record count) orders
//! verdicts from shaky to sure but says nothing about how often they are
//! right. "Confidence 0.7" should mean: of verdicts given 0.7, about 70 %
//! name the right domain. So the raw number is read through a monotone
//! map fitted on labelled cases (isotonic regression, pool-adjacent-
//! violators, linear between block centres), one map per kind of verdict,
//! because "no window moved" and "a window moved but nothing explains it"
//! and "backend, by a margin" are different questions.
//!
//! The map is data (`src/calibration.json`, compiled in), refitted by
//! `faultlens accuracy --all --fit-calibration src/calibration.json` (see
//! scripts/regen-accuracy.sh): detectors change, raw scores move, and the
//! map must follow with one command, never by hand.
//!
//! A named domain whose calibrated confidence falls below the map's
//! `inconclusive_below` is not named: such verdicts are wrong more often
//! than right, and "inconclusive" is the honest answer.

use crate::detect::FaultDomain;
use crate::verdict::{
    NO_BASELINE_MAX_CONFIDENCE, NONE_WITH_FAILURES_MAX_CONFIDENCE, Verdict, VerdictInput,
};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Which question the raw number answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// A fault domain was named; raw = the verdict's margin.
    Named,
    /// No incident window; raw = the constant by record count.
    Quiet,
    /// A window moved but no domain had enough support; raw = 0.5 minus
    /// the best score.
    Weak,
    /// A named domain demoted to inconclusive; raw = its margin, and the
    /// map gives the chance that there was no fault at all.
    Demoted,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Named => "named",
            Group::Quiet => "quiet",
            Group::Weak => "weak",
            Group::Demoted => "demoted",
        }
    }
}

/// A monotone piecewise-linear map from raw score to probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Map {
    /// `[raw, probability]`, raw increasing; constant beyond the ends.
    pub knots: Vec<[f64; 2]>,
    /// Labelled cases the map was fitted on.
    pub cases: usize,
}

impl Map {
    pub fn identity() -> Map {
        Map {
            knots: vec![[0.0, 0.0], [1.0, 1.0]],
            cases: 0,
        }
    }
    pub fn at(&self, raw: f64) -> f64 {
        let k = &self.knots;
        match k.len() {
            0 => raw,
            1 => k[0][1],
            _ => {
                if raw <= k[0][0] {
                    return k[0][1];
                }
                for w in k.windows(2) {
                    let ([x0, y0], [x1, y1]) = (w[0], w[1]);
                    if raw <= x1 {
                        if x1 <= x0 {
                            return y1;
                        }
                        return y0 + (y1 - y0) * (raw - x0) / (x1 - x0);
                    }
                }
                k[k.len() - 1][1]
            }
        }
    }
}

/// The fitted maps and the line below which a named domain is not named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub method: String,
    /// The corpora and seeds the maps were fitted on.
    pub fitted_on: String,
    /// The command that refits this file.
    pub command: String,
    /// A named domain with a lower calibrated confidence is answered
    /// `none` and flagged inconclusive.
    pub inconclusive_below: f64,
    pub named: Map,
    pub quiet: Map,
    pub weak: Map,
    pub demoted: Map,
}

/// Lowest and highest confidence ever given: a handful of labelled cases
/// cannot show certainty either way.
pub const FLOOR: f64 = 0.03;
pub const CEILING: f64 = 0.97;
/// A named domain whose calibrated confidence is lower is not named:
/// such verdicts are wrong more often than right (written into the map by
/// the fit).
pub const INCONCLUSIVE_BELOW: f64 = 0.5;
/// Pseudo-cases pulling each isotonic block toward its group's mean, so a
/// block of three right answers does not claim certainty.
pub const PRIOR_WEIGHT: f64 = 3.0;

/// What a raw verdict becomes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settled {
    pub confidence: f64,
    /// The named domain is dropped (answer `none`, flagged inconclusive).
    pub demote: bool,
    pub inconclusive: bool,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Calibration {
    /// The map compiled into this build.
    pub fn current() -> &'static Calibration {
        static CURRENT: OnceLock<Calibration> = OnceLock::new();
        CURRENT.get_or_init(|| {
            serde_json::from_str(include_str!("calibration.json"))
                .expect("src/calibration.json parses (checked by a unit test)")
        })
    }

    pub fn map(&self, g: Group) -> &Map {
        match g {
            Group::Named => &self.named,
            Group::Quiet => &self.quiet,
            Group::Weak => &self.weak,
            Group::Demoted => &self.demoted,
        }
    }

    /// Read a raw verdict through the maps.
    pub fn settle(&self, group: Group, raw: f64) -> Settled {
        let clamp = |p: f64| round2(p.clamp(FLOOR, CEILING));
        match group {
            Group::Named | Group::Demoted => {
                let c = clamp(self.named.at(raw));
                if c < self.inconclusive_below {
                    Settled {
                        confidence: clamp(self.demoted.at(raw)),
                        demote: true,
                        inconclusive: true,
                    }
                } else {
                    Settled {
                        confidence: c,
                        demote: false,
                        inconclusive: false,
                    }
                }
            }
            Group::Quiet => Settled {
                confidence: clamp(self.quiet.at(raw)),
                demote: false,
                inconclusive: false,
            },
            Group::Weak => Settled {
                confidence: clamp(self.weak.at(raw)),
                demote: false,
                inconclusive: true,
            },
        }
    }
}

impl Calibration {
    /// [`Calibration::settle`], then the verdict's own ceilings (no
    /// baseline; "no incident" despite failed requests), which hold
    /// whatever the map says.
    pub fn settle_for(&self, group: Group, raw: f64, input: &VerdictInput) -> Settled {
        let mut s = self.settle(group, raw);
        let none = s.demote || group != Group::Named;
        if input.no_baseline && !none {
            s.confidence = s.confidence.min(NO_BASELINE_MAX_CONFIDENCE);
        }
        if input.failed_requests > 0 && none {
            s.confidence = s.confidence.min(NONE_WITH_FAILURES_MAX_CONFIDENCE);
        }
        s
    }
}

/// The group of a raw (uncalibrated) verdict.
pub fn group_of(v: &Verdict, incident: bool) -> Group {
    if v.fault_domain != FaultDomain::None {
        Group::Named
    } else if incident {
        Group::Weak
    } else {
        Group::Quiet
    }
}

/// Give a raw verdict its calibrated confidence; demote a named domain
/// below the line to an inconclusive `none`. `level` words the
/// confidence the way the summary does.
pub fn apply(mut v: Verdict, input: &VerdictInput, level: fn(f64) -> &'static str) -> Verdict {
    let raw = v.confidence;
    let s = Calibration::current().settle_for(group_of(&v, input.incident), raw, input);
    v.raw_confidence = raw;
    v.inconclusive = s.inconclusive;
    if s.demote {
        let lead = v.summary.clone();
        v.summary = format!(
            "Inconclusive: the evidence leans to {} but verdicts this weak name the right domain less than {:.0} % of the time, so none is named (leaning: {})",
            v.fault_domain.as_str().replace('_', " "),
            Calibration::current().inconclusive_below * 100.0,
            lead.trim_end_matches('.')
        );
        v.summary.push('.');
        v.fault_domain = FaultDomain::None;
        v.scope = "none".into();
        v.affected_regions.clear();
        v.ruled_out.clear();
    } else {
        let was = format!("({} confidence)", level(raw));
        let now = format!("({} confidence)", level(s.confidence));
        v.summary = v.summary.replacen(&was, &now, 1);
    }
    v.confidence = s.confidence;
    v
}

// ---------------------------------------------------------------- fitting

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
}

pub fn reliability(pairs: &[(f64, bool)]) -> Reliability {
    let n = pairs.len();
    // bin by index, so a confidence of 0.3 falls in 0.3-0.4 exactly once
    let bin_of = |c: f64| ((c * 10.0 + 1e-9).floor().max(0.0) as usize).min(9);
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
    let brier = pairs
        .iter()
        .map(|(c, y)| (c - if *y { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
        / n.max(1) as f64;
    Reliability {
        bins,
        ece,
        brier,
        cases: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_map_parses_and_is_monotone() {
        let c = Calibration::current();
        for g in [Group::Named, Group::Quiet, Group::Weak] {
            let m = c.map(g);
            for w in m.knots.windows(2) {
                assert!(w[0][0] <= w[1][0], "{g:?} raw order");
                assert!(w[0][1] <= w[1][1] + 1e-9, "{g:?} not monotone");
            }
        }
        assert!((0.0..1.0).contains(&c.inconclusive_below));
    }

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
    fn map_interpolates_and_holds_ends() {
        let m = Map {
            knots: vec![[0.2, 0.1], [0.6, 0.5]],
            cases: 0,
        };
        assert_eq!(m.at(0.0), 0.1);
        assert!((m.at(0.4) - 0.3).abs() < 1e-12);
        assert_eq!(m.at(0.9), 0.5);
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

    #[test]
    fn demotion_below_the_line() {
        let c = Calibration {
            method: String::new(),
            fitted_on: String::new(),
            command: String::new(),
            inconclusive_below: 0.4,
            named: Map {
                knots: vec![[0.2, 0.2], [0.8, 0.9]],
                cases: 0,
            },
            quiet: Map::identity(),
            weak: Map::identity(),
            demoted: Map {
                knots: vec![[0.0, 0.3]],
                cases: 0,
            },
        };
        let low = c.settle(Group::Named, 0.25);
        assert!(low.demote && low.inconclusive);
        assert_eq!(low.confidence, 0.3);
        let high = c.settle(Group::Named, 0.8);
        assert!(!high.demote);
        assert_eq!(high.confidence, 0.9);
        assert!(c.settle(Group::Weak, 0.3).inconclusive);
        assert!(!c.settle(Group::Quiet, 0.85).inconclusive);
    }
}
