//! HAR reader.
//!
//! Why it is shaped like this: a HAR is one JSON document, but its entries
//! are independent, and most of its bytes are response bodies nobody here
//! needs. A document held in memory is first cut into entry ranges by the
//! byte-level [`json_scan`] (cheap: it only follows strings and brackets),
//! then the entries are deserialized on all cores into borrowed, typed
//! structs that skip the body. A large file is not walked twice: each
//! block is cut at guessed entry starts and serde_json itself finds where
//! each entry ends, part by part on all cores; the merge keeps a part only
//! where the part before it ended exactly at its start ([`parse_block`]).
//! Either way salvage comes free: a truncated or corrupt file yields every
//! complete entry before the damage, and a warning with the byte offset.
//!
//! Producer quirks are absorbed here, not later: numbers written as strings
//! (WebPageTest), `-1` for "not measured", statuses `0`, `-1`, `-2` for "no
//! response", Chrome `_error` texts, and the two ways of counting TLS time
//! (see [`normalize_phases`]).

use super::json_scan::{self, HarLayout};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::classify;
use crate::model::{
    EdgeHints, FileId, InputReport, LocKind, Page, Phases, Records, Request, ResourceType,
    SourceRef,
};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::ops::Range;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "har",
    sniff,
    parse,
    samples: SAMPLES,
};

/// Real snippets: a HAR 1.2 export with no pages (haralyzer), the same
/// with a BOM (Chrome), a WebPageTest JSONP wrapper, the corrupted
/// mitmproxy test file, and a bare entry object (claimed, then reported as
/// not a HAR).
static SAMPLES: &[&str] = &[
    r#"{"log": {"entries": [{"serverIPAddress": "1.1.1.1", "timings": {"blocked": 1.0414959522313407, "send": 0.08300004992634014, "ssl": -1, "connect": -1, "dns": -1, "receive": 1.6290000057779253, "wait": 307.708999956958}, "response": {"redirectURL": "", "bodySize": 44, "statusText": "OK", "_transferSize": 726, "cookies": [], "content": {"mimeType": "application/json", "size": 44, "compression": 0}, "headersSize": 682, "httpVersion": "HTTP/1.1", "status": 200, "headers": [{"value": "nginx", "name": "Server"}]}, "request": {"headersSize": 522, "bodySize": 59, "url": "https://test.com/stuff", "method": "POST", "httpVersion": "HTTP/1.1", "headers": []}, "cache": {}, "connection": "117799", "time": 308.4624959648936, "startedDateTime": "2018-03-20T23:47:30.357Z"}]}}"#,
    "\u{feff}{\n    \"log\": {\n        \"version\": \"1.2\",\n        \"creator\": {\n            \"name\": \"WebInspector\",\n            \"version\": \"537.36\"\n        },\n        \"pages\": [],\n        \"entries\": []\n    }\n}\n",
    r#"onInputData({"log":{"version":"1.1","creator":{"name":"WebPagetest","version":"2.17"},"pages":[{"startedDateTime":"2015-08-29T14:43:42.000+00:00","title":"Run 1, First View for http://www.nytimes.com/","id":"page_1_0","pageTimings":{"onLoad":2797,"onContentLoad":-1}}],"entries":[]}});"#,
    "{\"log\":\n[\n    2,1,3\n]\n\"request:\"}",
    r#"{"pageref": "page_1", "startedDateTime": "2018-03-20T23:47:30.357Z", "request": {"method": "GET", "url": "https://test.com/"}, "response": {"status": 200}, "time": 12}"#,
];

/// Claims JSON objects (after a BOM / JSONP prefix) whose top-level keys
/// look like a HAR (`log`) or a bare HAR entry (`request` with `response`
/// or `startedDateTime`); the latter is parsed and reported as "not a HAR"
/// rather than left unrecognised.
fn sniff(head: &[u8]) -> bool {
    let (start, _) = json_scan::json_start(head);
    if head.get(start) != Some(&b'{') {
        return false;
    }
    let l = json_scan::scan_har(head);
    if l.has_top_key(head, b"log") {
        return true;
    }
    l.has_top_key(head, b"request")
        && (l.has_top_key(head, b"response")
            || l.has_top_key(head, b"startedDateTime")
            || l.truncated_at.is_some())
}

fn parse(f: &InputFile, opts: &IngestOptions) -> Parsed {
    parse_har_bytes(f.id, f.vantage.clone(), &f.bytes, opts)
}

// ---------------------------------------------------------------------------
// Lenient scalar types: producers disagree on JSON types.

/// A number written as a JSON number, a numeric string (WebPageTest), or
/// null / absent / anything else (= not known).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Num(Option<f64>);

impl Num {
    /// The value when it is a real measurement (finite, not negative).
    fn nonneg(self) -> Option<f64> {
        self.0.filter(|v| v.is_finite() && *v >= 0.0)
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|x| x.is_finite())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_none<E>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
                Num::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string, borrowed from the input when it has no escapes; numbers are
/// kept as their text; null / absent / containers = none.
#[derive(Debug, Clone, Default, PartialEq)]
struct Text<'a>(Option<Cow<'a, str>>);

impl Text<'_> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Text<'a>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Text<'a>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `_fromCache`: Chrome writes `"disk"` / `"memory"`, others booleans.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Flag(t.get().is_some_and(|s| {
            !matches!(s.to_ascii_lowercase().as_str(), "false" | "0" | "no")
        })))
    }
}

// ---------------------------------------------------------------------------
// Edge hints: only the response headers that name a CDN are kept; every
// other header (cookies, authorization, ...) is dropped while parsing.

#[derive(Debug, Clone, Default, PartialEq)]
struct EdgeHeaders {
    server: Option<String>,
    via: Option<String>,
    x_cache: Option<String>,
    cf_cache_status: Option<String>,
    other_cache: Option<String>,
    served_by: Option<String>,
    content_type: Option<String>,
    cloudflare: bool,
    cloudfront: bool,
    akamai: bool,
    fastly: bool,
    vercel: bool,
    netlify: bool,
}

fn short_lower(v: &str) -> String {
    let v = v.trim();
    let end = v.char_indices().nth(96).map_or(v.len(), |(i, _)| i);
    v[..end].to_ascii_lowercase()
}

impl EdgeHeaders {
    fn add(&mut self, name: &str, value: &str) {
        let n = name.trim();
        let eq = |s: &str| n.eq_ignore_ascii_case(s);
        // byte-wise: a header name is not always ASCII in a hostile file
        let starts = |p: &str| {
            n.as_bytes()
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
        };
        if eq("server") {
            self.server.get_or_insert_with(|| short_lower(value));
        } else if eq("via") {
            self.via.get_or_insert_with(|| short_lower(value));
        } else if eq("x-cache") {
            self.x_cache.get_or_insert_with(|| short_lower(value));
        } else if eq("cf-cache-status") {
            self.cloudflare = true;
            self.cf_cache_status
                .get_or_insert_with(|| short_lower(value));
        } else if eq("cf-ray") {
            self.cloudflare = true;
        } else if eq("x-amz-cf-id") || eq("x-amz-cf-pop") {
            self.cloudfront = true;
        } else if eq("x-served-by") {
            self.served_by.get_or_insert_with(|| short_lower(value));
        } else if starts("x-fastly") || starts("fastly-") {
            self.fastly = true;
        } else if starts("x-akamai") || starts("akamai-") || eq("x-check-cacheable") {
            self.akamai = true;
        } else if eq("x-vercel-cache") || eq("x-vercel-id") {
            self.vercel = true;
            if eq("x-vercel-cache") {
                self.other_cache.get_or_insert_with(|| short_lower(value));
            }
        } else if eq("x-nf-request-id") {
            self.netlify = true;
        } else if eq("x-cache-status") || eq("x-proxy-cache") || eq("cdn-cache") {
            self.other_cache.get_or_insert_with(|| short_lower(value));
        } else if eq("content-type") {
            self.content_type.get_or_insert_with(|| short_lower(value));
        }
    }

    fn hints(&self, cdn_provider: Option<&str>) -> EdgeHints {
        let has = |o: &Option<String>, s: &str| o.as_deref().is_some_and(|v| v.contains(s));
        let provider = if let Some(p) = cdn_provider {
            Some(p.to_ascii_lowercase())
        } else if self.cloudflare || has(&self.server, "cloudflare") {
            Some("cloudflare".to_string())
        } else if self.cloudfront
            || has(&self.via, "cloudfront")
            || has(&self.x_cache, "cloudfront")
        {
            Some("cloudfront".to_string())
        } else if self.akamai || has(&self.server, "akamai") || has(&self.x_cache, "akamai") {
            Some("akamai".to_string())
        } else if self.fastly
            || self
                .served_by
                .as_deref()
                .is_some_and(|v| v.starts_with("cache-"))
            || has(&self.via, "varnish") && self.served_by.is_some()
        {
            Some("fastly".to_string())
        } else if self.vercel || has(&self.server, "vercel") {
            Some("vercel".to_string())
        } else if self.netlify || has(&self.server, "netlify") {
            Some("netlify".to_string())
        } else if has(&self.server, "ecacc") || has(&self.server, "ecs (") {
            Some("edgecast".to_string())
        } else if has(&self.server, "bunnycdn") {
            Some("bunnycdn".to_string())
        } else {
            None
        };
        let cache = self
            .cf_cache_status
            .clone()
            .or_else(|| self.x_cache.clone())
            .or_else(|| self.other_cache.clone());
        EdgeHints { provider, cache }
    }
}

