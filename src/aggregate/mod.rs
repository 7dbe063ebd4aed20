//! Window / aggregate stage: records in, per-window baselines and
//! statistical comparisons out. This is the only module that imports
//! polars (group-by quantiles and counts); the statistical tests run on raw
//! samples in plain Rust (`crate::stats`). Everything returned is plain data
//! the detectors read.

mod frame;
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
    /// region key (`all`, `us-east`, `agent:<id>`) -> window -> stats.
    pub net: BTreeMap<String, BTreeMap<WindowName, NetStat>>,
    /// endpoint key (`all` or endpoint template) -> window -> stats.
    pub server: BTreeMap<String, BTreeMap<WindowName, ServerStat>>,
    pub comparisons: Vec<Comparison>,
    /// Regions / vantages that had any data.
    pub regions: Vec<String>,
    pub agents: Vec<String>,
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
    let http = obs::http_obs(ds);
    let pages = obs::page_obs(ds);
    let net = obs::net_obs(ds);
    let server = obs::server_obs(ds);
    let (data_start, data_end) = span(&http, &pages, &net, &server, ds);
    let bin_ms = opts
        .bin_ms
        .unwrap_or_else(|| series::auto_bin_ms(data_start, data_end));
    let series = series::build(&http, &pages, &net, &server, data_start, bin_ms);
    let windows = choose_windows(ds, opts, &series, &http, data_start, data_end);
    let assign = |s: SourceRef, ts_ms: i64| windows.assign(s.file, ms_to_dt(ts_ms));
    let http_w: Vec<Option<WindowName>> = http.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let page_w: Vec<Option<WindowName>> = pages.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let net_w: Vec<Option<WindowName>> = net.iter().map(|o| assign(o.source, o.ts_ms)).collect();
    let srv_w: Vec<Option<WindowName>> = server.iter().map(|o| assign(o.source, o.ts_ms)).collect();

    let http_stats = frame::http_stats(&http, &http_w);
    let page_stats = frame::page_stats(&pages, &page_w);
    let net_stats = frame::net_stats(&net, &net_w);
    let server_stats = frame::server_stats(&server, &srv_w, &windows);

    // the healthy stretch to compare with: before the incident, or after it
    // when the data starts inside the incident (captures often start late)
    let short = |w: Option<Window>| w.is_none_or(|w| w.minutes() < 5.0);
    let base = if short(windows.before) && !short(windows.after) && windows.by_file.is_empty() {
        WindowName::After
    } else {
        WindowName::Before
    };
    let mut comparisons = Vec::new();
    compare_http(base, &http, &http_w, &http_stats, &mut comparisons);
    compare_pages(base, &pages, &page_w, &mut comparisons);
    compare_net(base, &net, &net_w, &mut comparisons);
    compare_server(base, &server, &srv_w, &mut comparisons);
    adjust_q_values(&mut comparisons);

    let mut regions: Vec<String> = http
        .iter()
        .map(|o| o.vantage.clone())
        .chain(net.iter().map(|o| o.region.clone()))
        .chain(pages.iter().map(|p| p.vantage.clone()))
        .filter(|v| !v.is_empty())
        .collect();
    regions.sort();
    regions.dedup();
    let mut agents: Vec<String> = net
        .iter()
        .map(|o| o.agent.clone())
        .chain(
            http.iter()
                .filter(|o| o.origin == obs::Origin::Probe)
                .map(|o| o.agent.clone()),
        )
        .collect();
    agents.sort();
    agents.dedup();

    Analysis {
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
    ds: &Dataset,
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
    let _ = ds;
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
    let det = series.detect();
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

/// Raw samples keyed by group and window, for the statistical tests.
type Samples = HashMap<(Dim, String, WindowName), Vec<f64>>;

const PHASES: [&str; 5] = ["wait_ms", "total_ms", "dns_ms", "connect_ms", "tls_ms"];

fn compare_http(
    base: WindowName,
    http: &[HttpObs],
    win: &[Option<WindowName>],
    stats: &BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    out: &mut Vec<Comparison>,
) {
    // error rates: proportion tests from the counts
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
    // phases: Mann-Whitney on successful responses
    let mut samples: HashMap<&'static str, Samples> = HashMap::new();
    for (o, w) in http.iter().zip(win) {
        let Some(w) = w else { continue };
        if o.status <= 0 {
            continue;
        }
        for phase in PHASES {
            let Some(v) = o.phase(phase) else { continue };
            let s = samples.entry(phase).or_default();
            for (dim, key) in o.keys() {
                s.entry((dim, key, *w)).or_default().push(v);
            }
        }
    }
    // wait relative to each (origin, vantage, endpoint)'s baseline median:
    // "API response times doubled" even when regions with different round
    // trips are pooled
    let mut base_wait: HashMap<String, Vec<f64>> = HashMap::new();
    for (o, w) in http.iter().zip(win) {
        if *w == Some(base)
            && o.status > 0
            && o.party == crate::model::Party::First
            && let Some(v) = o.phase("wait_ms")
        {
            {
                base_wait
                    .entry(format!(
                        "{}|{}|{}",
                        o.origin.as_str(),
                        o.vantage,
                        o.endpoint
                    ))
                    .or_default()
                    .push(v);
            }
        }
    }
    let base_wait: HashMap<String, f64> = base_wait
        .into_iter()
        .filter_map(|(k, v)| stats::median(&v).filter(|m| *m > 0.0).map(|m| (k, m)))
        .collect();
    if !base_wait.is_empty() {
        let rel = samples.entry("wait_rel").or_default();
        for (o, w) in http.iter().zip(win) {
            let (Some(w), Some(v)) = (w, o.phase("wait_ms")) else {
                continue;
            };
            if o.status <= 0 || o.party != crate::model::Party::First {
                continue;
            }
            let Some(m) = base_wait.get(&format!(
                "{}|{}|{}",
                o.origin.as_str(),
                o.vantage,
                o.endpoint
            )) else {
                continue;
            };
            for key in [
                (Dim::Party, "first".to_string()),
                (Dim::ResourceType, format!("first:{}", o.rtype.as_str())),
            ] {
                rel.entry((key.0, key.1, *w)).or_default().push(v / m);
            }
        }
    }
    let mut phases: Vec<&&str> = samples.keys().collect();
    phases.sort();
    for phase in phases {
        let s = &samples[*phase];
        let mut groups: Vec<&(Dim, String, WindowName)> =
            s.keys().filter(|k| k.2 == base).collect();
        groups.sort();
        for (dim, key, _) in groups {
            let before = &s[&(*dim, key.clone(), base)];
            for w in [WindowName::During, WindowName::After]
                .into_iter()
                .filter(|w| *w != base)
            {
                if let Some(d) = s.get(&(*dim, key.clone(), w)) {
                    // the bootstrap CI is the costly part: only for the headline groups
                    let boot = w == WindowName::During
                        && matches!(dim, Dim::Party | Dim::Origin | Dim::ResourceType)
                        && matches!(*phase, "wait_ms" | "total_ms");
                    out.push(distribution_cmp(
                        "http",
                        dim.as_str(),
                        key,
                        phase,
                        w,
                        before,
                        d,
                        boot,
                    ));
                }
            }
        }
    }
}

fn compare_pages(
    base: WindowName,
    pages: &[PageObs],
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s: KeyedSamples = HashMap::new();
    for (p, w) in pages.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in [
            "all".to_string(),
            format!("{}@{}", p.origin.as_str(), p.vantage),
        ] {
            if let Some(c) = p.components {
                s.entry((key.clone(), "components", *w))
                    .or_default()
                    .push(c);
            }
            if let Some(l) = p.load_ms {
                s.entry((key.clone(), "load_ms", *w)).or_default().push(l);
            }
            if let Some(f) = p.failed {
                s.entry((key, "failed_components", *w)).or_default().push(f);
            }
        }
    }
    compare_keyed("page", "vantage", base, &s, &[], out);
}

