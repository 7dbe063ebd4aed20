//! Shared classification helpers used by every reader, so that a HAR entry,
//! a k6 point and an access-log line for the same URL land in the same
//! group: endpoint templates, registrable domains, error classes, resource
//! types and timestamp parsing.

use crate::model::{ErrorClass, ResourceType};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Fold ids out of a URL path so that `/api/v1/projects/1234/tasks` and
/// `/api/v1/projects/98/tasks` are one endpoint: numbers, UUIDs, long hex
/// strings and base64-ish tokens become `{id}`. Query and fragment dropped.
pub fn endpoint_template(path_and_query: &str) -> String {
    let mut out = String::new();
    endpoint_template_into(path_and_query, &mut out);
    out
}

/// [`endpoint_template`] written into `out` (cleared first): readers of
/// million-line logs reuse one buffer and intern the result.
pub fn endpoint_template_into(path_and_query: &str, out: &mut String) {
    out.clear();
    let end =
        memchr::memchr2(b'?', b'#', path_and_query.as_bytes()).unwrap_or(path_and_query.len());
    let path = &path_and_query[..end];
    if !path.starts_with('/') {
        out.push('/');
    }
    if path.is_empty() {
        return;
    }
    let mut from = 0;
    for cut in memchr::memchr_iter(b'/', path.as_bytes()).chain([path.len()]) {
        let seg = &path[from..cut];
        if from > 0 {
            out.push('/');
        }
        if is_id_segment(seg) {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
        from = cut + 1;
    }
}

/// `8-4-4-4-12` hex digits: an identifier in a path, and not a secret
/// (the redactor keeps them).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_id_segment(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    // a value faultlens redacted (sanitized captures, exported tables) was
    // a token in the path: an id as far as grouping goes
    if crate::marker::is_marker(seg) {
        return true;
    }
    let b = seg.as_bytes();
    // pure number (also with a trailing file extension such as 123.json)
    let stem = &seg[..memchr::memchr(b'.', b).unwrap_or(b.len())];
    if !stem.is_empty() && stem.bytes().all(|c| c.is_ascii_digit()) {
        return true;
    }
    if is_uuid(seg) {
        return true;
    }
    // long hex (hashes, object ids)
    if b.len() >= 12
        && b.iter().all(|c| c.is_ascii_hexdigit())
        && b.iter().any(|c| c.is_ascii_digit())
    {
        return true;
    }
    // base64-ish / opaque tokens: long, mixes digits and letters, no dots
    if b.len() >= 16
        && !seg.contains('.')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'=')
        && b.iter().any(|c| c.is_ascii_digit())
        && b.iter().any(|c| c.is_ascii_alphabetic())
    {
        return true;
    }
    // digits mixed with separators only, e.g. 2024-01-05 or 12_34
    if b.len() >= 4
        && b.iter().filter(|c| c.is_ascii_digit()).count() * 2 > b.len()
        && b.iter()
            .all(|&c| c.is_ascii_digit() || c == b'-' || c == b'_' || c == b':')
    {
        return true;
    }
    false
}

/// Split a URL into (scheme, host, path-and-query). Tolerates relative or
/// odd URLs by returning empty parts rather than failing.
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i], &url[i + 3..]),
        None => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let path = &rest[end..];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or(host_port)
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    (scheme, host, path)
}

/// [`registrable_domain`], memoised per thread and shared: readers ask for
/// the same few hosts on every line or entry, and the Public Suffix lookup
/// would dominate their parse.
pub fn registrable_domain_memo(host: &str) -> crate::sym::Sym {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<crate::sym::FxMap<Box<str>, crate::sym::Sym>> =
            RefCell::new(Default::default());
    }
    CACHE.with(|c| {
        if let Some(d) = c.borrow().get(host) {
            return d.clone();
        }
        let d = crate::sym::intern(&registrable_domain(host));
        let mut m = c.borrow_mut();
        if m.len() > 4096 {
            m.clear();
        }
        m.insert(host.into(), d.clone());
        d
    })
}

/// Registrable domain (eTLD+1) from the Public Suffix List; IP addresses and
/// single-label hosts are returned as they are.
pub fn registrable_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
        return host;
    }
    match psl::domain_str(&host) {
        Some(d) => d.to_string(),
        None => host,
    }
}

