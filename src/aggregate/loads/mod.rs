//! Page loads as the unit of a browser capture.
//!
//! Why: a browser capture is not a steady stream of measurements. A tab
//! kept open while the page is reloaded every two minutes leaves bins that
//! are mostly empty, and a capture taken during an outage has no healthy
//! stretch at all. An analyst then reads it load by load: which loads had
//! a first-party request fail, and how (an HTTP status, a name that did not
//! resolve, a certificate, a connection, the machine offline), which lost
//! components, which waited longer on the API. This module makes that
//! reading once ([`LoadCensus`]); window choice uses it on irregular
//! samples and the detectors cite it as absolute evidence.
//!
//! A failure's *shape* is where the request stopped, read the same way for
//! every producer: Chrome's `_error`, Playwright's `_failureText` with
//! status -1, WebPageTest's WinINet codes and Firefox's bare status 0 all
//! end up as an [`ErrorClass`] or as phases, and [`shape`] turns those into
//! one of a few words. Noise is not a failure: `ERR_ABORTED` (a request cut
//! off by the next navigation), a client-side block, and 4xx answers.

use crate::model::{Dataset, ErrorClass, Party, Request, ResourceType};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod pace;
mod steps;
mod usual;
mod windows;

pub use pace::{BUSY_READ_MIN_MS, BUSY_READ_RATIO, ClientPace, busy_client};
use steps::mark_api_steps;
#[cfg(test)]
use windows::chains;
pub use windows::{LoadWindows, SUSTAINED_SLOW_LOADS, windows_from_loads};

/// Where a failed request stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// An HTTP 5xx from the server or the gateway in front of it.
    Http5xx,
    /// A 5xx produced by an edge (520-530, `x-cache: Error ...`), or an
    /// asset refused by opaque-response blocking (an HTML error page where
    /// an image or script was expected).
    EdgeError,
    /// The name did not resolve.
    Dns,
    /// The certificate or the handshake failed.
    Tls,
    /// The connection was refused, reset, closed or timed out.
    Connect,
    /// The capturing machine was offline (or its proxy failed).
    Offline,
    /// Status 0 with no error text, the name lookup recorded and no
    /// connect: Firefox writes a lookup that failed and a connect that
    /// failed after a good lookup alike (its `dns` is the lookup's time
    /// whether or not it found an address, its `connect` is -1 until a
    /// connection is made), so the request alone cannot say which.
    AfterLookup,
    /// Status 0 with no error text and no phase recorded: the request never
    /// started (Firefox / Safari write no reason).
    NeverStarted,
    /// Status 0 with no error text after the request was sent: the server
    /// was reached and did not answer.
    NoAnswer,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Http5xx => "HTTP 5xx",
            Shape::EdgeError => "edge error",
            Shape::Dns => "name not resolved",
            Shape::Tls => "TLS / certificate error",
            Shape::Connect => "connection failed",
            Shape::Offline => "client offline",
            Shape::AfterLookup => "stopped after the name lookup (not resolved, or no connection)",
            Shape::NeverStarted => "never started (status 0, no phase)",
            Shape::NoAnswer => "no answer after the request was sent",
        }
    }
}

/// The failure shape of a request, or `None` when it did not fail (or its
/// failure is noise: aborted by a navigation, blocked by the client, a 4xx).
pub fn shape(r: &Request) -> Option<Shape> {
    if let Some(c) = r.error_class {
        return Some(match c {
            ErrorClass::Aborted | ErrorClass::BlockedByClient => return None,
            ErrorClass::BlockedByOrb => Shape::EdgeError,
            c if c.is_dns() => Shape::Dns,
            c if c.is_tls() => Shape::Tls,
            c if c.is_client_side() => Shape::Offline,
            c if c.is_transport() => Shape::Connect,
            _ if r.status >= 500 => status_shape(r),
            _ if r.status > 0 => return None,
            _ => phase_shape(r),
        });
    }
    if r.status >= 500 {
        return Some(status_shape(r));
    }
    if r.status > 0 {
        return None;
    }
    // status 0 (or a negative status) and no error text
    Some(phase_shape(r))
}

