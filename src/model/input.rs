//! Each input file's account: records read, rejected (with where and
//! why), warnings, skipped, time span, and the whole-run summary a load
//! tool may give instead of records. Nothing read disappears silently.

use super::SourceRef;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A record a reader could not use, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub at: SourceRef,
    pub reason: String,
}

/// Per-file ingest account: nothing read disappears silently.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct InputReport {
    pub path: String,
    /// Format name (`har`, `probe-jsonl`, `access-combined`, ...), or
    /// `unrecognised` for skipped files.
    pub format: String,
    pub vantage: Option<String>,
    pub records: u64,
    pub bad_records: u64,
    /// The first few rejections (at most [`MAX_REJECTIONS_KEPT`]).
    pub rejections: Vec<Rejection>,
    pub warnings: Vec<String>,
    /// Set when the whole file was skipped or unreadable.
    pub skipped: Option<String>,
    pub first_ts: Option<DateTime<Utc>>,
    pub last_ts: Option<DateTime<Utc>>,
    /// A whole-run aggregate (k6 `--summary-export` / `handleSummary`
    /// JSON): no per-request records, only the run's statistics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_summary: Option<RunSummary>,
}

/// One load-test run as its tool summed it up: per metric statistics
/// (trend times in ms: `avg`, `med`, `p(95)`, ...; rates as fractions:
/// `rate`, `passes`, `fails`; counters: `count`, `rate` per second),
/// checks and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RunSummary {
    pub tool: String,
    pub duration_ms: Option<f64>,
    pub metrics: Vec<SummaryMetric>,
    pub checks: Vec<SummaryCheck>,
    pub thresholds: Vec<SummaryThreshold>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryMetric {
    /// As the tool names it, sub-metrics included (`http_req_duration{expected_response:true}`).
    pub name: String,
    /// `trend`, `rate`, `counter` or `gauge`.
    pub kind: String,
    /// Statistic name -> value, in the order the tool wrote them.
    pub values: Vec<(String, f64)>,
}

impl SummaryMetric {
    pub fn get(&self, stat: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == stat).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryCheck {
    /// `::group::check name`.
    pub path: String,
    pub passes: u64,
    pub fails: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryThreshold {
    pub metric: String,
    pub expr: String,
    pub ok: bool,
}

impl RunSummary {
    pub fn metric(&self, name: &str) -> Option<&SummaryMetric> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

pub const MAX_REJECTIONS_KEPT: usize = 20;

impl InputReport {
    pub fn reject(&mut self, at: SourceRef, reason: impl Into<String>) {
        self.bad_records += 1;
        if self.rejections.len() < MAX_REJECTIONS_KEPT {
            self.rejections.push(Rejection {
                at,
                reason: reason.into(),
            });
        }
    }
    pub fn see_ts(&mut self, ts: DateTime<Utc>) {
        self.first_ts = Some(self.first_ts.map_or(ts, |f| f.min(ts)));
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
    }
}
