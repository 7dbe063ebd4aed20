//! The normalized records every later stage reads.
//!
//! Every input format (HAR, probe logs, access logs, change logs, ...) is
//! reduced to these few plain types so that windows, detectors and the
//! verdict never need to know where a number came from, except through
//! [`SourceRef`], which lets every finding point back to a file and a line
//! or HAR entry. Units are carried in field names; times are UTC.

pub use crate::sym::Sym;
pub mod site;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Index into [`Dataset::inputs`].
pub type FileId = u32;

/// Where a record came from: the file and the 1-based line (line-oriented
/// formats) or 0-based entry index (HAR, JSON arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRef {
    pub file: FileId,
    pub kind: LocKind,
    pub n: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocKind {
    Line,
    Entry,
    Byte,
}

impl LocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocKind::Line => "line",
            LocKind::Entry => "entry",
            LocKind::Byte => "byte",
        }
    }
}

impl SourceRef {
    pub fn line(file: FileId, line: u64) -> Self {
        Self {
            file,
            kind: LocKind::Line,
            n: line,
        }
    }
    pub fn entry(file: FileId, entry: u64) -> Self {
        Self {
            file,
            kind: LocKind::Entry,
            n: entry,
        }
    }
}

/// Whether a host belongs to the site under investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    First,
    Third,
    #[default]
    Unknown,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::First => "first",
            Party::Third => "third",
            Party::Unknown => "unknown",
        }
    }
}

/// Why a request got no (usable) response. Classified from browser
/// `_error` strings (`net::ERR_*`), probe error texts, curl/k6 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    NameNotResolved,
    DnsServfail,
    DnsNxdomain,
    DnsTimeout,
    ConnectionRefused,
    ConnectionReset,
    ConnectionClosed,
    ConnectionTimedOut,
    Timeout,
    InternetDisconnected,
    NetworkChanged,
    Proxy,
    CertError,
    TlsError,
    BlockedByClient,
    /// Chromium's opaque-response blocking refused a cross-origin image or
    /// script whose response was not one (typically a CDN's HTML 5xx page):
    /// the component failed; the client did not choose to block it.
    BlockedByOrb,
    Aborted,
    Other,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::NameNotResolved => "name_not_resolved",
            ErrorClass::DnsServfail => "dns_servfail",
            ErrorClass::DnsNxdomain => "dns_nxdomain",
            ErrorClass::DnsTimeout => "dns_timeout",
            ErrorClass::ConnectionRefused => "connection_refused",
            ErrorClass::ConnectionReset => "connection_reset",
            ErrorClass::ConnectionClosed => "connection_closed",
            ErrorClass::ConnectionTimedOut => "connection_timed_out",
            ErrorClass::Timeout => "timeout",
            ErrorClass::InternetDisconnected => "internet_disconnected",
            ErrorClass::NetworkChanged => "network_changed",
            ErrorClass::Proxy => "proxy",
            ErrorClass::CertError => "cert_error",
            ErrorClass::TlsError => "tls_error",
            ErrorClass::BlockedByClient => "blocked_by_client",
            ErrorClass::BlockedByOrb => "blocked_by_orb",
            ErrorClass::Aborted => "aborted",
            ErrorClass::Other => "other",
        }
    }
    /// Errors that originate on the capturing machine itself.
    pub fn is_client_side(self) -> bool {
        matches!(
            self,
            ErrorClass::InternetDisconnected | ErrorClass::NetworkChanged | ErrorClass::Proxy
        )
    }
    pub fn is_dns(self) -> bool {
        matches!(
            self,
            ErrorClass::NameNotResolved
                | ErrorClass::DnsServfail
                | ErrorClass::DnsNxdomain
                | ErrorClass::DnsTimeout
        )
    }
    pub fn is_tls(self) -> bool {
        matches!(self, ErrorClass::CertError | ErrorClass::TlsError)
    }
    pub fn is_transport(self) -> bool {
        matches!(
            self,
            ErrorClass::ConnectionRefused
                | ErrorClass::ConnectionReset
                | ErrorClass::ConnectionClosed
                | ErrorClass::ConnectionTimedOut
                | ErrorClass::Timeout
        )
    }
}