fn status_shape(r: &Request) -> Shape {
    let edge_cache_error = r.edge.cache.as_deref().is_some_and(|c| c.contains("error"));
    if (520..=530).contains(&r.status) || edge_cache_error {
        Shape::EdgeError
    } else {
        Shape::Http5xx
    }
}

/// Status 0 without a reason: read how far the phases got.
fn phase_shape(r: &Request) -> Shape {
    let p = &r.phases;
    let some = |v: Option<f64>| v.is_some_and(|v| v > 0.0);
    if some(p.send_ms) || some(p.wait_ms) {
        Shape::NoAnswer
    } else if some(p.tls_ms) || (r.scheme == "https" && some(p.connect_ms)) {
        Shape::Tls
    } else if p.dns_ms.is_some_and(|v| v >= 0.0) && p.connect_ms.is_none() {
        Shape::AfterLookup
    } else if some(p.connect_ms) || some(p.dns_ms) {
        Shape::Connect
    } else {
        Shape::NeverStarted
    }
}

/// Status 0 with no reason and no phase, begun after the page's load
/// event of a load whose navigation succeeded: how Firefox and Safari
/// record a request the page cancelled as it went away (a beacon, a late
/// lazy load), which Chromium words `ERR_ABORTED`, noise. An outage that
/// stops requests from starting stops the navigation too. (Firefox's own
/// `onLoad` can be early: mitmproxy's real Firefox capture says 20 ms with
/// its components starting at 250 ms; hence the navigation's outcome.)
///
/// BrowserMob Proxy writes the same as "No response received": the text
/// its HAR entry carries until a response arrives, so a request still in
/// flight when the page went away (or the HAR was taken) keeps it. On a
/// beacon (a ping, a tracking pixel) it is noise whenever it was sent: the
/// page never waits for telemetry, and a server that did not answer is
/// written "Response timed out" instead (`serverToProxyResponseTimedOut`).
fn cancelled_after_load(r: &Request, s: Shape, load_event: Option<DateTime<Utc>>) -> bool {
    let pending = s == Shape::NoAnswer
        && r.error
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(BROWSERMOB_PENDING));
    let after_load = load_event.is_some_and(|t| r.start >= t);
    (s == Shape::NeverStarted || pending) && after_load
        || pending && r.resource_type == crate::model::ResourceType::Ping
}

/// BrowserMob Proxy's error text for a request that had no response yet
/// (`HarCaptureUtil.getNoResponseReceivedErrorMessage`).
const BROWSERMOB_PENDING: &str = "No response received";

/// An API call of the application ([`crate::classify::is_api_call`]):
/// the parts of a page an outage of the application takes away.
/// A failed call often carries its error page's type (an HTML 503 for a
/// JSON endpoint): [`LoadCensus::role`] reads the type its template has
/// when it succeeds.
pub fn is_dynamic(r: &Request) -> bool {
    is_dynamic_as(r, r.resource_type)
}

fn is_dynamic_as(r: &Request, rt: ResourceType) -> bool {
    crate::classify::is_api_call(rt, &r.host, &r.endpoint)
}

