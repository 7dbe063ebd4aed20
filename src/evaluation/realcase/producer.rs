//! How each HAR producer writes a request that failed.
//!
//! A fault only tests the verdict if it looks the way the tool that made the
//! capture would have written it: the same status code, the same error field,
//! the same timings left at -1. Every shape here was read off a real producer's
//! source or a real capture (see the module doc of `realcase` for the list);
//! nothing is a guess at what "a failure" might look like.

use serde_json::{Map, Value, json};

/// The tool that wrote a HAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Producer {
    /// Chrome / Edge DevTools "Save all as HAR" (`creator.name` "WebInspector").
    DevTools,
    /// sitespeed.io chrome-har, used by Browsertime (`creator.name` "chrome-har").
    ChromeHar,
    /// Playwright `recordHar` (`creator.name` "Playwright").
    Playwright,
    /// Firefox DevTools / HAR export trigger (`creator.name` "Firefox").
    Firefox,
    /// Safari Web Inspector (`creator.name` "WebKit Web Inspector").
    WebKit,
    /// WebPageTest's HAR export (`creator.name` "WebPagetest").
    WebPageTest,
    /// BrowserMob Proxy (`creator.name` "BrowserMob Proxy"), as older
    /// Browsertime / sitespeed.io and Selenium suites record.
    BrowserMob,
    /// Anything else (proxies, hand-made files): written like DevTools.
    Other,
}

impl Producer {
    pub fn detect(har: &Value) -> Producer {
        let name = har
            .pointer("/log/creator/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if name.starts_with("webinspector") {
            Producer::DevTools
        } else if name.contains("chrome-har") {
            Producer::ChromeHar
        } else if name.starts_with("playwright") {
            Producer::Playwright
        } else if name.starts_with("firefox") {
            Producer::Firefox
        } else if name.starts_with("webkit") {
            Producer::WebKit
        } else if name.starts_with("webpagetest") {
            Producer::WebPageTest
        } else if name.starts_with("browsermob") {
            Producer::BrowserMob
        } else {
            Producer::Other
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Producer::DevTools => "chrome-devtools",
            Producer::ChromeHar => "browsertime-chrome-har",
            Producer::Playwright => "playwright",
            Producer::Firefox => "firefox",
            Producer::WebKit => "safari-webkit",
            Producer::WebPageTest => "webpagetest",
            Producer::BrowserMob => "browsermob",
            Producer::Other => "other",
        }
    }

    pub fn from_name(s: &str) -> Option<Producer> {
        [
            Producer::DevTools,
            Producer::ChromeHar,
            Producer::Playwright,
            Producer::Firefox,
            Producer::WebKit,
            Producer::WebPageTest,
            Producer::BrowserMob,
            Producer::Other,
        ]
        .into_iter()
        .find(|p| p.name() == s)
    }

    /// Chromium underneath: net::ERR_* texts, ORB on cross-origin HTML bodies.
    pub fn chromium(self) -> bool {
        matches!(
            self,
            Producer::DevTools | Producer::ChromeHar | Producer::Playwright | Producer::WebPageTest
        )
    }

    /// One HAR page per navigation (else one page for the whole tab).
    pub fn page_per_load(self) -> bool {
        !matches!(self, Producer::Playwright | Producer::WebKit)
    }
}

/// Where the request stopped, in connection order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Never left the browser (offline, blocked, cancelled).
    NoPhase,
    /// Name resolution failed.
    Dns,
    /// TCP connect stalled, was refused or reset.
    Connect,
    /// TLS handshake failed (certificate, protocol).
    Ssl,
    /// Request sent, no (complete) answer.
    Wait,
}

/// A browser-level failure (no HTTP status reached the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetError {
    NameNotResolved,
    ConnectionTimedOut,
    ConnectionReset,
    ConnectionRefused,
    TimedOut,
    CertDateInvalid,
    CertCommonNameInvalid,
    SslProtocol,
    InternetDisconnected,
    Aborted,
    BlockedByOrb,
}

