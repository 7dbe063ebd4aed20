//! Flatten the normalized records into observation rows, one shape per
//! family (HTTP, page, network, server), with the grouping keys computed
//! once and interned to dense ids: at ten million records, owned key
//! strings per observation were most of the stage's time and memory.
//! Browser requests and probe HTTP checks share one shape so that a 5xx is
//! a 5xx whichever vantage saw it.

use crate::model::{Dataset, ErrorClass, Party, Phases, ProbeKind, ResourceType, SourceRef};

use super::Dim;

/// The stage hashes a few short keys per observation with Fx (see
/// [`crate::sym`]); SipHash was a tenth of the stage.
pub use crate::sym::{FxHasher, FxMap};

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

/// Strings seen by the stage, each stored once and named by a dense id, so
/// that the millions of observations (and the polars frames and sample
/// tables built from them) carry integers, not owned strings.
#[derive(Debug, Default, Clone)]
pub struct Names {
    index: FxMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.index.get(s) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), id);
        id
    }
    /// Intern a formatted string, reusing `buf` so a hit allocates nothing.
    pub fn intern_fmt(&mut self, buf: &mut String, args: std::fmt::Arguments) -> u32 {
        use std::fmt::Write;
        buf.clear();
        let _ = buf.write_fmt(args);
        self.intern(buf)
    }
    pub fn get(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |s| s.as_str())
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Group (dimension, key) pairs of the HTTP family with dense ids: the
/// polars group-bys and the rank-test sample tables index by these.
#[derive(Debug, Default, Clone)]
pub struct Groups {
    index: FxMap<(Dim, u32), u32>,
    groups: Vec<(Dim, u32)>,
}

impl Groups {
    pub fn id(&mut self, dim: Dim, name: u32) -> u32 {
        let next = self.groups.len() as u32;
        *self.index.entry((dim, name)).or_insert_with(|| {
            self.groups.push((dim, name));
            next
        })
    }
    pub fn get(&self, gid: u32) -> (Dim, u32) {
        self.groups[gid as usize]
    }
    pub fn len(&self) -> usize {
        self.groups.len()
    }
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// The key of the group every observation of a family belongs to.
pub const ALL: &str = "all";

/// A region or endpoint's own group key: one literally named `all` is
/// renamed `=all`, so that it cannot merge with (and double-count into) the
/// group of everything.
pub fn own_key(key: &str) -> &str {
    if key == ALL { "=all" } else { key }
}

/// The dimensions an HTTP observation is counted under, in the order of
/// `HttpObs::groups`; third-party observations stop after `Vantage`.
pub const HTTP_DIMS: [Dim; 8] = [
    Dim::Party,
    Dim::Origin,
    Dim::Host,
    Dim::ResourceType,
    Dim::Vantage,
    Dim::Endpoint,
    Dim::Family,
    Dim::Edge,
];

/// Borrows its phases from the dataset: at ten million observations a
/// copy would be a gigabyte of fresh pages.
#[derive(Debug, Clone)]
pub struct HttpObs<'a> {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub origin: Origin,
    /// `Names` ids.
    pub vantage: u32,
    pub agent: u32,
    /// `host /path/{id}`, a `Names` id.
    pub endpoint: u32,
    pub party: Party,
    pub rtype: ResourceType,
    /// An application call ([`crate::classify::is_api_call`]): its waits
    /// are the API's.
    pub api: bool,
    pub status: i32,
    pub error_class: Option<ErrorClass>,
    pub is_error: bool,
    pub phases: &'a Phases,
    /// `Groups` ids, one per `HTTP_DIMS` entry (the first `n_groups`).
    groups: [u32; 8],
    n_groups: u8,
}

impl HttpObs<'_> {
    pub fn phase(&self, name: &str) -> Option<f64> {
        self.phase_at(PHASE_NAMES.iter().position(|p| *p == name)?)
    }

    /// Phase by its index in `PHASE_NAMES` (the hot loops' form of `phase`).
    pub fn phase_at(&self, i: usize) -> Option<f64> {
        self.phases.at(i).filter(|v| v.is_finite() && *v >= 0.0)
    }

    /// Every group this observation is counted under (`Groups` ids).
    pub fn groups(&self) -> &[u32] {
        &self.groups[..self.n_groups as usize]
    }
}