/// One page load and what failed in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadFacts {
    pub page_id: String,
    /// The capture (file) the load came from: each capture is its own
    /// stream of loads.
    pub file: u32,
    pub vantage: String,
    pub start: DateTime<Utc>,
    pub components: u32,
    pub load_ms: Option<f64>,
    /// Indexes into `Dataset::requests` of the load's failed requests, with
    /// their shape.
    #[serde(skip)]
    pub failures: Vec<(usize, Shape)>,
    pub first_party_failures: u32,
    pub third_party_failures: u32,
    /// Median server wait of the load's first-party API calls.
    pub api_wait_ms: Option<f64>,
    /// Median time (wait + receive) of the load's successful static
    /// components and of its third-party requests: what a slow path slows
    /// along with everything else.
    pub static_ms: Option<f64>,
    pub third_party_ms: Option<f64>,
    /// New connections the load opened (a TCP connect was timed), and how
    /// many of them took a SYN retransmission to open
    /// ([`SYN_RETRANSMIT_MS`] or more).
    pub connects: u32,
    pub retransmitted_connects: u32,
    /// Of the same static and third-party answers as `static_ms`: the
    /// median time the browser took to read the answer once its first byte
    /// came (`receive`), the median server wait, and the median time of the
    /// load's timed TCP connects. A busy capturing machine shows in the
    /// first alone (see [`busy_client`]).
    pub read_ms: Option<f64>,
    pub served_wait_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    /// Failed in a way that counts: a first-party failure, a third-party
    /// domain that fails in several loads, missing components, a slow API.
    pub bad: bool,
    /// Bad only for being slow (API wait, static components): nothing
    /// failed and nothing went missing.
    pub slow_only: bool,
    /// Why it is bad, in words (`2 first-party failures`, `components 12 < 17`).
    pub why: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadCensus {
    /// In time order.
    pub loads: Vec<LoadFacts>,
    pub median_components: Option<f64>,
    /// The quick quartile of the loads' API waits: the healthy reference
    /// when an outage covers most of the capture.
    pub api_wait_p25_ms: Option<f64>,
    /// Third-party registrable domains that failed in two or more loads.
    pub failing_third_parties: Vec<String>,
    /// The type each URL template (host, path) has when it succeeds.
    #[serde(skip)]
    pub template_types: BTreeMap<(String, String), ResourceType>,
    /// The site's own hosts that served a page document: a static asset
    /// failing anywhere else failed on the CDN.
    pub doc_hosts: BTreeSet<String>,
    /// The hosts the loads navigated to (each load's first request): the
    /// page's own origin, as against a frame's or an asset host's.
    #[serde(skip)]
    pub nav_hosts: BTreeSet<String>,
}

impl LoadCensus {
    /// The request's type as its template has it when it succeeds (a JSON
    /// endpoint stays an API call when its 503 page is HTML).
    pub fn role(&self, r: &Request) -> ResourceType {
        self.template_types
            .get(&(r.host.clone(), r.endpoint.clone()))
            .copied()
            .unwrap_or(r.resource_type)
    }
    pub fn is_dynamic(&self, r: &Request) -> bool {
        is_dynamic_as(r, self.role(r))
    }
    pub fn is_static(&self, r: &Request) -> bool {
        let rt = self.role(r);
        rt.is_static() && !is_dynamic_as(r, rt)
    }
    /// A static asset the edge delivers: on a host that serves no page
    /// document (the site's CDN), or anywhere when the answer carries the
    /// edge's own error mark (`x-cache: Error ...`, 520-530).
    pub fn is_edge_asset(&self, r: &Request) -> bool {
        self.is_static(r)
            && (!self.doc_hosts.contains(&r.host) || shape(r) == Some(Shape::EdgeError))
    }
}

pub(super) fn median(v: &mut [f64]) -> Option<f64> {
    quantile(v, 0.5)
}

fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// The quick quartile as a rank that is a real load's value (the lower
/// neighbour, not interpolated): in a short capture whose first load was
/// the only healthy one, interpolating pulled the reference three
/// quarters of the way to the slow loads.
fn quantile_low(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[(q * (v.len() - 1) as f64).floor() as usize])
}

