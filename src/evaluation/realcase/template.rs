//! One real page load, taken apart: its requests, what each one is for, and
//! whose it is.
//!
//! Faults land on roles, not on URLs: a backend outage hits the site's API
//! calls, a CDN outage its static assets on the asset host, a DNS outage the
//! site's own names. So a page load is read once into a [`Template`] whose
//! entries carry their [`Role`] and their offset from the start of the load,
//! and the timeline is built by replaying that template.

use super::RealcaseError;
use super::producer::{Producer, as_f64, total_time};
use crate::classify::registrable_domain;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a request is for, from the site's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The navigation itself (the HTML of the page).
    Document,
    /// A first-party dynamic endpoint (XHR/fetch, JSON, `/api/`, server pages).
    Api,
    /// A first-party static asset on the document's own host.
    OriginStatic,
    /// A first-party static asset on another first-party host (CDN/asset host).
    CdnStatic,
    /// Anything on another registrable domain.
    ThirdParty,
}

/// The site: its registrable domain and the sibling domains that are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub document_host: String,
    pub domain: String,
    pub siblings: Vec<String>,
}

impl Site {
    pub fn first_party(&self, domain: &str) -> bool {
        domain == self.domain || self.siblings.iter().any(|s| s == domain)
    }
}

/// One page load found in a HAR: entry indexes in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLoad {
    pub page_id: Option<String>,
    pub entries: Vec<usize>,
    pub document: usize,
    pub start: DateTime<Utc>,
}

/// One request of the template load.
#[derive(Debug, Clone)]
pub struct TEntry {
    pub entry: Value,
    pub offset_ms: f64,
    pub end_ms: f64,
    pub role: Role,
    pub host: String,
    pub domain: String,
    pub https: bool,
    pub kind: String,
}

/// A page load ready to be replayed.
#[derive(Debug, Clone)]
pub struct Template {
    pub producer: Producer,
    pub creator: Value,
    pub browser: Option<Value>,
    pub version: Value,
    pub page: Value,
    pub entries: Vec<TEntry>,
    pub site: Site,
    pub on_load_ms: f64,
    pub on_content_load_ms: f64,
    pub ssl_in_connect: bool,
    /// The UTC offset the producer writes times in (Firefox: local time).
    pub tz: FixedOffset,
    /// `Z` rather than `+00:00` for UTC.
    pub zulu: bool,
    /// Chromium new enough to block cross-origin HTML bodies (ORB, 114+).
    pub orb: bool,
}