impl NetError {
    /// Chromium's text (`net::ERR_*`).
    pub fn chrome(self) -> &'static str {
        match self {
            NetError::NameNotResolved => "net::ERR_NAME_NOT_RESOLVED",
            NetError::ConnectionTimedOut => "net::ERR_CONNECTION_TIMED_OUT",
            NetError::ConnectionReset => "net::ERR_CONNECTION_RESET",
            NetError::ConnectionRefused => "net::ERR_CONNECTION_REFUSED",
            NetError::TimedOut => "net::ERR_TIMED_OUT",
            NetError::CertDateInvalid => "net::ERR_CERT_DATE_INVALID",
            NetError::CertCommonNameInvalid => "net::ERR_CERT_COMMON_NAME_INVALID",
            NetError::SslProtocol => "net::ERR_SSL_PROTOCOL_ERROR",
            NetError::InternetDisconnected => "net::ERR_INTERNET_DISCONNECTED",
            NetError::Aborted => "net::ERR_ABORTED",
            NetError::BlockedByOrb => "net::ERR_BLOCKED_BY_ORB",
        }
    }

    /// Safari's `failureReasonText` (the NSURLErrorDomain descriptions).
    pub fn webkit(self) -> &'static str {
        match self {
            NetError::NameNotResolved => "A server with the specified hostname could not be found.",
            NetError::ConnectionTimedOut | NetError::TimedOut => "The request timed out.",
            NetError::ConnectionReset => "The network connection was lost.",
            NetError::ConnectionRefused => "Could not connect to the server.",
            NetError::CertDateInvalid | NetError::CertCommonNameInvalid => {
                "The certificate for this server is invalid."
            }
            NetError::SslProtocol => {
                "An SSL error has occurred and a secure connection to the server cannot be made."
            }
            NetError::InternetDisconnected => "The Internet connection appears to be offline.",
            NetError::Aborted => "cancelled",
            NetError::BlockedByOrb => {
                "Cancelled load because it violates the resource's Cross-Origin-Resource-Policy response header."
            }
        }
    }

    /// BrowserMob Proxy's `_errorMessage` (HarCaptureUtil): the proxy only
    /// sees its own upstream connection, so an offline machine is a name it
    /// cannot resolve and a certificate problem a connection it cannot make.
    pub fn browsermob(self, host_port: &str) -> String {
        match self {
            NetError::NameNotResolved | NetError::InternetDisconnected => {
                format!("Unable to resolve host: {host_port}")
            }
            NetError::ConnectionTimedOut
            | NetError::ConnectionRefused
            | NetError::ConnectionReset
            | NetError::CertDateInvalid
            | NetError::CertCommonNameInvalid
            | NetError::SslProtocol => "Unable to connect to host".into(),
            NetError::TimedOut => "Response timed out".into(),
            NetError::Aborted | NetError::BlockedByOrb => "No response received".into(),
        }
    }

    /// WebPageTest's numeric code: the Chrome agent maps net errors with
    /// `netErrorStringToWptCode` (12007, 12029, 12030, 12031, else 12999).
    pub fn wpt_code(self) -> i64 {
        match self {
            NetError::NameNotResolved => 12007,
            NetError::ConnectionTimedOut | NetError::ConnectionRefused => 12029,
            NetError::ConnectionReset => 12031,
            NetError::Aborted => 12030,
            _ => 12999,
        }
    }

    /// The phase a request with this error got to.
    pub fn stop(self) -> Stop {
        match self {
            NetError::NameNotResolved => Stop::Dns,
            NetError::ConnectionTimedOut | NetError::ConnectionRefused => Stop::Connect,
            NetError::ConnectionReset => Stop::Connect,
            NetError::CertDateInvalid | NetError::CertCommonNameInvalid | NetError::SslProtocol => {
                Stop::Ssl
            }
            NetError::TimedOut => Stop::Wait,
            NetError::InternetDisconnected | NetError::Aborted => Stop::NoPhase,
            NetError::BlockedByOrb => Stop::Wait,
        }
    }
}

