//! Replaying a template load into captures, with a fault let loose on it.
//!
//! Each load is the template with its own noise (page-level pace, per-request
//! wait and receive jitter, the odd third-party 404, aborted request or
//! cancelled beacon), then, while the fault is active, the fault's rewrite of
//! the requests it touches. A rewrite goes through `producer::apply`, so the
//! capture says what its producer would have said.

use super::producer::{NetError, Outcome, Producer, as_f64, total_time};
use super::template::{Role, TEntry, Template, url_of};
use crate::scenario::Rng;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

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

fn cdn_targets(t: &Template) -> Vec<&TEntry> {
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

/// One replayed page load.
#[derive(Debug, Clone)]
pub struct Load {
    pub start: DateTime<Utc>,
    pub entries: Vec<(f64, Value)>,
    pub on_load_ms: f64,
    pub on_content_load_ms: f64,
    /// Whether the fault touched this load.
    pub faulty: bool,
}

fn set_num(obj: &mut Map<String, Value>, key: &str, v: f64) {
    let old = obj.get(key).cloned().unwrap_or(json!(0));
    let nv = if old.is_i64() || old.is_u64() {
        json!(v.round() as i64)
    } else if old.is_string() {
        json!(format!("{}", v.round() as i64))
    } else {
        json!((v * 1000.0).round() / 1000.0)
    };
    obj.insert(key.into(), nv);
}

fn timing(e: &Value, k: &str) -> f64 {
    e.pointer(&format!("/timings/{k}"))
        .and_then(as_f64)
        .unwrap_or(-1.0)
}

/// Scale / add to timing phases and keep `time` the sum of the phases.
fn retime(e: &mut Value, ssl_in_connect: bool, f: impl Fn(&str, f64) -> f64) {
    let Some(obj) = e.as_object_mut() else { return };
    let Some(t) = obj.get_mut("timings").and_then(Value::as_object_mut) else {
        return;
    };
    let before = total_time(t, ssl_in_connect);
    for k in [
        "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
    ] {
        if let Some(v) = t.get(k).and_then(as_f64)
            && v >= 0.0
        {
            let nv = f(k, v).max(0.0);
            if (nv - v).abs() > 1e-9 {
                set_num(t, k, nv);
            }
        }
    }
    let after = total_time(t, ssl_in_connect);
    let old_time = obj.get("time").and_then(as_f64).unwrap_or(before);
    if old_time >= 0.0 {
        set_num(obj, "time", (old_time + after - before).max(0.0));
    }
}

fn entry_time(e: &Value) -> f64 {
    e.get("time").and_then(as_f64).unwrap_or(0.0).max(0.0)
}

fn http(
    status: i64,
    mime: &'static str,
    size: i64,
    headers: Vec<(String, String)>,
    wait: f64,
) -> Outcome {
    let text = match status {
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    Outcome::Http {
        status,
        status_text: text,
        mime,
        body_size: size,
        headers,
        wait_ms: wait,
    }
}

fn net(error: NetError, elapsed: f64, e: &Value) -> Outcome {
    let dns = timing(e, "dns").max(0.0);
    let ssl = timing(e, "ssl").max(0.0);
    let connect = (timing(e, "connect").max(0.0) - ssl).max(0.0);
    let dns = if dns > 0.0 { dns } else { 5.0 };
    let connect = if connect > 0.0 { connect } else { 20.0 };
    Outcome::Net {
        error,
        elapsed_ms: elapsed,
        phases: [dns, connect, ssl],
    }
}

fn edge_response(edge: Edge, rng: &mut Rng) -> Outcome {
    let hex = rng.hex(16);
    match edge {
        Edge::Cloudflare => {
            let status = *rng.pick(&[502i64, 503, 520, 522]);
            let wait = if status == 522 {
                rng.range_f(15000.0, 19000.0)
            } else {
                rng.range_f(15.0, 150.0)
            };
            let pop = rng
                .pick(&["FRA", "AMS", "LHR", "IAD", "SJC", "NRT"])
                .to_string();
            let headers = vec![
                ("content-type".into(), "text/html; charset=UTF-8".into()),
                ("server".into(), "cloudflare".into()),
                ("cf-ray".into(), format!("{hex}-{pop}")),
                (
                    "cache-control".into(),
                    "private, max-age=0, no-store, no-cache, must-revalidate".into(),
                ),
            ];
            http(status, "text/html", rng.range_i(4200, 7400), headers, wait)
        }
        Edge::CloudFront => {
            let status = *rng.pick(&[502i64, 503, 504]);
            let wait = if status == 504 {
                rng.range_f(29000.0, 31000.0)
            } else {
                rng.range_f(10.0, 120.0)
            };
            let id = rng.alnum(56);
            let headers = vec![
                ("content-type".into(), "text/html".into()),
                ("server".into(), "CloudFront".into()),
                ("x-cache".into(), "Error from cloudfront".into()),
                (
                    "via".into(),
                    format!("1.1 {}.cloudfront.net (CloudFront)", rng.hex(32)),
                ),
                (
                    "x-amz-cf-pop".into(),
                    format!(
                        "{}{}-P{}",
                        rng.pick(&["FRA", "AMS", "IAD", "SFO"]),
                        rng.range_i(50, 60),
                        rng.range_i(1, 4)
                    ),
                ),
                ("x-amz-cf-id".into(), id),
            ];
            http(status, "text/html", rng.range_i(880, 1000), headers, wait)
        }
        Edge::Fastly => {
            let headers = vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("via".into(), "1.1 varnish".into()),
                (
                    "x-served-by".into(),
                    format!(
                        "cache-{}{}-{}",
                        rng.pick(&["fra-etou", "ams-adam", "iad-kiad", "lhr-egll"]),
                        rng.range_i(8200000, 8299999),
                        rng.pick(&["FRA", "AMS", "IAD", "LHR"])
                    ),
                ),
                ("x-cache".into(), "MISS".into()),
                ("x-cache-hits".into(), "0".into()),
                (
                    "x-timer".into(),
                    format!(
                        "S{}.{},VS0,VE{}",
                        rng.range_i(1_700_000_000, 1_800_000_000),
                        rng.range_i(100000, 999999),
                        rng.range_i(1, 90)
                    ),
                ),
            ];
            http(
                503,
                "text/html",
                rng.range_i(420, 480),
                headers,
                rng.range_f(5.0, 90.0),
            )
        }
        Edge::Akamai => {
            let status = *rng.pick(&[503i64, 504]);
            let wait = if status == 504 {
                rng.range_f(20000.0, 30000.0)
            } else {
                rng.range_f(10.0, 100.0)
            };
            let headers = vec![
                ("server".into(), "AkamaiGHost".into()),
                ("mime-version".into(), "1.0".into()),
                ("content-type".into(), "text/html".into()),
                ("cache-control".into(), "max-age=0".into()),
            ];
            http(status, "text/html", rng.range_i(250, 330), headers, wait)
        }
    }
}

/// Origin error passed through whatever the response came through: the
/// template's own response headers are kept (an origin 5xx passed through a
/// CDN still carries the edge's headers), content type replaced.
fn origin_error(e: &Value, status: i64, rng: &mut Rng, slow: bool) -> Outcome {
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(hs) = e.pointer("/response/headers").and_then(Value::as_array) {
        for h in hs {
            let n = h.get("name").and_then(Value::as_str).unwrap_or("");
            let v = h.get("value").and_then(Value::as_str).unwrap_or("");
            let l = n.to_ascii_lowercase();
            if matches!(
                l.as_str(),
                "server"
                    | "via"
                    | "x-cache"
                    | "cf-ray"
                    | "x-served-by"
                    | "x-amz-cf-id"
                    | "x-amz-cf-pop"
                    | "date"
                    | "age"
                    | "x-timer"
            ) {
                headers.push((n.into(), v.into()));
            }
        }
    }
    let json_api = e
        .pointer("/response/content/mimeType")
        .and_then(Value::as_str)
        .is_some_and(|m| m.contains("json"));
    let mime = if json_api && rng.chance(0.5) {
        "application/json"
    } else {
        "text/html"
    };
    headers.push(("content-type".into(), mime.into()));
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("server"))
    {
        headers.push(("server".into(), "nginx".into()));
    }
    let wait = if slow {
        if status == 502 {
            rng.range_f(1000.0, 5000.0)
        } else {
            rng.range_f(5000.0, 30000.0)
        }
    } else {
        rng.range_f(4.0, 60.0)
    };
    let size = if mime == "application/json" {
        rng.range_i(60, 240)
    } else {
        rng.range_i(150, 600)
    };
    http(status, mime, size, headers, wait)
}