impl<'de> Deserialize<'de> for EdgeHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Header<'a> {
            #[serde(borrow, default)]
            name: Text<'a>,
            #[serde(borrow, default)]
            value: Text<'a>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EdgeHeaders;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of headers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<EdgeHeaders, A::Error> {
                let mut h = EdgeHeaders::default();
                while let Some(x) = a.next_element::<Header<'de>>()? {
                    if let (Some(n), Some(v)) = (x.name.get(), x.value.0.as_deref()) {
                        h.add(n, v);
                    }
                }
                Ok(h)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<EdgeHeaders, A::Error> {
                // Some tools write headers as an object {name: value}.
                let mut h = EdgeHeaders::default();
                while let Some((k, v)) = a.next_entry::<Text<'de>, Text<'de>>()? {
                    if let (Some(n), Some(v)) = (k.get(), v.0.as_deref()) {
                        h.add(n, v);
                    }
                }
                Ok(h)
            }
            fn visit_unit<E>(self) -> Result<EdgeHeaders, E> {
                Ok(EdgeHeaders::default())
            }
            fn visit_none<E>(self) -> Result<EdgeHeaders, E> {
                Ok(EdgeHeaders::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<EdgeHeaders, D::Error> {
                EdgeHeaders::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// The typed view of an entry (borrowed; bodies reduced to lengths).

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    pageref: Text<'a>,
    #[serde(rename = "startedDateTime", borrow, default)]
    started: Text<'a>,
    #[serde(default)]
    time: Num,
    #[serde(borrow, default)]
    request: Option<Req<'a>>,
    #[serde(borrow, default)]
    response: Option<Resp<'a>>,
    #[serde(default)]
    timings: Option<Timings>,
    #[serde(rename = "serverIPAddress", borrow, default)]
    server_ip: Text<'a>,
    #[serde(rename = "_ip_addr", borrow, default)]
    wpt_ip: Text<'a>,
    #[serde(rename = "_resourceType", borrow, default)]
    resource_type: Text<'a>,
    #[serde(rename = "_transferSize", default)]
    transfer_size: Num,
    #[serde(rename = "_fromCache", default)]
    from_cache: Flag,
    #[serde(rename = "_error", borrow, default)]
    error: Text<'a>,
    #[serde(rename = "_cdn_provider", borrow, default)]
    cdn_provider: Text<'a>,
    #[serde(rename = "_responseCode", default)]
    wpt_status: Num,
    /// WebPageTest's result code: an HTTP status, or a WinINet error
    /// (12007 name not resolved, 12029 cannot connect, ...).
    #[serde(rename = "_result", default)]
    wpt_result: Num,
    /// Playwright's failure text, where a writer put it on the entry.
    #[serde(rename = "_failureText", borrow, default)]
    failure_text: Text<'a>,
    /// BrowserMob / Browsertime's failure text.
    #[serde(rename = "_errorMessage", borrow, default)]
    error_message: Text<'a>,
}

#[derive(Deserialize)]
struct Req<'a> {
    #[serde(borrow, default)]
    method: Text<'a>,
    #[serde(borrow, default)]
    url: Text<'a>,
}

#[derive(Deserialize)]
struct Resp<'a> {
    #[serde(default)]
    status: Num,
    #[serde(default)]
    headers: EdgeHeaders,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
    #[serde(rename = "bodySize", default)]
    body_size: Num,
    #[serde(rename = "headersSize", default)]
    headers_size: Num,
    #[serde(rename = "_error", borrow, default)]
    error: Text<'a>,
    /// Playwright `recordHar`: `status: -1` and the browser's error here.
    #[serde(rename = "_failureText", borrow, default)]
    failure_text: Text<'a>,
    /// BrowserMob / Browsertime.
    #[serde(rename = "_errorMessage", borrow, default)]
    error_message: Text<'a>,
    #[serde(rename = "_transferSize", default)]
    transfer_size: Num,
    #[serde(rename = "_fromCache", default)]
    from_cache: Flag,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(default)]
    size: Num,
    #[serde(rename = "mimeType", borrow, default)]
    mime: Text<'a>,
    /// The body is never decoded, copied or even checked as UTF-8:
    /// serde_json steps over it. Only its presence is kept; its length is
    /// read in a second pass over the entry ([`BodyOnly`]) in the rare
    /// entry that has a body but no `content.size`.
    #[serde(default)]
    text: Option<Present>,
    #[serde(borrow, default)]
    encoding: Text<'a>,
}

/// A value skipped, not read: serde_json's `ignore_value` walks it without
/// validating UTF-8 or building anything.
struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// An entry's body text as raw JSON, for its length (see [`Content::text`]).
#[derive(Deserialize)]
struct BodyOnly<'a> {
    #[serde(borrow, default)]
    response: Option<BodyResp<'a>>,
}

#[derive(Deserialize)]
struct BodyResp<'a> {
    #[serde(borrow, default)]
    content: Option<BodyContent<'a>>,
}

#[derive(Deserialize)]
struct BodyContent<'a> {
    #[serde(borrow, default)]
    text: Option<&'a RawValue>,
}

/// The raw JSON of an entry's `response.content.text` (`None` when the
/// entry has none, or its text is not valid UTF-8).
fn body_text(entry: &[u8]) -> Option<&str> {
    let b: BodyOnly = serde_json::from_slice(entry).ok()?;
    Some(b.response?.content?.text?.get())
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Timings {
    #[serde(default)]
    blocked: Num,
    #[serde(default)]
    dns: Num,
    #[serde(default)]
    connect: Num,
    #[serde(default)]
    ssl: Num,
    #[serde(default)]
    send: Num,
    #[serde(default)]
    wait: Num,
    #[serde(default)]
    receive: Num,
}

#[derive(Deserialize)]
struct HarPage<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(rename = "startedDateTime", borrow, default)]
    started: Text<'a>,
    #[serde(borrow, default)]
    title: Text<'a>,
    #[serde(rename = "pageTimings", default)]
    timings: Option<PageTimings>,
}

#[derive(Deserialize, Default)]
struct PageTimings {
    #[serde(rename = "onContentLoad", default)]
    on_content_load: Num,
    #[serde(rename = "onLoad", default)]
    on_load: Num,
}

// ---------------------------------------------------------------------------
// Timing normalization.

/// How a producer counted TLS time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslStyle {
    /// HAR 1.2 spec: `ssl` is included in `connect`.
    InsideConnect,
    /// Firefox (and mitmproxy) exports: `ssl` comes on top of `connect`.
    OnTopOfConnect,
}

/// Normalize HAR timings into [`Phases`] so that no phase is counted twice:
/// `tls_ms` is its own phase and `connect_ms` excludes it.
///
/// Rule: `-1`, absent, null or non-numeric = `None`. When both `connect`
/// and `ssl` are measured and `ssl > 0`, the style is decided from the
/// entry's `time`: the sum of phases without `ssl` (spec: ssl is inside
/// connect) and the sum with `ssl` added (Firefox) are compared with
/// `time`, the closer one wins (ties go to the spec). Without a usable
/// `time`, `connect < ssl` can only be Firefox style, otherwise the spec is
/// assumed. In spec style `connect_ms = connect - ssl`. `total_ms` is the
/// entry's `time` when measured, else the sum of the normalized phases.
/// HAR timings of one entry, `None` where absent or `-1`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HarTimings {
    pub blocked: Option<f64>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub ssl: Option<f64>,
    pub send: Option<f64>,
    pub wait: Option<f64>,
    pub receive: Option<f64>,
    /// The entry's `time`.
    pub time: Option<f64>,
}

pub fn normalize_phases(t: HarTimings) -> (Phases, Option<SslStyle>) {
    let HarTimings {
        blocked,
        dns,
        connect,
        ssl,
        send,
        wait,
        receive,
        time,
    } = t;
    let mut style = None;
    let mut connect_ms = connect;
    let tls_ms = ssl;
    if let (Some(c), Some(s)) = (connect, ssl)
        && s > 0.0
    {
        let base: f64 = [blocked, dns, Some(c), send, wait, receive]
            .iter()
            .flatten()
            .sum();
        let st = match time {
            Some(t) => {
                if c < s || (t - (base + s)).abs() < (t - base).abs() {
                    SslStyle::OnTopOfConnect
                } else {
                    SslStyle::InsideConnect
                }
            }
            None if c < s => SslStyle::OnTopOfConnect,
            None => SslStyle::InsideConnect,
        };
        if st == SslStyle::InsideConnect {
            connect_ms = Some((c - s).max(0.0));
        }
        style = Some(st);
    }
    let mut phases = Phases {
        blocked_ms: blocked,
        dns_ms: dns,
        connect_ms,
        tls_ms,
        send_ms: send,
        wait_ms: wait,
        receive_ms: receive,
        total_ms: time,
    };
    if phases.total_ms.is_none() {
        let parts = [blocked, dns, connect_ms, tls_ms, send, wait, receive];
        if parts.iter().any(Option::is_some) {
            phases.total_ms = Some(parts.iter().flatten().sum());
        }
    }
    (phases, style)
}

// ---------------------------------------------------------------------------
// Entry -> Request.

struct EntryOut {
    request: Request,
    /// Raw `pageref`, resolved once every page is known (pages may come
    /// after entries in the document).
    pageref: Option<String>,
}

