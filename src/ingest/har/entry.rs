//! One HAR entry into one [`Request`]: the failure it shows, its sizes,
//! cache and edge.
//!
//! Why in one place: every producer words a failure in its own field
//! (Chrome `_error`, Playwright `_failureText`, BrowserMob `_errorMessage`,
//! WebPageTest a WinINet code), and every reader (in memory, streamed,
//! mapped) must reject a damaged entry in the same words, so the one
//! conversion and the one rejection live here.

use super::phases::{HarTimings, normalize_phases};
use super::schema::{Entry, body_text};
use crate::classify;
use crate::model::{EdgeHints, Request, ResourceType, SourceRef};

pub(super) struct EntryOut {
    pub(super) request: Request,
    /// Raw `pageref`, resolved once every page is known (pages may come
    /// after entries in the document).
    pub(super) pageref: Option<String>,
}

/// `raw` is the entry's own bytes (read again only for a body length).
pub(super) fn convert_entry(
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
        .unwrap_or_else(|| {
            let by_mime = mime.map_or(ResourceType::Other, classify::resource_type_from_mime);
            // an error page types itself, not what was asked for: a
            // `/logo.png` an edge answered with its HTML 503 page is still
            // an image request (producers with no type hint: Firefox,
            // Safari, BrowserMob)
            if status >= 400 && by_mime == ResourceType::Document {
                classify::resource_type_from_path(path).unwrap_or(by_mime)
            } else {
                by_mime
            }
        });
    // a tracking pixel is typed "image" by the browser but is a call the
    // application answers (its collector logs it): a beacon, not a file
    let pixel = match resource_type {
        ResourceType::Image => classify::is_tracking_pixel(path),
        // a request that failed has no response to be typed by
        ResourceType::Other => classify::is_tracking_gif(path),
        _ => false,
    };
    let resource_type = if pixel {
        ResourceType::Ping
    } else {
        resource_type
    };
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
        .map(|r| r.headers.hints(e.cdn_provider.get(), status))
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

/// Why an entry of `len` bytes is refused.
pub(super) fn too_big(len: usize) -> String {
    format!("{len} bytes exceeds the record limit")
}

/// One entry from exactly its bytes (as measured by the structural scan):
/// the record, or why it is rejected. The one place that words the
/// rejection of an entry, so the in-memory and the streaming readers
/// report a damaged entry alike whichever of them meets it (the streaming
/// reader's fast path parses from the rest of its buffer, where serde_json
/// would word the same damage differently: `-]` is an "invalid number"
/// there and an "EOF while parsing a value" in the entry's own bytes).
pub(super) fn read_entry(
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