/// Coarse resource type, from HAR `_resourceType` or the response MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Document,
    Script,
    Stylesheet,
    Image,
    Font,
    Media,
    /// XHR / fetch / API calls.
    Xhr,
    Websocket,
    Ping,
    #[default]
    Other,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Document => "document",
            ResourceType::Script => "script",
            ResourceType::Stylesheet => "stylesheet",
            ResourceType::Image => "image",
            ResourceType::Font => "font",
            ResourceType::Media => "media",
            ResourceType::Xhr => "xhr",
            ResourceType::Websocket => "websocket",
            ResourceType::Ping => "ping",
            ResourceType::Other => "other",
        }
    }
    /// Static content that a CDN usually serves.
    pub fn is_static(self) -> bool {
        matches!(
            self,
            ResourceType::Script
                | ResourceType::Stylesheet
                | ResourceType::Image
                | ResourceType::Font
                | ResourceType::Media
        )
    }
}

/// HTTP timing phases in milliseconds, never double counted: `tls_ms` is a
/// separate phase, *not* included in `connect_ms` (HAR 1.2 puts ssl inside
/// connect; readers subtract it). `None` = not applicable / not measured.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Phases {
    pub blocked_ms: Option<f64>,
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    pub send_ms: Option<f64>,
    pub wait_ms: Option<f64>,
    pub receive_ms: Option<f64>,
    pub total_ms: Option<f64>,
}

impl Phases {
    /// Field names, in `Phases::at` order.
    pub const NAMES: [&'static str; 8] = [
        "blocked_ms",
        "dns_ms",
        "connect_ms",
        "tls_ms",
        "send_ms",
        "wait_ms",
        "receive_ms",
        "total_ms",
    ];

    /// The phase named `Phases::NAMES[i]`.
    pub fn at(&self, i: usize) -> Option<f64> {
        match i {
            0 => self.blocked_ms,
            1 => self.dns_ms,
            2 => self.connect_ms,
            3 => self.tls_ms,
            4 => self.send_ms,
            5 => self.wait_ms,
            6 => self.receive_ms,
            7 => self.total_ms,
            _ => None,
        }
    }
}

/// CDN / edge hints seen on a response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EdgeHints {
    /// Provider name when recognisable: cloudflare, cloudfront, akamai, fastly, ...
    pub provider: Option<String>,
    /// Cache status (`x-cache`, `cf-cache-status`, ...), lower-cased.
    pub cache: Option<String>,
}

/// One HTTP request as seen by a browser or an HTTP client (HAR, k6, curl).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub source: SourceRef,
    pub start: DateTime<Utc>,
    /// Vantage label (from `label=PATH`, `region=NAME/` or the probe's region).
    pub vantage: Option<String>,
    /// Page id, unique across the dataset (file id prefixed by the reader).
    pub page_id: Option<String>,
    pub method: String,
    pub scheme: String,
    pub host: String,
    pub registrable_domain: String,
    /// Set by [`crate::model::finalize`] once every input is known.
    pub party: Party,
    /// Path with ids folded (`/api/v1/projects/{id}/tasks`), no query.
    pub endpoint: String,
    /// 0 = no response.
    pub status: i32,
    pub error_class: Option<ErrorClass>,
    /// Raw error text, e.g. `net::ERR_NAME_NOT_RESOLVED`.
    pub error: Option<String>,
    pub resource_type: ResourceType,
    pub phases: Phases,
    pub transfer_bytes: Option<u64>,
    pub body_bytes: Option<u64>,
    pub from_cache: bool,
    pub server_ip: Option<String>,
    pub edge: EdgeHints,
}

impl Request {
    /// A failed request: no response, a network error, or a 5xx.
    pub fn is_error(&self) -> bool {
        // an answered request (1xx-4xx) is not a failure whatever error
        // text rides along: Chrome writes `net::ERR_QUIC_PROTOCOL_ERROR` on
        // responses it fetched again over TCP
        if (1..500).contains(&self.status) {
            return false;
        }
        self.status <= 0
            || self.status >= 500
            || self
                .error_class
                .is_some_and(|c| c != ErrorClass::Aborted && c != ErrorClass::BlockedByClient)
    }
}

/// One page load (HAR page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub source: SourceRef,
    pub id: String,
    pub vantage: Option<String>,
    pub start: DateTime<Utc>,
    pub title: Option<String>,
    pub on_content_load_ms: Option<f64>,
    pub on_load_ms: Option<f64>,
    /// Entries that belong to the page.
    pub components: u32,
    /// Of those, failed (status <= 0 or >= 400, or `_error`).
    pub failed_components: u32,
    pub bytes: u64,
    /// Registrable domain of the main document (first entry of the page).
    pub main_domain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Http,
    Network,
    Page,
    Dns,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Http => "http",
            ProbeKind::Network => "network",
            ProbeKind::Page => "page",
            ProbeKind::Dns => "dns",
        }
    }
}