/// `raw` is the entry's own bytes (read again only for a body length).
fn convert_entry(
    e: Entry<'_>,
    raw: &[u8],
    source: SourceRef,
    vantage: &Option<String>,
) -> Result<EntryOut, String> {
    let start_text = e.started.get().ok_or("entry has no startedDateTime")?;
    let start = classify::parse_ts(start_text)
        .ok_or_else(|| format!("unparsable startedDateTime {start_text:?}"))?;
    let req = e.request.as_ref().ok_or("entry has no request object")?;
    let url = req.url.get().ok_or("entry has no request.url")?;
    let (scheme, host, path) = classify::split_url(url);
    let host = host.to_ascii_lowercase();
    let pageref = e.pageref.get().map(str::to_string);
    let resp = e.response.as_ref();
    let raw_status = resp
        .and_then(|r| r.status.0)
        .or(e.wpt_status.0)
        .map(|s| s as i64)
        .unwrap_or(0);
    let status = if raw_status <= 0 {
        0
    } else {
        raw_status.min(i32::MAX as i64) as i32
    };
    // each producer words a failure in its own field: Chrome and
    // chrome-har `_error`, Playwright `_failureText` (status -1),
    // BrowserMob / Browsertime `_errorMessage`, WebPageTest a WinINet code
    // in `_result`; Firefox and Safari only status 0 (the phases then say
    // where the request stopped)
    let wpt_error = if raw_status >= 12000 {
        classify::wininet_error(raw_status)
    } else if raw_status <= 0 {
        e.wpt_result
            .0
            .and_then(|c| classify::wininet_error(c as i64))
    } else {
        None
    };
    let err_text = resp
        .and_then(|r| {
            r.error
                .get()
                .or(r.failure_text.get())
                .or(r.error_message.get())
        })
        .or(e.error.get())
        .or(e.failure_text.get())
        .or(e.error_message.get())
        .or(wpt_error);
    let (raw_status, status) = if raw_status >= 12000 && wpt_error.is_some() {
        (0, 0)
    } else {
        (raw_status, status)
    };
    let error = match err_text {
        Some(t) => Some(t.to_string()),
        None if raw_status < 0 => Some(format!("status {raw_status}")),
        None => None,
    };
    let error_class = err_text.and_then(classify::classify_error);
    let t = e.timings.unwrap_or_default();
    let (phases, _) = normalize_phases(HarTimings {
        blocked: t.blocked.nonneg(),
        dns: t.dns.nonneg(),
        connect: t.connect.nonneg(),
        ssl: t.ssl.nonneg(),
        send: t.send.nonneg(),
        wait: t.wait.nonneg(),
        receive: t.receive.nonneg(),
        time: e.time.nonneg(),
    });
    let content = resp.and_then(|r| r.content.as_ref());
    let mime = content
        .and_then(|c| c.mime.get())
        .or_else(|| resp.and_then(|r| r.headers.content_type.as_deref()));
    let resource_type = e
        .resource_type
        .get()
        .and_then(classify::resource_type_from_hint)
        .unwrap_or_else(|| mime.map_or(ResourceType::Other, classify::resource_type_from_mime));
    let body_size = resp.and_then(|r| r.body_size.nonneg());
    let transfer_bytes = e
        .transfer_size
        .nonneg()
        .or_else(|| resp.and_then(|r| r.transfer_size.nonneg()))
        .or_else(|| {
            body_size.map(|b| b + resp.and_then(|r| r.headers_size.nonneg()).unwrap_or(0.0))
        })
        .map(|v| v as u64);
    let body_bytes = content
        .and_then(|c| {
            c.size.nonneg().map(|v| v as u64).or_else(|| {
                // Raw JSON string: length without the quotes (escapes
                // counted as written; exact for base64 and plain text).
                c.text.as_ref()?;
                let raw = body_text(raw)?;
                let n = if raw.starts_with('"') {
                    raw.len().saturating_sub(2) as u64
                } else {
                    return None;
                };
                Some(if c.encoding.get() == Some("base64") {
                    n / 4 * 3
                } else {
                    n
                })
            })
        })
        .or(body_size.map(|v| v as u64));
    let explicit_transfer = e.transfer_size.0.or(resp.and_then(|r| r.transfer_size.0));
    let from_cache = status == 304
        || e.from_cache.0
        || resp.is_some_and(|r| r.from_cache.0)
        || (explicit_transfer == Some(0.0)
            && (200..300).contains(&status)
            && body_bytes.is_some_and(|b| b > 0));
    let server_ip = e
        .server_ip
        .get()
        .or(e.wpt_ip.get())
        .map(|s| s.trim_start_matches('[').trim_end_matches(']').to_string());
    let edge = resp
        .map(|r| r.headers.hints(e.cdn_provider.get()))
        .unwrap_or_else(|| EdgeHints {
            provider: e.cdn_provider.get().map(str::to_ascii_lowercase),
            cache: None,
        });
    let request = Request {
        source,
        start,
        vantage: vantage.clone(),
        page_id: None,
        method: req.method.get().unwrap_or("GET").to_ascii_uppercase(),
        scheme: scheme.to_ascii_lowercase(),
        registrable_domain: classify::registrable_domain_memo(&host).to_string(),
        host,
        party: Default::default(),
        endpoint: classify::endpoint_template(path),
        status,
        error_class,
        error,
        resource_type,
        phases,
        transfer_bytes,
        body_bytes,
        from_cache,
        server_ip,
        edge,
    };
    Ok(EntryOut { request, pageref })
}

// ---------------------------------------------------------------------------
// Whole document.