/// Classify an error text from any source: Chrome `net::ERR_*`, Firefox
/// `NS_ERROR_*`, curl / k6 messages, probe error words, DNS rcodes.
pub fn classify_error(text: &str) -> Option<ErrorClass> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let u = t.to_ascii_uppercase();
    let has = |s: &str| u.contains(s);
    Some(
        if has("NAME_NOT_RESOLVED")
            || has("UNKNOWN_HOST")
            || has("COULD NOT RESOLVE")
            || has("NO SUCH HOST")
            || has("NAME_RESOLUTION_FAILED")
            || has("EAI_")
            // BrowserMob Proxy (HarCaptureUtil): "Unable to resolve host: h:443"
            || has("UNABLE TO RESOLVE HOST")
            // Safari / WebKit (NSURLErrorCannotFindHost): "A server with
            // the specified hostname could not be found."
            || has("SPECIFIED HOSTNAME COULD NOT BE FOUND")
        {
            ErrorClass::NameNotResolved
        } else if has("SERVFAIL") {
            ErrorClass::DnsServfail
        } else if has("NXDOMAIN") {
            ErrorClass::DnsNxdomain
        } else if has("DNS") && (has("TIMEOUT") || has("TIMED_OUT") || has("TIMED OUT")) {
            ErrorClass::DnsTimeout
        } else if has("INTERNET_DISCONNECTED")
            || has("NETWORK_IS_UNREACHABLE") && has("LOCAL")
            || has("OFFLINE")
        {
            ErrorClass::InternetDisconnected
        } else if has("NETWORK_CHANGED")
            || has("NETWORK_ACCESS_DENIED")
            || has("ADDRESS_UNREACHABLE") && has("LOCAL")
        {
            ErrorClass::NetworkChanged
        } else if has("PROXY") || has("TUNNEL_CONNECTION_FAILED") {
            ErrorClass::Proxy
        } else if (has("SSL") || has("TLS") || has("HANDSHAKE"))
            && (has("TIMEOUT") || has("TIMED OUT") || has("TIMED_OUT"))
            && !has("CERT")
        {
            // curl's "SSL connection timeout", Go's "net/http: TLS handshake
            // timeout": the connection was accepted and then nothing
            // answered, a stalled path or peer, not a certificate or
            // protocol failure (Chromium words the same stall ERR_TIMED_OUT)
            ErrorClass::Timeout
        } else if has("CERT") || has("CERTIFICATE") {
            ErrorClass::CertError
        } else if has("SSL") || has("TLS") || has("HANDSHAKE") {
            ErrorClass::TlsError
        } else if has("BLOCKED_BY_ORB") || has("BLOCKED_BY_CORB") {
            ErrorClass::BlockedByOrb
        } else if has("BLOCKED_BY_CLIENT") || has("BLOCKED_BY_RESPONSE") {
            ErrorClass::BlockedByClient
        } else if has("ABORTED") || has("CANCELED") || has("CANCELLED") || has("NS_BINDING_ABORTED")
        {
            ErrorClass::Aborted
        } else if has("REFUSED") || has("COULD NOT CONNECT TO THE SERVER") {
            // WebKit's NSURLErrorCannotConnectToHost: "Could not connect to
            // the server."
            ErrorClass::ConnectionRefused
        } else if has("RESET")
            || has("ECONNRESET")
            || has("EMPTY_RESPONSE")
            // WebKit's NSURLErrorNetworkConnectionLost
            || has("NETWORK CONNECTION WAS LOST")
        {
            ErrorClass::ConnectionReset
        } else if has("CONNECTION_CLOSED") || has("CONNECTION CLOSED") || has("EOF") {
            ErrorClass::ConnectionClosed
        } else if has("CONNECTION_TIMED_OUT")
            || has("CONNECT TIMEOUT")
            || has("CONNECTION TIMED OUT")
            || has("CONNECT_TIMEOUT")
        {
            ErrorClass::ConnectionTimedOut
        } else if has("TIMED_OUT") || has("TIMEOUT") || has("TIMED OUT") {
            ErrorClass::Timeout
        } else if has("UNREACHABLE") || has("NO ROUTE") || has("ADDRESS_UNREACHABLE") {
            ErrorClass::ConnectionTimedOut
        } else if has("UNABLE TO CONNECT") {
            // BrowserMob Proxy's one wording for a refused, timed-out or
            // failed-handshake connection to the server (2.1 checks
            // upstream certificates by default, `TrustSource.
            // defaultTrustSource()`, and a failed check is a connection it
            // could not make)
            ErrorClass::ConnectFailed
        } else {
            ErrorClass::Other
        },
    )
}