/// One synthetic measurement (own probe log, k6, curl, RIPE Atlas, ping, mtr).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeRecord {
    pub source: SourceRef,
    pub ts: DateTime<Utc>,
    pub agent: Sym,
    pub region: Sym,
    pub test: Sym,
    pub kind: ProbeKind,
    /// URL (http, page) or host (network, dns).
    pub target: Sym,
    /// Registrable domain of the target host (filled by the reader).
    pub registrable_domain: Sym,
    /// HTTP status; 0 = no response.
    pub status: Option<i32>,
    pub error: Option<Sym>,
    pub error_class: Option<ErrorClass>,
    pub phases: Phases,
    pub loss_pct: Option<f64>,
    pub latency_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub page_load_ms: Option<f64>,
    pub components: Option<f64>,
    pub component_errors: Option<f64>,
    pub resolve_ms: Option<f64>,
}

impl ProbeRecord {
    /// A failed measurement: an error, no response, a 5xx, or total loss.
    pub fn is_error(&self) -> bool {
        self.error.as_deref().is_some_and(|e| !e.is_empty())
            || self.status.is_some_and(|s| s <= 0 || s >= 500)
            || self.loss_pct.is_some_and(|l| l >= 100.0)
    }
}

/// One request in a server access log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerRequest {
    pub source: SourceRef,
    pub ts: DateTime<Utc>,
    pub vhost: Option<Sym>,
    pub method: Sym,
    pub endpoint: Sym,
    pub status: i32,
    pub bytes: Option<u64>,
    /// Total time the server spent (`$request_time`, `%D`, IIS `time-taken`).
    pub request_ms: Option<f64>,
    /// Time spent waiting on the upstream / backend (`$upstream_response_time`).
    pub upstream_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Deploy,
    Config,
    Rollback,
    Maintenance,
    Other,
}

impl ChangeKind {
    pub fn parse(s: &str) -> ChangeKind {
        match s.trim().to_ascii_lowercase().as_str() {
            "deploy" | "deployment" | "release" => ChangeKind::Deploy,
            "config" | "configuration" => ChangeKind::Config,
            "rollback" | "revert" => ChangeKind::Rollback,
            "maintenance" => ChangeKind::Maintenance,
            _ => ChangeKind::Other,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Config => "config",
            ChangeKind::Rollback => "rollback",
            ChangeKind::Maintenance => "maintenance",
            ChangeKind::Other => "other",
        }
    }
}

/// One deploy, config change, rollback or maintenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub source: SourceRef,
    pub ts: DateTime<Utc>,
    pub service: String,
    pub kind: ChangeKind,
    pub summary: String,
}

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

/// Every record of every input, merged in deterministic order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dataset {
    pub inputs: Vec<InputReport>,
    /// What [`finalize`] inferred about the site (first-party domains and
    /// why, page loads split or made).
    pub site: site::SiteFacts,
    pub requests: Vec<Request>,
    pub pages: Vec<Page>,
    pub probes: Vec<ProbeRecord>,
    pub server: Vec<ServerRequest>,
    pub changes: Vec<Change>,
}

/// Records of one file (or one chunk of one file).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub requests: Vec<Request>,
    pub pages: Vec<Page>,
    pub probes: Vec<ProbeRecord>,
    pub server: Vec<ServerRequest>,
    pub changes: Vec<Change>,
}

/// `into` followed by `from`: moved when `into` is empty.
fn take<T>(into: &mut Vec<T>, mut from: Vec<T>) {
    if into.is_empty() && into.capacity() <= from.capacity() {
        *into = from;
    } else {
        into.append(&mut from);
    }
}

impl Records {
    pub fn len(&self) -> usize {
        self.requests.len()
            + self.pages.len()
            + self.probes.len()
            + self.server.len()
            + self.changes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Add `other`'s records after these; a vector that is still empty
    /// takes `other`'s as it is (a large file's records are moved, not
    /// copied into fresh memory).
    pub fn append(&mut self, other: Records) {
        take(&mut self.requests, other.requests);
        take(&mut self.pages, other.pages);
        take(&mut self.probes, other.probes);
        take(&mut self.server, other.server);
        take(&mut self.changes, other.changes);
    }

    /// Concatenate parts in order with one copy: the vectors are sized once
    /// for all of them (the first part's is reused), instead of doubling.
    pub fn concat(parts: Vec<Records>) -> Records {
        let mut it = parts.into_iter();
        let Some(mut out) = it.next() else {
            return Records::default();
        };
        let rest: Vec<Records> = it.collect();
        out.requests
            .reserve_exact(rest.iter().map(|p| p.requests.len()).sum());
        out.pages
            .reserve_exact(rest.iter().map(|p| p.pages.len()).sum());
        out.probes
            .reserve_exact(rest.iter().map(|p| p.probes.len()).sum());
        out.server
            .reserve_exact(rest.iter().map(|p| p.server.len()).sum());
        out.changes
            .reserve_exact(rest.iter().map(|p| p.changes.len()).sum());
        for p in rest {
            out.append(p);
        }
        out
    }
}

/// Options that shape the model after ingest.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// `--first-party DOMAIN` overrides (registrable domains).
    pub first_party: Vec<String>,
    /// What an earlier run inferred about the site (records read back from
    /// exported tables): used as it is, nothing inferred or split again.
    pub site: Option<site::SiteFacts>,
}