/// Read a HAR file (plain or gzip, UTF-8 BOM tolerated).
pub fn read_har(path: &std::path::Path) -> Result<Value, RealcaseError> {
    let bytes =
        std::fs::read(path).map_err(|e| RealcaseError::Io(path.display().to_string(), e))?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| RealcaseError::Io(path.display().to_string(), e))?;
        out
    } else {
        bytes
    };
    let text =
        std::str::from_utf8(&bytes).map_err(|_| RealcaseError::NotHar("not UTF-8".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let v: Value = serde_json::from_str(text).map_err(|e| RealcaseError::NotHar(e.to_string()))?;
    if v.pointer("/log/entries")
        .and_then(Value::as_array)
        .is_none()
    {
        return Err(RealcaseError::NotHar("no log.entries".into()));
    }
    Ok(v)
}

pub(crate) fn url_of(e: &Value) -> &str {
    e.pointer("/request/url")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub(crate) fn host_of(url: &str) -> String {
    let (_, host, _) = crate::classify::split_url(url);
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = if host.starts_with('[') {
        host
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

pub(crate) fn path_of(url: &str) -> &str {
    crate::classify::split_url(url).2
}

fn started(e: &Value) -> Option<DateTime<FixedOffset>> {
    let s = e.get("startedDateTime").and_then(Value::as_str)?;
    DateTime::parse_from_rfc3339(s).ok()
}

fn mime(e: &Value) -> String {
    e.pointer("/response/content/mimeType")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn status(e: &Value) -> i64 {
    e.pointer("/response/status")
        .and_then(as_f64)
        .unwrap_or(0.0) as i64
}

/// The resource type as the producer wrote it, else from the MIME type and path.
pub(crate) fn kind_of(e: &Value) -> String {
    if let Some(t) = e.get("_resourceType").and_then(Value::as_str)
        && !t.is_empty()
    {
        return t.to_ascii_lowercase();
    }
    let m = mime(e);
    let p = path_of(url_of(e)).to_ascii_lowercase();
    let p = p.split('?').next().unwrap_or("");
    if m.contains("html") {
        "document".into()
    } else if m.contains("css") || p.ends_with(".css") {
        "stylesheet".into()
    } else if m.contains("javascript") || m.contains("ecmascript") || p.ends_with(".js") {
        "script".into()
    } else if m.starts_with("image/")
        || [
            ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".avif",
        ]
        .iter()
        .any(|x| p.ends_with(x))
    {
        "image".into()
    } else if m.contains("font")
        || [".woff", ".woff2", ".ttf", ".otf"]
            .iter()
            .any(|x| p.ends_with(x))
    {
        "font".into()
    } else if m.contains("json") || (m.contains("xml") && !m.contains("svg")) {
        "xhr".into()
    } else if m.starts_with("video/") || m.starts_with("audio/") {
        "media".into()
    } else {
        "other".into()
    }
}

fn is_dynamic_path(url: &str) -> bool {
    let p = path_of(url).to_ascii_lowercase();
    let path = p.split('?').next().unwrap_or("");
    path.contains("/api/")
        || path.contains("/svc/")
        || path.contains("/graphql")
        || path.contains("/rest/")
        || path.ends_with(".json")
        || path.ends_with(".php")
        || path.ends_with(".aspx")
        || path.ends_with(".jsp")
}

/// Find the page loads: per HAR page when each navigation has its own page,
/// else split at the top-level document requests (Playwright and Safari put
/// every navigation of a tab under one page).
pub fn page_loads(har: &Value) -> Vec<PageLoad> {
    let entries = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut idx: Vec<(usize, DateTime<Utc>)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| started(e).map(|t| (i, t.with_timezone(&Utc))))
        .filter(|(i, _)| !url_of(&entries[*i]).is_empty())
        .collect();
    idx.sort_by_key(|(i, t)| (*t, *i));
    if idx.is_empty() {
        return Vec::new();
    }
    let pages: Vec<String> = har
        .pointer("/log/pages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("id").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let by_page = pages.len() >= 2
        && idx.iter().all(|(i, _)| {
            entries[*i]
                .get("pageref")
                .and_then(Value::as_str)
                .is_some_and(|r| pages.iter().any(|p| p == r))
        });
    let mut loads: Vec<PageLoad> = Vec::new();
    if by_page {
        let mut groups: BTreeMap<usize, Vec<(usize, DateTime<Utc>)>> = BTreeMap::new();
        for (i, t) in &idx {
            let r = entries[*i]
                .get("pageref")
                .and_then(Value::as_str)
                .unwrap_or("");
            let p = pages.iter().position(|x| x == r).unwrap_or(0);
            groups.entry(p).or_default().push((*i, *t));
        }
        for (p, g) in groups {
            let document = g
                .iter()
                .find(|(i, _)| kind_of(&entries[*i]) == "document")
                .map(|x| x.0)
                .unwrap_or(g[0].0);
            loads.push(PageLoad {
                page_id: Some(pages[p].clone()),
                entries: g.iter().map(|x| x.0).collect(),
                document,
                start: g[0].1,
            });
        }
    } else {
        let first_doc_host = idx
            .iter()
            .find(|(i, _)| kind_of(&entries[*i]) == "document")
            .map(|(i, _)| host_of(url_of(&entries[*i])));
        let mut cur: Option<PageLoad> = None;
        for (i, t) in idx {
            let e = &entries[i];
            let nav = kind_of(e) == "document"
                && Some(host_of(url_of(e))) == first_doc_host
                && (200..400).contains(&status(e));
            let starts_new = match &cur {
                None => true,
                Some(c) => nav && c.document != i && (t - c.start).num_milliseconds() > 1500,
            };
            if starts_new {
                if let Some(c) = cur.take() {
                    loads.push(c);
                }
                let page_id = e.get("pageref").and_then(Value::as_str).map(String::from);
                cur = Some(PageLoad {
                    page_id,
                    entries: vec![i],
                    document: i,
                    start: t,
                });
            } else if let Some(c) = cur.as_mut() {
                c.entries.push(i);
            }
        }
        if let Some(c) = cur {
            loads.push(c);
        }
    }
    loads
}

fn label(domain: &str) -> &str {
    domain.split('.').next().unwrap_or(domain)
}

/// Sibling test on names alone: one label contains the other (walmart /
/// walmartimages), or they share a long prefix (wikipedia / wikimedia), or
/// the shorter is an abbreviation the longer starts with (nyt / nytimes).
pub fn sibling_names(a: &str, b: &str) -> bool {
    let (la, lb) = (label(a), label(b));
    if la.len() < 3 || lb.len() < 3 {
        return false;
    }
    if la.contains(lb) || lb.contains(la) {
        return true;
    }
    let common = la
        .bytes()
        .zip(lb.bytes())
        .take_while(|(x, y)| x == y)
        .count();
    common >= 4
}

/// The site of a load: the document's registrable domain plus sibling
/// domains by name, and `extra` siblings given by the caller.
pub fn infer_site(entries: &[Value], document: &Value, extra: &[&str]) -> Site {
    let document_host = host_of(url_of(document));
    let domain = registrable_domain(&document_host);
    let mut siblings: BTreeSet<String> = BTreeSet::new();
    for e in entries {
        let d = registrable_domain(&host_of(url_of(e)));
        if d != domain && sibling_names(&d, &domain) {
            siblings.insert(d);
        }
    }
    for x in extra {
        if *x != domain {
            siblings.insert((*x).to_string());
        }
    }
    Site {
        document_host,
        domain,
        siblings: siblings.into_iter().collect(),
    }
}

fn role_of(e: &Value, kind: &str, host: &str, domain: &str, site: &Site, is_doc: bool) -> Role {
    if is_doc {
        return Role::Document;
    }
    if !site.first_party(domain) {
        return Role::ThirdParty;
    }
    let url = url_of(e);
    let m = mime(e);
    let p = path_of(url).to_ascii_lowercase();
    let beacon = kind == "ping"
        || host.starts_with("beacon.")
        || p.contains("beacon")
        || p.starts_with("/collect")
        || p.contains("/log?")
        || p.ends_with("/log")
        // a tracking pixel (`/b/ss/..?AQB=1&..`, `/rum.gif?..`): what the
        // reader calls a beacon, so the truth and the reading agree on it
        || ((kind == "image" || m.starts_with("image/")) && crate::classify::is_tracking_pixel(path_of(url)));
    let dynamic = matches!(kind, "xhr" | "fetch" | "eventsource" | "websocket" | "ping")
        || beacon
        || (m.contains("json") || (m.contains("xml") && !m.contains("svg")))
        || is_dynamic_path(url)
        || host.starts_with("api.");
    if dynamic {
        Role::Api
    } else if host == site.document_host {
        Role::OriginStatic
    } else {
        Role::CdnStatic
    }
}

/// Take load `index` (see [`page_loads`]) of `har` as the template.
pub fn template(
    har: &Value,
    index: usize,
    extra_siblings: &[&str],
) -> Result<Template, RealcaseError> {
    let loads = page_loads(har);
    let load = loads.get(index).ok_or(RealcaseError::NoPageLoad)?;
    let all = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or(RealcaseError::NoPageLoad)?;
    let producer = Producer::detect(har);
    let doc = &all[load.document];
    // Failures already in the source (status 0 / -1, a 5xx, a WebPageTest
    // error code) would be unlabelled faults: drop them (the document
    // stays, whatever it is). walmart's capture has a real loremflickr.com
    // 503 outage in it, which a healthy control must not carry.
    let kept: Vec<usize> = load
        .entries
        .iter()
        .copied()
        .filter(|i| *i == load.document || (1..500).contains(&status(&all[*i])))
        .collect();
    let load_entries: Vec<Value> = kept.iter().map(|i| all[*i].clone()).collect();
    let site = infer_site(&load_entries, doc, extra_siblings);
    let page = har
        .pointer("/log/pages")
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter()
                .find(|p| {
                    load.page_id.is_some()
                        && p.get("id").and_then(Value::as_str) == load.page_id.as_deref()
                })
                .cloned()
        })
        .unwrap_or_else(
            || serde_json::json!({"id": "page_1", "title": url_of(doc), "pageTimings": {}}),
        );
    if status(doc) <= 0 || load_entries.len() < 3 {
        return Err(RealcaseError::NoPageLoad);
    }
    let first = started(&all[kept[0]]).ok_or(RealcaseError::NoPageLoad)?;
    let page_start = page
        .get("startedDateTime")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    // WebPageTest rounds the page start down to the second; take the earlier.
    let start = match page_start {
        Some(p) if p <= first && producer.page_per_load() => p,
        _ => first,
    };
    let raw = doc
        .get("startedDateTime")
        .and_then(Value::as_str)
        .unwrap_or("");
    let zulu = raw.ends_with('Z');
    let tz = *first.offset();
    let mut entries = Vec::new();
    let mut ssl_votes = (0, 0);
    for (k, e) in load_entries.iter().enumerate() {
        let t = started(e).unwrap_or(first);
        let offset_ms = (t - start).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        let time = e.get("time").and_then(as_f64).unwrap_or(0.0).max(0.0);
        let host = host_of(url_of(e));
        let domain = registrable_domain(&host);
        let kind = kind_of(e);
        let role = role_of(e, &kind, &host, &domain, &site, kept[k] == load.document);
        if let Some(tm) = e.get("timings").and_then(Value::as_object)
            && tm.get("ssl").and_then(as_f64).unwrap_or(-1.0) > 0.0
        {
            let with = total_time(tm, false);
            let without = total_time(tm, true);
            if (time - without).abs() < (time - with).abs() {
                ssl_votes.0 += 1;
            } else {
                ssl_votes.1 += 1;
            }
        }
        entries.push(TEntry {
            offset_ms,
            end_ms: offset_ms + time,
            role,
            https: url_of(e).starts_with("https:"),
            host,
            domain,
            kind,
            entry: e.clone(),
        });
    }
    let ssl_in_connect = match producer {
        Producer::Firefox => false,
        Producer::WebPageTest | Producer::DevTools | Producer::ChromeHar | Producer::Playwright => {
            true
        }
        _ => ssl_votes.0 >= ssl_votes.1,
    };
    let last_end = entries.iter().map(|e| e.end_ms).fold(0.0, f64::max);
    let pt = |k: &str| {
        page.pointer(&format!("/pageTimings/{k}"))
            .and_then(as_f64)
            .filter(|v| *v > 0.0)
    };
    // Safari writes load timestamps on its own clock; keep them only if
    // they fall inside the load.
    let on_load_ms = pt("onLoad")
        .filter(|v| *v <= last_end * 1.5 + 1000.0)
        .unwrap_or(last_end);
    let on_content_load_ms = pt("onContentLoad")
        .filter(|v| *v <= on_load_ms)
        .unwrap_or(on_load_ms * 0.6);
    let browser_version = har
        .pointer("/log/browser/version")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let ua = doc
        .pointer("/request/headers")
        .and_then(Value::as_array)
        .and_then(|hs| {
            hs.iter().find(|h| {
                h.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case("user-agent"))
            })
        })
        .and_then(|h| h.get("value").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let chrome_major = chrome_major(&browser_version)
        .or_else(|| ua.split("Chrome/").nth(1).and_then(chrome_major));
    let orb = producer.chromium() && chrome_major.is_some_and(|v| v >= 114);
    Ok(Template {
        producer,
        creator: har.pointer("/log/creator").cloned().unwrap_or(Value::Null),
        browser: har.pointer("/log/browser").cloned(),
        version: har
            .pointer("/log/version")
            .cloned()
            .unwrap_or(serde_json::json!("1.2")),
        page,
        entries,
        site,
        on_load_ms,
        on_content_load_ms,
        ssl_in_connect,
        tz,
        zulu,
        orb,
    })
}

fn chrome_major(v: &str) -> Option<u32> {
    v.split('.').next()?.trim().parse().ok()
}

impl Template {
    pub fn count(&self, role: Role) -> usize {
        self.entries.iter().filter(|e| e.role == role).count()
    }

    /// Third-party registrable domains, most requests first.
    pub fn third_parties(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.role == Role::ThirdParty) {
            *m.entry(e.domain.clone()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Hosts a TLS fault can hit (first party over https).
    pub fn tls_hosts(&self) -> Vec<String> {
        let mut s: BTreeSet<String> = BTreeSet::new();
        for e in &self.entries {
            if e.https && e.role != Role::ThirdParty {
                s.insert(e.host.clone());
            }
        }
        s.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_by_name() {
        assert!(sibling_names("nyt.com", "nytimes.com"));
        assert!(sibling_names("wikimedia.org", "wikipedia.org"));
        assert!(sibling_names("walmartimages.com", "walmart.com"));
        assert!(!sibling_names("krxd.net", "nytimes.com"));
        assert!(!sibling_names("google-analytics.com", "sitespeed.io"));
    }

    #[test]
    fn splits_one_page_tab_at_documents() {
        let e = |t: &str, u: &str, m: &str| {
            serde_json::json!({"pageref": "page@1", "startedDateTime": t, "time": 10,
            "request": {"method": "GET", "url": u}, "response": {"status": 200, "content": {"mimeType": m}}})
        };
        let har = serde_json::json!({"log": {"pages": [{"id": "page@1"}], "entries": [
            e("2024-01-01T00:00:00.000Z", "https://a.com/", "text/html"),
            e("2024-01-01T00:00:00.100Z", "https://a.com/x.js", "text/javascript"),
            e("2024-01-01T00:01:00.000Z", "https://a.com/", "text/html"),
            e("2024-01-01T00:01:00.200Z", "https://a.com/x.js", "text/javascript")]}});
        let l = page_loads(&har);
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].entries, vec![2, 3]);
    }
}