/// Build one load of the template at `start`; `phase` is the position in
/// the active wave (0..1) or None when the fault is not active.
pub fn build_load(
    t: &Template,
    plan: &FaultPlan,
    start: DateTime<Utc>,
    phase: Option<f64>,
    last: bool,
    rng: &mut Rng,
) -> Load {
    let pace = rng.lognormal(1.0, 0.08);
    let mut on_load = t.on_load_ms * pace;
    let mut on_dcl = t.on_content_load_ms * pace;
    // (offset, entry, role index, alive, touched)
    let mut es: Vec<(f64, Value, usize, bool, bool)> = Vec::with_capacity(t.entries.len());
    for (i, te) in t.entries.iter().enumerate() {
        let mut e = te.entry.clone();
        let fw = rng.lognormal(1.0, 0.15);
        let fr = rng.lognormal(1.0, 0.15);
        retime(&mut e, t.ssl_in_connect, |k, v| match k {
            "wait" => v * fw,
            "receive" => v * fr,
            _ => v,
        });
        es.push((te.offset_ms * pace, e, i, true, false));
    }
    let drawn = rng.chance(plan.load_share);
    let active = phase.is_some() && plan.kind != FaultKind::Healthy && (drawn || plan.force_one);
    let mut faulty = false;
    if active {
        faulty = apply_fault(
            t,
            plan,
            phase.unwrap_or(0.0),
            &mut es,
            &mut on_load,
            &mut on_dcl,
            rng,
        );
    }
    noise(t, &mut es, on_load, last, rng);
    let mut entries: Vec<(f64, Value)> =
        es.into_iter().filter(|x| x.3).map(|x| (x.0, x.1)).collect();
    entries.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    Load {
        start,
        entries,
        on_load_ms: on_load,
        on_content_load_ms: on_dcl.min(on_load),
        faulty,
    }
}