/// Cross-file normalisation once every input is read: party assignment and
/// a deterministic order. First party = registrable domains of the pages'
/// main documents (or `--first-party`), plus probe targets, which are by
/// definition what the SRE monitors.
/// Assign parties and put records in their deterministic order. Returns
/// the first-party registrable domains it used.
pub fn finalize(ds: &mut Dataset, opts: &ModelOptions) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    if let Some(facts) = &opts.site {
        let first: BTreeSet<String> = facts.first_party.iter().map(|f| f.domain.clone()).collect();
        ds.site = facts.clone();
        return assign_and_sort(ds, first);
    }
    let (pages_split, loads_made) = site::split_page_loads(ds);
    let mut seeds: BTreeSet<String> = BTreeSet::new();
    let mut why: BTreeMap<String, &'static str> = BTreeMap::new();
    if opts.first_party.is_empty() {
        seeds.extend(ds.pages.iter().filter_map(|p| p.main_domain.clone()));
        // distinct first (millions of probe records name a few targets)
        let probed: BTreeSet<&str> = ds
            .probes
            .iter()
            .filter(|p| matches!(p.kind, ProbeKind::Http | ProbeKind::Page))
            .map(|p| p.registrable_domain.as_str())
            .filter(|d| !d.is_empty())
            .collect();
        // with the site's own pages in the data, a probed domain that the
        // pages load as a component is judged like any other component
        // (teams also probe the third parties they depend on); a probed
        // domain no page loads is what the SRE monitors
        let from_pages = !seeds.is_empty();
        let loaded: BTreeSet<&str> = if from_pages {
            ds.requests
                .iter()
                .map(|r| r.registrable_domain.as_str())
                .collect()
        } else {
            BTreeSet::new()
        };
        for d in probed {
            if from_pages && loaded.contains(d) {
                continue;
            }
            if seeds.insert(d.to_string()) {
                why.insert(d.to_string(), "probe target");
            }
        }
        if seeds.is_empty() {
            // No page and no probe: the most requested document host wins.
            if let Some(r) = ds
                .requests
                .iter()
                .find(|r| r.resource_type == ResourceType::Document)
            {
                seeds.insert(r.registrable_domain.clone());
            }
        }
    }
    let inferred = site::infer_first_party(ds, &opts.first_party, &seeds, &why);
    let first: BTreeSet<String> = inferred.iter().map(|f| f.domain.clone()).collect();
    ds.site = site::SiteFacts {
        first_party: inferred,
        pages_split,
        loads_made,
    };
    assign_and_sort(ds, first)
}

/// Parties from the first-party set, then every table in its deterministic
/// order; returns the set.
fn assign_and_sort(ds: &mut Dataset, first: std::collections::BTreeSet<String>) -> Vec<String> {
    for r in &mut ds.requests {
        r.party = if first.is_empty() {
            Party::Unknown
        } else if first.contains(&r.registrable_domain) {
            Party::First
        } else {
            Party::Third
        };
    }
    sort_records(&mut ds.requests, |r| (r.start, r.source));
    sort_records(&mut ds.pages, |p| (p.start, p.source));
    sort_records(&mut ds.probes, |p| (p.ts, p.source));
    sort_records(&mut ds.server, |s| (s.ts, s.source));
    sort_records(&mut ds.changes, |c| (c.ts, c.source));
    first.into_iter().collect()
}

/// Sort records by `key`, stably, moving each record at most once: the
/// (key, index) pairs are sorted (in parallel; the index makes every pair
/// distinct, so the order is the stable one), then the records are put in
/// place by following the permutation's cycles. A stable sort of the
/// records themselves moved every 400-600 byte record once per merge pass
/// and needed scratch memory for half of them. Records already in order
/// (one file, written in time order) are only checked.
pub fn sort_records<T, K>(v: &mut [T], key: impl Fn(&T) -> K + Sync)
where
    T: Send + Sync,
    K: Ord + Copy + Send,
{
    use rayon::prelude::*;
    if v.is_sorted_by_key(&key) {
        return;
    }
    if v.len() > u32::MAX as usize {
        v.sort_by_key(key);
        return;
    }
    let mut keys: Vec<(K, u32)> = v
        .par_iter()
        .enumerate()
        .map(|(i, r)| (key(r), i as u32))
        .collect();
    keys.par_sort_unstable();
    // perm[j] = where the record that belongs at j is now
    let mut perm: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
    for start in 0..perm.len() {
        let mut j = start;
        loop {
            let src = perm[j] as usize;
            perm[j] = j as u32;
            if src == start || src == j {
                break;
            }
            v.swap(j, src);
            j = src;
        }
    }
}