fn compare_net(
    base: WindowName,
    net: &[NetObs],
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s: KeyedSamples = HashMap::new();
    for (o, w) in net.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in ["all".to_string(), o.region.clone()] {
            for (signal, v) in [
                ("loss_pct", o.loss_pct),
                ("latency_ms", o.latency_ms),
                ("jitter_ms", o.jitter_ms),
                ("resolve_ms", o.resolve_ms),
            ] {
                if let Some(v) = v {
                    s.entry((key.clone(), signal, *w)).or_default().push(v);
                }
            }
            if o.is_dns {
                s.entry((key.clone(), "dns_failure", *w))
                    .or_default()
                    .push(if o.failed { 1.0 } else { 0.0 });
            }
        }
    }
    compare_keyed("net", "region", base, &s, &["dns_failure"], out);
}

fn compare_server(
    base: WindowName,
    server: &[ServerObs],
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s: KeyedSamples = HashMap::new();
    let mut counts: HashMap<(String, WindowName), (u64, u64)> = HashMap::new();
    for (o, w) in server.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in ["all".to_string(), o.endpoint.clone()] {
            let c = counts.entry((key.clone(), *w)).or_default();
            c.0 += 1;
            if o.status >= 500 {
                c.1 += 1;
            }
            for (signal, v) in [("request_ms", o.request_ms), ("upstream_ms", o.upstream_ms)] {
                if let Some(v) = v {
                    s.entry((key.clone(), signal, *w)).or_default().push(v);
                }
            }
        }
    }
    let mut keys: Vec<&(String, WindowName)> = counts.keys().filter(|k| k.1 == base).collect();
    keys.sort();
    for (key, _) in keys {
        let b = counts[&(key.clone(), base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            if let Some(d) = counts.get(&(key.clone(), w)) {
                out.push(proportion_cmp(
                    "server", "endpoint", key, "rate_5xx", w, b.1, b.0, d.1, d.0,
                ));
            }
        }
    }
    compare_keyed("server", "endpoint", base, &s, &[], out);
}

