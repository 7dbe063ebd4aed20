//! Window / aggregate stage: records in, per-window baselines and
//! statistical comparisons out. This is the only module that imports
//! polars (group-by quantiles and counts); the statistical tests run on raw
//! samples in plain Rust (`crate::stats`). Everything returned is plain data
//! the detectors read.

pub mod bins;
mod compare;
mod frame;
pub mod loads;
pub mod obs;
mod sample;
pub mod series;
mod window;

pub use compare::{Axis, Comparison, Signal};
use compare::{
    HTTP_SIGNAL_PHASES, adjust_q_values, compare_http, compare_net, compare_pages, compare_server,
};
pub use sample::MAX_TEST_SAMPLES;
pub use window::{Window, WindowMethod, WindowName, WindowSpec, Windows};
use window::{choose_windows, span};

use crate::model::{Dataset, FileId, SourceRef};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// The comparison of `signal` for the group `key` of `axis` in window `w`.
    pub fn comparison(
        &self,
        axis: Axis,
        key: &str,
        signal: Signal,
        w: WindowName,
    ) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| c.is(axis, key, signal, w))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