type Work = Vec<(f64, Value, usize, bool, bool)>;

fn fail(t: &Template, x: &mut (f64, Value, usize, bool, bool), o: &Outcome) {
    let kept = super::producer::apply(&mut x.1, t.producer, o, t.ssl_in_connect);
    x.3 = kept;
    x.4 = true;
}

/// Everything but the document is gone (the navigation itself failed).
fn only_document(t: &Template, es: &mut Work, on_load: &mut f64, on_dcl: &mut f64) {
    let mut doc_end = 0.0;
    for x in es.iter_mut() {
        if t.entries[x.2].role == Role::Document {
            doc_end = x.0 + entry_time(&x.1);
        } else {
            x.3 = false;
        }
    }
    *on_load = doc_end + 15.0;
    *on_dcl = doc_end + 10.0;
}

fn recompute_on_load(es: &Work, on_load: &mut f64, on_dcl: &mut f64) {
    let end = es
        .iter()
        .filter(|x| x.3 && x.0 <= *on_load)
        .map(|x| x.0 + entry_time(&x.1))
        .fold(0.0, f64::max);
    if end + 20.0 < *on_load {
        *on_load = end + 20.0;
        *on_dcl = on_dcl.min(*on_load);
    }
}

fn apply_fault(
    t: &Template,
    plan: &FaultPlan,
    phase: f64,
    es: &mut Work,
    on_load: &mut f64,
    on_dcl: &mut f64,
    rng: &mut Rng,
) -> bool {
    let role = |x: &(f64, Value, usize, bool, bool)| t.entries[x.2].role;
    match plan.kind {
        FaultKind::Healthy => false,
        FaultKind::Backend => {
            let status = if phase < 0.5 { 502 } else { 503 };
            if t.count(Role::Api) == 0 {
                for x in es.iter_mut().filter(|x| role(x) == Role::Document) {
                    let o = origin_error(&x.1, status, rng, plan.slow_errors);
                    fail(t, x, &o);
                }
                only_document(t, es, on_load, on_dcl);
                return true;
            }
            let mut first_fail = f64::MAX;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                let o = origin_error(&x.1, status, rng, plan.slow_errors);
                fail(t, x, &o);
                first_fail = first_fail.min(x.0 + entry_time(&x.1));
            }
            // What the API calls would have rendered never gets requested.
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                if x.4 || !matches!(te.role, Role::OriginStatic | Role::CdnStatic | Role::Api) {
                    continue;
                }
                if x.0 > first_fail
                    && matches!(
                        te.kind.as_str(),
                        "image" | "script" | "xhr" | "fetch" | "media" | "other"
                    )
                    && rng.chance(0.85)
                {
                    x.3 = false;
                }
            }
            recompute_on_load(es, on_load, on_dcl);
            true
        }
        FaultKind::BackendSlow => {
            let factor = if phase < 0.5 { 2.0 } else { 16.0 };
            let mut added: f64 = 0.0;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                let before = entry_time(&x.1);
                retime(&mut x.1, t.ssl_in_connect, |k, v| {
                    if k == "wait" { v * factor } else { v }
                });
                x.4 = true;
                if x.0 < *on_load {
                    added = added.max(entry_time(&x.1) - before);
                }
            }
            *on_load += added;
            true
        }
        FaultKind::BackendPartial => {
            let mut any = false;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                if rng.chance(plan.request_share) || (plan.force_one && !any) {
                    let status = *rng.pick(&[500i64, 502, 503, 504]);
                    let o = origin_error(&x.1, status, rng, status == 504);
                    fail(t, x, &o);
                    any = true;
                }
            }
            any
        }
        FaultKind::Cdn => {
            let targets: Vec<usize> = cdn_targets(t)
                .iter()
                .map(|e| {
                    t.entries
                        .iter()
                        .position(|x| std::ptr::eq(x, *e))
                        .unwrap_or(0)
                })
                .collect();
            let mut any = false;
            for x in es.iter_mut() {
                if !targets.contains(&x.2) {
                    continue;
                }
                let hit = rng.chance(plan.request_share) || (plan.force_one && !any);
                if !hit {
                    continue;
                }
                let te = &t.entries[x.2];
                let cross_origin = te.host != t.site.document_host;
                if t.orb && cross_origin && matches!(te.kind.as_str(), "image" | "script" | "media")
                {
                    let el = entry_time(&x.1).max(20.0);
                    fail(t, x, &net(NetError::BlockedByOrb, el, &te.entry));
                } else {
                    let o = edge_response(plan.edge, rng);
                    fail(t, x, &o);
                }
                any = true;
            }
            any
        }
        FaultKind::Dns => {
            let el = if rng.chance(0.3) {
                rng.range_f(2000.0, 8000.0)
            } else {
                rng.lognormal(30.0, 0.6)
            };
            if plan.document_host {
                for x in es
                    .iter_mut()
                    .filter(|x| t.entries[x.2].role == Role::Document)
                {
                    let o = net(NetError::NameNotResolved, el, &x.1.clone());
                    fail(t, x, &o);
                }
                only_document(t, es, on_load, on_dcl);
            } else {
                for x in es.iter_mut() {
                    if plan.hosts.contains(&t.entries[x.2].host) {
                        let o = net(
                            NetError::NameNotResolved,
                            el * rng.range_f(0.8, 1.2),
                            &x.1.clone(),
                        );
                        fail(t, x, &o);
                    }
                }
                recompute_on_load(es, on_load, on_dcl);
            }
            true
        }
        FaultKind::Tls => {
            for x in es.iter_mut() {
                if plan.hosts.contains(&t.entries[x.2].host) {
                    let e = x.1.clone();
                    let dns = timing(&e, "dns").max(0.0).max(3.0);
                    let ssl = timing(&e, "ssl").max(0.0);
                    let connect = (timing(&e, "connect").max(0.0) - ssl).max(8.0);
                    let hs = rng.range_f(15.0, 120.0);
                    let o = Outcome::Net {
                        error: plan.tls_error,
                        elapsed_ms: dns + connect + hs,
                        phases: [dns, connect, 0.0],
                    };
                    fail(t, x, &o);
                }
            }
            if plan.document_host {
                only_document(t, es, on_load, on_dcl);
            } else {
                recompute_on_load(es, on_load, on_dcl);
            }
            true
        }
        FaultKind::Network => {
            let mut slowest: f64 = 0.0;
            let doc_fails = !plan.lossy && rng.chance(0.2);
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                let is_doc = te.role == Role::Document;
                let fails = if is_doc {
                    doc_fails
                } else {
                    rng.chance(plan.request_share)
                };
                if fails {
                    let r = rng.f64();
                    let (err, el) = if r < 0.5 {
                        (NetError::ConnectionTimedOut, rng.range_f(20500.0, 21500.0))
                    } else if r < 0.8 {
                        (NetError::ConnectionReset, rng.range_f(40.0, 3000.0))
                    } else {
                        (NetError::TimedOut, rng.range_f(30000.0, 60000.0))
                    };
                    let o = net(err, el, &x.1.clone());
                    fail(t, x, &o);
                    continue;
                }
                // Slow connects (SYN retransmits at 1 s, 3 s) and longer waits.
                let syn = if rng.chance(if plan.lossy { 0.4 } else { 0.25 }) {
                    *rng.pick(&[1000.0, 3000.0])
                } else {
                    0.0
                };
                let rtt = rng.range_f(80.0, 400.0);
                let recv_f = if plan.lossy {
                    rng.range_f(2.0, 6.0)
                } else {
                    rng.range_f(1.2, 2.0)
                };
                let before = entry_time(&x.1);
                retime(&mut x.1, t.ssl_in_connect, |k, v| match k {
                    "connect" if v > 0.0 => v * 3.0 + syn + rtt,
                    "wait" => v + rtt,
                    "receive" => v * recv_f,
                    _ => v,
                });
                x.4 = true;
                if x.0 < *on_load {
                    slowest = slowest.max(entry_time(&x.1) - before);
                }
            }
            if doc_fails {
                only_document(t, es, on_load, on_dcl);
            } else {
                *on_load += slowest;
                *on_dcl += slowest * 0.5;
            }
            true
        }
        FaultKind::Client => {
            // A reload attempt fails at once; the open page's background
            // requests (late ones, any host) fail the same way.
            let late = *on_dcl;
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                if te.role == Role::Document || x.0 > late {
                    let o = Outcome::Net {
                        error: NetError::InternetDisconnected,
                        elapsed_ms: rng.range_f(0.8, 6.0),
                        phases: [0.0; 3],
                    };
                    fail(t, x, &o);
                } else {
                    x.3 = false;
                }
            }
            *on_load = 20.0;
            *on_dcl = 15.0;
            true
        }
        FaultKind::ThirdParty => {
            for x in es.iter_mut() {
                if t.entries[x.2].domain != plan.third_party {
                    continue;
                }
                if plan.tp_timeouts {
                    let (err, el) = if rng.chance(0.6) {
                        (NetError::ConnectionTimedOut, rng.range_f(20500.0, 21500.0))
                    } else {
                        (NetError::TimedOut, rng.range_f(30000.0, 45000.0))
                    };
                    let o = net(err, el, &x.1.clone());
                    fail(t, x, &o);
                } else {
                    let st = *rng.pick(&[502i64, 503, 504]);
                    let o = origin_error(&x.1.clone(), st, rng, st == 504);
                    fail(t, x, &o);
                }
            }
            true
        }
    }
}

