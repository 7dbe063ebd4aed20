//! Which fault a case gets, and the choices it makes once per case.
//!
//! Why drawn up front: every load of a case must meet the same fault (the
//! same edge vendor, the same unresolvable names, the same share of calls
//! hit), so the choices are drawn once from the seed and read from the
//! template (which hosts are the CDN's, whose headers name the edge)
//! before any load is replayed.

use super::producer::NetError;
use super::template::{Role, TEntry, Template};
use crate::evaluation::scenario::Rng;
use serde_json::Value;

/// The fault put into a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// No fault; realistic noise only.
    Healthy,
    /// First-party API calls 502 then 503; what they would render vanishes.
    Backend,
    /// First-party API calls 2x then 16x slower; nothing fails.
    BackendSlow,
    /// A few per cent of first-party API calls 5xx.
    BackendPartial,
    /// Static assets on the site's asset host get edge 5xx (or ORB blocks).
    Cdn,
    /// The site's names do not resolve.
    Dns,
    /// Certificate / TLS errors on one first-party host.
    Tls,
    /// Connects stall, time out and reset across many hosts.
    Network,
    /// The browser is offline: everything fails before any phase.
    Client,
    /// One third-party domain times out or 5xx.
    ThirdParty,
}

impl FaultKind {
    pub fn all() -> &'static [FaultKind] {
        &[
            FaultKind::Healthy,
            FaultKind::Backend,
            FaultKind::BackendSlow,
            FaultKind::BackendPartial,
            FaultKind::Cdn,
            FaultKind::Dns,
            FaultKind::Tls,
            FaultKind::Network,
            FaultKind::Client,
            FaultKind::ThirdParty,
        ]
    }
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Healthy => "healthy",
            FaultKind::Backend => "backend",
            FaultKind::BackendSlow => "backend-slow",
            FaultKind::BackendPartial => "backend-partial",
            FaultKind::Cdn => "cdn",
            FaultKind::Dns => "dns",
            FaultKind::Tls => "tls",
            FaultKind::Network => "network",
            FaultKind::Client => "client",
            FaultKind::ThirdParty => "third-party",
        }
    }
    pub fn from_name(s: &str) -> Option<FaultKind> {
        FaultKind::all().iter().copied().find(|k| {
            k.name() == s
                || k.domain() == s
                    && !matches!(k, FaultKind::BackendSlow | FaultKind::BackendPartial)
        })
    }
    /// The contract's fault domain word.
    pub fn domain(self) -> &'static str {
        match self {
            FaultKind::Healthy => "none",
            FaultKind::Backend | FaultKind::BackendSlow | FaultKind::BackendPartial => "backend",
            FaultKind::Cdn => "cdn",
            FaultKind::Dns => "dns",
            FaultKind::Tls => "tls",
            FaultKind::Network => "network",
            FaultKind::Client => "client",
            FaultKind::ThirdParty => "third_party",
        }
    }
    /// Whether the template has what this fault needs.
    pub fn applies_to(self, t: &Template) -> bool {
        match self {
            FaultKind::BackendSlow | FaultKind::BackendPartial => t.count(Role::Api) > 0,
            FaultKind::Cdn => t.count(Role::CdnStatic) + t.count(Role::OriginStatic) > 0,
            FaultKind::Tls => !t.tls_hosts().is_empty(),
            FaultKind::ThirdParty => !t.third_parties().is_empty(),
            _ => true,
        }
    }
}

/// Per-case choices of a fault (drawn once from the seed).
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub kind: FaultKind,
    /// Share of page loads hit while the fault is active.
    pub load_share: f64,
    /// Share of the targeted requests hit in a load that is hit.
    pub request_share: f64,
    /// Backend: slow 5xx (upstream timeout) rather than fast.
    pub slow_errors: bool,
    /// DNS / TLS: the document's own host fails (the whole page is gone).
    pub document_host: bool,
    /// TLS / DNS target host(s) when not the document host.
    pub hosts: Vec<String>,
    pub tls_error: NetError,
    pub edge: Edge,
    pub third_party: String,
    pub tp_timeouts: bool,
    /// Network: lossy and slow rather than failing connects.
    pub lossy: bool,
    /// A line for truth.json saying what was done.
    pub variant: String,
    /// Hit this load, and for partial faults at least one request of it (set
    /// for the last active load when no earlier one was hit, so every faulty
    /// case has a fault in it).
    pub force_one: bool,
}

/// The CDN whose edge answers with the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Cloudflare,
    CloudFront,
    Fastly,
    Akamai,
}

impl Edge {
    pub fn name(self) -> &'static str {
        match self {
            Edge::Cloudflare => "cloudflare",
            Edge::CloudFront => "cloudfront",
            Edge::Fastly => "fastly",
            Edge::Akamai => "akamai",
        }
    }
}