/// Samples of one family keyed by (group key, signal, window).
type KeyedSamples = HashMap<(String, &'static str, WindowName), Vec<f64>>;

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
    let mut keys: Vec<&(String, &str, WindowName)> = s.keys().filter(|k| k.2 == base).collect();
    keys.sort();
    for (key, signal, _) in keys {
        let b = &s[&(key.clone(), *signal, base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            let Some(d) = s.get(&(key.clone(), *signal, w)) else {
                continue;
            };
            if proportions.contains(signal) {
                let ones = |v: &[f64]| v.iter().filter(|x| **x > 0.0).count() as u64;
                out.push(proportion_cmp(
                    family,
                    dim,
                    key,
                    signal,
                    w,
                    ones(b),
                    b.len() as u64,
                    ones(d),
                    d.len() as u64,
                ));
            } else {
                out.push(distribution_cmp(
                    family,
                    dim,
                    key,
                    signal,
                    w,
                    b,
                    d,
                    key == "all" && w == WindowName::During,
                ));
            }
        }
    }
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
    b: &[f64],
    d: &[f64],
    boot: bool,
) -> Comparison {
    // past this size every real change is significant anyway; the tests run
    // on evenly spaced samples (deterministic) so cost stays flat at scale
    let (n_b, n_d) = (b.len() as u64, d.len() as u64);
    let (tb, td) = (thin(b), thin(d));
    let (b, d) = (&tb[..], &td[..]);
    let suff = matches!(stats::sufficiency(b.len(), d.len()), stats::Sufficiency::Ok);
    let mb = stats::median(b);
    let md = stats::median(d);
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
        effect: if suff {
            stats::cliffs_delta(b, d)
        } else {
            None
        },
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