/// What a request turned into.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An HTTP answer with this status, body and headers.
    Http {
        status: i64,
        status_text: &'static str,
        mime: &'static str,
        body_size: i64,
        headers: Vec<(String, String)>,
        wait_ms: f64,
    },
    /// A browser-level failure after `elapsed_ms`; `phases` holds the
    /// completed phase durations (dns, connect, ssl) before the stop.
    Net {
        error: NetError,
        elapsed_ms: f64,
        phases: [f64; 3],
    },
}

fn num(v: f64) -> Value {
    let r = (v * 1000.0).round() / 1000.0;
    json!(r)
}

fn int_like(template: &Value, v: f64) -> Value {
    if template.is_i64() || template.is_u64() {
        json!(v.round() as i64)
    } else if template.is_string() {
        json!(format!("{}", v.round() as i64))
    } else {
        num(v)
    }
}

/// Sum of the non-negative phases, the way the producer counts `time`
/// (`ssl_in_connect`: ssl is already inside connect, as HAR 1.2 says).
pub fn total_time(timings: &Map<String, Value>, ssl_in_connect: bool) -> f64 {
    let mut t = 0.0;
    for k in [
        "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
    ] {
        if k == "ssl" && ssl_in_connect {
            continue;
        }
        if let Some(v) = timings.get(k).and_then(as_f64)
            && v > 0.0
        {
            t += v;
        }
    }
    t
}