/// A path that names a static file (stylesheet, script, image, font,
/// video): what an edge or a static server delivers.
pub fn is_static_path(path: &str) -> bool {
    const EXT: &[&str] = &[
        ".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".woff", ".woff2", ".ico",
        ".mp4",
    ];
    let p = path.split(['?', '#']).next().unwrap_or(path);
    EXT.iter().any(|x| p.ends_with(x))
}

/// A call the application answers with its own code, not a stored file:
/// what an outage or a slowdown of the backend takes away or slows down.
/// Read from the browser's request type (XHR / fetch, WebSocket, and
/// `ping`: `navigator.sendBeacon` and hyperlink pings, which the site's
/// servers log), the host (`api.`) and the path: API-like paths, beacons
/// and server pages (`.php`, `.aspx`, `.jsp`, ...). Real pages need the
/// path too: Wikipedia's stylesheets come from `load.php`, assembled per
/// request by MediaWiki, and its `/beacon/event`; Google's `/gen_204`
/// pings are typed `ping`. `endpoint` is the path template (no query).
pub fn is_api_call(rt: ResourceType, host: &str, endpoint: &str) -> bool {
    is_api_type(rt) || is_api_path(host, endpoint)
}

/// The request types that are application calls whatever their path.
pub fn is_api_type(rt: ResourceType) -> bool {
    matches!(
        rt,
        ResourceType::Xhr | ResourceType::Websocket | ResourceType::Ping
    )
}

/// The hosts and paths of application calls, whatever their type.
pub fn is_api_path(host: &str, endpoint: &str) -> bool {
    const SERVER_PAGE: &[&str] = &[".php", ".aspx", ".asp", ".jsp", ".cgi"];
    host.starts_with("api.")
        || endpoint.starts_with("/api")
        || endpoint.contains("/api/")
        || endpoint.contains("graphql")
        || endpoint.contains("/rest/")
        || endpoint.contains("/svc/")
        || endpoint.contains("/beacon")
        || SERVER_PAGE.iter().any(|x| {
            endpoint.len() >= x.len()
                && endpoint.as_bytes()[endpoint.len() - x.len()..]
                    .eq_ignore_ascii_case(x.as_bytes())
        })
}

/// An image request that is a beacon: a GIF asked with query parameters
/// (`/rum.gif?pv_id=..&ts=..`, `/__utm.gif?..`, `/b/ss/..gif?..`: stored
/// GIFs are not asked with parameters beyond a cache-buster), or any image
/// URL carrying a long query of many parameters (RUM and analytics pixels
/// pack their payload there; an image CDN's resize options are a few short
/// ones: `?w=300&q=80&fit=crop&auto=format`).
pub fn is_tracking_pixel(path_and_query: &str) -> bool {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return false;
    };
    let query = query.split('#').next().unwrap_or(query);
    let params = query.split('&').filter(|p| !p.is_empty()).count();
    (is_gif(path) && params >= TRACKING_GIF_MIN_PARAMS)
        || (query.len() >= TRACKING_QUERY_MIN_BYTES && params >= TRACKING_QUERY_MIN_PARAMS)
}

/// [`is_tracking_pixel`] for a request whose type nobody recorded (a
/// failed one has no response to type it by): only its name can say it
/// is an image, so only the GIF-with-parameters half applies.
pub fn is_tracking_gif(path_and_query: &str) -> bool {
    path_and_query.split_once('?').is_some_and(|(path, query)| {
        let query = query.split('#').next().unwrap_or(query);
        is_gif(path)
            && query.split('&').filter(|p| !p.is_empty()).count() >= TRACKING_GIF_MIN_PARAMS
    })
}