/// A load has lost components when it has fewer than this share of the
/// capture's median count.
pub const COMPONENTS_LOST_RATIO: f64 = 0.8;
/// A load's API is slow when its median wait is this many times the
/// capture's quick quartile of API waits, and at least
/// [`SLOW_API_MIN_EXTRA_MS`] longer. Real servers are noisy from load to
/// load (the lab's healthy loads range 1x-10x their quick quartile on a
/// cold start), so one load is only flagged for a large slowdown; smaller
/// ones are the rank tests' (FL102, FL111) to find over many loads.
pub const SLOW_API_RATIO: f64 = 3.0;
/// An API slow on its face, with no healthy load to compare with: calls
/// waiting this long (median per load) ...
pub const ABS_SLOW_API_MS: f64 = 2000.0;
/// ... and this many times longer than the same load's static assets: no
/// working page keeps its users waiting seconds on every API call while
/// its files arrive in a fraction of that.
pub const ABS_API_VS_STATIC: f64 = 5.0;
pub const SLOW_API_MIN_EXTRA_MS: f64 = 200.0;
/// A load's static components are slow (the path, not the API) when their
/// median time is this many times the capture's quick quartile.
pub const SLOW_PATH_RATIO: f64 = 4.0;
/// A TCP connect (TLS apart) this long took a retransmitted SYN: the
/// first retransmission timeout is 1 s (RFC 6298), and a healthy path
/// opens a connection in one round trip. Real healthy captures of the
/// corpus: 2 of 600 timed connects this slow, both in one page.
pub const SYN_RETRANSMIT_MS: f64 = 900.0;
/// A load's path is losing packets when at least this many of its new
/// connections took a retransmitted SYN ...
pub const RETRANSMIT_MIN_CONNECTS: u32 = 3;
/// ... and at least this share of them.
pub const RETRANSMIT_SHARE: f64 = 0.25;

/// Enough of `connects` took a retransmitted SYN to open to say the path
/// lost packets.
pub fn is_retransmitting(retransmitted: u32, connects: u32) -> bool {
    retransmitted >= RETRANSMIT_MIN_CONNECTS
        && f64::from(retransmitted) >= f64::from(connects) * RETRANSMIT_SHARE
}

/// A third-party domain failing in two or more loads fails for the page
/// when, in those loads, at least this share of the requests to it failed
/// (the tune grid's healthy BrowserMob captures: a stats beacon, two per
/// load, one unanswered in two loads of six, was called an outage).
pub const THIRD_PARTY_FAILING_SHARE: f64 = 0.6;

