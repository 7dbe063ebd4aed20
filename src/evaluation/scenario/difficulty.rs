//! How hard a bundle is: the strength of its fault and the confounders
//! around it.
//!
//! Why knobs on top of the seed: the seed report's incidents are loud, so
//! accuracy on them says nothing about where detection stops. Each knob
//! overrides one thing the seed drew, from its own stream, so a sweep can
//! walk one kind from invisible to obvious.

use super::site::Role;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How hard the fault hits, and what else happens meanwhile. Every knob
/// left `None` keeps what the seed draws (the seed report's incidents are
/// loud: faults 5-40x the detectors' thresholds); a set knob overrides it,
/// so a sweep can walk one kind from invisible to obvious and show where
/// detection stops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Difficulty {
    /// Share of affected requests that fail, 0..=1 (backend 5xx, DNS and
    /// TLS failures, CDN edge errors, a third party's failures, a flaky
    /// client's dropped requests).
    pub error_share: Option<f64>,
    /// Multiplier on the slow API's server time (the slow-backend kind).
    pub latency_factor: Option<f64>,
    /// Packet loss on the faulty path, percent (the network kind); the
    /// queueing delay that comes with it scales along.
    pub loss_pct: Option<f64>,
    /// How many of the three regions see the fault (1..=3).
    pub regions: Option<usize>,
    pub confounder: Confounder,
}

/// Something real that is not the fault, happening in the same data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confounder {
    #[default]
    None,
    /// A short unrelated blip in another domain during the incident (a
    /// third party failing for five minutes in one region; for a
    /// third-party fault, the API's 5xx; for the controls, a one-minute
    /// latency spike).
    Blip,
    /// A noisy baseline: wider timing spread, rare API 5xx and slow third
    /// parties all along.
    NoisyBaseline,
    /// A deploy that really changed the page, logged in the change log:
    /// a heavier, slower document, one more first-party chunk and one more
    /// third-party script from then on.
    PageDeploy,
}

impl Confounder {
    pub fn all() -> &'static [Confounder] {
        &[
            Confounder::None,
            Confounder::Blip,
            Confounder::NoisyBaseline,
            Confounder::PageDeploy,
        ]
    }
    pub fn name(self) -> &'static str {
        match self {
            Confounder::None => "none",
            Confounder::Blip => "blip",
            Confounder::NoisyBaseline => "noisy-baseline",
            Confounder::PageDeploy => "page-deploy",
        }
    }
    pub fn from_name(s: &str) -> Option<Confounder> {
        Confounder::all().iter().copied().find(|c| c.name() == s)
    }
}

/// The difficulty a bundle was generated with (in `truth.json` when any
/// knob was set).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DifficultyTruth {
    pub error_share: Option<f64>,
    pub latency_factor: Option<f64>,
    pub loss_pct: Option<f64>,
    pub regions: Option<usize>,
    pub confounder: Confounder,
}

impl Difficulty {
    fn is_default(&self) -> bool {
        *self == Difficulty::default()
    }
    pub(super) fn truth(&self) -> Option<DifficultyTruth> {
        (!self.is_default()).then_some(DifficultyTruth {
            error_share: self.error_share,
            latency_factor: self.latency_factor,
            loss_pct: self.loss_pct,
            regions: self.regions,
            confounder: self.confounder,
        })
    }
}

/// Length of the unrelated blip, minutes: shorter than any incident.
pub const BLIP_MIN: i64 = 5;
/// Share of the blipping role's requests that fail meanwhile.
pub const BLIP_FAIL_SHARE: f64 = 0.8;

/// The unrelated blip of [`Confounder::Blip`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blip {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub region: String,
    /// The role that suffers: a third party, or the API for a third-party
    /// fault.
    pub role: Role,
}
