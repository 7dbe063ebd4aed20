//! The label of a bundle (`truth.json`): what really happened, and every
//! file written with what a correct reader makes of it.

use super::difficulty::DifficultyTruth;
use super::world::World;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// What really happened in a generated bundle (written as `truth.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub kind: String,
    pub seed: u64,
    /// Contract §4 word.
    pub fault_domain: String,
    /// `global` | `regional` | `none`.
    pub scope: String,
    /// Regions (or, for `client`, the vantage label) that saw the fault; sorted.
    pub affected_regions: Vec<String>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub onset: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub recovery: Option<DateTime<Utc>>,
    /// Active spans `[start, end)`; one span unless the fault came in waves.
    #[serde(serialize_with = "ser_waves")]
    pub waves: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The site's base name: hosts are `app.`, `api.`, `static.<site>.com`.
    pub site: String,
    /// First and last instant of generated data.
    #[serde(serialize_with = "ser_ts")]
    pub data_start: DateTime<Utc>,
    #[serde(serialize_with = "ser_ts")]
    pub data_end: DateTime<Utc>,
    /// Every file written, with its format and how many records / junk lines it holds.
    pub files: Vec<FileTruth>,
    /// Secret values planted in the inputs (tokens, cookies): no output may contain them.
    pub secrets: Vec<String>,
    /// Set when the bundle was generated with a [`Difficulty`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<DifficultyTruth>,
}

/// One generated input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileTruth {
    /// Relative to the bundle folder, `/`-separated.
    pub path: String,
    /// `probe-jsonl`, `probe-csv`, `har`, `k6`, `access-log`, `changes-jsonl`, `changes-csv`.
    pub format: String,
    /// Vantage label the path carries (`region=NAME/`), if any.
    pub vantage: Option<String>,
    /// Records a correct reader yields (lines, HAR entries).
    pub records: u64,
    /// Junk lines deliberately written (a correct reader rejects exactly these).
    pub bad_lines: u64,
}

fn ts_str(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
fn ser_ts<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ts_str(t))
}
fn ser_opt_ts<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&ts_str(t)),
        None => s.serialize_none(),
    }
}
fn ser_waves<S: Serializer>(w: &[(DateTime<Utc>, DateTime<Utc>)], s: S) -> Result<S::Ok, S::Error> {
    let v: Vec<[String; 2]> = w.iter().map(|(a, b)| [ts_str(a), ts_str(b)]).collect();
    v.serialize(s)
}

impl World {
    pub fn truth(&self, files: Vec<FileTruth>) -> Truth {
        let (scope, mut affected) = if !self.kind.has_incident() {
            ("none", vec![])
        } else if let Some(v) = &self.client_vantage {
            ("regional", vec![v.clone()])
        } else if self.global {
            ("global", self.fault_regions.clone())
        } else {
            ("regional", self.fault_regions.clone())
        };
        affected.sort();
        let mut secrets = self.secrets.borrow().clone();
        secrets.sort();
        Truth {
            kind: self.kind.name().to_string(),
            seed: self.seed,
            fault_domain: self.kind.fault_domain().to_string(),
            scope: scope.to_string(),
            affected_regions: affected,
            onset: self.onset(),
            recovery: self.recovery(),
            waves: self.waves.clone(),
            site: self.site.clone(),
            data_start: self.start,
            data_end: self.end,
            files,
            secrets,
            difficulty: self.difficulty.truth(),
        }
    }
}