/// Realistic noise of a healthy page: an occasional third-party 404, a
/// request cut off by the next navigation (`net::ERR_ABORTED`), a cancelled
/// beacon. Never on a request the fault already touched.
fn noise(t: &Template, es: &mut Work, on_load: f64, last: bool, rng: &mut Rng) {
    if rng.chance(0.1) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| es[*i].3 && !es[*i].4 && t.entries[es[*i].2].role == Role::ThirdParty)
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let o = http(
                404,
                "text/html",
                rng.range_i(0, 200),
                vec![("content-type".into(), "text/html".into())],
                rng.range_f(10.0, 80.0),
            );
            fail(t, x, &o);
        }
    }
    if !last && rng.chance(0.15) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| {
                es[*i].3
                    && !es[*i].4
                    && es[*i].0 > on_load
                    && t.entries[es[*i].2].role != Role::Document
            })
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let el = entry_time(&x.1).min(200.0);
            let o = net(NetError::Aborted, el, &x.1.clone());
            fail(t, x, &o);
        }
    }
    if rng.chance(0.1) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| {
                let x = &es[*i];
                let u = url_of(&x.1).to_ascii_lowercase();
                x.3 && !x.4
                    && (t.entries[x.2].kind == "ping"
                        || u.contains("beacon")
                        || u.contains("/collect")
                        || u.contains("/log"))
            })
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let o = net(NetError::Aborted, rng.range_f(1.0, 30.0), &x.1.clone());
            fail(t, x, &o);
        }
    }
}