/// Parse a whole HAR held in memory: entries on all cores, pages after.
pub fn parse_har_bytes(
    id: FileId,
    vantage: Option<String>,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Parsed {
    let l = json_scan::scan_har(bytes);
    let mut report = InputReport {
        format: "har".to_string(),
        ..Default::default()
    };
    if l.log_open.is_none() {
        return not_a_har(id, &l, report);
    }
    let outs = parse_entries(
        id,
        &vantage,
        bytes,
        &l.entries,
        0,
        0,
        opts.max_record_bytes(),
    );
    let pages: Vec<(usize, &[u8])> = l
        .pages
        .iter()
        .map(|r| (r.start, &bytes[r.clone()]))
        .collect();
    let records = assemble(id, &vantage, &mut report, &pages, outs);
    let state = EntriesState {
        count: l.entries.len(),
        opened: l.entries_open.is_some(),
        closed: l.entries_array.is_some(),
    };
    damage_account(id, &mut report, damage_of(&l), state);
    Parsed { records, report }
}

/// What became of `log.entries`.
#[derive(Debug, Clone, Copy)]
struct EntriesState {
    count: usize,
    opened: bool,
    closed: bool,
}

/// (offset, message) of the first damage in a layout.
fn damage_of(l: &HarLayout) -> Option<(usize, String)> {
    if let Some((at, msg)) = &l.error {
        Some((*at, format!("corrupt JSON at byte {at}: {msg}")))
    } else {
        l.truncated_at
            .map(|at| (at, format!("truncated at byte {at}")))
    }
}

/// A document with no `log` object: rejected as a whole, with the reason.
fn not_a_har(id: FileId, l: &HarLayout, mut report: InputReport) -> Parsed {
    let reason = match damage_of(l) {
        Some((at, why)) => {
            report.reject(
                SourceRef {
                    file: id,
                    kind: LocKind::Byte,
                    n: at as u64,
                },
                why.clone(),
            );
            format!("{why}: no HAR log object before the damage")
        }
        None if l.root_not_object => {
            "valid JSON but not a HAR document (root is not an object)".to_string()
        }
        None => "valid JSON but not a HAR document (no log object)".to_string(),
    };
    report.skipped = Some(reason);
    Parsed {
        records: Records::default(),
        report,
    }
}

fn damage_account(
    id: FileId,
    report: &mut InputReport,
    damage: Option<(usize, String)>,
    st: EntriesState,
) {
    match damage {
        Some((at, why)) => {
            let k = st.count;
            if st.opened && !st.closed {
                report
                    .warnings
                    .push(format!("{why}: kept {k} complete entries"));
            } else {
                report.warnings.push(format!(
                    "{why} (outside log.entries): kept {k} complete entries"
                ));
            }
            if k == 0 && !st.closed {
                report.reject(
                    SourceRef {
                        file: id,
                        kind: LocKind::Byte,
                        n: at as u64,
                    },
                    why.clone(),
                );
                report.skipped = Some(format!("{why}: no complete entry before the damage"));
            }
        }
        None if !st.opened => report
            .warnings
            .push("HAR log has no entries array".to_string()),
        None => {}
    }
}

/// Deserialize entries on all cores; results in document order. `first`
/// is the index of the first range in the file, `base` the file offset of
/// `bytes[0]`.
fn parse_entries(
    id: FileId,
    vantage: &Option<String>,
    bytes: &[u8],
    ranges: &[Range<usize>],
    first: usize,
    base: usize,
    max: usize,
) -> Vec<Result<EntryOut, String>> {
    ranges
        .par_iter()
        .enumerate()
        .with_min_len(8)
        .map(|(k, r)| {
            let i = first + k;
            let at = base + r.start;
            read_entry(
                &bytes[r.clone()],
                SourceRef::entry(id, i as u64),
                vantage,
                max,
            )
            .map_err(|why| format!("entry {i} at byte {at}: {why}"))
        })
        .collect()
}

/// Why an entry of `len` bytes is refused.
fn too_big(len: usize) -> String {
    format!("{len} bytes exceeds the record limit")
}

/// One entry from exactly its bytes (as measured by the structural scan):
/// the record, or why it is rejected. The one place that words the
/// rejection of an entry, so the in-memory and the streaming readers
/// report a damaged entry alike whichever of them meets it (the streaming
/// reader's fast path parses from the rest of its buffer, where serde_json
/// would word the same damage differently: `-]` is an "invalid number"
/// there and an "EOF while parsing a value" in the entry's own bytes).
fn read_entry(
    slice: &[u8],
    src: SourceRef,
    vantage: &Option<String>,
    max: usize,
) -> Result<EntryOut, String> {
    if slice.len() > max {
        return Err(too_big(slice.len()));
    }
    // checked as UTF-8 once, with SIMD: serde_json then borrows every
    // string without checking it again (from bytes it checks each key and
    // value it hands out); invalid UTF-8 goes that way
    let parsed = match simdutf8::basic::from_utf8(slice) {
        Ok(text) => serde_json::from_str::<Entry>(text),
        Err(_) => serde_json::from_slice::<Entry>(slice),
    };
    match parsed {
        Ok(e) => convert_entry(e, slice, src, vantage),
        Err(err) => Err(err.to_string()),
    }
}

/// Pages, page references and per-page totals; fills the report.
fn assemble(
    id: FileId,
    vantage: &Option<String>,
    report: &mut InputReport,
    raw_pages: &[(usize, &[u8])],
    outs: Vec<Result<EntryOut, String>>,
) -> Records {
    let mut records = Records::default();
    let mut pages: Vec<Page> = Vec::new();
    let mut page_start: Vec<Option<DateTime<Utc>>> = Vec::new();
    let mut page_index: HashMap<String, usize> = HashMap::new();
    for (pi, (at, raw)) in raw_pages.iter().enumerate() {
        let src = SourceRef {
            file: id,
            kind: LocKind::Byte,
            n: *at as u64,
        };
        match serde_json::from_slice::<HarPage>(raw) {
            Ok(p) => {
                let Some(pid) = p.id.get() else {
                    report
                        .warnings
                        .push(format!("page {pi} (byte {at}) has no id: ignored"));
                    continue;
                };
                if page_index.contains_key(pid) {
                    report.warnings.push(format!(
                        "duplicate page id {pid:?} (page {pi}): later one ignored"
                    ));
                    continue;
                }
                let t = p.timings.unwrap_or_default();
                page_index.insert(pid.to_string(), pages.len());
                page_start.push(p.started.get().and_then(classify::parse_ts));
                pages.push(Page {
                    source: src,
                    id: format!("{id}:{pid}"),
                    vantage: vantage.clone(),
                    start: DateTime::<Utc>::default(),
                    title: p.title.get().map(str::to_string),
                    on_content_load_ms: t.on_content_load.nonneg(),
                    on_load_ms: t.on_load.nonneg(),
                    components: 0,
                    failed_components: 0,
                    bytes: 0,
                    main_domain: None,
                });
            }
            Err(e) => report
                .warnings
                .push(format!("page {pi} (byte {at}) unreadable: {e}")),
        }
    }

    let (mut missing_ref, mut unknown_ref) = (0usize, 0usize);
    let mut first_entry_start: Vec<Option<DateTime<Utc>>> = vec![None; pages.len()];
    report.records = outs.len() as u64;
    records.requests.reserve(outs.len());
    for (i, out) in outs.into_iter().enumerate() {
        match out {
            Ok(EntryOut {
                mut request,
                pageref,
            }) => {
                report.see_ts(request.start);
                match pageref.as_deref().map(|r| page_index.get(r)) {
                    Some(Some(&pi)) => {
                        let p = &mut pages[pi];
                        request.page_id = Some(p.id.clone());
                        p.components += 1;
                        if request.status == 0 || request.status >= 400 || request.error.is_some() {
                            p.failed_components += 1;
                        }
                        p.bytes += request.transfer_bytes.or(request.body_bytes).unwrap_or(0);
                        if p.main_domain.is_none() {
                            p.main_domain = Some(request.registrable_domain.clone());
                        }
                        let f = &mut first_entry_start[pi];
                        *f = Some(f.map_or(request.start, |s| s.min(request.start)));
                    }
                    Some(None) => unknown_ref += 1,
                    None => missing_ref += 1,
                }
                records.requests.push(request);
            }
            // Counted as read (it is an entry of the file) and as bad.
            Err(why) => report.reject(SourceRef::entry(id, i as u64), why),
        }
    }
    for (pi, mut p) in pages.into_iter().enumerate() {
        match page_start[pi].or(first_entry_start[pi]) {
            Some(start) => {
                p.start = start;
                records.pages.push(p);
            }
            None => report.warnings.push(format!(
                "page {} has no startedDateTime and no entries: ignored",
                p.id
            )),
        }
    }
    if !raw_pages.is_empty() && missing_ref > 0 {
        report.warnings.push(format!(
            "{missing_ref} entries have no pageref: kept without a page"
        ));
    }
    if unknown_ref > 0 {
        report.warnings.push(format!(
            "{unknown_ref} entries reference a page id not in log.pages: kept without a page"
        ));
    }
    records
}

/// Bytes read from the input at a time by [`parse_har_reader`].
pub const STREAM_BLOCK_BYTES: usize = 8 << 20;

/// Where the parse of the entries array stands in a buffer: at `pos`,
/// expecting a value (after `[` or `,`) or else a separator.
#[derive(Debug, Clone, Copy)]
struct At {
    pos: usize,
    expect_value: bool,
    /// No entry yet: `]` may close the array at once.
    first: bool,
}

/// How a [`parse_run`] ended.
enum RunEnd {
    /// At a value that starts at or past the run's limit.
    Limit(usize),
    /// The buffer ran out: the parse resumes here once more bytes are in.
    More(At),
    /// The entries array closed; the offset just after its `]`.
    Closed(usize),
    /// Structural damage: file offset and message.
    Damage(usize, String),
}

/// How the parse of a whole block ended, for the loop that feeds blocks.
enum BlockEnd {
    /// The block ran out: the next block starts with the bytes from here.
    Resume(At),
    /// The entries array closed; the offset just after its `]`.
    Closed(usize),
    /// Structural damage: file offset and message.
    Damage(usize, String),
}

/// The damage of input that ends at file offset `at` inside the entries.
fn truncated(at: usize) -> Damage {
    Some((at, format!("truncated at byte {at}")))
}

/// An entry as a run leaves it: the record with a provisional index, or
/// (file offset, why); both are numbered when the runs are merged.
type RunOut = Result<EntryOut, (usize, String)>;

struct Run {
    outs: Vec<RunOut>,
    end: RunEnd,
}

/// What every run over one file shares.
struct RunCtx<'v> {
    id: FileId,
    vantage: &'v Option<String>,
    max: usize,
}

/// Entries from `at` on, each deserialized straight from the buffer:
/// serde_json finds where an entry ends, so no separate scan walks the
/// bytes (bodies included) a second time. An entry serde rejects is
/// measured by the structural scan instead and rejected with serde's
/// reason, as [`parse_entries`] does. Stops at the first value that starts
/// at or past `limit`, `base` is the file offset of `buf[0]`.
fn parse_run(ctx: &RunCtx, buf: &[u8], base: usize, mut at: At, limit: usize) -> Run {
    let mut outs = Vec::new();
    let mut stack = Vec::new();
    // The run's own part is checked as UTF-8 in one SIMD pass: entries
    // wholly inside it are parsed from `&str`, and serde_json checks no
    // string again. The entry that runs past the part, and any entry after
    // invalid UTF-8, are parsed from bytes (same records, same errors).
    let text_base = at.pos.min(buf.len());
    let part = &buf[text_base..limit.min(buf.len()).max(text_base)];
    let text: &str = match simdutf8::basic::from_utf8(part) {
        Ok(t) => t,
        Err(_) => {
            let valid =
                simdutf8::compat::from_utf8(part).map_or_else(|e| e.valid_up_to(), str::len);
            std::str::from_utf8(&part[..valid]).unwrap_or_default()
        }
    };
    let end = loop {
        let i = json_scan::skip_ws(buf, at.pos);
        if i >= buf.len() {
            break RunEnd::More(at);
        }
        if !at.expect_value {
            match buf[i] {
                b',' => {
                    at.pos = i + 1;
                    at.expect_value = true;
                    continue;
                }
                b']' => break RunEnd::Closed(i + 1),
                _ => {
                    let off = base + i;
                    break RunEnd::Damage(
                        off,
                        format!("corrupt JSON at byte {off}: expected ',' or ']' in an array"),
                    );
                }
            }
        }
        if at.first && buf[i] == b']' {
            break RunEnd::Closed(i + 1);
        }
        if i >= limit {
            break RunEnd::Limit(i);
        }
        let mut whole: Option<(usize, Entry)> = None;
        if let Some(t) = text.get(i - text_base..) {
            let mut it = serde_json::Deserializer::from_str(t).into_iter::<Entry>();
            if let Some(Ok(e)) = it.next() {
                whole = Some((i + it.byte_offset(), e));
            }
        }
        let mut it = serde_json::Deserializer::from_slice(&buf[i..]).into_iter::<Entry>();
        let parsed = match whole {
            Some((end, e)) => Some(Ok((end, e))),
            None => it.next().map(|r| r.map(|e| (i + it.byte_offset(), e))),
        };
        let (end, out) = match parsed {
            Some(Ok((end, e))) => {
                let raw = &buf[i..end];
                let out = if raw.len() > ctx.max {
                    Err((base + i, too_big(raw.len())))
                } else {
                    convert_entry(e, raw, SourceRef::entry(ctx.id, 0), ctx.vantage)
                        .map_err(|why| (base + i, why))
                };
                (end, out)
            }
            // serde's reason read from the rest of the buffer is not
            // kept: the entry is measured and read again from its own
            // bytes, as the in-memory reader reads it
            Some(Err(_)) => match json_scan::skip_value(buf, i, &mut stack) {
                Ok(end) => {
                    let src = SourceRef::entry(ctx.id, 0);
                    let out = read_entry(&buf[i..end], src, ctx.vantage, ctx.max)
                        .map_err(|why| (base + i, why));
                    (end, out)
                }
                Err(json_scan::Stop::Eof) => break RunEnd::More(At { pos: i, ..at }),
                Err(json_scan::Stop::Bad(b, msg)) => {
                    let off = base + b;
                    break RunEnd::Damage(off, format!("corrupt JSON at byte {off}: {msg}"));
                }
            },
            None => break RunEnd::More(At { pos: i, ..at }),
        };
        outs.push(out);
        at = At {
            pos: end,
            expect_value: false,
            first: false,
        };
    };
    Run { outs, end }
}

