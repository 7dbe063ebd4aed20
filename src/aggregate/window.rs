//! The incident's windows: where before ends, when it went wrong, when it
//! came back. Chosen here once, so every comparison and detector reads the
//! same edges: explicit bounds from the command line, the two captures of
//! `compare`, runs of bad page loads for browser-only captures, or change
//! points over the binned signals.

use super::obs::{HttpObs, NetObs, PageObs, ServerObs};
use super::{AggOptions, loads, ms_to_dt, series};
use crate::model::{Dataset, FileId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The three windows of an incident analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowName {
    Before,
    During,
    After,
}

impl WindowName {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowName::Before => "before",
            WindowName::During => "during",
            WindowName::After => "after",
        }
    }
    pub const ALL: [WindowName; 3] = [WindowName::Before, WindowName::During, WindowName::After];
}

/// A half-open time range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
    pub fn minutes(&self) -> f64 {
        (self.end - self.start).num_milliseconds() as f64 / 60_000.0
    }
}

/// How the windows were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowMethod {
    /// `--window` on the command line.
    Explicit,
    /// Change-point detection over the binned signals.
    ChangePoint,
    /// `compare --baseline --incident`: windows are the two captures.
    Compare,
    /// No change inside the data, but failures throughout it: the whole
    /// capture is the incident and there is no baseline.
    WholeCapture,
    /// Browser captures alone: runs of page loads that failed, lost
    /// components or waited longer on the API (irregular samples, no bins).
    PageLoads,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Windows {
    pub method: WindowMethod,
    pub before: Option<Window>,
    /// `None` when nothing changed.
    pub during: Option<Window>,
    pub after: Option<Window>,
    /// Each wave of the incident (one entry for a single-wave incident).
    pub waves: Vec<Window>,
    /// Short abnormal spans not called an incident.
    pub blips: Vec<Window>,
    pub peak: Option<DateTime<Utc>>,
    /// Files assigned wholesale to a window (compare mode).
    #[serde(skip)]
    pub by_file: HashMap<FileId, WindowName>,
}

impl Windows {
    pub fn get(&self, w: WindowName) -> Option<Window> {
        match w {
            WindowName::Before => self.before,
            WindowName::During => self.during,
            WindowName::After => self.after,
        }
    }
    /// Which window a record belongs to (by file in compare mode, else by time).
    pub fn assign(&self, file: FileId, t: DateTime<Utc>) -> Option<WindowName> {
        if !self.by_file.is_empty() {
            return self.by_file.get(&file).copied();
        }
        WindowName::ALL
            .into_iter()
            .find(|w| self.get(*w).is_some_and(|win| win.contains(t)))
    }
}

/// Explicit window bounds from the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowSpec {
    pub before: Option<Window>,
    pub during: Option<Window>,
    pub after: Option<Window>,
}

