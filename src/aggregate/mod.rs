//! Window / aggregate stage: records in, per-window baselines and
//! statistical comparisons out. This is the only module that imports
//! polars (group-by quantiles and counts); the statistical tests run on raw
//! samples in plain Rust (`crate::stats`). Everything returned is plain data
//! the detectors read.

pub mod bins;
mod frame;
pub mod loads;
pub mod obs;
pub mod series;

use crate::model::{Dataset, FileId, SourceRef};
use crate::stats;
use chrono::{DateTime, Utc};
use obs::{HttpObs, NetObs, PageObs, ServerObs};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

#[derive(Debug, Clone, Default)]
pub struct AggOptions {
    pub windows: WindowSpec,
    /// Compare mode: which files are the baseline and which the incident.
    pub compare: Option<(Vec<FileId>, Vec<FileId>)>,
    /// Bin width override, milliseconds.
    pub bin_ms: Option<i64>,
    /// Make series bins (and so window edges) multiples of this many ms
    /// since the epoch: an engine's count bins then fall wholly inside one
    /// window, and counts taken from them are exact.
    pub align_ms: Option<i64>,
    /// The span of the full data when the records are only a sample of it
    /// (from the inputs' first and last times).
    pub span_hint: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The grouping a [`GroupStat`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// key: `first` / `third` / `unknown`.
    Party,
    /// key: `browser:first`, `probe:first`, ...
    Origin,
    /// key: host name.
    Host,
    /// key: `host /path/{id}` (first party only).
    Endpoint,
    /// key: `host /api/v1/messages` (first two or three path segments, first party only).
    Family,
    /// key: `first:xhr`, `third:script`, ...
    ResourceType,
    /// key: `first@us-east` (party at vantage/region).
    Vantage,
    /// key: `edge` / `origin` (first party by whether CDN headers were seen).
    Edge,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Party => "party",
            Dim::Origin => "origin",
            Dim::Host => "host",
            Dim::Endpoint => "endpoint",
            Dim::Family => "family",
            Dim::ResourceType => "resource_type",
            Dim::Vantage => "vantage",
            Dim::Edge => "edge",
        }
    }
    pub const ALL: [Dim; 8] = [
        Dim::Party,
        Dim::Origin,
        Dim::Host,
        Dim::Endpoint,
        Dim::Family,
        Dim::ResourceType,
        Dim::Vantage,
        Dim::Edge,
    ];
}

/// p50/p90/p95/p99 of one measure in one window and group.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Quantiles {
    pub n: u64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

/// Counts and distributions of HTTP observations (browser + probe).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GroupStat {
    pub count: u64,
    pub errors: u64,
    pub status_5xx: u64,
    /// Status code -> count (0 = no response).
    pub status_mix: BTreeMap<i32, u64>,
    pub error_classes: BTreeMap<String, u64>,
    /// Phase name (`wait_ms`, ...) -> quantiles.
    pub phases: BTreeMap<String, Quantiles>,
}

impl GroupStat {
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.errors as f64 / self.count as f64
        }
    }
    pub fn rate_5xx(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.status_5xx as f64 / self.count as f64
        }
    }
    /// Requests whose error class matches `pred` (class names as in
    /// [`crate::model::ErrorClass::as_str`]).
    pub fn errors_where(&self, pred: impl Fn(&str) -> bool) -> u64 {
        self.error_classes
            .iter()
            .filter(|(c, _)| pred(c))
            .map(|(_, n)| *n)
            .sum()
    }
    pub fn p50(&self, phase: &str) -> Option<f64> {
        self.phases.get(phase).filter(|q| q.n > 0).map(|q| q.p50)
    }
    pub fn p95(&self, phase: &str) -> Option<f64> {
        self.phases.get(phase).filter(|q| q.n > 0).map(|q| q.p95)
    }
}

/// Page loads per window (browser pages and probe page tests).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PageStat {
    pub n: u64,
    pub components_p50: Option<f64>,
    pub failed_components_mean: Option<f64>,
    pub load_ms: Quantiles,
    pub content_load_ms: Quantiles,
}

/// Network probe results per window.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NetStat {
    pub n: u64,
    pub agents: u64,
    pub loss_pct_mean: Option<f64>,
    pub loss_pct_max_agent: Option<f64>,
    pub latency_ms: Quantiles,
    pub jitter_ms_p50: Option<f64>,
    /// Share of measurements with loss < 100 % and no error.
    pub availability: Option<f64>,
    pub dns_n: u64,
    pub dns_failures: u64,
    pub resolve_ms: Quantiles,
}

/// Server access-log view per window.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ServerStat {
    pub n: u64,
    pub status_5xx: u64,
    pub status_mix: BTreeMap<i32, u64>,
    pub requests_per_min: f64,
    pub request_ms: Quantiles,
    pub upstream_ms: Quantiles,
}