/// The bytes an entry starts with, from the first entry: its `{`, the
/// whitespace after it and its first key, quoted. Later entries are
/// guessed where these bytes occur: a `"` right after `{` and whitespace
/// cannot be inside a string in valid JSON, so a match is an object that
/// starts with that key (an entry, or now and then an object nested in
/// one, which the merge in [`parse_block`] catches).
fn signature(buf: &[u8], pos: usize) -> Option<memchr::memmem::Finder<'static>> {
    let i = json_scan::skip_ws(buf, pos);
    if buf.get(i) != Some(&b'{') {
        return None;
    }
    let k = json_scan::skip_ws(buf, i + 1);
    if buf.get(k) != Some(&b'"') {
        return None;
    }
    let end = json_scan::skip_string(buf, k).ok()?;
    Some(memchr::memmem::Finder::new(&buf[i..end]).into_owned())
}

/// The entries of `buf` from `at` on, on all cores. The buffer is cut
/// into parts of about `part_bytes` at guessed entry starts (`sig`), each
/// part is parsed by its own [`parse_run`], and the runs are merged in
/// order: a run counts only when the run before it stopped exactly where
/// it starts, so a wrong guess costs a parse, never a wrong record.
/// Records and rejections are appended to `outs`, numbered in file order.
fn parse_block(
    ctx: &RunCtx,
    buf: &[u8],
    base: usize,
    at: At,
    sig: Option<&memchr::memmem::Finder>,
    part_bytes: usize,
    outs: &mut Vec<Result<EntryOut, String>>,
) -> BlockEnd {
    let mut starts = vec![at.pos];
    if let Some(f) = sig {
        loop {
            let from = starts[starts.len() - 1] + part_bytes.max(1);
            match buf.get(from..).and_then(|rest| f.find(rest)) {
                Some(k) => starts.push(from + k),
                None => break,
            }
        }
    }
    let limit = |k: usize| starts.get(k + 1).copied().unwrap_or(usize::MAX);
    let guessed = |k: usize| At {
        pos: starts[k],
        expect_value: true,
        first: false,
    };
    let runs: Vec<Run> = (0..starts.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|k| {
            parse_run(
                ctx,
                buf,
                base,
                if k == 0 { at } else { guessed(k) },
                limit(k),
            )
        })
        .collect();
    let mut runs = runs.into_iter();
    let mut run = runs.next().expect("a block has one run at least");
    let mut k = 0;
    loop {
        for o in run.outs {
            let i = outs.len();
            outs.push(match o {
                Ok(mut e) => {
                    e.request.source.n = i as u64;
                    Ok(e)
                }
                Err((off, why)) => Err(format!("entry {i} at byte {off}: {why}")),
            });
        }
        let p = match run.end {
            RunEnd::Limit(p) => p,
            RunEnd::More(a) => return BlockEnd::Resume(a),
            RunEnd::Closed(p) => return BlockEnd::Closed(p),
            RunEnd::Damage(off, why) => return BlockEnd::Damage(off, why),
        };
        k += 1;
        run = match runs.next() {
            Some(r) if starts[k] == p => r,
            // a wrong guess: parse on from where the last run stopped
            _ => parse_run(
                ctx,
                buf,
                base,
                At {
                    pos: p,
                    expect_value: true,
                    first: false,
                },
                limit(k),
            ),
        };
    }
}

/// The parse of the entries array from one block (or window) to the
/// next: the state both streaming readers carry across blocks.
struct Entries<'v> {
    ctx: RunCtx<'v>,
    part_bytes: usize,
    /// The parse state at the start of the next block.
    at: At,
    /// Guessed entry starts (from the first entry, once it is seen).
    sig: Option<memchr::memmem::Finder<'static>>,
    outs: Vec<Result<EntryOut, String>>,
}

impl<'v> Entries<'v> {
    /// Just after the `[` of the entries array; blocks of `block` bytes.
    fn new(id: FileId, vantage: &'v Option<String>, opts: &IngestOptions, block: usize) -> Self {
        Entries {
            ctx: RunCtx {
                id,
                vantage,
                max: opts.max_record_bytes(),
            },
            part_bytes: (block / 16).max(1),
            at: At {
                pos: 0,
                expect_value: true,
                first: true,
            },
            sig: None,
            outs: Vec::new(),
        }
    }

    /// Parse `cur` (file offset `base`) from the current state on.
    fn block(&mut self, cur: &[u8], base: usize) -> BlockEnd {
        if self.sig.is_none() && self.at.first {
            self.sig = signature(cur, self.at.pos);
        }
        let (ctx, sig) = (&self.ctx, self.sig.as_ref());
        parse_block(
            ctx,
            cur,
            base,
            self.at,
            sig,
            self.part_bytes,
            &mut self.outs,
        )
    }

    /// The next block starts with the bytes from `a`.
    fn resume(&mut self, a: At) {
        self.at = At { pos: 0, ..a };
    }
}

/// Parse a HAR from a reader without holding the whole file: the head up
/// to `log.entries` is kept, then complete entries are cut from each block
/// read, parsed in parallel and their bytes dropped; what follows the
/// entries array (usually `pages` in some exporters) is kept and scanned
/// with the head. Peak memory is about one block plus the largest entry
/// plus the records, instead of the whole file. Results are identical to
/// [`parse_har_bytes`] (same records, warnings and offsets).
pub fn parse_har_reader<R: Read + Send>(
    id: FileId,
    vantage: Option<String>,
    r: R,
    opts: &IngestOptions,
) -> Parsed {
    parse_har_reader_blocks(id, vantage, r, opts, STREAM_BLOCK_BYTES)
}

/// [`parse_har_reader`] with a chosen block size (tests use tiny blocks to
/// exercise entries that straddle blocks).
pub fn parse_har_reader_blocks<R: Read + Send>(
    id: FileId,
    vantage: Option<String>,
    mut r: R,
    opts: &IngestOptions,
    block: usize,
) -> Parsed {
    let block = block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut eof = false;
    let mut read_err: Option<String> = None;
    let mut fill = |buf: &mut Vec<u8>, eof: &mut bool, read_err: &mut Option<String>| {
        // `read_to_end` on a `Take` reads into spare capacity without
        // zeroing it first (zeroing 8 MiB per block was 4 % of a run)
        let want = block as u64;
        buf.reserve(block);
        match (&mut r).take(want).read_to_end(buf) {
            Ok(k) if (k as u64) < want => *eof = true,
            Ok(_) => {}
            Err(e) => {
                *read_err = Some(e.to_string());
                *eof = true;
            }
        }
    };
    // 1. The head, up to and including the `[` of log.entries.
    let open = loop {
        fill(&mut buf, &mut eof, &mut read_err);
        let l = json_scan::scan_har(&buf);
        if let Some(o) = l.entries_open {
            break o;
        }
        // A verdict on the head is final once the BOM / JSONP prefix can no
        // longer be cut (4 KiB in); before that, read on.
        if eof || (l.truncated_at.is_none() && buf.len() >= 4096) {
            // Whole document in memory (or no entries array): plain path.
            let mut p = parse_har_bytes(id, vantage, &buf, opts);
            if let Some(e) = read_err {
                p.report
                    .warnings
                    .push(format!("read error at byte {}: {e}", buf.len()));
            }
            return p;
        }
    };
    let head: Vec<u8> = buf[..=open].to_vec();
    let mut entries = Entries::new(id, &vantage, opts, block);
    // the entries start after the `[`: `buf[start..]` is the unparsed
    // input, `base` its file offset
    let mut start = open + 1;
    let mut base = open + 1;
    // Room kept in front of the next block for the entry cut at the end of
    // this one: the block is read while this one is parsed, before the
    // cut is known; an entry longer than the room is copied the slow way.
    let mut pad = block.min(64 << 10);
    let mut spare: Vec<u8> = Vec::new();
    // 2. Entries, block by block: block k is parsed while block k+1 is read.
    let (damage, tail): (Damage, Tail) = loop {
        let cur = &buf[start..];
        let last = eof;
        let end = if last {
            entries.block(cur, base)
        } else {
            spare.clear();
            spare.resize(pad, 0);
            rayon::join(
                || entries.block(cur, base),
                || fill(&mut spare, &mut eof, &mut read_err),
            )
            .0
        };
        let read_ahead = if last { &[][..] } else { &spare[pad..] };
        let resume = match end {
            BlockEnd::Resume(a) => a,
            BlockEnd::Closed(p) => {
                let mut tail = cur[p..].to_vec();
                tail.extend_from_slice(read_ahead);
                break (None, Some((base + p, tail)));
            }
            BlockEnd::Damage(off, why) => break (Some((off, why)), None),
        };
        if last {
            break (truncated(base + cur.len()), None);
        }
        // the cut entry goes in front of the block just read
        let carry = &cur[resume.pos..];
        base += resume.pos;
        entries.resume(resume);
        if carry.len() <= pad {
            start = pad - carry.len();
            spare[start..pad].copy_from_slice(carry);
        } else {
            let mut joined = Vec::with_capacity(carry.len() + read_ahead.len());
            joined.extend_from_slice(carry);
            joined.extend_from_slice(read_ahead);
            pad = carry.len().saturating_mul(2).min(block).max(pad);
            spare = joined;
            start = 0;
        }
        std::mem::swap(&mut buf, &mut spare);
    };
    drop(spare);
    let tail = tail.map(|(tail_start, mut tail)| {
        drop(buf);
        while !eof {
            let mut more = Vec::new();
            fill(&mut more, &mut eof, &mut read_err);
            tail.extend_from_slice(&more);
        }
        (tail_start, tail)
    });
    finish_stream(id, &vantage, &head, entries.outs, damage, tail, read_err)
}

