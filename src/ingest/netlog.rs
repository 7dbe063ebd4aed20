//! Chrome NetLog: the JSON that `chrome://net-export` and `--log-net-log`
//! write (`{"constants": {...}, "events": [...]}`). Each `URL_REQUEST`
//! source becomes one request: URL, method and status from its own events,
//! the net error it ended with (`REQUEST_ALIVE` end, `FAILED`,
//! `CANCELLED`), send / wait / receive from its transaction events, and
//! host resolution, TCP connect and TLS handshake from the connect job and
//! socket it was bound to (followed through `source_dependency` links;
//! a reused socket's connect belongs to the request that opened it).
//!
//! Event times are ticks in milliseconds; `constants.timeTickOffset` turns
//! them into wall time. A NetLog cut short (Chrome killed while logging:
//! no closing `]}`) keeps the events before the cut, with a warning.
//! Requests that never ended in the log are kept with what is known and
//! counted in a warning. Sources other than URL requests are not records.

use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::classify;
use crate::model::{EdgeHints, ErrorClass, Phases, Request, ResourceType, SourceRef};
use serde::Deserialize;
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

pub static FORMAT: FormatSpec = FormatSpec {
    name: "chrome-netlog",
    sniff,
    parse,
    samples: &[
        // fixtures/logs/chrome-netlog-shop.json, constants and events cut down
        r#"{"constants":{"logEventPhase":{"PHASE_BEGIN":1,"PHASE_END":2,"PHASE_NONE":0},"logEventTypes":{"REQUEST_ALIVE":2,"URL_REQUEST_START_JOB":120},"logFormatVersion":1,"logSourceType":{"URL_REQUEST":1},"timeTickOffset":"1796233259623"},
"events": [
{"params":{"priority":"HIGHEST","traffic_annotation":63171670,"url":"http://127.0.0.1:18090/"},"phase":1,"source":{"id":89,"start_time":"659678","type":1},"time":"659678","type":2},
"#,
    ],
};

fn sniff(head: &[u8]) -> bool {
    let b = super::trimmed_head(head);
    if !b.starts_with(b"{") {
        return false;
    }
    let has = |s: &[u8]| memchr::memmem::find(b, s).is_some();
    has(b"\"constants\"") && has(b"\"logEventTypes\"") && has(b"\"logSourceType\"")
}

#[derive(Deserialize)]
struct Source {
    id: i64,
    #[serde(rename = "type")]
    kind: i64,
}

#[derive(Deserialize)]
struct Event {
    time: Value,
    #[serde(rename = "type")]
    kind: i64,
    source: Source,
    phase: i64,
    #[serde(default)]
    params: Option<Value>,
}

/// The names the log's own constants give to numbers.
struct Names {
    event: HashMap<i64, String>,
    source: HashMap<i64, String>,
    phase: HashMap<i64, String>,
    net_error: HashMap<i64, String>,
    tick_offset_ms: f64,
}

fn invert(v: Option<&Value>) -> HashMap<i64, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((v.as_i64()?, k.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Elements of the JSON array starting at `bytes`, up to the first error.
fn elements(bytes: &[u8]) -> (Vec<Box<RawValue>>, Option<String>) {
    struct Collect<'v>(&'v mut Vec<Box<RawValue>>);
    impl<'de> Visitor<'de> for Collect<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("the NetLog events array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<Box<RawValue>>()? {
                self.0.push(v);
            }
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = de
        .deserialize_seq(Collect(&mut out))
        .err()
        .map(|e| e.to_string());
    (out, err)
}

/// `"key":` at the top level of the object, searched from `from`: the byte
/// after the colon.
fn after_key(bytes: &[u8], from: usize, key: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memmem::find(&bytes[at..], key) {
        let mut j = at + i + key.len();
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) == Some(&b':') {
            return Some(j + 1);
        }
        at = at + i + 1;
    }
    None
}

/// What one URL request did, gathered from its events.
#[derive(Default)]
struct Req {
    first_event: u64,
    start: Option<f64>,
    end: Option<f64>,
    url: Option<String>,
    method: Option<String>,
    request_type: Option<String>,
    status: Option<i32>,
    content_type: Option<String>,
    headers: Vec<String>,
    net_error: Option<i64>,
    send: (Option<f64>, Option<f64>),
    wait: (Option<f64>, Option<f64>),
    bytes: u64,
    deps: Vec<i64>,
}

/// Timings of the other sources a request may be bound to.
#[derive(Default)]
struct Other {
    deps: Vec<i64>,
    dns: (Option<f64>, Option<f64>),
    tcp: (Option<f64>, Option<f64>),
    tls: (Option<f64>, Option<f64>),
    remote: Option<String>,
}

fn span(s: (Option<f64>, Option<f64>)) -> Option<f64> {
    match s {
        (Some(a), Some(b)) if b >= a => Some(b - a),
        _ => None,
    }
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let mut out = Parsed::default();
    let bytes = super::strip_bom(&file.bytes);
    let at0 = SourceRef {
        file: file.id,
        kind: crate::model::LocKind::Byte,
        n: 0,
    };
    let Some(c_at) = after_key(bytes, 0, b"\"constants\"") else {
        out.report
            .reject(at0, "no `constants` object: not a NetLog");
        return out;
    };
    let mut it = serde_json::Deserializer::from_slice(&bytes[c_at..]).into_iter::<Value>();
    let constants = match it.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            out.report
                .reject(at0, format!("NetLog `constants` unreadable: {e}"));
            return out;
        }
        None => {
            out.report.reject(at0, "NetLog `constants` missing");
            return out;
        }
    };
    let c_end = c_at + it.byte_offset();
    let names = Names {
        event: invert(constants.get("logEventTypes")),
        source: invert(constants.get("logSourceType")),
        phase: invert(constants.get("logEventPhase")),
        net_error: invert(constants.get("netError")),
        tick_offset_ms: constants.get("timeTickOffset").and_then(num).unwrap_or(0.0),
    };
    if names.tick_offset_ms == 0.0 {
        out.report
            .warnings
            .push("NetLog has no constants.timeTickOffset: times are ticks since the capturing machine booted".into());
    }
    let Some(e_at) = after_key(bytes, c_end, b"\"events\"") else {
        out.report.reject(
            SourceRef {
                n: c_end as u64,
                ..at0
            },
            "no `events` array after the constants",
        );
        return out;
    };
    let body = &bytes[e_at..];
    let lead = body
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(body.len());
    let (raw, err) = elements(&body[lead..]);
    if let Some(e) = &err {
        out.report.warnings.push(format!(
            "NetLog events cut short after {} events ({e}): Chrome stopped before closing the log; the events before the cut were read",
            raw.len()
        ));
    }
    fn name_of(m: &HashMap<i64, String>, k: i64) -> &str {
        m.get(&k).map(String::as_str).unwrap_or("")
    }
    let mut reqs: BTreeMap<i64, Req> = BTreeMap::new();
    let mut others: HashMap<i64, Other> = HashMap::new();
    let mut bad = 0u64;
    for (i, r) in raw.iter().enumerate() {
        let ev: Event = match serde_json::from_str(r.get()) {
            Ok(e) => e,
            Err(e) => {
                bad += 1;
                out.report.reject(
                    SourceRef::entry(file.id, i as u64),
                    format!("NetLog event not understood: {e}"),
                );
                continue;
            }
        };
        let Some(t) = num(&ev.time) else {
            bad += 1;
            out.report.reject(
                SourceRef::entry(file.id, i as u64),
                "NetLog event without a time",
            );
            continue;
        };
        let kind = name_of(&names.event, ev.kind);
        let phase = name_of(&names.phase, ev.phase);
        let begin = phase == "PHASE_BEGIN";
        let end = phase == "PHASE_END";
        let p = ev.params.as_ref();
        let ps = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
        let net_error = p.and_then(|p| p.get("net_error")).and_then(Value::as_i64);
        let dep = p
            .and_then(|p| p.get("source_dependency"))
            .and_then(|d| d.get("id"))
            .and_then(Value::as_i64);
        if name_of(&names.source, ev.source.kind) == "URL_REQUEST" {
            let q = reqs.entry(ev.source.id).or_insert_with(|| Req {
                first_event: i as u64,
                ..Default::default()
            });
            if let Some(d) = dep {
                q.deps.push(d);
            }
            match kind {
                "REQUEST_ALIVE" if begin => {
                    q.start = Some(t);
                    q.first_event = i as u64;
                    if let Some(u) = ps("url") {
                        q.url = Some(u.to_string());
                    }
                }
                "REQUEST_ALIVE" if end => {
                    q.end = Some(t);
                    if net_error.is_some() {
                        q.net_error = net_error;
                    }
                }
                "URL_REQUEST_START_JOB" if begin => {
                    if let Some(m) = ps("method") {
                        q.method = Some(m.to_string());
                    }
                    if let Some(u) = ps("url") {
                        q.url.get_or_insert_with(|| u.to_string());
                    }
                    if let Some(rt) = ps("request_type") {
                        q.request_type = Some(rt.to_string());
                    }
                    q.start.get_or_insert(t);
                }
                "FAILED" | "CANCELLED" | "URL_REQUEST_START_JOB"
                    if net_error.is_some() && q.net_error.is_none() =>
                {
                    q.net_error = net_error;
                }
                "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" => {
                    let hs: Vec<String> = p
                        .and_then(|p| p.get("headers"))
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|h| h.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    if let Some(code) = hs
                        .first()
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|c| c.parse().ok())
                    {
                        q.status = Some(code);
                    }
                    q.content_type = hs.iter().find_map(|h| {
                        let (k, v) = h.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case("content-type")
                            .then(|| v.trim().to_string())
                    });
                    q.headers = hs;
                }
                "HTTP_TRANSACTION_SEND_REQUEST" if begin => q.send.0 = Some(t),
                "HTTP_TRANSACTION_SEND_REQUEST" if end => q.send.1 = Some(t),
                "HTTP_TRANSACTION_READ_HEADERS" if begin => q.wait.0 = Some(t),
                "HTTP_TRANSACTION_READ_HEADERS" if end => q.wait.1 = Some(t),
                "URL_REQUEST_JOB_FILTERED_BYTES_READ" => {
                    q.bytes += p
                        .and_then(|p| p.get("byte_count"))
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                }
                _ => {}
            }
        } else {
            let o = others.entry(ev.source.id).or_default();
            if let Some(d) = dep {
                o.deps.push(d);
            }
            match kind {
                "HOST_RESOLVER_MANAGER_REQUEST" | "HOST_RESOLVER_IMPL_REQUEST" if begin => {
                    o.dns.0 = Some(t)
                }
                "HOST_RESOLVER_MANAGER_REQUEST" | "HOST_RESOLVER_IMPL_REQUEST" if end => {
                    o.dns.1 = Some(t)
                }
                "TCP_CONNECT" if begin => o.tcp.0 = Some(t),
                "TCP_CONNECT" if end => {
                    o.tcp.1 = Some(t);
                    if let Some(a) = ps("remote_address") {
                        o.remote = Some(ip_of(a).to_string());
                    }
                }
                "SSL_CONNECT" if begin => o.tls.0 = Some(t),
                "SSL_CONNECT" if end => o.tls.1 = Some(t),
                _ => {}
            }
        }
    }
    let _ = bad;
    let wall = |t: f64| classify::unix_to_utc((names.tick_offset_ms + t) / 1000.0);
    let mut unfinished = 0u64;
    for (_, q) in reqs {
        let at = SourceRef::entry(file.id, q.first_event);
        let Some(url) = q.url.as_deref() else {
            out.report.reject(
                at,
                "URL request without a URL (its REQUEST_ALIVE begin is not in the log)",
            );
            continue;
        };
        let Some(start) = q.start.and_then(wall) else {
            out.report
                .reject(at, "URL request without a valid start time");
            continue;
        };
        if q.end.is_none() {
            unfinished += 1;
        }
        // the connect job and socket this request was bound to
        let mut dns = None;
        let mut tcp = None;
        let mut tls = None;
        let mut server_ip = None;
        let mut seen = vec![];
        let mut todo: Vec<(i64, u8)> = q.deps.iter().map(|d| (*d, 0)).collect();
        while let Some((id, depth)) = todo.pop() {
            if depth > 3 || seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let Some(o) = others.get(&id) else { continue };
            let fresh = |s: (Option<f64>, Option<f64>)| {
                s.0.is_some_and(|b| q.start.is_some_and(|st| b >= st))
                    .then(|| span(s))
                    .flatten()
            };
            dns = dns.or(fresh(o.dns));
            tcp = tcp.or(fresh(o.tcp));
            tls = tls.or(fresh(o.tls));
            if server_ip.is_none() {
                server_ip = o.remote.clone();
            }
            todo.extend(o.deps.iter().map(|d| (*d, depth + 1)));
        }
        let total = match (q.start, q.end) {
            (Some(a), Some(b)) if b >= a => Some(b - a),
            _ => None,
        };
        let phases = Phases {
            blocked_ms: None,
            dns_ms: dns,
            connect_ms: tcp,
            tls_ms: tls,
            send_ms: span(q.send),
            wait_ms: span(q.wait),
            receive_ms: match (q.wait.1, q.end) {
                (Some(a), Some(b)) if b >= a => Some(b - a),
                _ => None,
            },
            total_ms: total,
        };
        let error = q
            .net_error
            .filter(|e| *e != 0)
            .map(|e| match names.net_error.get(&e) {
                Some(n) => format!("net::{n}"),
                None => format!("net error {e}"),
            });
        let error_class = error
            .as_deref()
            .and_then(classify::classify_error)
            .or_else(|| (q.end.is_none() && q.status.is_none()).then_some(ErrorClass::Aborted));
        let (scheme, host, path) = classify::split_url(url);
        let resource_type = if q.request_type.as_deref() == Some("main frame") {
            ResourceType::Document
        } else {
            q.content_type
                .as_deref()
                .map(classify::resource_type_from_mime)
                .unwrap_or_default()
        };
        let host = host.to_ascii_lowercase();
        let edge = edge_hints(&q.headers);
        out.records.requests.push(Request {
            source: at,
            start,
            vantage: file.vantage.clone(),
            page_id: None,
            method: q
                .method
                .clone()
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase(),
            scheme: scheme.to_ascii_lowercase(),
            registrable_domain: classify::registrable_domain_memo(&host).to_string(),
            host,
            party: Default::default(),
            endpoint: classify::endpoint_template(path),
            status: q.status.unwrap_or(0),
            error_class: if q.end.is_none() && error.is_none() && q.status.is_none() {
                Some(ErrorClass::Aborted)
            } else {
                error_class
            },
            error: error.or_else(|| {
                (q.end.is_none() && q.status.is_none())
                    .then(|| "unfinished in the NetLog".to_string())
            }),
            resource_type,
            phases,
            transfer_bytes: None,
            body_bytes: (q.bytes > 0).then_some(q.bytes),
            from_cache: false,
            server_ip,
            edge,
        });
        out.report.records += 1;
        out.report.see_ts(start);
    }
    if unfinished > 0 {
        out.report.warnings.push(format!(
            "{unfinished} URL request(s) had not ended when the NetLog stopped"
        ));
    }
    let _ = opts;
    out
}