pub(super) fn span(
    http: &[HttpObs],
    pages: &[PageObs],
    net: &[NetObs],
    server: &[ServerObs],
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let ts = http
        .iter()
        .map(|o| o.ts_ms)
        .chain(pages.iter().map(|o| o.ts_ms))
        .chain(net.iter().map(|o| o.ts_ms))
        .chain(server.iter().map(|o| o.ts_ms));
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for t in ts {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if lo > hi {
        return (None, None);
    }
    // end is exclusive: one millisecond past the last observation
    (Some(ms_to_dt(lo)), Some(ms_to_dt(hi + 1)))
}

pub(super) fn choose_windows(
    ds: &Dataset,
    opts: &AggOptions,
    series: &series::SeriesSet,
    http: &[HttpObs],
    census: &loads::LoadCensus,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Windows {
    if let Some((base, inc)) = &opts.compare {
        let mut by_file = HashMap::new();
        for f in base {
            by_file.insert(*f, WindowName::Before);
        }
        for f in inc {
            by_file.insert(*f, WindowName::During);
        }
        let span_of = |files: &[FileId]| -> Option<Window> {
            let lo = files
                .iter()
                .filter_map(|f| ds.inputs.get(*f as usize)?.first_ts)
                .min()?;
            let hi = files
                .iter()
                .filter_map(|f| ds.inputs.get(*f as usize)?.last_ts)
                .max()?;
            Some(Window {
                start: lo,
                end: hi + chrono::Duration::milliseconds(1),
            })
        };
        let during = span_of(inc);
        return Windows {
            method: WindowMethod::Compare,
            before: span_of(base),
            during,
            after: None,
            waves: during.into_iter().collect(),
            blips: vec![],
            peak: None,
            by_file,
        };
    }
    let (Some(start), Some(end)) = (start, end) else {
        return Windows {
            method: WindowMethod::ChangePoint,
            before: None,
            during: None,
            after: None,
            waves: vec![],
            blips: vec![],
            peak: None,
            by_file: HashMap::new(),
        };
    };
    let spec = &opts.windows;
    if spec.during.is_some() || spec.before.is_some() || spec.after.is_some() {
        let during = spec.during;
        let before = spec.before.or_else(|| {
            during
                .map(|d| Window {
                    start,
                    end: d.start,
                })
                .filter(|w| w.start < w.end)
        });
        let after = spec.after.or_else(|| {
            during
                .map(|d| Window { start: d.end, end })
                .filter(|w| w.start < w.end)
        });
        return Windows {
            method: WindowMethod::Explicit,
            before,
            during,
            after,
            waves: during.into_iter().collect(),
            blips: vec![],
            peak: None,
            by_file: HashMap::new(),
        };
    }
    // browser captures alone: the page load is the unit (bins of a tab
    // reloaded every few minutes are mostly empty)
    // probes and server logs alongside: their change points first, the
    // page loads when those found nothing, and then only loads that failed
    // or lost components (a slow load among probes and server logs that
    // saw no change is the capturing machine's noise)
    let browser_only = ds.probes.is_empty() && ds.server.is_empty();
    let det = series.detect();
    if (browser_only || det.incident.is_none())
        && !census.loads.is_empty()
        && let Some(lw) = loads::windows_from_loads(census, start, end, browser_only)
    {
        let waves: Vec<Window> = lw
            .waves
            .iter()
            .map(|&(a, b)| Window { start: a, end: b })
            .collect();
        let during = Window {
            start: waves[0].start,
            end: waves[waves.len() - 1].end,
        };
        let before = Some(Window {
            start,
            end: during.start,
        })
        .filter(|w| w.start < w.end);
        let after = Some(Window {
            start: during.end,
            end,
        })
        .filter(|w| w.start < w.end);
        return Windows {
            method: if lw.whole {
                WindowMethod::WholeCapture
            } else {
                WindowMethod::PageLoads
            },
            before,
            during: Some(during),
            after,
            waves,
            blips: vec![],
            peak: None,
            by_file: HashMap::new(),
        };
    }
    if det.incident.is_none() && persistent_failure(http) {
        let all = Window { start, end };
        return Windows {
            method: WindowMethod::WholeCapture,
            before: None,
            during: Some(all),
            after: None,
            waves: vec![all],
            blips: vec![],
            peak: None,
            by_file: HashMap::new(),
        };
    }
    let to_win = |(a, b): (usize, usize)| Window {
        start: series.bin_start(a),
        end: series.bin_start(b).min(end).max(series.bin_start(a)),
    };
    let during = det.incident.map(to_win);
    let (before, after) = match during {
        Some(d) => (
            Some(Window {
                start,
                end: d.start,
            })
            .filter(|w| w.start < w.end),
            Some(Window { start: d.end, end }).filter(|w| w.start < w.end),
        ),
        None => (Some(Window { start, end }), None),
    };
    Windows {
        method: WindowMethod::ChangePoint,
        before,
        during,
        after,
        waves: det.waves.iter().map(|w| to_win(*w)).collect(),
        blips: det.blips.iter().map(|w| to_win(*w)).collect(),
        peak: det.peak_bin.map(|b| series.bin_start(b)),
        by_file: HashMap::new(),
    }
}

/// Failures present throughout a capture that has no healthy stretch to
/// compare with (a HAR of a broken page): enough failed requests that an
/// analyst would call it an incident, not noise.
fn persistent_failure(http: &[HttpObs]) -> bool {
    let mut n = 0u64;
    let mut failed = 0u64;
    let mut client = 0u64;
    for o in http {
        n += 1;
        if o.error_class.is_some_and(|c| c.is_client_side()) {
            client += 1;
        } else if o.is_error {
            failed += 1;
        }
    }
    n >= 5 && (client >= 3 && client * 10 >= n || failed >= 5 && failed * 10 >= n)
}