/// Phase names, in the order `HttpObs::phase_at` takes.
pub const PHASE_NAMES: [&str; 8] = Phases::NAMES;

/// `PHASE_NAMES` indexes the hot loops read by name.
pub const CONNECT: usize = 2;
pub const WAIT: usize = 5;

/// The observation tables of every family plus the names they point into.
#[derive(Debug, Default)]
pub struct Obs<'a> {
    pub http: Vec<HttpObs<'a>>,
    pub pages: Vec<PageObs>,
    pub net: Vec<NetObs>,
    pub server: Vec<ServerObs>,
    pub names: Names,
    pub groups: Groups,
}

impl<'a> Obs<'a> {
    pub fn build(ds: &'a Dataset) -> Obs<'a> {
        let mut o = Obs::default();
        o.http = http_obs(ds, &mut o.names, &mut o.groups);
        o.pages = page_obs(ds, &mut o.names);
        o.net = net_obs(ds, &mut o.names);
        o.server = server_obs(ds, &mut o.names);
        o
    }
    /// The (dimension, key) of an HTTP group id.
    pub fn group_key(&self, gid: u32) -> (Dim, &str) {
        let (d, n) = self.groups.get(gid);
        (d, self.names.get(n))
    }
}

/// Interns the group keys of one HTTP observation. Keys built from small
/// sets (party, origin, resource type, vantage) are cached by their parts
/// so the common case formats nothing.
struct HttpKeyer {
    buf: String,
    small: FxMap<(Origin, Party, ResourceType, u32), [u32; 4]>,
    per_host: FxMap<u32, u32>,
}

impl HttpKeyer {
    fn new() -> Self {
        HttpKeyer {
            buf: String::new(),
            small: FxMap::default(),
            per_host: FxMap::default(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn keys(
        &mut self,
        names: &mut Names,
        groups: &mut Groups,
        origin: Origin,
        party: Party,
        rtype: ResourceType,
        vantage: u32,
        host: u32,
        endpoint: u32,
        family: u32,
        edge: bool,
    ) -> ([u32; 8], u8) {
        let buf = &mut self.buf;
        let small = *self
            .small
            .entry((origin, party, rtype, vantage))
            .or_insert_with(|| {
                let p = party.as_str();
                let v = names.get(vantage).to_string();
                [
                    groups.id(Dim::Party, names.intern(p)),
                    groups.id(
                        Dim::Origin,
                        names.intern_fmt(buf, format_args!("{}:{p}", origin.as_str())),
                    ),
                    groups.id(
                        Dim::ResourceType,
                        names.intern_fmt(buf, format_args!("{p}:{}", rtype.as_str())),
                    ),
                    groups.id(Dim::Vantage, names.intern_fmt(buf, format_args!("{p}@{v}"))),
                ]
            });
        let host_gid = *self
            .per_host
            .entry(host)
            .or_insert_with(|| groups.id(Dim::Host, host));
        let mut g = [small[0], small[1], host_gid, small[2], small[3], 0, 0, 0];
        if party != Party::First {
            return (g, 5);
        }
        g[5] = groups.id(Dim::Endpoint, endpoint);
        g[6] = groups.id(Dim::Family, family);
        g[7] = groups.id(
            Dim::Edge,
            names.intern(if edge { "edge" } else { "origin" }),
        );
        (g, 8)
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

/// One chunk's interning state. Chunks are read in parallel, each with its
/// own names and groups; merged in chunk order they give every name and
/// group the id one sequential pass would have given it (a chunk's new
/// names are interned in the order it first met them; the names it re-met
/// already have their ids), so ids, and everything ordered by them, do not
/// depend on the thread count.
struct Local<'a> {
    names: Names,
    groups: Groups,
    keyer: HttpKeyer,
    buf: String,
    /// template -> (endpoint, family, API-like host or path) per host:
    /// formatting and classifying each once
    ep_cache: FxMap<(u32, &'a str), (u32, u32, bool)>,
    /// probe target URL -> (host, endpoint, family, resource type)
    target_cache: FxMap<&'a str, (u32, u32, u32, ResourceType)>,
    /// The unlabelled capture last seen and its name's id: a chunk's
    /// requests come from one file, so `capture-N` is formatted once.
    capture: Option<(crate::model::FileId, u32)>,
}

impl<'a> Local<'a> {
    fn new() -> Self {
        Local {
            names: Names::default(),
            groups: Groups::default(),
            keyer: HttpKeyer::new(),
            buf: String::new(),
            ep_cache: FxMap::default(),
            target_cache: FxMap::default(),
            capture: None,
        }
    }

    fn request(&mut self, r: &'a crate::model::Request) -> HttpObs<'a> {
        let (names, buf) = (&mut self.names, &mut self.buf);
        let edge = r.edge.is_marked();
        let vantage = match &r.vantage {
            Some(v) => names.intern(v),
            None => match self.capture {
                Some((file, id)) if file == r.source.file => id,
                _ => {
                    let id = names.intern_fmt(buf, format_args!("capture-{}", r.source.file));
                    self.capture = Some((r.source.file, id));
                    id
                }
            },
        };
        let host = names.intern(&r.host);
        let (endpoint, family, api_path) =
            *self.ep_cache.entry((host, &r.endpoint)).or_insert_with(|| {
                (
                    names.intern_fmt(buf, format_args!("{} {}", r.host, r.endpoint)),
                    names.intern_fmt(buf, format_args!("{} {}", r.host, family_of(&r.endpoint))),
                    crate::classify::is_api_path(&r.host, &r.endpoint),
                )
            });
        let (g, n) = self.keyer.keys(
            names,
            &mut self.groups,
            Origin::Browser,
            r.party,
            r.resource_type,
            vantage,
            host,
            endpoint,
            family,
            edge,
        );
        HttpObs {
            ts_ms: r.start.timestamp_millis(),
            source: r.source,
            origin: Origin::Browser,
            agent: vantage,
            vantage,
            endpoint,
            party: r.party,
            rtype: r.resource_type,
            api: api_path || crate::classify::is_api_type(r.resource_type),
            status: r.status,
            error_class: r.error_class,
            is_error: r.is_error(),
            phases: &r.phases,
            groups: g,
            n_groups: n,
        }
    }

    fn probe(&mut self, p: &'a crate::model::ProbeRecord) -> HttpObs<'a> {
        let (names, buf) = (&mut self.names, &mut self.buf);
        let (host, endpoint, family, rtype) = *self
            .target_cache
            .entry(p.target.as_str())
            .or_insert_with(|| {
                let (_, host, path) = crate::classify::split_url(&p.target);
                let template = crate::classify::endpoint_template(path);
                (
                    names.intern(host),
                    names.intern_fmt(buf, format_args!("{host} {template}")),
                    names.intern_fmt(buf, format_args!("{host} {}", family_of(&template))),
                    if template.contains("/api") {
                        ResourceType::Xhr
                    } else {
                        ResourceType::Document
                    },
                )
            });
        let vantage = names.intern(&p.region);
        let (g, n) = self.keyer.keys(
            names,
            &mut self.groups,
            Origin::Probe,
            Party::First,
            rtype,
            vantage,
            host,
            endpoint,
            family,
            false,
        );
        HttpObs {
            ts_ms: p.ts.timestamp_millis(),
            source: p.source,
            origin: Origin::Probe,
            vantage,
            agent: names.intern(&p.agent),
            endpoint,
            party: Party::First,
            rtype,
            api: rtype == ResourceType::Xhr,
            status: p.status.unwrap_or(0),
            error_class: p.error_class,
            is_error: p.is_error(),
            phases: &p.phases,
            groups: g,
            n_groups: n,
        }
    }
}

/// Observations per parallel chunk, at most.
const CHUNK: usize = 64 * 1024;

/// Chunk length for `n` records: a few chunks per thread even for a
/// single HAR's fifty thousand requests, no more than [`CHUNK`]. Ids do
/// not depend on it (chunks merge in order).
pub(super) fn chunk_len(n: usize) -> usize {
    (n / (4 * rayon::current_num_threads())).clamp(4096, CHUNK)
}

fn http_obs<'a>(ds: &'a Dataset, names: &mut Names, groups: &mut Groups) -> Vec<HttpObs<'a>> {
    use rayon::prelude::*;
    let parts: Vec<(Vec<HttpObs<'a>>, Local<'a>)> = ds
        .requests
        .par_chunks(chunk_len(ds.requests.len()))
        .map(|c| {
            let mut l = Local::new();
            let v = c.iter().map(|r| l.request(r)).collect();
            (v, l)
        })
        .chain(ds.probes.par_chunks(chunk_len(ds.probes.len())).map(|c| {
            let mut l = Local::new();
            let v = c
                .iter()
                .filter(|p| p.kind == ProbeKind::Http)
                .map(|p| l.probe(p))
                .collect();
            (v, l)
        }))
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(|(v, _)| v.len()).sum());
    for (v, l) in parts {
        let name_ids: Vec<u32> = (0..l.names.len() as u32)
            .map(|i| names.intern(l.names.get(i)))
            .collect();
        let group_ids: Vec<u32> = (0..l.groups.len() as u32)
            .map(|i| {
                let (d, n) = l.groups.get(i);
                groups.id(d, name_ids[n as usize])
            })
            .collect();
        out.extend(v.into_iter().map(|mut o| {
            o.vantage = name_ids[o.vantage as usize];
            o.agent = name_ids[o.agent as usize];
            o.endpoint = name_ids[o.endpoint as usize];
            for g in &mut o.groups[..o.n_groups as usize] {
                *g = group_ids[*g as usize];
            }
            o
        }));
    }
    out
}

#[derive(Debug, Clone)]
pub struct PageObs {
    pub ts_ms: i64,
    pub source: SourceRef,
    pub origin: Origin,
    /// `Names` id.
    pub vantage: u32,
    pub components: Option<f64>,
    pub failed: Option<f64>,
    pub load_ms: Option<f64>,
    pub content_load_ms: Option<f64>,
}

fn page_obs(ds: &Dataset, names: &mut Names) -> Vec<PageObs> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for p in &ds.pages {
        out.push(PageObs {
            ts_ms: p.start.timestamp_millis(),
            source: p.source,
            origin: Origin::Browser,
            vantage: match &p.vantage {
                Some(v) => names.intern(v),
                None => names.intern_fmt(&mut buf, format_args!("capture-{}", p.source.file)),
            },
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
            vantage: names.intern(&p.region),
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
    /// `Names` ids.
    pub region: u32,
    pub agent: u32,
    pub is_dns: bool,
    pub failed: bool,
    pub error_class: Option<ErrorClass>,
    pub loss_pct: Option<f64>,
    pub latency_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub resolve_ms: Option<f64>,
}

fn net_obs(ds: &Dataset, names: &mut Names) -> Vec<NetObs> {
    ds.probes
        .iter()
        .filter(|p| matches!(p.kind, ProbeKind::Network | ProbeKind::Dns))
        .map(|p| NetObs {
            ts_ms: p.ts.timestamp_millis(),
            source: p.source,
            region: names.intern(&p.region),
            agent: names.intern(&p.agent),
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
    /// `Names` id.
    pub endpoint: u32,
    pub status: i32,
    pub request_ms: Option<f64>,
    pub upstream_ms: Option<f64>,
}

fn server_obs(ds: &Dataset, names: &mut Names) -> Vec<ServerObs> {
    ds.server
        .iter()
        .map(|s| ServerObs {
            ts_ms: s.ts.timestamp_millis(),
            source: s.source,
            endpoint: names.intern(&s.endpoint),
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
    fn phase_indexes_name_their_phases() {
        assert_eq!(PHASE_NAMES[CONNECT], "connect_ms");
        assert_eq!(PHASE_NAMES[WAIT], "wait_ms");
    }

    #[test]
    fn families() {
        assert_eq!(family_of("/api/v1/messages/{id}"), "/api/v1/messages");
        assert_eq!(family_of("/api/v1/projects/{id}/tasks"), "/api/v1/projects");
        assert_eq!(family_of("/static/app.js"), "/static");
        assert_eq!(family_of("/"), "/");
        assert_eq!(family_of("/channels/{id}/messages"), "/channels");
    }
}