/// The address of `IP:PORT` / `[IPv6]:PORT`.
fn ip_of(a: &str) -> &str {
    if let Some(v6) = a.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    match a.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') && port.bytes().all(|c| c.is_ascii_digit()) => ip,
        _ => a,
    }
}

/// CDN and cache hints from response headers.
fn edge_hints(headers: &[String]) -> EdgeHints {
    let mut e = EdgeHints::default();
    for h in headers {
        let Some((k, v)) = h.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim().to_ascii_lowercase();
        match k.as_str() {
            "cf-cache-status" => {
                e.provider.get_or_insert_with(|| "cloudflare".into());
                e.cache = Some(v);
            }
            "x-cache" => e.cache = Some(v),
            "x-amz-cf-id" => e.provider = Some("cloudfront".into()),
            "x-served-by" if v.contains("cache-") => e.provider = Some("fastly".into()),
            _ => {}
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Recorded with Chromium 148 headless, `--log-net-log`, loading a page
    /// on 127.0.0.1 that pulls a stylesheet, an image, a script from a port
    /// nobody listens on, an image from a name mapped to NOTFOUND, one over
    /// TLS with a self-signed certificate, and a missing API path.
    fn shop() -> InputFile {
        let path = format!(
            "{}/fixtures/logs/chrome-netlog-shop.json.gz",
            env!("CARGO_MANIFEST_DIR")
        );
        let src = crate::discover::discover(&[path], &mut Vec::new);
        let f = crate::discover::load(2, &src[0], 1 << 30);
        assert!(f.read_error.is_none());
        assert!(sniff(
            &f.bytes[..f.bytes.len().min(super::super::SNIFF_BYTES)]
        ));
        f
    }

    #[test]
    fn shop_requests_with_errors_and_phases() {
        let p = parse(&shop(), &IngestOptions::default());
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (11, 0),
            "{:?}",
            p.report
        );
        assert!(p.report.warnings.is_empty(), "{:?}", p.report.warnings);
        let doc = p
            .records
            .requests
            .iter()
            .find(|r| r.resource_type == ResourceType::Document)
            .unwrap();
        assert_eq!(
            (doc.host.as_str(), doc.endpoint.as_str()),
            ("127.0.0.1", "/")
        );
        assert_eq!(doc.resource_type, ResourceType::Document);
        assert_eq!(doc.status, 200);
        assert_eq!(doc.method, "GET");
        assert_eq!(doc.phases.total_ms, Some(18.0));
        assert_eq!(doc.body_bytes, Some(375));
        assert_eq!(doc.start.timestamp_millis(), 1796233259623 + 659678);
        assert_eq!(doc.source, SourceRef::entry(2, 604));
        let refused = p
            .records
            .requests
            .iter()
            .find(|r| r.endpoint == "/refused.js")
            .unwrap();
        assert_eq!(
            refused.error.as_deref(),
            Some("net::ERR_CONNECTION_REFUSED")
        );
        assert_eq!(refused.error_class, Some(ErrorClass::ConnectionRefused));
        assert_eq!(refused.status, 0);
        let dns = p
            .records
            .requests
            .iter()
            .find(|r| r.host == "static.shop.test")
            .unwrap();
        assert_eq!(dns.error_class, Some(ErrorClass::NameNotResolved));
        let tls = p
            .records
            .requests
            .iter()
            .find(|r| r.endpoint == "/tls.png")
            .unwrap();
        assert_eq!(
            tls.error.as_deref(),
            Some("net::ERR_CERT_AUTHORITY_INVALID")
        );
        assert_eq!(tls.error_class, Some(ErrorClass::CertError));
        assert_eq!(tls.phases.connect_ms, Some(5.0));
        assert_eq!(tls.phases.tls_ms, Some(63.0));
        assert_eq!(tls.server_ip.as_deref(), Some("127.0.0.1"));
        let api = p
            .records
            .requests
            .iter()
            .find(|r| r.endpoint == "/api/cart")
            .unwrap();
        assert_eq!(api.status, 404);
        assert!(api.phases.wait_ms.is_some());
        // Chromium's own background requests failed to resolve: no network here
        let google = p
            .records
            .requests
            .iter()
            .filter(|r| r.host.ends_with("google.com"))
            .count();
        assert_eq!(google, 3);
    }

    #[test]
    fn cut_short_keeps_what_came_before() {
        let f = shop();
        let cut = f.bytes.len() * 6 / 10;
        let g = InputFile::from_bytes(2, "cut", f.bytes[..cut].to_vec());
        let p = parse(&g, &IngestOptions::default());
        assert!(
            p.report.warnings.iter().any(|w| w.contains("cut short")),
            "{:?}",
            p.report.warnings
        );
        assert!(p.report.records >= 4, "{:?}", p.report);
        assert_eq!(p.report.bad_records, 0);
    }

    #[test]
    fn rejects_what_is_not_a_netlog() {
        let p = parse(
            &InputFile::from_bytes(0, "x", r#"{"events":[]}"#),
            &IngestOptions::default(),
        );
        assert_eq!(p.report.bad_records, 1);
        assert!(p.report.rejections[0].reason.contains("constants"));
        let p = parse(
            &InputFile::from_bytes(
                0,
                "x",
                r#"{"constants":{"logEventTypes":{},"logSourceType":{"URL_REQUEST":1}},"events":[{"time":"1","type":2,"source":{"id":1,"type":1},"phase":1},{"bad":true}]}"#,
            ),
            &IngestOptions::default(),
        );
        assert_eq!(p.report.bad_records, 2, "{:?}", p.report);
        assert!(!sniff(br#"{"log":{"version":"1.2","entries":[]}}"#));
        assert_eq!(ip_of("[::1]:443"), "::1");
        assert_eq!(ip_of("10.0.0.1:80"), "10.0.0.1");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile::from_bytes(0, "x", bytes);
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn never_panics_on_events(t in "[0-9.-]{0,12}", ty in 0i64..200, ph in 0i64..3, id in 0i64..5, err in -300i64..1) {
            let text = format!(r#"{{"constants":{{"logEventTypes":{{"REQUEST_ALIVE":2,"TCP_CONNECT":5}},"logSourceType":{{"URL_REQUEST":1,"SOCKET":2}},"logEventPhase":{{"PHASE_BEGIN":1,"PHASE_END":2,"PHASE_NONE":0}},"timeTickOffset":"{t}"}},"events":[{{"time":"{t}","type":{ty},"source":{{"id":{id},"type":1}},"phase":{ph},"params":{{"url":"http://a/","net_error":{err},"source_dependency":{{"id":{id},"type":2}}}}}},{{"time":"{t}","type":2,"source":{{"id":{id},"type":2}},"phase":{ph},"params":{{"source_dependency":{{"id":{id},"type":1}}}}}}"#);
            let _ = parse(&InputFile::from_bytes(0, "x", text), &IngestOptions::default());
        }
    }
}