/// Read every page load of the dataset.
pub fn census(ds: &Dataset) -> LoadCensus {
    let index: BTreeMap<&str, usize> = ds
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); ds.pages.len()];
    for (i, r) in ds.requests.iter().enumerate() {
        if let Some(&p) = r.page_id.as_deref().and_then(|id| index.get(id)) {
            members[p].push(i);
        }
    }
    let mut type_votes: BTreeMap<(String, String), BTreeMap<ResourceType, usize>> = BTreeMap::new();
    for r in &ds.requests {
        if (200..400).contains(&r.status) && r.error_class.is_none() {
            *type_votes
                .entry((r.host.clone(), r.endpoint.clone()))
                .or_default()
                .entry(r.resource_type)
                .or_default() += 1;
        }
    }
    let template_types: BTreeMap<(String, String), ResourceType> = type_votes
        .into_iter()
        .filter_map(|(k, v)| {
            v.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(t, _)| (k, t))
        })
        .collect();
    let is_dyn = |r: &Request| {
        is_dynamic_as(
            r,
            template_types
                .get(&(r.host.clone(), r.endpoint.clone()))
                .copied()
                .unwrap_or(r.resource_type),
        )
    };
    let mut loads: Vec<LoadFacts> = Vec::with_capacity(ds.pages.len());
    let mut nav_hosts: BTreeSet<String> = BTreeSet::new();
    for (p, reqs) in ds.pages.iter().zip(&members) {
        if reqs.is_empty() && p.components > 0 {
            continue;
        }
        let mut failures = Vec::new();
        let (mut first, mut third) = (0u32, 0u32);
        let mut waits = Vec::new();
        let (mut statics, mut thirds) = (Vec::new(), Vec::new());
        let (mut connects, mut retransmitted) = (0u32, 0u32);
        let (mut reads, mut served_waits, mut connect_times) = (Vec::new(), Vec::new(), Vec::new());
        // the load's first request is its navigation: when that failed, the
        // page never got far enough to cancel anything
        let navigation = reqs
            .iter()
            .map(|&i| &ds.requests[i])
            .min_by_key(|r| r.start);
        if let Some(r) = navigation
            && r.party != Party::Third
        {
            nav_hosts.insert(r.host.clone());
        }
        let load_event = p
            .on_load_ms
            .filter(|ms| *ms > 0.0 && navigation.is_some_and(|r| shape(r).is_none()))
            .map(|ms| p.start + chrono::Duration::microseconds((ms * 1000.0) as i64));
        for &i in reqs {
            let r = &ds.requests[i];
            let served = r.phases.wait_ms.unwrap_or(0.0) + r.phases.receive_ms.unwrap_or(0.0);
            if let Some(c) = r.phases.connect_ms.filter(|c| *c > 0.0) {
                connects += 1;
                retransmitted += u32::from(c >= SYN_RETRANSMIT_MS);
                connect_times.push(c);
            }
            // a 304 is answered from the cache but asked over the network:
            // its wait is the path's and the server's, like any other
            let over_network = !r.from_cache || r.status == 304;
            if (200..400).contains(&r.status) && over_network && served > 0.0 {
                let paced = if r.party == Party::Third {
                    thirds.push(served);
                    true
                } else if r.resource_type.is_static() && !is_dyn(r) {
                    statics.push(served);
                    true
                } else {
                    false
                };
                if paced {
                    if let Some(rx) = r.phases.receive_ms.filter(|x| *x >= 0.0) {
                        reads.push(rx);
                    }
                    if let Some(w) = r.phases.wait_ms {
                        served_waits.push(w);
                    }
                }
            }
            let shape = shape(r).filter(|s| !cancelled_after_load(r, *s, load_event));
            if let Some(s) = shape {
                failures.push((i, s));
                if r.party == Party::Third {
                    third += 1;
                } else {
                    first += 1;
                }
            } else if r.party != Party::Third
                && is_dyn(r)
                && let Some(w) = r.phases.wait_ms
            {
                waits.push(w);
            }
        }
        loads.push(LoadFacts {
            page_id: p.id.clone(),
            file: p.source.file,
            vantage: p.vantage.clone().unwrap_or_default(),
            start: p.start,
            components: p.components,
            load_ms: p.on_load_ms,
            failures,
            first_party_failures: first,
            third_party_failures: third,
            api_wait_ms: median(&mut waits),
            static_ms: median(&mut statics),
            third_party_ms: median(&mut thirds),
            connects,
            retransmitted_connects: retransmitted,
            read_ms: median(&mut reads),
            served_wait_ms: median(&mut served_waits),
            connect_ms: median(&mut connect_times),
            bad: false,
            slow_only: false,
            why: vec![],
        });
    }
    loads.sort_by(|a, b| a.start.cmp(&b.start).then(a.page_id.cmp(&b.page_id)));

    // third-party domains failing in two or more loads (one timeout of an
    // ad server is everyday noise)
    let mut tp_loads: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (li, l) in loads.iter().enumerate() {
        for (i, _) in &l.failures {
            let r = &ds.requests[*i];
            if r.party == Party::Third {
                tp_loads
                    .entry(r.registrable_domain.as_str())
                    .or_default()
                    .insert(li);
            }
        }
    }
    // ... and, in the loads where it failed, failing for most of what the
    // page asked of it: a tag server leaving one request in a dozen (or one
    // beacon of two) unanswered, now and then, is how third parties are
    let failing_third_parties: Vec<String> = tp_loads
        .iter()
        .filter(|(d, ls)| {
            if loads.len() <= 2 {
                return true;
            }
            if ls.len() < 2 {
                return false;
            }
            let (mut failed, mut asked) = (0usize, 0usize);
            for &li in ls.iter() {
                let l = &loads[li];
                failed += l
                    .failures
                    .iter()
                    .filter(|(i, _)| ds.requests[*i].registrable_domain == **d)
                    .count();
                if let Some(&p) = index.get(l.page_id.as_str()) {
                    asked += members[p]
                        .iter()
                        .filter(|&&i| {
                            ds.requests[i].party == Party::Third
                                && ds.requests[i].registrable_domain == **d
                        })
                        .count();
                }
            }
            failed as f64 >= asked.max(1) as f64 * THIRD_PARTY_FAILING_SHARE
        })
        .map(|(d, _)| d.to_string())
        .collect();
    let mut comps: Vec<f64> = loads.iter().map(|l| l.components as f64).collect();
    let median_components = median(&mut comps);
    // the pace references come from whole pages: a load that lost most of
    // its components keeps only its quickest ones (the document's own
    // files), and a quarter of such loads would make every whole page
    // look slow
    let whole_page = |l: &&LoadFacts| match median_components {
        Some(m) if loads_len_ok(m) => l.components as f64 >= m * COMPONENTS_LOST_RATIO,
        _ => true,
    };
    // the quick quartile of each pace, over whole pages
    let quick = |f: fn(&LoadFacts) -> Option<f64>| {
        let mut v: Vec<f64> = loads.iter().filter(whole_page).filter_map(f).collect();
        quantile_low(&mut v, 0.25)
    };
    let api_wait_p25_ms = quick(|l| l.api_wait_ms);
    let static_p25_ms = quick(|l| l.static_ms);
    // the machine's own pace: a load whose answers were read slowly, more
    // than the servers' wait grew, was slow on the capturing machine
    let (read_p25_ms, served_wait_p25_ms) = (quick(|l| l.read_ms), quick(|l| l.served_wait_ms));
    let busy_load =
        |l: &LoadFacts| match (read_p25_ms, l.read_ms, served_wait_p25_ms, l.served_wait_ms) {
            (Some(r0), Some(r), Some(w0), Some(w)) => pace::reads_late((r0, r), (w0, w)),
            _ => false,
        };
    // a load missing several of the page's usual components lost part of
    // it, even when the producer dropped the failed requests (see usual.rs)
    let mut per_load: Vec<BTreeSet<(&str, &str)>> = Vec::with_capacity(loads.len());
    for l in &loads {
        let set: BTreeSet<(&str, &str)> = index
            .get(l.page_id.as_str())
            .map(|&p| {
                members[p]
                    .iter()
                    .map(|&i| {
                        (
                            ds.requests[i].host.as_str(),
                            ds.requests[i].endpoint.as_str(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        per_load.push(set);
    }
    let missing = usual::missing_per_load(&per_load, |k| {
        template_types
            .get(&(k.0.to_string(), k.1.to_string()))
            .copied()
    });
    for (l, (miss, of)) in loads.iter_mut().zip(&missing) {
        if *miss >= 2 && *miss * 10 >= *of && l.components > 0 {
            l.why
                .push(format!("{miss} of {of} usual components missing"));
        }
    }
    // a producer's first page can be empty (chrome-har opens on the blank
    // tab before the first navigation): only a later empty page is a load
    // that failed
    let mut seen_stream: BTreeSet<(String, u32)> = BTreeSet::new();
    let first_of_stream: BTreeSet<String> = loads
        .iter()
        .filter(|l| seen_stream.insert((l.vantage.clone(), l.file)))
        .map(|l| l.page_id.clone())
        .collect();
    for l in &mut loads {
        if l.components == 0 && !first_of_stream.contains(&l.page_id) {
            // the producer kept the page but no request of it: the
            // navigation itself failed below HTTP (chrome-har and
            // Browsertime drop requests that never got a response)
            l.why
                .push("no request recorded: the page never loaded".into());
        }
        if let Some(why) = first_party_severity(ds, l, &is_dyn) {
            l.why.push(why);
        }
        let tp: BTreeSet<&str> = l
            .failures
            .iter()
            .map(|(i, _)| &ds.requests[*i])
            .filter(|r| r.party == Party::Third)
            .map(|r| r.registrable_domain.as_str())
            .filter(|d| failing_third_parties.iter().any(|f| f == d))
            .collect();
        if !tp.is_empty() {
            l.why.push(format!(
                "third party failing: {}",
                tp.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(m) = median_components
            && loads_len_ok(m)
            && (l.components as f64) < m * COMPONENTS_LOST_RATIO
        {
            l.why
                .push(format!("components {} < median {m:.0}", l.components));
        }
        let failed_reasons = l.why.len();
        if let (Some(w), Some(p25)) = (l.api_wait_ms, api_wait_p25_ms)
            && w > p25 * SLOW_API_RATIO
            && w > p25 + SLOW_API_MIN_EXTRA_MS
        {
            l.why.push(format!("API wait {w:.0} ms vs {p25:.0} ms"));
        } else if let (Some(w), Some(v)) = (l.api_wait_ms, l.static_ms)
            && w >= ABS_SLOW_API_MS
            && w >= v * ABS_API_VS_STATIC
        {
            l.why
                .push(format!("API wait {w:.0} ms against static {v:.0} ms"));
        }
        if let (Some(v), Some(p25)) = (l.static_ms, static_p25_ms)
            && !busy_load(l)
            && v > p25 * SLOW_PATH_RATIO
            && v > p25 + SLOW_API_MIN_EXTRA_MS
        {
            l.why
                .push(format!("static components {v:.0} ms vs {p25:.0} ms"));
        }
        if is_retransmitting(l.retransmitted_connects, l.connects) {
            l.why.push(format!(
                "{} of {} new connections took {:.0} ms or more to open (SYN retransmits)",
                l.retransmitted_connects, l.connects, SYN_RETRANSMIT_MS
            ));
        }
        l.bad = !l.why.is_empty();
        l.slow_only = l.bad && failed_reasons == 0;
    }
    mark_api_steps(&mut loads);
    LoadCensus {
        loads,
        median_components,
        api_wait_p25_ms,
        failing_third_parties,
        template_types,
        doc_hosts: ds
            .requests
            .iter()
            .filter(|r| {
                r.resource_type == ResourceType::Document
                    && r.party != Party::Third
                    && (200..400).contains(&r.status)
            })
            .map(|r| r.host.clone())
            .collect(),
        nav_hosts,
    }
}

/// Do a load's first-party failures matter? A healthy page of a real site
/// can carry one chronic broken asset (a tracking pixel answering 500 in
/// every load); an outage fails the document or an API call, fails at a
/// layer below HTTP, or fails several components.
fn first_party_severity(
    ds: &Dataset,
    l: &LoadFacts,
    is_dyn: &dyn Fn(&Request) -> bool,
) -> Option<String> {
    let fp: Vec<(&Request, Shape)> = l
        .failures
        .iter()
        .map(|(i, s)| (&ds.requests[*i], *s))
        .filter(|(r, _)| r.party != Party::Third)
        .collect();
    if fp.is_empty() {
        return None;
    }
    let templates: BTreeSet<(&str, &str)> = fp
        .iter()
        .map(|(r, _)| (r.host.as_str(), r.endpoint.as_str()))
        .collect();
    // status 0 with no reason and no phase is how Firefox records a
    // request the page cancelled: it counts only with other evidence
    let key = fp.iter().find(|(r, s)| {
        r.resource_type == ResourceType::Document
            || is_dyn(r)
            || !matches!(s, Shape::NeverStarted | Shape::NoAnswer)
    });
    if templates.len() >= 2 || key.is_some() {
        let (r, s) = key.copied().unwrap_or(fp[0]);
        Some(format!(
            "{} first-party failures ({} on {}{})",
            fp.len(),
            s.as_str(),
            r.host,
            r.endpoint
        ))
    } else {
        None
    }
}

fn loads_len_ok(median_components: f64) -> bool {
    median_components >= 5.0
}

#[cfg(test)]
mod tests;