/// The first damage in a file: offset and message.
type Damage = Option<(usize, String)>;
/// What follows the entries array once it closed: file offset and bytes.
type Tail = Option<(usize, Vec<u8>)>;

/// The end of a streamed read: the pages, from the head and the bytes
/// after the entries array (scanned together), then records and report.
/// `tail` is the file offset and bytes of everything after the array's
/// `]`, when it closed.
fn finish_stream(
    id: FileId,
    vantage: &Option<String>,
    head: &[u8],
    outs: Vec<Result<EntryOut, String>>,
    mut damage: Damage,
    tail: Tail,
    read_err: Option<String>,
) -> Parsed {
    let closed = tail.is_some();
    let count = outs.len();
    // 3. The tail after the entries array: scanned with the head.
    let pages_owned: Vec<(usize, Vec<u8>)>;
    if let Some((tail_start, tail)) = tail {
        let mut skel = head.to_vec();
        skel.push(b']');
        let tail_in_skel = skel.len();
        skel.extend_from_slice(&tail);
        let to_file = |o: usize| {
            if o >= tail_in_skel {
                o - tail_in_skel + tail_start
            } else {
                o
            }
        };
        let l = json_scan::scan_har(&skel);
        pages_owned = l
            .pages
            .iter()
            .map(|r| (to_file(r.start), skel[r.clone()].to_vec()))
            .collect();
        damage = match (&l.error, l.truncated_at) {
            (Some((at, msg)), _) => {
                let at = to_file(*at);
                Some((at, format!("corrupt JSON at byte {at}: {msg}")))
            }
            (None, Some(_)) => {
                let at = tail_start + tail.len();
                Some((at, format!("truncated at byte {at}")))
            }
            _ => None,
        };
    } else {
        // Damaged inside the entries: pages can only come from the head.
        let l = json_scan::scan_har(head);
        pages_owned = l
            .pages
            .iter()
            .map(|r| (r.start, head[r.clone()].to_vec()))
            .collect();
    }
    let mut report = InputReport {
        format: "har".to_string(),
        ..Default::default()
    };
    let pages: Vec<(usize, &[u8])> = pages_owned.iter().map(|(a, b)| (*a, &b[..])).collect();
    let records = assemble(id, vantage, &mut report, &pages, outs);
    damage_account(
        id,
        &mut report,
        damage,
        EntriesState {
            count,
            opened: true,
            closed,
        },
    );
    if let Some(e) = read_err {
        report.warnings.push(format!("read error: {e}"));
    }
    Parsed { records, report }
}

/// Bytes mapped at a time by [`parse_har_file`].
pub const MAP_WINDOW_BYTES: usize = 8 << 20;

/// Parse a HAR file through a memory map of one window of it at a time.
/// Why: `read` copies every byte from the page cache into a buffer, and
/// on the 2-core benchmark VM that copy was a fifth of a run's CPU time; a
/// map hands the parser the page cache's own pages. One window is mapped
/// at a time (the next one starts where the last complete entry ended),
/// so resident memory stays about a window, not the file. Results are
/// identical to [`parse_har_bytes`]. Where the file cannot be mapped, or
/// the entries array does not start in the first window, it is read by
/// [`parse_har_reader`] instead.
///
/// A file that grows meanwhile is read to the length it had when the read
/// began. One that shrinks is read to its new end, with a warning, when
/// the cut comes between two windows (the length is looked at again
/// before each window is mapped). Caveat, as for every reader that maps
/// files: a cut that lands while a window past the new end is being
/// parsed (a few milliseconds per 8 MiB window) ends the process with
/// SIGBUS.
pub fn parse_har_file(
    id: FileId,
    vantage: Option<String>,
    file: &std::fs::File,
    opts: &IngestOptions,
) -> Parsed {
    parse_har_file_windows(id, vantage, file, opts, MAP_WINDOW_BYTES)
}