fn is_gif(path: &str) -> bool {
    path.len() >= 4 && path.as_bytes()[path.len() - 4..].eq_ignore_ascii_case(b".gif")
}

/// Parameters from which a GIF request is a beacon.
pub const TRACKING_GIF_MIN_PARAMS: usize = 2;
/// Query length and parameter count from which any image request is.
pub const TRACKING_QUERY_MIN_BYTES: usize = 200;
pub const TRACKING_QUERY_MIN_PARAMS: usize = 4;

/// WebPageTest's `_result` / `_responseCode` WinINet error codes, worded
/// as the browser error they stand for so one classifier reads them all.
pub fn wininet_error(code: i64) -> Option<&'static str> {
    Some(match code {
        12002 => "net::ERR_TIMED_OUT (WinINet 12002)",
        12007 => "net::ERR_NAME_NOT_RESOLVED (WinINet 12007)",
        12029 => "net::ERR_CONNECTION_REFUSED (WinINet 12029 cannot connect)",
        12030 => "net::ERR_CONNECTION_RESET (WinINet 12030 connection aborted)",
        12031 => "net::ERR_CONNECTION_RESET (WinINet 12031)",
        12152 => "net::ERR_EMPTY_RESPONSE (WinINet 12152 invalid server response)",
        12157 => "net::ERR_SSL_PROTOCOL_ERROR (WinINet 12157)",
        12175 => "net::ERR_CERT_INVALID (WinINet 12175)",
        12037 | 12038 | 12044 | 12045 => "net::ERR_CERT_INVALID (WinINet certificate error)",
        // the rest of the WinINet range (12999: the agent's "unknown"): a
        // failure below HTTP, never a status; the phases say how far it got
        12001..=12999 => "net::ERR_FAILED (WinINet error)",
        _ => return None,
    })
}

/// Resource type from a HAR `_resourceType` value.
pub fn resource_type_from_hint(hint: &str) -> Option<ResourceType> {
    Some(match hint.to_ascii_lowercase().as_str() {
        "document" | "main_frame" | "sub_frame" | "iframe" => ResourceType::Document,
        "script" => ResourceType::Script,
        "stylesheet" => ResourceType::Stylesheet,
        "image" | "imageset" => ResourceType::Image,
        "font" => ResourceType::Font,
        "media" => ResourceType::Media,
        "xhr" | "fetch" | "xmlhttprequest" | "eventsource" => ResourceType::Xhr,
        "websocket" => ResourceType::Websocket,
        "ping" | "beacon" | "csp_violation_report" => ResourceType::Ping,
        "" => return None,
        _ => ResourceType::Other,
    })
}

/// Resource type from a stored file's extension (`.png`, `.css`, ...),
/// `None` for anything else: what a request asked for when its answer
/// (an error page) says nothing about it.
pub fn resource_type_from_path(path: &str) -> Option<ResourceType> {
    let p = path.split(['?', '#']).next().unwrap_or(path);
    let ext = p.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    if ext.contains('/') {
        return None;
    }
    Some(match ext.as_str() {
        "css" => ResourceType::Stylesheet,
        "js" | "mjs" => ResourceType::Script,
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "ico" => ResourceType::Image,
        "woff" | "woff2" | "ttf" | "otf" => ResourceType::Font,
        "mp4" | "webm" => ResourceType::Media,
        _ => return None,
    })
}

/// Resource type from a MIME type (fallback when no hint exists).
pub fn resource_type_from_mime(mime: &str) -> ResourceType {
    let m = mime.to_ascii_lowercase();
    let m = m.split(';').next().unwrap_or("").trim();
    if m == "text/html" || m == "application/xhtml+xml" {
        ResourceType::Document
    } else if m.contains("javascript") || m.contains("ecmascript") {
        ResourceType::Script
    } else if m == "text/css" {
        ResourceType::Stylesheet
    } else if m.starts_with("image/") {
        ResourceType::Image
    } else if m.starts_with("font/") || m.contains("font") {
        ResourceType::Font
    } else if m.starts_with("video/") || m.starts_with("audio/") {
        ResourceType::Media
    } else if m.contains("json")
        || m.contains("xml")
        || m.contains("protobuf")
        || m.contains("grpc")
        || m == "text/plain"
    {
        ResourceType::Xhr
    } else {
        ResourceType::Other
    }
}

