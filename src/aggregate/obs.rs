//! Flatten the normalized records into observation rows, one shape per
//! family (HTTP, page, network, server), with the grouping keys computed
//! once. Browser requests and probe HTTP checks share one shape so that a
//! 5xx is a 5xx whichever vantage saw it.

use crate::model::{Dataset, ErrorClass, Party, Phases, ProbeKind, ResourceType, SourceRef};

use super::Dim;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    Browser,
    Probe,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Browser => "browser",
            Origin::Probe => "probe",
        }
    }
}

pub fn party_str(p: Party) -> &'static str {
    match p {
        Party::First => "first",
        Party::Third => "third",
        Party::Unknown => "unknown",
    }
}

#[derive(Debug, Clone)]
pub struct HttpObs {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub origin: Origin,
    pub vantage: String,
    pub agent: String,
    pub party: Party,
    pub host: String,
    pub domain: String,
    pub endpoint: String,
    pub family: String,
    pub rtype: ResourceType,
    pub status: i32,
    pub error_class: Option<ErrorClass>,
    pub is_error: bool,
    pub edge: bool,
    pub phases: Phases,
}

impl HttpObs {
    pub fn phase(&self, name: &str) -> Option<f64> {
        let p = &self.phases;
        match name {
            "wait_ms" => p.wait_ms,
            "total_ms" => p.total_ms,
            "dns_ms" => p.dns_ms,
            "connect_ms" => p.connect_ms,
            "tls_ms" => p.tls_ms,
            "send_ms" => p.send_ms,
            "receive_ms" => p.receive_ms,
            "blocked_ms" => p.blocked_ms,
            _ => None,
        }
        .filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// Every (dimension, key) this observation is counted under.
    pub fn keys(&self) -> Vec<(Dim, String)> {
        let party = party_str(self.party);
        let mut k = vec![
            (Dim::Party, party.to_string()),
            (Dim::Origin, format!("{}:{}", self.origin.as_str(), party)),
            (Dim::Host, self.host.clone()),
            (
                Dim::ResourceType,
                format!("{}:{}", party, self.rtype.as_str()),
            ),
            (Dim::Vantage, format!("{}@{}", party, self.vantage)),
        ];
        if self.party == Party::First {
            k.push((Dim::Endpoint, self.endpoint.clone()));
            k.push((Dim::Family, self.family.clone()));
            k.push((
                Dim::Edge,
                if self.edge {
                    "edge".into()
                } else {
                    "origin".into()
                },
            ));
        }
        k
    }
}

/// `/api/v1/messages/{id}` -> `/api/v1/messages`: the first path segments
/// that name a feature, ids and file names dropped.
pub fn family_of(template: &str) -> String {
    let segs: Vec<&str> = template
        .split('/')
        .filter(|s| !s.is_empty() && *s != "{id}")
        .collect();
    let mut out = String::new();
    let mut taken = 0;
    for s in segs {
        if s.contains('.') {
            break;
        }
        out.push('/');
        out.push_str(s);
        taken += 1;
        let versioned =
            s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit()) && s.len() > 1;
        let prefix = matches!(s, "api" | "rest" | "graphql" | "rpc") || versioned;
        if !prefix && taken >= 1 {
            break;
        }
        if taken >= 3 {
            break;
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

pub fn http_obs(ds: &Dataset) -> Vec<HttpObs> {
    let mut out = Vec::with_capacity(ds.requests.len() + ds.probes.len());
    for r in &ds.requests {
        let edge = r.edge.provider.is_some() || r.edge.cache.is_some();
        let vantage = r
            .vantage
            .clone()
            .unwrap_or_else(|| format!("capture-{}", r.source.file));
        out.push(HttpObs {
            ts_ms: r.start.timestamp_millis(),
            source: r.source,
            origin: Origin::Browser,
            agent: vantage.clone(),
            vantage,
            party: r.party,
            host: r.host.clone(),
            domain: r.registrable_domain.clone(),
            endpoint: format!("{} {}", r.host, r.endpoint),
            family: format!("{} {}", r.host, family_of(&r.endpoint)),
            rtype: r.resource_type,
            status: r.status,
            error_class: r.error_class,
            is_error: r.is_error(),
            edge,
            phases: r.phases,
        });
    }
    for p in ds.probes.iter().filter(|p| p.kind == ProbeKind::Http) {
        let (_, host, path) = crate::classify::split_url(&p.target);
        let template = crate::classify::endpoint_template(path);
        let status = p.status.unwrap_or(0);
        out.push(HttpObs {
            ts_ms: p.ts.timestamp_millis(),
            source: p.source,
            origin: Origin::Probe,
            vantage: p.region.clone(),
            agent: p.agent.clone(),
            party: Party::First,
            host: host.to_string(),
            domain: p.registrable_domain.clone(),
            endpoint: format!("{host} {template}"),
            family: format!("{host} {}", family_of(&template)),
            rtype: if template.contains("/api") {
                ResourceType::Xhr
            } else {
                ResourceType::Document
            },
            status,
            error_class: p.error_class,
            is_error: p.is_error(),
            edge: false,
            phases: p.phases,
        });
    }
    out
}

#[derive(Debug, Clone)]
pub struct PageObs {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub origin: Origin,
    pub vantage: String,
    pub components: Option<f64>,
    pub failed: Option<f64>,
    pub load_ms: Option<f64>,
    pub content_load_ms: Option<f64>,
}

pub fn page_obs(ds: &Dataset) -> Vec<PageObs> {
    let mut out = Vec::new();
    for p in &ds.pages {
        out.push(PageObs {
            ts_ms: p.start.timestamp_millis(),
            source: p.source,
            origin: Origin::Browser,
            vantage: p
                .vantage
                .clone()
                .unwrap_or_else(|| format!("capture-{}", p.source.file)),
            components: Some(p.components as f64),
            failed: Some(p.failed_components as f64),
            load_ms: p.on_load_ms.filter(|v| *v >= 0.0),
            content_load_ms: p.on_content_load_ms.filter(|v| *v >= 0.0),
        });
    }
    for p in ds.probes.iter().filter(|p| p.kind == ProbeKind::Page) {
        out.push(PageObs {
            ts_ms: p.ts.timestamp_millis(),
            source: p.source,
            origin: Origin::Probe,
            vantage: p.region.clone(),
            components: p.components,
            failed: p.component_errors,
            load_ms: p.page_load_ms,
            content_load_ms: None,
        });
    }
    out
}

#[derive(Debug, Clone)]
pub struct NetObs {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub region: String,
    pub agent: String,
    pub is_dns: bool,
    pub failed: bool,
    pub error_class: Option<ErrorClass>,
    pub loss_pct: Option<f64>,
    pub latency_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub resolve_ms: Option<f64>,
}

pub fn net_obs(ds: &Dataset) -> Vec<NetObs> {
    ds.probes
        .iter()
        .filter(|p| matches!(p.kind, ProbeKind::Network | ProbeKind::Dns))
        .map(|p| NetObs {
            ts_ms: p.ts.timestamp_millis(),
            source: p.source,
            region: p.region.clone(),
            agent: p.agent.clone(),
            is_dns: p.kind == ProbeKind::Dns,
            failed: p.is_error(),
            error_class: p.error_class,
            loss_pct: p.loss_pct,
            latency_ms: p.latency_ms,
            jitter_ms: p.jitter_ms,
            resolve_ms: p.resolve_ms,
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct ServerObs {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub endpoint: String,
    pub status: i32,
    pub request_ms: Option<f64>,
    pub upstream_ms: Option<f64>,
}

pub fn server_obs(ds: &Dataset) -> Vec<ServerObs> {
    ds.server
        .iter()
        .map(|s| ServerObs {
            ts_ms: s.ts.timestamp_millis(),
            source: s.source,
            endpoint: s.endpoint.clone(),
            status: s.status,
            request_ms: s.request_ms,
            upstream_ms: s.upstream_ms,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn families() {
        assert_eq!(family_of("/api/v1/messages/{id}"), "/api/v1/messages");
        assert_eq!(family_of("/api/v1/projects/{id}/tasks"), "/api/v1/projects");
        assert_eq!(family_of("/static/app.js"), "/static");
        assert_eq!(family_of("/"), "/");
        assert_eq!(family_of("/channels/{id}/messages"), "/channels");
    }
}