/// [`parse_har_file`] with a chosen window (tests use tiny ones).
pub fn parse_har_file_windows(
    id: FileId,
    vantage: Option<String>,
    file: &std::fs::File,
    opts: &IngestOptions,
    window: usize,
) -> Parsed {
    use std::io::{Seek, SeekFrom};
    let window = window.max(1);
    let fallback = |vantage: Option<String>| {
        let mut f = file;
        match f.seek(SeekFrom::Start(0)) {
            Ok(_) => parse_har_reader_blocks(id, vantage, f, opts, window),
            Err(e) => {
                let mut p = parse_har_bytes(id, vantage, &[], opts);
                p.report.warnings.push(format!("read error: {e}"));
                p
            }
        }
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len() as usize,
        _ => return fallback(vantage),
    };
    // SAFETY: the map is read-only and lives only while its window is
    // parsed; the one hazard, the file shrinking meanwhile, is the caveat
    // in the doc comment.
    let map = |off: usize, n: usize| unsafe {
        memmap2::MmapOptions::new()
            .offset(off as u64)
            .len(n)
            .map(file)
    };
    // 1. The head, up to and including the `[` of log.entries.
    let head_len = len.min(window.max(64 << 10));
    let Ok(first) = map(0, head_len) else {
        return fallback(vantage);
    };
    let Some(open) = json_scan::scan_har(&first).entries_open else {
        drop(first);
        return fallback(vantage);
    };
    let head: Vec<u8> = first[..=open].to_vec();
    drop(first);
    let mut entries = Entries::new(id, &vantage, opts, window);
    let mut read_err: Option<String> = None;
    // The file's length is looked at again before each window is mapped:
    // one cut short meanwhile by another process is read to its new end
    // (a mapped page past the end would raise SIGBUS when touched). It
    // can still strike while a window is being parsed: the caveat above.
    let mut len = len;
    let shrank = |len: &mut usize, read_err: &mut Option<String>| {
        if let Ok(m) = file.metadata()
            && (m.len() as usize) < *len
        {
            *len = m.len() as usize;
            *read_err = Some(format!("the file shrank to {len} bytes while it was read"));
        }
    };
    // `off`: file offset of the unparsed input
    let mut off = open + 1;
    let mut win = window;
    // 2. Entries, window by window.
    let (damage, tail): (Damage, Tail) = loop {
        shrank(&mut len, &mut read_err);
        if off > len {
            break (truncated(off), None);
        }
        let n = win.min(len - off);
        let m = if n == 0 {
            Ok(None)
        } else {
            map(off, n).map(Some)
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                read_err = Some(e.to_string());
                break (truncated(off), None);
            }
        };
        let cur: &[u8] = m.as_deref().unwrap_or(&[]);
        let resume = match entries.block(cur, off) {
            BlockEnd::Resume(a) => a,
            BlockEnd::Closed(p) => {
                let mut tail = cur[p..].to_vec();
                let rest = off + n;
                shrank(&mut len, &mut read_err);
                if rest < len {
                    match map(rest, len - rest) {
                        Ok(r) => tail.extend_from_slice(&r),
                        Err(e) => read_err = Some(e.to_string()),
                    }
                }
                break (None, Some((off + p, tail)));
            }
            BlockEnd::Damage(at, why) => break (Some((at, why)), None),
        };
        if off + n == len {
            break (truncated(off + n), None);
        }
        // an entry longer than the window: map more of the file next time
        win = if resume.pos == 0 {
            win.saturating_mul(2)
        } else {
            window
        };
        off += resume.pos;
        entries.resume(resume);
    };
    finish_stream(id, &vantage, &head, entries.outs, damage, tail, read_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ErrorClass;

    fn parse_str(s: &[u8]) -> Parsed {
        parse_har_bytes(7, Some("us-east".into()), s, &IngestOptions::default())
    }

    fn entry(extra: &str) -> String {
        format!(
            r#"{{"startedDateTime":"2024-05-01T10:00:00.000Z","request":{{"method":"get","url":"https://www.example.com/api/v1/projects/1234/tasks?token=abc"}},"response":{{"status":200,"headers":[],"content":{{"size":10,"mimeType":"application/json"}}}},"time":10{extra}}}"#
        )
    }

    fn har(entries: &[String], pages: &str) -> String {
        format!(
            r#"{{"log":{{"version":"1.2","pages":[{pages}],"entries":[{}]}}}}"#,
            entries.join(",")
        )
    }

    /// Found by `cargo fuzz` (har_stream target): a stray token where an
    /// entry should start was worded by serde_json from the rest of the
    /// streaming reader's buffer (`-]`: "invalid number", `t]`: "expected
    /// ident") and from the entry's own bytes in memory (`-`: "EOF while
    /// parsing a value"). Both now read the entry from its own bytes.
    #[test]
    fn a_damaged_entry_is_worded_alike_streamed_and_in_memory() {
        let opts = IngestOptions::default();
        let ok = entry("");
        for stray in [
            "-", "t", "nul", "1x", "\"s\"", "-1e", "[1,", "{\"a\":}", "tru",
        ] {
            for doc in [
                format!(r#"{{"log":{{"entries":[{stray}]}}}}"#),
                format!(r#"{{"log":{{"entries":[{ok},{stray} , {ok}]}}}}"#),
            ] {
                let want = parse_har_bytes(0, None, doc.as_bytes(), &opts);
                for block in [1, 2, 3, 5, 8, 13, 40, 1 << 20] {
                    let got = parse_har_reader_blocks(0, None, doc.as_bytes(), &opts, block);
                    assert_eq!(got.report, want.report, "{doc} / block {block}");
                    assert_eq!(got.records.requests, want.records.requests, "{doc}");
                }
            }
        }
    }

    /// Found by `cargo fuzz` (har target): a header name with a multi-byte
    /// character where a CDN prefix would end.
    #[test]
    fn non_ascii_header_name_does_not_panic() {
        let mut h = EdgeHeaders::default();
        h.add("x-fastl\u{4f7}", "1");
        h.add("akamai\u{4f7}", "1");
        assert!(!h.fastly);
        h.add("X-Fastly-Request-ID", "1");
        assert!(h.fastly);
    }

    #[test]
    fn basic_entry_fields() {
        let doc = har(
            &[entry(
                r#","pageref":"p1","serverIPAddress":"[2001:db8::1]""#,
            )],
            r#"{"id":"p1","startedDateTime":"2024-05-01T10:00:00Z","pageTimings":{"onLoad":120,"onContentLoad":-1}}"#,
        );
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.report.records, 1);
        assert_eq!(p.report.bad_records, 0);
        let r = &p.records.requests[0];
        assert_eq!(r.method, "GET");
        assert_eq!(r.scheme, "https");
        assert_eq!(r.host, "www.example.com");
        assert_eq!(r.registrable_domain, "example.com");
        assert_eq!(r.endpoint, "/api/v1/projects/{id}/tasks");
        assert_eq!(r.vantage.as_deref(), Some("us-east"));
        assert_eq!(r.page_id.as_deref(), Some("7:p1"));
        assert_eq!(r.server_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(r.resource_type, ResourceType::Xhr);
        assert_eq!(r.source, SourceRef::entry(7, 0));
        let pg = &p.records.pages[0];
        assert_eq!(pg.id, "7:p1");
        assert_eq!(pg.components, 1);
        assert_eq!(pg.on_load_ms, Some(120.0));
        assert_eq!(pg.on_content_load_ms, None);
        assert_eq!(pg.main_domain.as_deref(), Some("example.com"));
    }

    #[test]
    fn bom_and_jsonp_are_read() {
        let doc = format!("\u{feff}onInputData({});", har(&[entry("")], ""));
        assert!(sniff(doc.as_bytes()));
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.records.requests.len(), 1);
        assert!(p.report.warnings.is_empty(), "{:?}", p.report.warnings);
    }

    #[test]
    fn missing_or_empty_pages_and_unknown_pageref() {
        let doc = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entry(""));
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.records.requests.len(), 1);
        assert!(p.records.pages.is_empty());
        let doc = har(
            &[entry(r#","pageref":"nope""#), entry("")],
            r#"{"id":"p1","startedDateTime":"2024-05-01T10:00:00Z"}"#,
        );
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.records.requests.len(), 2);
        assert!(p.records.requests.iter().all(|r| r.page_id.is_none()));
        assert_eq!(p.records.pages[0].components, 0);
        let w = p.report.warnings.join("\n");
        assert!(
            w.contains("1 entries reference a page id not in log.pages"),
            "{w}"
        );
        assert!(w.contains("1 entries have no pageref"), "{w}");
    }

    #[test]
    fn minus_one_absent_and_empty_timings_are_none() {
        let doc = har(
            &[
                entry(
                    r#","timings":{"blocked":-1,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":5,"receive":-1}"#,
                ),
                entry(r#","timings":{}"#).replace(r#""time":10"#, r#""time":-1"#),
            ],
            "",
        );
        let p = parse_str(doc.as_bytes());
        let a = p.records.requests[0].phases;
        assert_eq!(
            (a.blocked_ms, a.dns_ms, a.connect_ms, a.tls_ms),
            (None, None, None, None)
        );
        assert_eq!(
            (a.send_ms, a.wait_ms, a.receive_ms, a.total_ms),
            (Some(0.0), Some(5.0), None, Some(10.0))
        );
        assert_eq!(p.records.requests[1].phases, Phases::default());
    }

    #[test]
    fn ssl_inside_connect_spec_style() {
        // Chrome: connect 41.7 includes ssl 41.5; time = sum without ssl.
        let (ph, st) = normalize_phases(HarTimings {
            blocked: Some(0.5),
            dns: Some(0.0),
            connect: Some(41.7),
            ssl: Some(41.5),
            send: Some(9.5),
            wait: Some(2130.9),
            receive: Some(0.3),
            time: Some(2182.9),
        });
        assert_eq!(st, Some(SslStyle::InsideConnect));
        assert!((ph.connect_ms.unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(ph.tls_ms, Some(41.5));
        let sum: f64 = [
            ph.blocked_ms,
            ph.dns_ms,
            ph.connect_ms,
            ph.tls_ms,
            ph.send_ms,
            ph.wait_ms,
            ph.receive_ms,
        ]
        .iter()
        .flatten()
        .sum();
        assert!((sum - 2182.9).abs() < 1e-6, "{sum}");
    }

    #[test]
    fn ssl_on_top_firefox_style() {
        // Real Firefox 111 entry: blocked 89 dns 0 connect 32 ssl 66 wait 60, time 247.
        let (ph, st) = normalize_phases(HarTimings {
            blocked: Some(89.0),
            dns: Some(0.0),
            connect: Some(32.0),
            ssl: Some(66.0),
            send: Some(0.0),
            wait: Some(60.0),
            receive: Some(0.0),
            time: Some(247.0),
        });
        assert_eq!(st, Some(SslStyle::OnTopOfConnect));
        assert_eq!(ph.connect_ms, Some(32.0));
        assert_eq!(ph.tls_ms, Some(66.0));
        assert_eq!(ph.total_ms, Some(247.0));
        // Firefox style where connect > ssl still decided by `time`.
        let (ph, st) = normalize_phases(HarTimings {
            blocked: None,
            dns: None,
            connect: Some(309.0),
            ssl: Some(100.0),
            send: Some(2.0),
            wait: Some(3039.0),
            receive: Some(3.0),
            time: Some(3453.0),
        });
        assert_eq!(st, Some(SslStyle::OnTopOfConnect));
        assert_eq!(ph.connect_ms, Some(309.0));
        // No time: connect >= ssl means spec; total is the phase sum, counted once.
        let (ph, st) = normalize_phases(HarTimings {
            blocked: None,
            dns: Some(5.0),
            connect: Some(30.0),
            ssl: Some(20.0),
            send: None,
            wait: Some(10.0),
            receive: None,
            time: None,
        });
        assert_eq!(st, Some(SslStyle::InsideConnect));
        assert_eq!(ph.connect_ms, Some(10.0));
        assert_eq!(ph.total_ms, Some(45.0));
    }

    #[test]
    fn wpt_strings_and_negative_status() {
        let e = r#"{"startedDateTime":"2015-08-29T14:43:42.123+00:00","request":{"method":"GET","url":"http://www.nytimes.com/"},"response":{"status":"-2","bodySize":"100","headersSize":"50","content":{"size":"100","mimeType":"text/html"}},"time":"68","timings":{"blocked":"-1","dns":"12","connect":"-1","ssl":"-1","send":"0","wait":"66","receive":"2"},"_cdn_provider":"Google"}"#;
        let p = parse_str(har(&[e.to_string()], "").as_bytes());
        let r = &p.records.requests[0];
        assert_eq!(r.status, 0);
        assert_eq!(r.error.as_deref(), Some("status -2"));
        assert!(r.is_error());
        assert_eq!(r.phases.dns_ms, Some(12.0));
        assert_eq!(r.phases.total_ms, Some(68.0));
        assert_eq!(r.transfer_bytes, Some(150));
        assert_eq!(r.edge.provider.as_deref(), Some("google"));
        assert_eq!(r.resource_type, ResourceType::Document);
    }

    #[test]
    fn chrome_error_strings_classified() {
        let cases = [
            ("net::ERR_NAME_NOT_RESOLVED", ErrorClass::NameNotResolved),
            ("net::ERR_CONNECTION_REFUSED", ErrorClass::ConnectionRefused),
            ("net::ERR_CONNECTION_RESET", ErrorClass::ConnectionReset),
            (
                "net::ERR_CONNECTION_TIMED_OUT",
                ErrorClass::ConnectionTimedOut,
            ),
            (
                "net::ERR_INTERNET_DISCONNECTED",
                ErrorClass::InternetDisconnected,
            ),
            ("net::ERR_CERT_DATE_INVALID", ErrorClass::CertError),
            ("net::ERR_BLOCKED_BY_CLIENT", ErrorClass::BlockedByClient),
            ("net::ERR_ABORTED", ErrorClass::Aborted),
        ];
        let entries: Vec<String> = cases
            .iter()
            .map(|(t, _)| {
                entry("").replace(
                    r#""status":200,"#,
                    &format!(r#""status":0,"_error":"{t}","#),
                )
            })
            .collect();
        let p = parse_str(har(&entries, "").as_bytes());
        for (r, (t, c)) in p.records.requests.iter().zip(cases) {
            assert_eq!(r.status, 0);
            assert_eq!(r.error.as_deref(), Some(t));
            assert_eq!(r.error_class, Some(c), "{t}");
        }
    }

    #[test]
    fn seven_digit_fractions_and_local_offsets() {
        let e = entry("").replace(
            "2024-05-01T10:00:00.000Z",
            "2023-03-29T16:58:59.3031234-07:00",
        );
        let p = parse_str(har(&[e], "").as_bytes());
        assert_eq!(
            p.records.requests[0].start.to_rfc3339(),
            "2023-03-29T23:58:59.303123400+00:00"
        );
    }

    #[test]
    fn har_1_1_and_1_3() {
        for v in ["1.1", "1.3"] {
            let doc =
                har(&[entry("")], "").replace(r#""version":"1.2""#, &format!(r#""version":"{v}""#));
            let p = parse_str(doc.as_bytes());
            assert_eq!((p.report.records, p.report.bad_records), (1, 0), "{v}");
        }
    }

    #[test]
    fn resource_type_hint_then_mime() {
        let doc = har(
            &[
                entry(r#","_resourceType":"script""#),
                entry("").replace("application/json", "image/png"),
            ],
            "",
        );
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.records.requests[0].resource_type, ResourceType::Script);
        assert_eq!(p.records.requests[1].resource_type, ResourceType::Image);
    }

    #[test]
    fn edge_hints_from_headers() {
        let with = |h: &str| entry("").replace(r#""headers":[]"#, &format!(r#""headers":[{h}]"#));
        let doc = har(
            &[
                with(
                    r#"{"name":"CF-RAY","value":"8a1-SJC"},{"name":"cf-cache-status","value":"HIT"},{"name":"Set-Cookie","value":"secret=1"}"#,
                ),
                with(
                    r#"{"name":"x-cache","value":"Hit from cloudfront"},{"name":"x-amz-cf-pop","value":"SFO5-C1"}"#,
                ),
                with(
                    r#"{"name":"X-Served-By","value":"cache-sjc10034-SJC"},{"name":"X-Cache","value":"MISS"}"#,
                ),
                with(r#"{"name":"Server","value":"AkamaiGHost"}"#),
                with(r#"{"name":"Server","value":"nginx"}"#),
            ],
            "",
        );
        let p = parse_str(doc.as_bytes());
        let got: Vec<(Option<&str>, Option<&str>)> = p
            .records
            .requests
            .iter()
            .map(|r| (r.edge.provider.as_deref(), r.edge.cache.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("cloudflare"), Some("hit")),
                (Some("cloudfront"), Some("hit from cloudfront")),
                (Some("fastly"), Some("miss")),
                (Some("akamai"), None),
                (None, None)
            ]
        );
    }

    #[test]
    fn transfer_bytes_and_cache() {
        let doc = har(
            &[
                entry(r#","_transferSize":726"#),
                entry("").replace(
                    r#""status":200,"#,
                    r#""status":304,"bodySize":0,"headersSize":120,"#,
                ),
                entry(r#","_fromCache":"disk""#),
                entry("").replace(
                    r#""status":200,"#,
                    r#""status":200,"bodySize":-1,"headersSize":-1,"#,
                ),
            ],
            "",
        );
        let p = parse_str(doc.as_bytes());
        let r = &p.records.requests;
        assert_eq!((r[0].transfer_bytes, r[0].from_cache), (Some(726), false));
        assert_eq!((r[1].transfer_bytes, r[1].from_cache), (Some(120), true));
        assert!(r[2].from_cache);
        assert_eq!(r[3].transfer_bytes, None);
        assert_eq!(r[0].body_bytes, Some(10));
    }

    #[test]
    fn body_text_only_length_kept() {
        let e = entry("").replace(
            r#""size":10,"#,
            r#""text":"aGVsbG8gd29ybGQh","encoding":"base64","#,
        );
        let p = parse_str(har(&[e], "").as_bytes());
        assert_eq!(p.records.requests[0].body_bytes, Some(12));
    }

    #[test]
    fn bare_entry_is_not_a_har() {
        let doc = entry(r#","pageref":"page_1""#);
        assert!(sniff(doc.as_bytes()));
        let p = parse_str(doc.as_bytes());
        assert_eq!(p.report.records, 0);
        assert_eq!(
            p.report.skipped.as_deref(),
            Some("valid JSON but not a HAR document (no log object)")
        );
    }

    #[test]
    fn corrupt_file_is_claimed_and_located() {
        let doc = b"{\"log\":\n[\n    2,1,3\n]\n\"request:\"}";
        assert!(sniff(doc));
        let p = parse_str(doc);
        assert_eq!(p.report.records, 0);
        assert_eq!(p.report.bad_records, 1);
        let why = p.report.skipped.unwrap();
        assert!(why.contains("corrupt JSON at byte 22"), "{why}");
        assert_eq!(p.report.rejections[0].at.kind, LocKind::Byte);
    }

    #[test]
    fn truncation_keeps_prefix_and_warns() {
        let doc = har(&[entry(""), entry(""), entry("")], "");
        let cut = doc.len() - 30;
        let p = parse_str(&doc.as_bytes()[..cut]);
        assert_eq!(p.report.records, 2);
        assert_eq!(p.records.requests.len(), 2);
        assert_eq!(
            p.report.warnings,
            vec![format!("truncated at byte {cut}: kept 2 complete entries")]
        );
    }

    #[test]
    fn bad_entry_rejected_with_entry_ref() {
        let doc = har(
            &[
                entry(""),
                r#"{"request":{"url":"http://a/"}}"#.to_string(),
                r#"{"startedDateTime":1e999}"#.to_string(),
            ],
            "",
        );
        let p = parse_str(doc.as_bytes());
        assert_eq!((p.report.records, p.report.bad_records), (3, 2));
        assert_eq!(p.report.rejections[0].at, SourceRef::entry(7, 1));
        assert!(p.report.rejections[0].reason.contains("startedDateTime"));
    }

    /// `bytes` in a fresh file under the system's temporary directory,
    /// open for reading (the file is removed at once; the handle keeps it).
    fn temp_file(name: &str, bytes: &[u8]) -> std::fs::File {
        let path =
            std::env::temp_dir().join(format!("faultlens-har-{}-{name}.har", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        f
    }

    /// The streaming readers (read and mapped) parse each block in parts
    /// cut at guessed entry starts. Guesses that land on a nested object with the same
    /// first key, entries serde rejects, values that are not objects,
    /// invalid UTF-8, multi-byte text at part edges, cuts anywhere and
    /// every block size give exactly what the in-memory reader gives,
    /// pretty or minified.
    #[test]
    fn parallel_parts_match_in_memory() {
        let opts = IngestOptions::default();
        let mut entries: Vec<String> = Vec::new();
        for k in 0..48 {
            entries.push(match k % 8 {
                0 => entry(
                    r#","_nested":{"startedDateTime":"2024-05-01T10:00:00Z","x":[{"startedDateTime":1}]}"#,
                ),
                1 => entry(r#","response":{"status":503}"#),
                2 => entry(&format!(r#","_note":"{}""#, "\u{e9}\u{4f60}".repeat(k))),
                3 => "5".to_string(),
                4 => entry(r#","_blob":"BAD!""#),
                5 => entry(r#","_initiator":{"startedDateTime":"x"}"#),
                _ => entry(""),
            });
        }
        let minified = har(&entries, "");
        let value: serde_json::Value = serde_json::from_str(&minified).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let starts_bad = har(&entries[3..], "");
        for (name, doc, good) in [
            ("minified", &minified, (48, 12)),
            // (serde_json's `Value` keeps one of two duplicate keys)
            ("pretty", &pretty, (48, 6)),
            ("bad first", &starts_bad, (45, 11)),
        ] {
            // invalid UTF-8 in a field nobody reads
            let doc: Vec<u8> = doc.replace("BAD!", "B\u{1}D!").into_bytes();
            let doc: Vec<u8> = doc
                .into_iter()
                .map(|b| if b == 1 { 0xff } else { b })
                .collect();
            let whole = parse_har_bytes(3, None, &doc, &opts);
            let r = &whole.report;
            assert_eq!((r.records, r.bad_records), good, "{name}");
            for cut in (0..=doc.len()).rev().step_by(331) {
                let bytes = &doc[..cut];
                let want = parse_har_bytes(3, None, bytes, &opts);
                let blocks: &[usize] = if cut == doc.len() {
                    &[1, 7, 300, 1000, 4096, 1 << 20]
                } else {
                    &[7, 1000, 4096]
                };
                let file = temp_file(&format!("parts-{}-{cut}", name.replace(' ', "-")), bytes);
                for &block in blocks {
                    let read = parse_har_reader_blocks(3, None, bytes, &opts, block);
                    let mapped = parse_har_file_windows(3, None, &file, &opts, block);
                    for (how, got) in [("read", read), ("mapped", mapped)] {
                        let what = format!("{name} cut {cut} block {block} {how}");
                        assert_eq!(got.records.requests, want.records.requests, "{what}");
                        assert_eq!(got.records.pages, want.records.pages, "{what}");
                        assert_eq!(got.report, want.report, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn sniff_rejects_other_json() {
        assert!(!sniff(
            br#"{"ts":"2024-05-01T10:00:00Z","type":"http","target":"https://a/"}"#
        ));
        assert!(!sniff(br#"[{"log":1}]"#));
        assert!(!sniff(b"not json"));
        assert!(sniff(br#"{"log":{"entries":[{"#));
    }
}