/// Write a time the way the producer does (its UTC offset, `Z` or `+00:00`).
pub fn fmt_time(t: &Template, at: DateTime<Utc>) -> String {
    if t.zulu {
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        at.with_timezone(&t.tz)
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
    }
}

fn ms(d: f64) -> Duration {
    Duration::microseconds((d * 1000.0).round() as i64)
}

/// Assemble loads into one HAR as `t.producer` writes it: a page per load,
/// or one page for the whole tab (Playwright, Safari).
pub fn render(t: &Template, loads: &[Load], page_salt: &str) -> Value {
    let mut pages: Vec<Value> = Vec::new();
    let mut entries: Vec<Value> = Vec::new();
    let single_id = match t.producer {
        Producer::Playwright => format!("page@{page_salt}"),
        _ => t
            .page
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("page_0")
            .to_string(),
    };
    for (n, l) in loads.iter().enumerate() {
        let id = if t.producer.page_per_load() {
            match t.producer {
                Producer::WebPageTest => format!("page_{}_0", n + 1),
                _ => format!("page_{}", n + 1),
            }
        } else {
            single_id.clone()
        };
        if t.producer.page_per_load() || n == 0 {
            let mut p = t.page.as_object().cloned().unwrap_or_default();
            p.insert("id".into(), json!(id));
            p.insert("startedDateTime".into(), json!(fmt_time(t, l.start)));
            if t.producer == Producer::WebPageTest {
                let url = url_of(&t.entries[0].entry);
                p.insert(
                    "title".into(),
                    json!(format!("Run {}, First View for {}", n + 1, url)),
                );
            }
            let mut pt = p
                .get("pageTimings")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in [
                ("onLoad", l.on_load_ms),
                ("onContentLoad", l.on_content_load_ms),
            ] {
                let keep_neg = pt.get(k).and_then(as_f64).is_some_and(|x| x < 0.0);
                if !keep_neg {
                    let old = pt.get(k).cloned().unwrap_or(json!(0.0));
                    let nv = if old.is_i64() || old.is_u64() {
                        json!(v.round() as i64)
                    } else {
                        json!((v * 1000.0).round() / 1000.0)
                    };
                    pt.insert(k.into(), nv);
                }
            }
            p.insert("pageTimings".into(), Value::Object(pt));
            if t.producer == Producer::WebPageTest {
                set_num(&mut p, "_docTime", l.on_load_ms);
                set_num(&mut p, "_loadTime", l.on_load_ms);
                p.insert("_requests".into(), json!(l.entries.len()));
                p.insert("_run".into(), json!(n + 1));
                let last = l
                    .entries
                    .iter()
                    .map(|x| x.0 + entry_time(&x.1))
                    .fold(0.0, f64::max);
                set_num(&mut p, "_fullyLoaded", last.max(l.on_load_ms));
            }
            pages.push(Value::Object(p));
        }
        for (off, e) in &l.entries {
            let mut e = e.clone();
            if let Some(o) = e.as_object_mut() {
                o.insert(
                    "startedDateTime".into(),
                    json!(fmt_time(t, l.start + ms(*off))),
                );
                if o.contains_key("pageref") || t.producer != Producer::Other {
                    o.insert("pageref".into(), json!(id));
                }
                if t.producer == Producer::WebPageTest {
                    set_num(o, "_load_start", *off);
                }
            }
            entries.push(e);
        }
    }
    let mut log = Map::new();
    log.insert("version".into(), t.version.clone());
    log.insert("creator".into(), t.creator.clone());
    if let Some(b) = &t.browser {
        log.insert("browser".into(), b.clone());
    }
    log.insert("pages".into(), Value::Array(pages));
    log.insert("entries".into(), Value::Array(entries));
    json!({ "log": Value::Object(log) })
}