/// Parse a timestamp as the contract allows: RFC 3339 with any offset (any
/// number of fractional digits, also 7 as .NET writes), a space instead of
/// `T`, naive times taken as UTC, or unix seconds (with fraction).
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_matches('"');
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<f64>() {
        return unix_to_utc(v);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let t = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
        return Some(t.with_timezone(&Utc));
    }
    // offset without colon, e.g. +0100
    if let Ok(t) = DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    None
}

/// Unix seconds (fractional) to UTC, refusing absurd values.
pub fn unix_to_utc(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() || !(0.0..=32_503_680_000.0).contains(&secs) {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fold_ids() {
        assert_eq!(
            endpoint_template("/api/v1/projects/1234/tasks?x=1"),
            "/api/v1/projects/{id}/tasks"
        );
        assert_eq!(
            endpoint_template("/u/550e8400-e29b-41d4-a716-446655440000"),
            "/u/{id}"
        );
        assert_eq!(endpoint_template("/o/5f2b9c0e8d1a4b3c"), "/o/{id}");
        assert_eq!(endpoint_template("/static/app.js"), "/static/app.js");
        assert_eq!(
            endpoint_template("/t/eyJhbGciOiJIUzI1NiJ9abc123"),
            "/t/{id}"
        );
        assert_eq!(endpoint_template(""), "/");
    }

    #[test]
    fn tracking_pixels_are_beacons_stored_images_are_not() {
        for beacon in [
            "/rum.gif?pv_id=45a56f30&ts=1522184009388&x=6",
            "/__utm.gif?utmwv=5.7.2&utms=1&utmn=123",
            "/b/ss/acct/1/JS-2.0/s1234?AQB=1&ndh=1&pf=1&t=7%2F2%2F2018&pageName=Home&g=https%3A%2F%2Fwww.example.com%2F&c.&cm.&ssf=1&.c&v1=abc&v2=def&c3=ghi&v4=jkl&c5=mno&s=1920x1080&c=24&j=1.6&v=N&k=Y&bw=1365&bh=900&mid=12345678901234567890&AQE=1",
        ] {
            assert!(is_tracking_pixel(beacon), "{beacon}");
        }
        for file in [
            "/img/spinner.gif",
            "/img/spinner.gif?v=3",
            "/photos/hero.jpg?w=300&q=80&fit=crop&auto=format",
            "/logo.png",
        ] {
            assert!(!is_tracking_pixel(file), "{file}");
        }
        // untyped (a failed request): only a GIF with parameters says so
        assert!(is_tracking_gif("/rum.gif?pv_id=45a56f30&ts=1522184009388"));
        assert!(!is_tracking_gif("/img/spinner.gif?v=3"));
        assert!(!is_tracking_gif(
            "/b/ss/acct/1/JS-2.0/s1234?AQB=1&ndh=1&pf=1&t=7%2F2%2F2018&pageName=Home"
        ));
        assert_eq!(
            endpoint_template("/channels/42/messages"),
            "/channels/{id}/messages"
        );
        // a redacted segment groups like the token it replaced
        let m = crate::marker::marker("s3cr3t-opaque-token-value");
        assert_eq!(
            endpoint_template(&format!("/reset/{m}/confirm")),
            "/reset/{id}/confirm"
        );
        assert_eq!(
            endpoint_template("/reset/[REDACTED/x"),
            "/reset/[REDACTED/x"
        );
    }

    #[test]
    fn urls_split() {
        assert_eq!(
            split_url("https://a.b.com:8443/x?y"),
            ("https", "a.b.com", "/x?y")
        );
        assert_eq!(split_url("http://u:p@h.com"), ("http", "h.com", ""));
        assert_eq!(split_url("https://[::1]:80/p"), ("https", "::1", "/p"));
    }

    #[test]
    fn registrable() {
        assert_eq!(registrable_domain("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(registrable_domain("api.app.asana.com"), "asana.com");
        assert_eq!(registrable_domain("10.0.0.1"), "10.0.0.1");
        assert_eq!(registrable_domain("localhost"), "localhost");
    }

    #[test]
    fn errors_classified() {
        use ErrorClass::*;
        let cases = [
            ("net::ERR_NAME_NOT_RESOLVED", NameNotResolved),
            ("net::ERR_CONNECTION_REFUSED", ConnectionRefused),
            ("net::ERR_CONNECTION_RESET", ConnectionReset),
            ("SSL connection timeout", Timeout),
            ("net/http: TLS handshake timeout", Timeout),
            (
                "SSL certificate problem: certificate has expired",
                CertError,
            ),
            (
                "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to h:443",
                TlsError,
            ),
            ("net::ERR_CONNECTION_TIMED_OUT", ConnectionTimedOut),
            ("net::ERR_INTERNET_DISCONNECTED", InternetDisconnected),
            ("net::ERR_NETWORK_CHANGED", NetworkChanged),
            ("net::ERR_CERT_DATE_INVALID", CertError),
            ("net::ERR_SSL_PROTOCOL_ERROR", TlsError),
            ("net::ERR_BLOCKED_BY_CLIENT", BlockedByClient),
            ("net::ERR_ABORTED", Aborted),
            ("net::ERR_PROXY_CONNECTION_FAILED", Proxy),
            ("SERVFAIL", DnsServfail),
            ("NXDOMAIN", DnsNxdomain),
            ("timeout", Timeout),
            ("connection refused", ConnectionRefused),
            (
                "Unable to resolve host: www.example.com:443",
                NameNotResolved,
            ),
            ("Unable to connect to host", ConnectFailed),
            ("Response timed out", Timeout),
            // Safari / WebKit Web Inspector (NSURLError descriptions)
            (
                "A server with the specified hostname could not be found.",
                NameNotResolved,
            ),
            ("Could not connect to the server.", ConnectionRefused),
            ("The network connection was lost.", ConnectionReset),
            ("The request timed out.", Timeout),
            ("The certificate for this server is invalid.", CertError),
            (
                "An SSL error has occurred and a secure connection to the server cannot be made.",
                TlsError,
            ),
            (
                "The Internet connection appears to be offline.",
                InternetDisconnected,
            ),
            ("something odd", Other),
        ];
        for (t, c) in cases {
            assert_eq!(classify_error(t), Some(c), "{t}");
        }
        assert_eq!(classify_error(""), None);
    }

    #[test]
    fn timestamps() {
        let a = parse_ts("2025-02-06T10:00:00.1234567+01:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2025-02-06T09:00:00.123456700+00:00");
        assert_eq!(
            parse_ts("1738836000").unwrap().to_rfc3339(),
            "2025-02-06T10:00:00+00:00"
        );
        assert_eq!(
            parse_ts("1738836000.5").unwrap().timestamp_millis(),
            1738836000500
        );
        assert!(parse_ts("2025-02-06 10:00:00Z").is_some());
        assert!(parse_ts("nonsense").is_none());
        assert!(parse_ts("-5").is_none());
    }

    #[test]
    fn api_calls_by_type_host_and_path() {
        use ResourceType::*;
        assert!(is_api_call(Xhr, "www.example.com", "/cart"));
        assert!(is_api_call(Ping, "www.google.com", "/gen_204"));
        assert!(is_api_call(Stylesheet, "en.wikipedia.org", "/w/load.php"));
        assert!(is_api_call(Other, "en.wikipedia.org", "/beacon/event"));
        assert!(is_api_call(Document, "shop.example.com", "/Checkout.ASPX"));
        assert!(is_api_call(Script, "api.example.com", "/v1/config.js"));
        assert!(is_api_call(Other, "www.example.com", "/api/v2/items/{id}"));
        assert!(!is_api_call(
            Stylesheet,
            "www.example.com",
            "/static/site.css"
        ));
        assert!(!is_api_call(Image, "img.example-cdn.com", "/hero.jpg"));
        assert!(!is_api_call(Document, "www.example.com", "/"));
        assert!(!is_api_call(Script, "www.example.com", "/js/php.js"));
    }
}