fn header(e: &Value, name: &str) -> Option<String> {
    e.pointer("/response/headers")?
        .as_array()?
        .iter()
        .find(|h| {
            h.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|h| h.get("value").and_then(Value::as_str))
        .map(String::from)
}

fn detect_edge(entries: &[&TEntry]) -> Option<Edge> {
    for t in entries {
        let e = &t.entry;
        let server = header(e, "server").unwrap_or_default().to_ascii_lowercase();
        let via = header(e, "via").unwrap_or_default().to_ascii_lowercase();
        if header(e, "cf-ray").is_some() || server.contains("cloudflare") {
            return Some(Edge::Cloudflare);
        }
        if header(e, "x-amz-cf-id").is_some() || via.contains("cloudfront") {
            return Some(Edge::CloudFront);
        }
        if header(e, "x-served-by").is_some_and(|v| v.starts_with("cache-"))
            || header(e, "x-fastly-request-id").is_some()
        {
            return Some(Edge::Fastly);
        }
        if server.contains("akamai") || header(e, "x-akamai-transformed").is_some() {
            return Some(Edge::Akamai);
        }
    }
    None
}

impl FaultPlan {
    pub fn new(kind: FaultKind, t: &Template, rng: &mut Rng) -> FaultPlan {
        let mut p = FaultPlan {
            kind,
            load_share: 1.0,
            request_share: 1.0,
            slow_errors: false,
            document_host: false,
            hosts: Vec::new(),
            tls_error: NetError::CertDateInvalid,
            edge: Edge::Cloudflare,
            third_party: String::new(),
            tp_timeouts: false,
            lossy: false,
            variant: String::new(),
            force_one: false,
        };
        match kind {
            FaultKind::Healthy => p.variant = "no fault; noise only".into(),
            FaultKind::Backend => {
                p.slow_errors = rng.chance(0.35);
                if rng.chance(0.3) {
                    p.load_share = rng.range_f(0.5, 0.85);
                }
                p.variant = if t.count(Role::Api) == 0 {
                    "no API calls in the load: the document itself 502/503s, nothing else loads"
                        .into()
                } else {
                    format!(
                        "{} first-party API calls 502 then 503 ({} wait); later first-party components vanish; {:.0}% of loads",
                        t.count(Role::Api),
                        if p.slow_errors { "long" } else { "fast" },
                        p.load_share * 100.0
                    )
                };
            }
            FaultKind::BackendSlow => {
                p.variant = "API waits 2x, then 16x; frontend unchanged".into()
            }
            FaultKind::BackendPartial => {
                p.request_share = rng.range_f(0.04, 0.12);
                p.variant = format!("{:.0}% of API calls 5xx", p.request_share * 100.0);
            }
            FaultKind::Cdn => {
                let targets: Vec<&TEntry> = cdn_targets(t);
                p.edge = detect_edge(&targets).unwrap_or(*rng.pick(&[
                    Edge::Cloudflare,
                    Edge::CloudFront,
                    Edge::Fastly,
                    Edge::Akamai,
                ]));
                p.request_share = rng.range_f(0.6, 1.0);
                let mut hosts: Vec<String> = targets.iter().map(|e| e.host.clone()).collect();
                hosts.sort();
                hosts.dedup();
                p.hosts = hosts;
                p.variant = format!(
                    "{} edge 5xx on {:.0}% of static assets on {}{}",
                    p.edge.name(),
                    p.request_share * 100.0,
                    p.hosts.join(", "),
                    if t.orb {
                        "; cross-origin images/scripts as net::ERR_BLOCKED_BY_ORB"
                    } else {
                        ""
                    }
                );
            }
            FaultKind::Dns => {
                let sib: Vec<String> = sibling_hosts(t);
                p.document_host = sib.is_empty() || rng.chance(0.5);
                if p.document_host {
                    p.variant = format!(
                        "{} does not resolve: the navigation fails",
                        t.site.document_host
                    );
                } else {
                    p.hosts = sib;
                    p.variant = format!("sibling names do not resolve: {}", p.hosts.join(", "));
                }
            }
            FaultKind::Tls => {
                let hosts = t.tls_hosts();
                let doc_ok = hosts.contains(&t.site.document_host);
                let others: Vec<String> = hosts
                    .iter()
                    .filter(|h| **h != t.site.document_host)
                    .cloned()
                    .collect();
                p.document_host = doc_ok && (others.is_empty() || rng.chance(0.5));
                p.tls_error = *rng.pick(&[
                    NetError::CertDateInvalid,
                    NetError::CertCommonNameInvalid,
                    NetError::SslProtocol,
                ]);
                p.hosts = if p.document_host {
                    vec![t.site.document_host.clone()]
                } else {
                    vec![rng.pick(&others).clone()]
                };
                p.variant = format!("{} on {}", p.tls_error.chrome(), p.hosts[0]);
            }
            FaultKind::Network => {
                p.lossy = rng.chance(0.4);
                p.request_share = if p.lossy {
                    0.04
                } else {
                    rng.range_f(0.25, 0.5)
                };
                p.variant = if p.lossy {
                    "slow connects (SYN retransmits) and lossy latency across hosts; a few timeouts"
                        .into()
                } else {
                    format!(
                        "{:.0}% of requests time out or reset at connect, across hosts",
                        p.request_share * 100.0
                    )
                };
            }
            FaultKind::Client => {
                p.variant = "browser offline: every request fails before any phase".into()
            }
            FaultKind::ThirdParty => {
                let tps = t.third_parties();
                let top: Vec<String> = tps.iter().take(3).map(|x| x.0.clone()).collect();
                p.third_party = rng.pick(&top).clone();
                p.tp_timeouts = rng.chance(0.5);
                p.variant = format!(
                    "{} {}",
                    p.third_party,
                    if p.tp_timeouts {
                        "times out"
                    } else {
                        "answers 5xx"
                    }
                );
            }
        }
        p
    }
}

pub(super) fn cdn_targets(t: &Template) -> Vec<&TEntry> {
    let cdn: Vec<&TEntry> = t
        .entries
        .iter()
        .filter(|e| e.role == Role::CdnStatic)
        .collect();
    if !cdn.is_empty() {
        return cdn;
    }
    t.entries
        .iter()
        .filter(|e| e.role == Role::OriginStatic)
        .collect()
}

fn sibling_hosts(t: &Template) -> Vec<String> {
    let mut v: Vec<String> = t
        .entries
        .iter()
        .filter(|e| e.role != Role::ThirdParty && e.domain != t.site.domain)
        .map(|e| e.host.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}