/// One statistical comparison of a signal between a window and `before`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// `http`, `page`, `net`, `server`.
    pub family: String,
    pub dim: String,
    pub key: String,
    /// `error_rate`, `rate_5xx`, `wait_ms`, `components`, `loss_pct`, ...
    pub signal: String,
    pub window: WindowName,
    pub before: Option<f64>,
    pub value: Option<f64>,
    pub n_before: u64,
    pub n_value: u64,
    /// Cliff's delta (distributions) or difference of proportions.
    pub effect: Option<f64>,
    pub ratio: Option<f64>,
    pub ratio_ci: Option<(f64, f64)>,
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg adjusted, across all groups of the same signal.
    pub q_value: Option<f64>,
    pub sufficient: bool,
}

impl Comparison {
    /// A change that is statistically significant with a non-trivial effect.
    pub fn significant(&self) -> bool {
        self.sufficient
            && self.q_value.is_some_and(|q| q < 0.05)
            && self.effect.is_some_and(|e| e.abs() >= 0.147)
    }
}

/// Everything the detectors need.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The window comparisons use as the healthy reference (`before`, or
    /// `after` when the data starts inside the incident).
    pub baseline: WindowName,
    pub data_start: Option<DateTime<Utc>>,
    pub data_end: Option<DateTime<Utc>>,
    pub windows: Windows,
    pub series: series::SeriesSet,
    /// (dim, key) -> window -> stats.
    pub http: BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    /// vantage key (`all`, `browser@us-east`, `probe@eu-west`) -> window -> stats.
    pub pages: BTreeMap<String, BTreeMap<WindowName, PageStat>>,
    /// region key (`all`, `us-east`, `agent:<id>`; a region named `all` is `=all`) -> window -> stats.
    pub net: BTreeMap<String, BTreeMap<WindowName, NetStat>>,
    /// endpoint key (`all` or endpoint template; one named `all` is `=all`) -> window -> stats.
    pub server: BTreeMap<String, BTreeMap<WindowName, ServerStat>>,
    pub comparisons: Vec<Comparison>,
    /// Regions / vantages that had any data.
    pub regions: Vec<String>,
    pub agents: Vec<String>,
    /// Every page load and what failed in it.
    pub loads: loads::LoadCensus,
    /// Wall time of each step of the stage (`aggregate: ...`), for `-vv`
    /// and the benchmark; not part of any output.
    #[serde(skip)]
    pub step_ms: Vec<(&'static str, f64)>,
}

impl Analysis {
    pub fn http_stat(&self, dim: Dim, key: &str, w: WindowName) -> Option<&GroupStat> {
        self.http
            .get(&(dim, key.to_string()))
            .and_then(|m| m.get(&w))
    }
    pub fn comparison(
        &self,
        family: &str,
        dim: &str,
        key: &str,
        signal: &str,
        w: WindowName,
    ) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| {
            c.family == family
                && c.dim == dim
                && c.key == key
                && c.signal == signal
                && c.window == w
        })
    }
}