/// The inverse of each enum's `as_str`, for tables written by faultlens
/// itself (Parquet export, engine aggregates): a name it does not know is
/// `None`, never a guess.
pub trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == s)
    }
}

macro_rules! named {
    ($t:ty, $f:expr, [$($v:expr),* $(,)?]) => {
        impl Named for $t {
            const ALL: &'static [Self] = &[$($v),*];
            fn name(self) -> &'static str {
                $f(self)
            }
        }
    };
}

named!(
    ErrorClass,
    ErrorClass::as_str,
    [
        ErrorClass::NameNotResolved,
        ErrorClass::DnsServfail,
        ErrorClass::DnsNxdomain,
        ErrorClass::DnsTimeout,
        ErrorClass::ConnectionRefused,
        ErrorClass::ConnectionReset,
        ErrorClass::ConnectionClosed,
        ErrorClass::ConnectionTimedOut,
        ErrorClass::Timeout,
        ErrorClass::InternetDisconnected,
        ErrorClass::NetworkChanged,
        ErrorClass::Proxy,
        ErrorClass::CertError,
        ErrorClass::TlsError,
        ErrorClass::BlockedByClient,
        ErrorClass::BlockedByOrb,
        ErrorClass::Aborted,
        ErrorClass::Other,
    ]
);
named!(
    ResourceType,
    ResourceType::as_str,
    [
        ResourceType::Document,
        ResourceType::Script,
        ResourceType::Stylesheet,
        ResourceType::Image,
        ResourceType::Font,
        ResourceType::Media,
        ResourceType::Xhr,
        ResourceType::Websocket,
        ResourceType::Ping,
        ResourceType::Other,
    ]
);
named!(
    ProbeKind,
    ProbeKind::as_str,
    [
        ProbeKind::Http,
        ProbeKind::Network,
        ProbeKind::Page,
        ProbeKind::Dns,
    ]
);
named!(
    ChangeKind,
    ChangeKind::as_str,
    [
        ChangeKind::Deploy,
        ChangeKind::Config,
        ChangeKind::Rollback,
        ChangeKind::Maintenance,
        ChangeKind::Other,
    ]
);
named!(
    Party,
    Party::as_str,
    [Party::First, Party::Third, Party::Unknown]
);
named!(
    LocKind,
    LocKind::as_str,
    [LocKind::Line, LocKind::Entry, LocKind::Byte]
);

#[cfg(test)]
mod named_tests {
    use super::*;

    #[test]
    fn sort_records_is_the_stable_sort() {
        // (key, original position) pairs with many equal keys, in several
        // shapes: random, sorted, reversed, a few runs
        let mut x = 12345u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u32
        };
        for n in [0usize, 1, 2, 7, 100, 5000] {
            let random: Vec<(u32, usize)> = (0..n).map(|i| (next() % 50, i)).collect();
            let sorted: Vec<(u32, usize)> = (0..n).map(|i| (i as u32 / 3, i)).collect();
            let reversed: Vec<(u32, usize)> = (0..n).map(|i| ((n - i) as u32 / 2, i)).collect();
            let runs: Vec<(u32, usize)> = (0..n).map(|i| ((i % 97) as u32, i)).collect();
            for v in [random, sorted, reversed, runs] {
                let mut a = v.clone();
                a.sort_by_key(|p| p.0);
                let mut b = v;
                sort_records(&mut b, |p| p.0);
                assert_eq!(a, b, "n = {n}");
            }
        }
    }

    fn round_trip<T: Named + PartialEq + std::fmt::Debug>() {
        for v in T::ALL {
            assert_eq!(T::from_name(v.name()), Some(*v));
        }
        assert_eq!(T::from_name("no-such-name"), None);
    }

    #[test]
    fn every_name_parses_back() {
        round_trip::<ErrorClass>();
        round_trip::<ResourceType>();
        round_trip::<ProbeKind>();
        round_trip::<ChangeKind>();
        round_trip::<Party>();
        round_trip::<LocKind>();
    }
}
