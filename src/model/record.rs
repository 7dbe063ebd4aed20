//! The records every reader produces: requests and page loads (HAR),
//! probe results, server log lines and changes, with the enums that
//! classify them. Plain data: no reader, stage or engine logic here.

use super::{SourceRef, Sym};
use crate::sym::intern;
use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// A connection that failed without saying how (BrowserMob's "Unable
    /// to connect to host": refused, timed out or a failed handshake).
    ConnectFailed,
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
            ErrorClass::ConnectFailed => "connect_failed",
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
                | ErrorClass::ConnectFailed
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

impl EdgeHints {
    /// The response carried an edge's marks (a provider or a cache status).
    pub fn is_marked(&self) -> bool {
        self.provider.is_some() || self.cache.is_some()
    }
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
    /// A record with only its identity set; readers fill the metrics (and
    /// the aggregate stage's stand-ins for an engine's count bins fill the
    /// status). The strings are interned ([`crate::sym`]): a file repeats
    /// them on every line.
    pub fn identity(
        source: SourceRef,
        ts: DateTime<Utc>,
        agent: &str,
        region: &str,
        test: &str,
        kind: ProbeKind,
        target: &str,
    ) -> ProbeRecord {
        let (_, host, _) = crate::classify::split_url(target.trim());
        ProbeRecord {
            source,
            ts,
            agent: intern(agent),
            region: intern(region),
            test: intern(test),
            kind,
            target: intern(target),
            registrable_domain: crate::classify::registrable_domain_memo(host),
            status: None,
            error: None,
            error_class: None,
            phases: Phases::default(),
            loss_pct: None,
            latency_ms: None,
            jitter_ms: None,
            page_load_ms: None,
            components: None,
            component_errors: None,
            resolve_ms: None,
        }
    }
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