/// Run the stage.
pub fn analyze(ds: &Dataset, opts: &AggOptions) -> Analysis {
    let mut laps = crate::laps::Laps::start();
    let obs = obs::Obs::build(ds);
    laps.lap("aggregate: observations");
    let (http, pages, net, server) = (&obs.http, &obs.pages, &obs.net, &obs.server);
    let (mut data_start, mut data_end) = span(http, pages, net, server);
    if let Some((lo, hi)) = opts.span_hint {
        data_start = Some(data_start.map_or(lo, |s| s.min(lo)));
        data_end = Some(data_end.map_or(hi, |e| e.max(hi)));
    }
    if let Some(a) = opts.align_ms.filter(|a| *a > 0) {
        // whole bins: every count bin lies inside the data's span
        data_start = data_start.map(|s| ms_to_dt(s.timestamp_millis().div_euclid(a) * a));
        data_end = data_end.map(|e| ms_to_dt((e.timestamp_millis() + a - 1).div_euclid(a) * a));
    }
    let mut bin_ms = opts
        .bin_ms
        .unwrap_or_else(|| series::auto_bin_ms(data_start, data_end));
    if let Some(a) = opts.align_ms.filter(|a| *a > 0) {
        bin_ms = (bin_ms + a - 1) / a * a;
    }
    let series = series::build(http, pages, net, server, data_start, bin_ms);
    laps.lap("aggregate: series");
    let census = loads::census(ds);
    let windows = choose_windows(ds, opts, &series, http, &census, data_start, data_end);
    laps.lap("aggregate: windows");
    let assign = |s: SourceRef, ts_ms: i64| windows.assign(s.file, ms_to_dt(ts_ms));
    let http_w: Vec<Option<WindowName>> = http.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let page_w: Vec<Option<WindowName>> = pages.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let net_w: Vec<Option<WindowName>> = net.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let srv_w: Vec<Option<WindowName>> = server.iter().map(|o| assign(o.source, o.ts_ms)).collect();

    let (http_stats, phase_samples) =
        frame::http_stats(&obs, &http_w, &HTTP_SIGNAL_PHASES, &mut laps);
    let page_stats = frame::page_stats(&obs, &page_w);
    let net_stats = frame::net_stats(&obs, &net_w);
    let server_stats = frame::server_stats(&obs, &srv_w, &windows);
    laps.lap("aggregate: page, net, server stats");

    // the healthy stretch to compare with: before the incident, or after it
    // when the data starts inside the incident (captures often start late)
    let short = |w: Option<Window>| w.is_none_or(|w| w.minutes() < 5.0);
    let base = if short(windows.before) && !short(windows.after) && windows.by_file.is_empty() {
        WindowName::After
    } else {
        WindowName::Before
    };
    let mut comparisons = Vec::new();
    compare_http(
        base,
        &obs,
        &http_w,
        &http_stats,
        &phase_samples,
        &mut comparisons,
    );
    laps.lap("aggregate: comparisons: http");
    compare_pages(base, &obs, &page_w, &mut comparisons);
    compare_net(base, &obs, &net_w, &mut comparisons);
    compare_server(base, &obs, &srv_w, &mut comparisons);
    adjust_q_values(&mut comparisons);
    laps.lap("aggregate: comparisons: page, net, server");

    let name = |id: &u32| obs.names.get(*id).to_string();
    let mut regions: Vec<String> = http
        .iter()
        .map(|o| o.vantage)
        .chain(net.iter().map(|o| o.region))
        .chain(pages.iter().map(|p| p.vantage))
        .collect::<std::collections::BTreeSet<u32>>()
        .iter()
        .map(name)
        .filter(|v| !v.is_empty())
        .collect();
    regions.sort();
    regions.dedup();
    let mut agents: Vec<String> = net
        .iter()
        .map(|o| o.agent)
        .chain(
            http.iter()
                .filter(|o| o.origin == obs::Origin::Probe)
                .map(|o| o.agent),
        )
        .collect::<std::collections::BTreeSet<u32>>()
        .iter()
        .map(name)
        .collect();
    agents.sort();
    agents.dedup();

    Analysis {
        loads: census,
        baseline: base,
        data_start,
        data_end,
        windows,
        series,
        http: http_stats,
        pages: page_stats,
        net: net_stats,
        server: server_stats,
        comparisons,
        regions,
        agents,
        step_ms: {
            laps.lap("aggregate: regions and agents");
            laps.laps
        },
    }
}

