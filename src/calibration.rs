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
//! The fit lives with the rest of the measuring, in
//! `evaluation::calibration_fit`; this module only reads its output.
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
    /// Named verdicts from browser captures alone
    /// (`VerdictInput::browser_only`); absent: `named` serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_browser: Option<Map>,
    /// Named verdicts that rest on slowness alone (the winner's support
    /// all from FL102 server wait and FL111 slow loads: nothing failed,
    /// nothing went missing), whatever the witnesses; absent: the maps
    /// above serve. Real browser timings wander far more than a
    /// generator's jitter (the lab's healthy captures), and failures do
    /// not, so "slower" is worth less than "failed" at the same margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_pace: Option<Map>,
    pub quiet: Map,
    pub weak: Map,
    pub demoted: Map,
}

/// Lowest and highest confidence ever given: a handful of labelled cases
/// cannot show certainty either way.
pub const FLOOR: f64 = 0.03;
pub const CEILING: f64 = 0.97;

/// What kind of evidence a named verdict rests on: which map reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Basis {
    /// `VerdictInput::browser_only`.
    pub browser_only: bool,
    /// [`crate::verdict::rests_on_pace_alone`].
    pub pace_only: bool,
}

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

    /// The map a named verdict on `basis` is read through.
    pub fn named_map(&self, basis: Basis) -> &Map {
        match (&self.named_pace, &self.named_browser) {
            (Some(m), _) if basis.pace_only => m,
            (_, Some(m)) if basis.browser_only => m,
            _ => &self.named,
        }
    }

    /// Read a raw verdict through the maps.
    pub fn settle(&self, group: Group, raw: f64, basis: Basis) -> Settled {
        let clamp = |p: f64| round2(p.clamp(FLOOR, CEILING));
        let named = self.named_map(basis);
        match group {
            Group::Named | Group::Demoted => {
                let c = clamp(named.at(raw));
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
    pub fn settle_for(
        &self,
        group: Group,
        raw: f64,
        input: &VerdictInput,
        pace_only: bool,
    ) -> Settled {
        let basis = Basis {
            browser_only: input.browser_only,
            pace_only,
        };
        let mut s = self.settle(group, raw, basis);
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
pub fn apply(
    mut v: Verdict,
    input: &VerdictInput,
    pace_only: bool,
    level: fn(f64) -> &'static str,
) -> Verdict {
    let raw = v.confidence;
    let s = Calibration::current().settle_for(group_of(&v, input.incident), raw, input, pace_only);
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
            named_browser: Some(Map {
                knots: vec![[0.2, 0.1], [0.8, 0.6]],
                cases: 0,
            }),
            named_pace: Some(Map {
                knots: vec![[0.2, 0.1], [0.8, 0.5]],
                cases: 0,
            }),
            quiet: Map::identity(),
            weak: Map::identity(),
            demoted: Map {
                knots: vec![[0.0, 0.3]],
                cases: 0,
            },
        };
        let browser = Basis {
            browser_only: true,
            pace_only: false,
        };
        let pace = Basis {
            browser_only: true,
            pace_only: true,
        };
        let any = Basis::default();
        // browser captures alone read through their own map, slowness
        // alone through its own
        assert_eq!(c.settle(Group::Named, 0.8, browser).confidence, 0.6);
        assert_eq!(c.settle(Group::Named, 0.8, pace).confidence, 0.5);
        assert_eq!(c.settle(Group::Named, 0.8, any).confidence, 0.9);
        let low = c.settle(Group::Named, 0.25, any);
        assert!(low.demote && low.inconclusive);
        assert_eq!(low.confidence, 0.3);
        let high = c.settle(Group::Named, 0.8, any);
        assert!(!high.demote);
        assert_eq!(high.confidence, 0.9);
        assert!(c.settle(Group::Weak, 0.3, any).inconclusive);
        assert!(!c.settle(Group::Quiet, 0.85, any).inconclusive);
    }
}