/// Numbers or numeric strings (WebPageTest writes some as strings).
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Rewrite `entry` in place as `producer` records `outcome`. Returns false
/// when the producer drops the request from the HAR altogether: chrome-har
/// removes every request that ends in `Network.loadingFailed` ("not
/// something that a HAR file can represent"); an `net::ERR_ABORTED` one is
/// kept only if its response had arrived, and a cut-off request has none.
pub fn apply(
    entry: &mut Value,
    producer: Producer,
    outcome: &Outcome,
    ssl_in_connect: bool,
) -> bool {
    match outcome {
        Outcome::Http {
            status,
            status_text,
            mime,
            body_size,
            headers,
            wait_ms,
        } => {
            apply_http(
                entry,
                producer,
                *status,
                status_text,
                mime,
                *body_size,
                headers,
                *wait_ms,
                ssl_in_connect,
            );
            true
        }
        Outcome::Net {
            error,
            elapsed_ms,
            phases,
        } => apply_net(entry, producer, *error, *elapsed_ms, *phases),
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_http(
    entry: &mut Value,
    producer: Producer,
    status: i64,
    status_text: &str,
    mime: &str,
    body_size: i64,
    headers: &[(String, String)],
    wait_ms: f64,
    ssl_in_connect: bool,
) {
    let Some(obj) = entry.as_object_mut() else {
        return;
    };
    let resp = obj.entry("response").or_insert_with(|| json!({}));
    if let Some(r) = resp.as_object_mut() {
        r.insert("status".into(), json!(status));
        r.insert("statusText".into(), json!(status_text));
        let mut hs: Vec<Value> = Vec::new();
        for (k, v) in headers {
            hs.push(json!({"name": k, "value": v}));
        }
        r.insert("headers".into(), Value::Array(hs));
        r.insert("redirectURL".into(), json!(""));
        r.insert("bodySize".into(), json!(body_size));
        let mut content = Map::new();
        content.insert("size".into(), json!(body_size));
        content.insert("mimeType".into(), json!(mime));
        r.insert("content".into(), Value::Object(content));
        if r.contains_key("_transferSize")
            || matches!(producer, Producer::DevTools | Producer::Playwright)
        {
            r.insert("_transferSize".into(), json!(body_size + 300));
        }
        r.remove("_error");
        r.remove("_failureText");
    }
    if producer == Producer::WebPageTest {
        let tmpl = obj.get("_responseCode").cloned().unwrap_or(json!(""));
        obj.insert("_responseCode".into(), int_like(&tmpl, status as f64));
        obj.insert("_bytesIn".into(), json!(body_size + 300));
        obj.insert("_objectSize".into(), json!(body_size));
        obj.insert("_contentType".into(), json!(mime));
    }
    if let Some(t) = obj.get_mut("timings").and_then(Value::as_object_mut) {
        let old_wait = t.get("wait").cloned().unwrap_or(json!(0));
        t.insert("wait".into(), int_like(&old_wait, wait_ms));
        let old_recv = t.get("receive").cloned().unwrap_or(json!(0));
        let recv = if as_f64(&old_recv).unwrap_or(0.0) < 0.0 {
            -1.0
        } else {
            1.0 + (body_size as f64 / 2000.0).min(20.0)
        };
        t.insert("receive".into(), int_like(&old_recv, recv));
        let tt = total_time(t, ssl_in_connect);
        let old_time = obj.get("time").cloned().unwrap_or(json!(0));
        obj.insert("time".into(), int_like(&old_time, tt));
    }
}

fn apply_net(
    entry: &mut Value,
    producer: Producer,
    error: NetError,
    elapsed: f64,
    phases: [f64; 3],
) -> bool {
    if producer == Producer::ChromeHar {
        return false;
    }
    let Some(obj) = entry.as_object_mut() else {
        return false;
    };
    let stop = error.stop();
    let [dns, connect, ssl] = phases;
    match producer {
        Producer::DevTools | Producer::Other | Producer::ChromeHar => {
            // Chrome has no `timing` for a request without a response: the
            // whole time lands in `blocked` (mitmproxy timed_out.har).
            obj.insert(
                "response".into(),
                json!({
                    "status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [],
                    "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
                    "headersSize": -1, "bodySize": -1, "_transferSize": 0, "_error": error.chrome()
                }),
            );
            obj.insert("serverIPAddress".into(), json!(""));
            obj.insert(
                "timings".into(),
                json!({
                    "blocked": round3(elapsed), "dns": -1, "ssl": -1, "connect": -1,
                    "send": 0, "wait": 0, "receive": 0, "_blocked_queueing": -1
                }),
            );
            obj.insert("time".into(), num(elapsed));
        }
        Producer::Playwright => {
            // createHarEntry defaults, kept when no response arrives, plus
            // `_failureText` from `_onRequestFailed` (harTracer.ts).
            obj.insert("response".into(), json!({
                "status": -1, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                "content": {"size": -1, "mimeType": "x-unknown"}, "headersSize": -1, "bodySize": -1,
                "redirectURL": "", "_transferSize": -1, "_failureText": error.chrome()
            }));
            obj.insert(
                "timings".into(),
                json!({"send": -1, "wait": -1, "receive": -1}),
            );
            obj.insert("time".into(), json!(-1));
            obj.remove("serverIPAddress");
        }
        Producer::WebKit => {
            // HARBuilder.js: status `statusCode || 0`, `_error` from
            // failureReasonText; no responseEnd, so timings stay at their
            // defaults and time 0.
            obj.insert(
                "response".into(),
                json!({
                    "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                    "content": {"size": 0, "compression": 0, "mimeType": "x-unknown"},
                    "redirectURL": "", "headersSize": -1, "bodySize": -1, "_error": error.webkit()
                }),
            );
            obj.insert("timings".into(), json!({
                "blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": 0, "receive": 0
            }));
            obj.insert("time".into(), json!(0));
        }
        Producer::Firefox => {
            // har-builder.js buildResponse: status 0 when there is none, no
            // error text, content size -1 and no mimeType; the timings say
            // how far the request got. Firefox writes integer timings.
            obj.insert(
                "response".into(),
                json!({
                    "status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [],
                    "content": {"size": -1}, "redirectURL": "", "headersSize": -1, "bodySize": -1
                }),
            );
            let mut t = phase_timings(stop, elapsed, dns, connect, ssl, true);
            // NetworkObserver's har timings: `dns` is RESOLVED - RESOLVING,
            // and the socket transport sends RESOLVED_HOST whether or not
            // the lookup found an address (nsSocketTransport2.cpp,
            // MSG_DNS_LOOKUP_COMPLETE); `blocked` needs CONNECTING_TO (or
            // SENDING_TO), `connect` needs CONNECTED_TO, `ssl` needs
            // TLS_ENDING, else each is -1. So a failed lookup has its time
            // in dns and nothing else; a failed connect has its lookup (0
            // from the cache) and connect -1; a failed handshake has its
            // connect and ssl -1.
            if let Some(tm) = t.as_object_mut() {
                match stop {
                    Stop::Dns => {
                        tm.insert("blocked".into(), json!(-1));
                    }
                    Stop::Connect => {
                        tm.insert("dns".into(), json!(dns.max(0.0).round() as i64));
                        tm.insert("connect".into(), json!(-1));
                    }
                    Stop::Ssl => {
                        tm.insert("ssl".into(), json!(-1));
                    }
                    _ => {}
                }
            }
            let total = total_time(t.as_object().unwrap_or(&Map::new()), false);
            obj.insert("timings".into(), t);
            obj.insert("time".into(), json!(total.round() as i64));
            obj.remove("serverIPAddress");
            obj.remove("connection");
        }
        Producer::BrowserMob => {
            // HarCaptureUtil.createHarResponseForFailure: status 0, version
            // "unknown", sizes -1, `_errorMessage`; the filter records the
            // dns (and connect) time it spent before the failure.
            let url = obj
                .get("request")
                .and_then(|r| r.get("url"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let host_port = host_port(url);
            let stop = match error {
                NetError::InternetDisconnected => Stop::Dns,
                NetError::CertDateInvalid
                | NetError::CertCommonNameInvalid
                | NetError::SslProtocol => Stop::Connect,
                NetError::Aborted | NetError::BlockedByOrb => Stop::Wait,
                _ => stop,
            };
            obj.insert("response".into(), json!({
                "status": 0, "statusText": "", "httpVersion": "unknown", "cookies": [], "headers": [],
                "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
                "_errorMessage": error.browsermob(&host_port)
            }));
            let t = phase_timings(stop, elapsed, dns, connect, ssl, true);
            let total = total_time(t.as_object().unwrap_or(&Map::new()), true);
            obj.insert("timings".into(), t);
            obj.insert("time".into(), json!(total.round() as i64));
        }
        Producer::WebPageTest => {
            // har.inc.php: status = (int)responseCode, which the Chrome agent
            // sets to the mapped error code; the agent still measured the
            // phases it reached (dns_ms, connect_ms, ssl_ms); connect
            // includes ssl in the HAR.
            let code = error.wpt_code();
            obj.insert("response".into(), json!({
                "status": code, "statusText": "", "headersSize": -1, "bodySize": 0, "headers": [],
                "httpVersion": "", "redirectURL": "", "content": {"size": 0, "mimeType": ""}, "cookies": []
            }));
            let t = phase_timings(stop, elapsed, dns, connect, ssl, true);
            let mut tm = t.as_object().cloned().unwrap_or_default();
            // WebPageTest: blocked -1, connect = connect + ssl, ints.
            tm.insert("blocked".into(), json!(-1));
            let c = tm.get("connect").and_then(as_f64).unwrap_or(-1.0);
            let s = tm.get("ssl").and_then(as_f64).unwrap_or(-1.0);
            if s > 0.0 {
                tm.insert("connect".into(), json!((c.max(0.0) + s).round() as i64));
            }
            let total = total_time(&tm, true);
            let tmpl = obj.get("_responseCode").cloned().unwrap_or(json!(""));
            obj.insert("_responseCode".into(), int_like(&tmpl, code as f64));
            obj.insert("_bytesIn".into(), json!(0));
            obj.insert("_objectSize".into(), json!(0));
            obj.insert("_ttfb_ms".into(), json!(-1));
            obj.insert("_download_ms".into(), json!(0));
            obj.insert("timings".into(), Value::Object(tm));
            obj.insert("time".into(), json!(total.round() as i64));
        }
    }
    true
}

fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let hp = rest.split('/').next().unwrap_or(rest);
    if hp.contains(':') {
        hp.to_string()
    } else if url.starts_with("https:") {
        format!("{hp}:443")
    } else {
        format!("{hp}:80")
    }
}

fn round3(v: f64) -> Value {
    num(v)
}

/// Timings of a request that stopped at `stop` after `elapsed` ms, with the
/// phases before it completed (integers, Firefox and WebPageTest style).
fn phase_timings(stop: Stop, elapsed: f64, dns: f64, connect: f64, ssl: f64, ints: bool) -> Value {
    let r = |v: f64| {
        if ints {
            json!(v.round() as i64)
        } else {
            num(v)
        }
    };
    let (mut b, mut d, mut c, mut s, mut w) = (0.0, -1.0, -1.0, -1.0, 0.0);
    match stop {
        Stop::NoPhase => b = elapsed,
        Stop::Dns => d = elapsed.max(1.0),
        Stop::Connect => {
            d = dns.max(0.0);
            c = (elapsed - d).max(1.0);
        }
        Stop::Ssl => {
            d = dns.max(0.0);
            c = connect.max(1.0);
            s = (elapsed - d - c).max(1.0);
        }
        Stop::Wait => {
            d = dns.max(0.0);
            c = connect.max(0.0);
            s = if ssl > 0.0 { ssl } else { -1.0 };
            w = (elapsed - d - c - s.max(0.0)).max(1.0);
        }
    }
    if b == 0.0 && stop != Stop::NoPhase {
        b = 0.0;
    }
    json!({"blocked": r(b), "dns": r(d), "connect": r(c), "ssl": r(s), "send": 0, "wait": r(w), "receive": 0})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Value {
        json!({"startedDateTime": "2024-01-01T00:00:00.000Z", "time": 30.0,
            "request": {"method": "GET", "url": "https://www.example.com/a.js", "headers": []},
            "response": {"status": 200, "statusText": "OK", "headers": [], "content": {"size": 10, "mimeType": "text/javascript"}, "_transferSize": 300},
            "timings": {"blocked": 1.0, "dns": 5.0, "connect": 10.0, "ssl": 4.0, "send": 0.0, "wait": 10.0, "receive": 4.0}})
    }

    fn dns() -> Outcome {
        Outcome::Net {
            error: NetError::NameNotResolved,
            elapsed_ms: 40.0,
            phases: [0.0; 3],
        }
    }

    #[test]
    fn devtools_dns_failure() {
        let mut e = entry();
        assert!(apply(&mut e, Producer::DevTools, &dns(), true));
        assert_eq!(e["response"]["status"], 0);
        assert_eq!(e["response"]["_error"], "net::ERR_NAME_NOT_RESOLVED");
        assert_eq!(e["timings"]["dns"], -1);
        assert_eq!(e["time"], 40.0);
    }

    #[test]
    fn playwright_failure_text() {
        let mut e = entry();
        assert!(apply(&mut e, Producer::Playwright, &dns(), true));
        assert_eq!(e["response"]["status"], -1);
        assert_eq!(e["response"]["_failureText"], "net::ERR_NAME_NOT_RESOLVED");
        assert_eq!(e["time"], -1);
    }

    #[test]
    fn chrome_har_drops_failed_requests() {
        let mut e = entry();
        assert!(!apply(&mut e, Producer::ChromeHar, &dns(), true));
        let ab = Outcome::Net {
            error: NetError::Aborted,
            elapsed_ms: 3.0,
            phases: [0.0; 3],
        };
        assert!(!apply(&mut e, Producer::ChromeHar, &ab, true));
        let http = Outcome::Http {
            status: 503,
            status_text: "Service Unavailable",
            mime: "text/html",
            body_size: 10,
            headers: vec![],
            wait_ms: 5.0,
        };
        assert!(apply(&mut e, Producer::ChromeHar, &http, true));
        assert_eq!(e["response"]["status"], 503);
    }

    #[test]
    fn firefox_phases_tell_the_stop() {
        let mut e = entry();
        let tls = Outcome::Net {
            error: NetError::CertDateInvalid,
            elapsed_ms: 120.0,
            phases: [20.0, 40.0, 0.0],
        };
        assert!(apply(&mut e, Producer::Firefox, &tls, false));
        assert_eq!(e["response"]["status"], 0);
        assert!(e["response"].get("_error").is_none());
        assert_eq!(e["timings"]["dns"], 20);
        assert_eq!(e["timings"]["connect"], 40);
        // the handshake never ended: no TLS_ENDING, no ssl time
        assert_eq!(e["timings"]["ssl"], -1);
        assert_eq!(e["timings"]["wait"], 0);
        assert_eq!(e["time"], 60);
        // a lookup that failed: its time in dns, nothing else
        let mut e = entry();
        assert!(apply(&mut e, Producer::Firefox, &dns(), false));
        assert_eq!(e["timings"]["dns"], 40);
        assert_eq!(e["timings"]["blocked"], -1);
        assert_eq!(e["timings"]["connect"], -1);
        // a connect that failed after a good lookup: connect -1 as well
        let mut e = entry();
        let refused = Outcome::Net {
            error: NetError::ConnectionRefused,
            elapsed_ms: 90.0,
            phases: [12.0, 30.0, 0.0],
        };
        assert!(apply(&mut e, Producer::Firefox, &refused, false));
        assert_eq!(e["timings"]["dns"], 12);
        assert_eq!(e["timings"]["connect"], -1);
    }

    #[test]
    fn wpt_codes() {
        let mut e = entry();
        e["_responseCode"] = json!("200");
        assert!(apply(&mut e, Producer::WebPageTest, &dns(), true));
        assert_eq!(e["response"]["status"], 12007);
        assert_eq!(e["_responseCode"], "12007");
        assert_eq!(NetError::ConnectionReset.wpt_code(), 12031);
        assert_eq!(NetError::CertDateInvalid.wpt_code(), 12999);
    }

    #[test]
    fn browsermob_error_message() {
        let mut e = entry();
        assert!(apply(&mut e, Producer::BrowserMob, &dns(), true));
        assert_eq!(e["response"]["status"], 0);
        assert_eq!(e["response"]["httpVersion"], "unknown");
        assert_eq!(
            e["response"]["_errorMessage"],
            "Unable to resolve host: www.example.com:443"
        );
        assert_eq!(e["timings"]["dns"], 40);
    }

    #[test]
    fn webkit_error_text() {
        let mut e = entry();
        assert!(apply(&mut e, Producer::WebKit, &dns(), true));
        assert_eq!(e["response"]["status"], 0);
        assert_eq!(e["response"]["_error"], NetError::NameNotResolved.webkit());
        assert_eq!(e["time"], 0);
    }

    #[test]
    fn http_keeps_phases_consistent() {
        let mut e = entry();
        let o = Outcome::Http {
            status: 503,
            status_text: "Service Unavailable",
            mime: "text/html",
            body_size: 200,
            headers: vec![],
            wait_ms: 12.0,
        };
        assert!(apply(&mut e, Producer::DevTools, &o, true));
        assert_eq!(e["response"]["status"], 503);
        let t = e["timings"].as_object().unwrap().clone();
        assert!((e["time"].as_f64().unwrap() - total_time(&t, true)).abs() < 1e-6);
    }

    #[test]
    fn detects_creators() {
        for (n, p) in [
            ("WebInspector", Producer::DevTools),
            ("chrome-har", Producer::ChromeHar),
            ("Playwright", Producer::Playwright),
            ("Firefox", Producer::Firefox),
            ("WebKit Web Inspector", Producer::WebKit),
            ("WebPagetest", Producer::WebPageTest),
            ("BrowserMob Proxy", Producer::BrowserMob),
            ("Charles Proxy", Producer::Other),
        ] {
            assert_eq!(
                Producer::detect(&json!({"log": {"creator": {"name": n}}})),
                p
            );
        }
    }
}