pub fn ms_to_dt(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn span(
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

fn choose_windows(
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
    // page loads when those found nothing
    let browser_only = ds.probes.is_empty() && ds.server.is_empty();
    let det = series.detect();
    if (browser_only || det.incident.is_none())
        && !census.loads.is_empty()
        && let Some(lw) = loads::windows_from_loads(census, start, end)
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

/// Rank-test samples of one (signal, group, window) cell, thinned while
/// they are collected: at most `MAX_TEST_SAMPLES` evenly spaced values (the
/// same picks `thin` makes from the full vector), with the full count kept.
/// Memory stays flat however many records there are.
#[derive(Debug, Default, Clone)]
pub(super) struct Sampled {
    n: u64,
    seen: u64,
    next: u64,
    /// The value number (0-based) of the next pick: computed once per pick,
    /// not once per value (the quantile walk pushes tens of millions).
    next_at: u64,
    vals: Vec<f64>,
}

impl Sampled {
    /// The `pick`-th value kept of a cell of `n` values is its value number
    /// `pick_at(n, pick)` (0-based); strictly increasing in `pick` when
    /// thinning (`n > MAX_TEST_SAMPLES`).
    fn pick_at(n: u64, pick: u64) -> u64 {
        (pick as f64 * (n as f64 / MAX_TEST_SAMPLES as f64)) as u64
    }
    /// Where the pick after `next` picks is: every value when the cell is
    /// small enough, else `pick_at`, and nowhere once all are made.
    fn next_pick(n: u64, seen: u64, next: u64) -> u64 {
        let max = MAX_TEST_SAMPLES as u64;
        if n <= max {
            seen
        } else if next < max {
            Self::pick_at(n, next)
        } else {
            u64::MAX
        }
    }
    /// A cell of `n` values whose first `seen` went to an earlier chunk: the
    /// state a sequential walk would be in after those `seen` values.
    pub(super) fn resume(n: u64, seen: u64) -> Sampled {
        let max = MAX_TEST_SAMPLES as u64;
        let next = if n <= max {
            0
        } else {
            // picks made so far: the first pick at or after `seen`
            let (mut lo, mut hi) = (0u64, max);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if Self::pick_at(n, mid) < seen {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        Sampled {
            n,
            seen,
            next,
            next_at: Self::next_pick(n, seen, next),
            vals: Vec::new(),
        }
    }
    #[inline]
    pub(super) fn push(&mut self, v: f64) {
        if self.seen == self.next_at {
            self.vals.push(v);
            self.next += 1;
            self.next_at = Self::next_pick(self.n, self.seen + 1, self.next);
        }
        self.seen += 1;
    }
    pub(super) fn side(&self) -> (&[f64], u64) {
        (&self.vals, self.n)
    }
}

/// A visit of the observations in a range, sending each (signal, group
/// id, window, value) it finds to `emit`, in order. A trait rather than a
/// closure taking `&mut dyn FnMut` so that each emit is inlined, not a
/// dynamic call.
trait Visit: Sync {
    fn visit(&self, range: std::ops::Range<usize>, emit: impl FnMut(usize, u32, WindowName, f64));
}

/// Dense table of `Sampled` cells indexed by (signal, group id, window).
struct SampleTable {
    groups: usize,
    cells: Vec<Sampled>,
}

impl SampleTable {
    #[cfg(test)]
    fn new(signals: usize, groups: usize) -> Self {
        SampleTable {
            groups,
            cells: vec![Sampled::default(); signals * groups * 3],
        }
    }
    fn index(groups: usize, signal: usize, gid: u32, w: WindowName) -> usize {
        (signal * groups + gid as usize) * 3 + w as usize
    }
    fn idx(&self, signal: usize, gid: u32, w: WindowName) -> usize {
        Self::index(self.groups, signal, gid, w)
    }

    /// Fill the table from `len` observations, map then merge: the
    /// observations are cut into chunks visited in parallel, first to count
    /// each cell's values, then, each chunk resuming every cell where the
    /// chunks before it left off, to keep the same evenly spaced picks a
    /// single sequential walk would keep.
    fn fill(signals: usize, groups: usize, len: usize, visit: &impl Visit) -> SampleTable {
        use rayon::prelude::*;
        let cells = signals * groups * 3;
        let parts = (rayon::current_num_threads() * 2).clamp(1, len.max(1));
        let chunks: Vec<std::ops::Range<usize>> = (0..parts)
            .map(|i| len * i / parts..len * (i + 1) / parts)
            .collect();
        let counts: Vec<Vec<u64>> = chunks
            .par_iter()
            .map(|r| {
                let mut c = vec![0u64; cells];
                visit.visit(r.clone(), |s, g, w, _| c[Self::index(groups, s, g, w)] += 1);
                c
            })
            .collect();
        let mut total = vec![0u64; cells];
        let mut starts = Vec::with_capacity(chunks.len());
        for c in &counts {
            starts.push(total.clone());
            for (t, x) in total.iter_mut().zip(c) {
                *t += x;
            }
        }
        drop(counts);
        let parts: Vec<Vec<Sampled>> = chunks
            .par_iter()
            .zip(starts.par_iter())
            .map(|(r, start)| {
                let mut own: Vec<Sampled> = total
                    .iter()
                    .zip(start)
                    .map(|(n, seen)| Sampled::resume(*n, *seen))
                    .collect();
                visit.visit(r.clone(), |s, g, w, v| {
                    own[Self::index(groups, s, g, w)].push(v)
                });
                own
            })
            .collect();
        let mut table: Vec<Sampled> = total.iter().map(|n| Sampled::resume(*n, 0)).collect();
        for part in parts {
            for (cell, p) in table.iter_mut().zip(part) {
                if cell.vals.is_empty() {
                    cell.vals = p.vals;
                } else {
                    cell.vals.extend_from_slice(&p.vals);
                }
            }
        }
        SampleTable {
            groups,
            cells: table,
        }
    }
    #[cfg(test)]
    fn count(&mut self, signal: usize, gid: u32, w: WindowName) {
        let i = self.idx(signal, gid, w);
        self.cells[i].n += 1;
    }
    #[cfg(test)]
    fn push(&mut self, signal: usize, gid: u32, w: WindowName, v: f64) {
        let i = self.idx(signal, gid, w);
        self.cells[i].push(v);
    }
    fn get(&self, signal: usize, gid: u32, w: WindowName) -> Option<&Sampled> {
        Some(&self.cells[self.idx(signal, gid, w)]).filter(|c| c.n > 0)
    }
}

/// Signals of the HTTP rank tests, in output order; `wait_rel` is wait
/// over each (origin, vantage, endpoint)'s baseline median.
const HTTP_SIGNALS: [&str; 6] = [
    "connect_ms",
    "dns_ms",
    "tls_ms",
    "total_ms",
    "wait_ms",
    "wait_rel",
];
const WAIT_REL: usize = 5;
/// `obs::PHASE_NAMES` index of each signal before `WAIT_REL`.
const HTTP_SIGNAL_PHASES: [usize; WAIT_REL] = [2, 1, 3, 7, 5];

/// Error-rate and 5xx-rate proportion tests of every HTTP group, from the
/// counts alone (engine bins replace the counts and call this again).
fn http_proportions(
    base: WindowName,
    stats: &BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    out: &mut Vec<Comparison>,
) {
    for ((dim, key), by_w) in stats {
        let Some(b) = by_w.get(&base) else {
            continue;
        };
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            let Some(d) = by_w.get(&w) else { continue };
            for (signal, xb, xd) in [
                ("error_rate", b.errors, d.errors),
                ("rate_5xx", b.status_5xx, d.status_5xx),
            ] {
                out.push(proportion_cmp(
                    "http",
                    dim.as_str(),
                    key,
                    signal,
                    w,
                    xb,
                    b.count,
                    xd,
                    d.count,
                ));
            }
        }
    }
}

/// The `wait_rel` rank-test values of the HTTP observations: wait over its
/// (origin, vantage, endpoint)'s baseline median, under the first-party
/// groups. (The phases' samples come from the quantile walk.)
struct HttpVisit<'v, 'a> {
    http: &'v [obs::HttpObs<'a>],
    win: &'v [Option<WindowName>],
    base_wait: &'v obs::FxMap<(obs::Origin, u32, u32), f64>,
}

impl Visit for HttpVisit<'_, '_> {
    fn visit(
        &self,
        range: std::ops::Range<usize>,
        mut emit: impl FnMut(usize, u32, WindowName, f64),
    ) {
        for (o, w) in self.http[range.clone()].iter().zip(&self.win[range]) {
            let Some(w) = *w else { continue };
            if o.status <= 0 || o.party != crate::model::Party::First {
                continue;
            }
            let (Some(v), Some(m)) = (
                o.phase_at(obs::WAIT),
                self.base_wait.get(&(o.origin, o.vantage, o.endpoint)),
            ) else {
                continue;
            };
            // the first-party and first-party-by-resource-type groups
            for g in [o.groups()[0], o.groups()[3]] {
                emit(0, g, w, v / m);
            }
        }
    }
}

fn compare_http(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    stats: &BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    phase_samples: &frame::PhaseSamples,
    out: &mut Vec<Comparison>,
) {
    let http = &obs.http;
    http_proportions(base, stats, out);
    // wait relative to each (origin, vantage, endpoint)'s baseline median:
    // "API response times doubled" even when regions with different round
    // trips are pooled
    let mut base_wait: obs::FxMap<(obs::Origin, u32, u32), Vec<f64>> = obs::FxMap::default();
    for (o, w) in http.iter().zip(win) {
        if *w == Some(base)
            && o.status > 0
            && o.party == crate::model::Party::First
            && let Some(v) = o.phase_at(obs::WAIT)
        {
            base_wait
                .entry((o.origin, o.vantage, o.endpoint))
                .or_default()
                .push(v);
        }
    }
    let base_wait: obs::FxMap<(obs::Origin, u32, u32), f64> = base_wait
        .into_iter()
        .filter_map(|(k, mut v)| {
            stats::quantile_select(&mut v, 0.5)
                .filter(|m| *m > 0.0)
                .map(|m| (k, m))
        })
        .collect();
    // phases: Mann-Whitney on successful responses, samples kept by the
    // quantile walk; wait_rel collected here
    let visit = HttpVisit {
        http,
        win,
        base_wait: &base_wait,
    };
    let wait_rel = SampleTable::fill(1, obs.groups.len(), http.len(), &visit);
    let cell = |si: usize, g: u32, w: WindowName| {
        if si == WAIT_REL {
            wait_rel.get(0, g, w)
        } else {
            phase_samples.get(HTTP_SIGNAL_PHASES[si], g, w)
        }
    };
    let mut groups: Vec<(Dim, &str, u32)> = (0..obs.groups.len() as u32)
        .map(|g| {
            let (d, k) = obs.group_key(g);
            (d, k, g)
        })
        .collect();
    groups.sort();
    let mut jobs = Vec::new();
    for (si, phase) in HTTP_SIGNALS.iter().enumerate() {
        for &(dim, key, g) in &groups {
            let Some(before) = cell(si, g, base) else {
                continue;
            };
            for w in [WindowName::During, WindowName::After]
                .into_iter()
                .filter(|w| *w != base)
            {
                if let Some(d) = cell(si, g, w) {
                    // the bootstrap CI is the costly part: only for the headline groups
                    let boot = w == WindowName::During
                        && matches!(dim, Dim::Party | Dim::Origin | Dim::ResourceType)
                        && matches!(*phase, "wait_ms" | "total_ms");
                    jobs.push(DistJob {
                        family: "http",
                        dim: dim.as_str(),
                        key,
                        signal: phase,
                        w,
                        b: before.side(),
                        d: d.side(),
                        boot,
                    });
                }
            }
        }
    }
    out.extend(run_dist_jobs(&jobs));
}

/// One distribution comparison to run; the jobs of a family run in
/// parallel and come back in their order.
struct DistJob<'a> {
    family: &'a str,
    dim: &'a str,
    key: &'a str,
    signal: &'a str,
    w: WindowName,
    b: (&'a [f64], u64),
    d: (&'a [f64], u64),
    boot: bool,
}

fn run_dist_jobs(jobs: &[DistJob]) -> Vec<Comparison> {
    use rayon::prelude::*;
    jobs.par_iter().map(DistJob::run).collect()
}

impl DistJob<'_> {
    fn run(&self) -> Comparison {
        distribution_cmp(
            self.family,
            self.dim,
            self.key,
            self.signal,
            self.w,
            self.b,
            self.d,
            self.boot,
        )
    }
}

fn compare_pages(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    let mut buf = String::new();
    for (p, w) in obs.pages.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern_fmt(
            &mut buf,
            format_args!("{}@{}", p.origin.as_str(), obs.names.get(p.vantage)),
        );
        for key in [s.all(), own] {
            if let Some(c) = p.components {
                s.push(key, "components", *w, c);
            }
            if let Some(l) = p.load_ms {
                s.push(key, "load_ms", *w, l);
            }
            if let Some(f) = p.failed {
                s.push(key, "failed_components", *w, f);
            }
        }
    }
    compare_keyed("page", "vantage", base, &s, &[], out);
}

fn compare_net(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    for (o, w) in obs.net.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern(obs::own_key(obs.names.get(o.region)));
        for key in [s.all(), own] {
            for (signal, v) in [
                ("loss_pct", o.loss_pct),
                ("latency_ms", o.latency_ms),
                ("jitter_ms", o.jitter_ms),
                ("resolve_ms", o.resolve_ms),
            ] {
                if let Some(v) = v {
                    s.push(key, signal, *w, v);
                }
            }
            if o.is_dns {
                s.push(key, "dns_failure", *w, if o.failed { 1.0 } else { 0.0 });
            }
        }
    }
    compare_keyed("net", "region", base, &s, &["dns_failure"], out);
}

fn compare_server(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    let mut counts: HashMap<(u32, WindowName), (u64, u64)> = HashMap::new();
    for (o, w) in obs.server.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern(obs::own_key(obs.names.get(o.endpoint)));
        for key in [s.all(), own] {
            let c = counts.entry((key, *w)).or_default();
            c.0 += 1;
            if o.status >= 500 {
                c.1 += 1;
            }
            for (signal, v) in [("request_ms", o.request_ms), ("upstream_ms", o.upstream_ms)] {
                if let Some(v) = v {
                    s.push(key, signal, *w, v);
                }
            }
        }
    }
    let mut keys: Vec<(&str, u32)> = counts
        .keys()
        .filter(|k| k.1 == base)
        .map(|k| (s.names.get(k.0), k.0))
        .collect();
    keys.sort();
    for (name, key) in keys {
        let b = counts[&(key, base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            if let Some(d) = counts.get(&(key, w)) {
                out.push(proportion_cmp(
                    "server", "endpoint", name, "rate_5xx", w, b.1, b.0, d.1, d.0,
                ));
            }
        }
    }
    compare_keyed("server", "endpoint", base, &s, &[], out);
}

/// Samples of one family keyed by (group key id, signal, window); the
/// family's keys (`all`, a region, an endpoint) are interned locally.
#[derive(Default)]
struct KeyedSamples {
    names: obs::Names,
    samples: obs::FxMap<(u32, &'static str, WindowName), Vec<f64>>,
}

impl KeyedSamples {
    fn all(&mut self) -> u32 {
        self.names.intern(obs::ALL)
    }
    fn push(&mut self, key: u32, signal: &'static str, w: WindowName, v: f64) {
        self.samples.entry((key, signal, w)).or_default().push(v);
    }
}

/// Compare every (key, signal) of a family against the baseline window, in
/// a fixed order. Signals named in `proportions` hold 0/1 outcomes and get
/// a proportion test; the others a distribution comparison (bootstrap CI
/// only for the `all` group during the incident, the costly part).
fn compare_keyed(
    family: &str,
    dim: &str,
    base: WindowName,
    s: &KeyedSamples,
    proportions: &[&str],
    out: &mut Vec<Comparison>,
) {
    let mut keys: Vec<(&str, &str, u32)> = s
        .samples
        .keys()
        .filter(|k| k.2 == base)
        .map(|k| (s.names.get(k.0), k.1, k.0))
        .collect();
    keys.sort();
    // proportions are cheap and made here; distributions run in parallel
    let mut jobs: Vec<Result<Comparison, DistJob>> = Vec::new();
    for (key, signal, id) in keys {
        let b = &s.samples[&(id, signal, base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            let Some(d) = s.samples.get(&(id, signal, w)) else {
                continue;
            };
            if proportions.contains(&signal) {
                let ones = |v: &[f64]| v.iter().filter(|x| **x > 0.0).count() as u64;
                jobs.push(Ok(proportion_cmp(
                    family,
                    dim,
                    key,
                    signal,
                    w,
                    ones(b),
                    b.len() as u64,
                    ones(d),
                    d.len() as u64,
                )));
            } else {
                jobs.push(Err(DistJob {
                    family,
                    dim,
                    key,
                    signal,
                    w,
                    b: (b, b.len() as u64),
                    d: (d, d.len() as u64),
                    boot: key == obs::ALL && w == WindowName::During,
                }));
            }
        }
    }
    use rayon::prelude::*;
    out.par_extend(jobs.into_par_iter().map(|j| match j {
        Ok(c) => c,
        Err(j) => j.run(),
    }));
}

#[allow(clippy::too_many_arguments)]
fn proportion_cmp(
    family: &str,
    dim: &str,
    key: &str,
    signal: &str,
    w: WindowName,
    xb: u64,
    nb: u64,
    xd: u64,
    nd: u64,
) -> Comparison {
    let t = stats::two_proportion_test(xb, nb, xd, nd);
    let suff = matches!(
        stats::sufficiency(nb as usize, nd as usize),
        stats::Sufficiency::Ok
    );
    let pb = if nb > 0 {
        Some(xb as f64 / nb as f64)
    } else {
        None
    };
    let pd = if nd > 0 {
        Some(xd as f64 / nd as f64)
    } else {
        None
    };
    Comparison {
        family: family.into(),
        dim: dim.into(),
        key: key.into(),
        signal: signal.into(),
        window: w,
        before: pb,
        value: pd,
        n_before: nb,
        n_value: nd,
        effect: match (pb, pd) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        },
        ratio: match (pb, pd) {
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        },
        ratio_ci: None,
        p_value: t.map(|t| t.p_value),
        q_value: None,
        sufficient: suff,
    }
}

#[allow(clippy::too_many_arguments)]
fn distribution_cmp(
    family: &str,
    dim: &str,
    key: &str,
    signal: &str,
    w: WindowName,
    (b, n_b): (&[f64], u64),
    (d, n_d): (&[f64], u64),
    boot: bool,
) -> Comparison {
    // past this size every real change is significant anyway; the tests run
    // on evenly spaced samples (deterministic) so cost stays flat at scale.
    // `n_b`/`n_d` are the full counts when the samples were thinned already.
    let (tb, td) = (thin(b), thin(d));
    let (b, d) = (&tb[..], &td[..]);
    let suff = matches!(stats::sufficiency(b.len(), d.len()), stats::Sufficiency::Ok);
    // medians by selection: the same figures as `stats::median`, no sort
    let mb = stats::quantile_select(&mut b.to_vec(), 0.5);
    let md = stats::quantile_select(&mut d.to_vec(), 0.5);
    let mw = if suff {
        stats::mann_whitney_u(b, d)
    } else {
        None
    };
    let ci = if suff && boot {
        stats::bootstrap_median_ratio_ci(b, d, 300, 0.05, 0x5eed)
    } else {
        None
    };
    Comparison {
        family: family.into(),
        dim: dim.into(),
        key: key.into(),
        signal: signal.into(),
        window: w,
        before: mb,
        value: md,
        n_before: n_b,
        n_value: n_d,
        // from the rank test's own ranks: the same figure as
        // `stats::cliffs_delta` without sorting again
        effect: mw.map(|m| m.cliffs_delta()),
        ratio: match (mb, md) {
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        },
        ratio_ci: ci.map(|(_, lo, hi)| (lo, hi)),
        p_value: mw.map(|m| m.p_value),
        q_value: None,
        sufficient: suff,
    }
}

/// At most this many samples per side go into the rank tests.
pub const MAX_TEST_SAMPLES: usize = 20_000;

fn thin(v: &[f64]) -> std::borrow::Cow<'_, [f64]> {
    if v.len() <= MAX_TEST_SAMPLES {
        return std::borrow::Cow::Borrowed(v);
    }
    let step = v.len() as f64 / MAX_TEST_SAMPLES as f64;
    std::borrow::Cow::Owned(
        (0..MAX_TEST_SAMPLES)
            .map(|i| v[(i as f64 * step) as usize])
            .collect(),
    )
}

/// Benjamini-Hochberg within each (family, signal, window) across groups.
fn adjust_q_values(cmps: &mut [Comparison]) {
    let mut idx: BTreeMap<(String, String, WindowName), Vec<usize>> = BTreeMap::new();
    for (i, c) in cmps.iter().enumerate() {
        if c.p_value.is_some() {
            idx.entry((c.family.clone(), c.signal.clone(), c.window))
                .or_default()
                .push(i);
        }
    }
    for (_, ids) in idx {
        let ps: Vec<f64> = ids
            .iter()
            .map(|&i| cmps[i].p_value.unwrap_or(1.0))
            .collect();
        let qs = stats::benjamini_hochberg(&ps);
        for (k, &i) in ids.iter().enumerate() {
            cmps[i].q_value = Some(qs[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Thinning while collecting picks exactly what `thin` picks from the
    /// whole vector, and keeps the full count.
    #[test]
    fn streaming_thin_matches_thin() {
        for n in [
            0usize,
            1,
            7,
            MAX_TEST_SAMPLES,
            MAX_TEST_SAMPLES + 1,
            3 * MAX_TEST_SAMPLES + 17,
        ] {
            let all: Vec<f64> = (0..n).map(|i| (i * 7 % 1009) as f64).collect();
            let mut s = Sampled {
                n: n as u64,
                ..Default::default()
            };
            for v in &all {
                s.push(*v);
            }
            assert_eq!(s.side().1, n as u64);
            assert_eq!(s.side().0, &thin(&all)[..], "n = {n}");
        }
    }

    /// Filling in parallel chunks keeps exactly the picks (and counts) of
    /// one sequential walk, whatever the number of threads.
    #[test]
    fn chunked_fill_matches_sequential_walk() {
        let n = 3 * MAX_TEST_SAMPLES + 17;
        fn val(i: usize) -> f64 {
            ((i * 7919) % 10_007) as f64
        }
        // two signals, two groups: cell (1, 1, During) thinned, (0, 0, Before) not
        struct V;
        impl Visit for V {
            fn visit(
                &self,
                range: std::ops::Range<usize>,
                mut emit: impl FnMut(usize, u32, WindowName, f64),
            ) {
                for i in range {
                    emit(1, 1, WindowName::During, val(i));
                    if i % 5 == 0 {
                        emit(0, 0, WindowName::Before, val(i));
                    }
                }
            }
        }
        let visit = V;
        let all: Vec<f64> = (0..n).map(val).collect();
        let fifth: Vec<f64> = (0..n).filter(|i| i % 5 == 0).map(val).collect();
        for threads in [1, 2, 7] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let t = pool.install(|| SampleTable::fill(2, 2, n, &visit));
            let c = t.get(1, 1, WindowName::During).unwrap();
            assert_eq!(c.side().1, n as u64);
            assert_eq!(c.side().0, &thin(&all)[..], "threads = {threads}");
            let c = t.get(0, 0, WindowName::Before).unwrap();
            assert_eq!(c.side().1, fifth.len() as u64);
            assert_eq!(c.side().0, &fifth[..]);
            assert!(t.get(0, 1, WindowName::During).is_none());
        }
    }

    #[test]
    fn http_signals_point_at_their_phases() {
        for (si, pi) in HTTP_SIGNAL_PHASES.iter().enumerate() {
            assert_eq!(HTTP_SIGNALS[si], obs::PHASE_NAMES[*pi]);
        }
    }

    /// A region literally named `all` keeps its own group (`=all`) and the
    /// group of everything still holds every record exactly once.
    #[test]
    fn a_region_named_all_does_not_merge_with_everything() {
        use crate::model::*;
        let t0 = DateTime::<Utc>::from_timestamp(1_738_836_000, 0).unwrap();
        let mut ds = Dataset::default();
        for i in 0..40u64 {
            ds.probes.push(ProbeRecord {
                source: SourceRef::line(0, i + 1),
                ts: t0 + chrono::Duration::seconds(i as i64 * 30),
                agent: format!("a{}", i % 2).into(),
                region: if i % 2 == 0 { "all" } else { "us-east" }.into(),
                test: "ping".into(),
                kind: ProbeKind::Network,
                target: "example.com".into(),
                registrable_domain: "example.com".into(),
                status: None,
                error: None,
                error_class: None,
                phases: Phases::default(),
                loss_pct: Some(0.0),
                latency_ms: Some(if i % 2 == 0 { 10.0 } else { 30.0 }),
                jitter_ms: Some(1.0),
                page_load_ms: None,
                components: None,
                component_errors: None,
                resolve_ms: None,
            });
        }
        let an = analyze(&ds, &AggOptions::default());
        let n = |k: &str| an.net.get(k).map(|m| m.values().map(|s| s.n).sum::<u64>());
        assert_eq!(n("all"), Some(40));
        assert_eq!(n("=all"), Some(20));
        assert_eq!(n("us-east"), Some(20));
    }

    #[test]
    fn sample_table_cells_are_independent() {
        let mut t = SampleTable::new(2, 3);
        t.count(1, 2, WindowName::During);
        t.push(1, 2, WindowName::During, 4.0);
        assert!(t.get(1, 2, WindowName::Before).is_none());
        assert!(t.get(0, 2, WindowName::During).is_none());
        assert_eq!(t.get(1, 2, WindowName::During).unwrap().vals, vec![4.0]);
    }
}
