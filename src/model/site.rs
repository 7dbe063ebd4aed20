//! What the captured site is: its page loads and its own domains.
//!
//! Why this exists: the verdict counts components per page load and tells
//! first party from third party, and neither is written down reliably in a
//! capture. Playwright files every navigation of one tab under a single HAR
//! page; Charles and mitmproxy write no pages at all; a news site serves
//! its own scripts from a sibling domain (`nyt.com` for `nytimes.com`,
//! `wikimedia.org` for `wikipedia.org`, `shop-cdn.com` for `shop.com`), and
//! calling that a third party turns a CDN outage into a "third-party
//! blip". Both are inferred here, once, from evidence in the capture, and
//! the inference is kept in [`SiteFacts`] so the report can show it.

use super::{Dataset, Page, Request, ResourceType};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a domain counts as the site's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstPartyDomain {
    pub domain: String,
    /// `main document`, `--first-party`, `probe target`, `shares the site's name (nytimes)`.
    pub reason: String,
}

/// The site as inferred from the captures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteFacts {
    pub first_party: Vec<FirstPartyDomain>,
    /// HAR pages that held several navigations and were split into one
    /// page load each (Playwright's single page per tab), and page loads
    /// made from document requests in captures with no pages at all.
    pub pages_split: usize,
    pub loads_made: usize,
}

/// Registrable domains of providers whose hosts a page loads before it
/// renders (fonts, tag managers, shared script CDNs) but which are never
/// the site itself.
const SHARED_PROVIDERS: &[&str] = &[
    "googleapis.com",
    "gstatic.com",
    "google.com",
    "googletagmanager.com",
    "google-analytics.com",
    "doubleclick.net",
    "googlesyndication.com",
    "facebook.net",
    "facebook.com",
    "jsdelivr.net",
    "unpkg.com",
    "cloudflare.com",
    "cloudfront.net",
    "akamaized.net",
    "akamaihd.net",
    "fastly.net",
    "typekit.net",
    "fontawesome.com",
    "bootstrapcdn.com",
    "jquery.com",
    "azureedge.net",
    "amazonaws.com",
];

/// Registrable domains one organisation serves its own sites from: when
/// the captured site is one of them, the others are its own too (a
/// capture of google.com loads its scripts from gstatic.com, which for
/// any other site is a shared provider). Names only the organisations whose
/// static domains share nothing with the site's name; `nyt.com` or
/// `wikimedia.org` are found by [`labels_related`].
const SAME_OWNER: &[&[&str]] = &[
    &[
        "google.com",
        "gstatic.com",
        "googleapis.com",
        "googleusercontent.com",
        "ggpht.com",
        "youtube.com",
        "ytimg.com",
        "googlevideo.com",
    ],
    &[
        "facebook.com",
        "facebook.net",
        "fbcdn.net",
        "instagram.com",
        "cdninstagram.com",
    ],
    &["twitter.com", "x.com", "twimg.com"],
    &["amazon.com", "media-amazon.com", "ssl-images-amazon.com"],
    &["yahoo.com", "yimg.com"],
    &["apple.com", "mzstatic.com", "cdn-apple.com"],
    &["linkedin.com", "licdn.com"],
    &["ebay.com", "ebayimg.com", "ebaystatic.com"],
    &[
        "reddit.com",
        "redditstatic.com",
        "redditmedia.com",
        "redd.it",
    ],
    &["bbc.co.uk", "bbc.com", "bbci.co.uk"],
    &[
        "netflix.com",
        "nflxext.com",
        "nflximg.net",
        "nflxvideo.net",
        "nflxso.net",
    ],
    &[
        "microsoft.com",
        "bing.com",
        "msn.com",
        "live.com",
        "microsoftonline.com",
    ],
];

/// The other domains of the organisation that owns `domain`.
fn same_owner(domain: &str) -> &'static [&'static str] {
    SAME_OWNER
        .iter()
        .find(|org| org.contains(&domain))
        .copied()
        .unwrap_or(&[])
}

/// The distinctive label of a registrable domain: `nytimes` for
/// `nytimes.com`, `shopfront` for `shopfront.co.uk`.
fn label(domain: &str) -> &str {
    domain.split('.').next().unwrap_or(domain)
}

/// Words a site puts before its name in the domain it serves files from
/// (`cdnexpressen`, `static-shop`): with one of them in front, the rest of
/// the label is the site's own name.
const ASSET_WORDS: &[&str] = &[
    "cdn", "static", "img", "images", "assets", "media", "files", "st",
];

/// Do two site labels name the same organisation? One is a prefix of the
/// other with at least 3 letters in common (`nyt` / `nytimes`), or they
/// share a prefix of at least 4 letters (`wikimedia` / `wikipedia`,
/// `shopfront` / `shopfront-cdn`), or the longer one is the shorter (at
/// least 4 letters) as one of its hyphen-separated words
/// (`cdn-expressen` / `expressen`) or behind an asset word
/// (`imgshopfront`). Shared providers are excluded by the caller, so
/// `google` / `googletagmanager` never gets here.
pub fn labels_related(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() || a == b {
        return !a.is_empty() && a == b;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 3 && long.starts_with(short) {
        return true;
    }
    if short.len() >= 4
        && (long.split('-').any(|w| w == short)
            || long
                .strip_suffix(short)
                .is_some_and(|front| ASSET_WORDS.contains(&front)))
    {
        return true;
    }
    let common = short
        .bytes()
        .zip(long.bytes())
        .take_while(|(x, y)| x == y)
        .count();
    common >= 4
}

/// First-party registrable domains: the user's `--first-party` list when
/// given (nothing inferred), else the pages' main documents and probe
/// targets, plus domains that share the site's name (shared providers
/// excepted). A stylesheet on the critical path is no proof: third-party
/// widgets bring their own (the lab's review widget did), so it is not
/// used.
pub fn infer_first_party(
    ds: &Dataset,
    given: &[String],
    seeds: &BTreeSet<String>,
    seed_reason: &BTreeMap<String, &'static str>,
) -> Vec<FirstPartyDomain> {
    if !given.is_empty() {
        return given
            .iter()
            .map(|d| FirstPartyDomain {
                domain: d.to_ascii_lowercase(),
                reason: "--first-party".into(),
            })
            .collect();
    }
    let mut out: BTreeMap<String, String> = seeds
        .iter()
        .map(|d| {
            (
                d.clone(),
                seed_reason
                    .get(d)
                    .copied()
                    .unwrap_or("main document")
                    .into(),
            )
        })
        .collect();
    if seeds.is_empty() {
        return vec![];
    }
    let seed_labels: Vec<&str> = seeds.iter().map(|d| label(d)).collect();
    let mut domains: BTreeSet<&str> = BTreeSet::new();
    for r in &ds.requests {
        domains.insert(r.registrable_domain.as_str());
    }
    for d in &domains {
        if out.contains_key(*d) || d.is_empty() {
            continue;
        }
        if let Some(s) = seeds.iter().find(|s| same_owner(s).contains(d)) {
            out.insert(d.to_string(), format!("same owner as the site ({s})"));
            continue;
        }
        if SHARED_PROVIDERS.contains(d) {
            continue;
        }
        if let Some(s) = seed_labels.iter().find(|s| labels_related(s, label(d))) {
            out.insert(d.to_string(), format!("shares the site's name ({s})"));
        }
    }
    out.into_iter()
        .map(|(domain, reason)| FirstPartyDomain { domain, reason })
        .collect()
}

/// Is this request a navigation of the tab to the captured page: a
/// document on the page's own host, or (when the browser recorded no type,
/// as for a failed navigation) a GET of the same host and path as the
/// first navigation?
fn is_navigation(r: &Request, main_host: &str, main_endpoint: &str, quiet_before: bool) -> bool {
    if r.host != main_host || r.method != "GET" {
        return false;
    }
    // the same page again (a reload), whatever type the browser recorded
    // (a failed navigation has none); another document of the site only
    // after the previous load went quiet: a document requested in the
    // middle of a load is a frame of it (`github-btn.html`), not a new load
    r.endpoint == main_endpoint
        && matches!(
            r.resource_type,
            ResourceType::Document | ResourceType::Other
        )
        || r.resource_type == ResourceType::Document && quiet_before
}

/// A new load can start only after this long without a new request.
const QUIET_BEFORE_NAVIGATION_MS: i64 = 2_000;

fn is_redirect(r: &Request) -> bool {
    (300..400).contains(&r.status) && r.status != 304
}

/// Split pages that hold several navigations into one page per load, and
/// make page loads from navigations in HAR files that have no pages.
/// Counts and load times of a split load are taken from its requests: the
/// browser's onLoad belongs to the first navigation only.
pub fn split_page_loads(ds: &mut Dataset) -> (usize, usize) {
    let is_har: Vec<bool> = ds.inputs.iter().map(|i| i.format == "har").collect();
    // requests of each HAR file, in time order
    let mut by_file: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, r) in ds.requests.iter().enumerate() {
        if is_har.get(r.source.file as usize).copied().unwrap_or(false) {
            by_file.entry(r.source.file).or_default().push(i);
        }
    }
    let (mut split, mut made) = (0usize, 0usize);
    let mut new_pages: Vec<Page> = Vec::new();
    let mut drop_pages: BTreeSet<String> = BTreeSet::new();
    for (file, mut idx) in by_file {
        idx.sort_by_key(|&i| (ds.requests[i].start, ds.requests[i].source));
        // the first navigation fixes the page's host and path
        let Some(first_doc) = idx
            .iter()
            .map(|&i| &ds.requests[i])
            .find(|r| r.resource_type == ResourceType::Document && !is_redirect(r))
            .or_else(|| idx.first().map(|&i| &ds.requests[i]))
        else {
            continue;
        };
        let (main_host, main_endpoint) = (first_doc.host.clone(), first_doc.endpoint.clone());
        // group by the page the HAR gave (None = no page)
        let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for &i in &idx {
            groups
                .entry(ds.requests[i].page_id.clone())
                .or_default()
                .push(i);
        }
        for (page_id, members) in groups {
            // navigation starts: a navigation that does not follow a
            // redirect of the load it belongs to
            let mut starts: Vec<usize> = Vec::new();
            let mut last_nav_redirect = false;
            for (k, &i) in members.iter().enumerate() {
                let r = &ds.requests[i];
                let quiet = k == 0
                    || (r.start - ds.requests[members[k - 1]].start).num_milliseconds()
                        >= QUIET_BEFORE_NAVIGATION_MS;
                if is_navigation(r, &main_host, &main_endpoint, quiet) {
                    if !last_nav_redirect || starts.is_empty() {
                        starts.push(k);
                    }
                    last_nav_redirect = is_redirect(r);
                } else if r.resource_type == ResourceType::Document && r.host == main_host {
                    last_nav_redirect = false;
                }
            }
            let template = page_id
                .as_deref()
                .and_then(|id| ds.pages.iter().find(|p| p.id == id))
                .cloned();
            match (&template, starts.len()) {
                (Some(_), 0 | 1) => continue,
                (None, 0) => continue,
                _ => {}
            }
            // segments: [starts[j], starts[j+1]); requests before the first
            // navigation belong to the first segment
            let mut bounds: Vec<usize> = starts.clone();
            bounds[0] = 0;
            bounds.push(members.len());
            for j in 0..bounds.len() - 1 {
                let seg = &members[bounds[j]..bounds[j + 1]];
                let nav = &ds.requests[members[starts[j]]];
                let id = match (&page_id, j) {
                    (Some(pid), 0) => pid.clone(),
                    (Some(pid), _) => format!("{pid}#{}", j + 1),
                    (None, _) => format!("{file}:load-{}", j + 1),
                };
                let start = nav.start.min(ds.requests[seg[0]].start);
                let mut page = Page {
                    source: nav.source,
                    id: id.clone(),
                    vantage: nav.vantage.clone(),
                    start,
                    title: template.as_ref().and_then(|t| t.title.clone()),
                    on_content_load_ms: None,
                    on_load_ms: None,
                    components: 0,
                    failed_components: 0,
                    bytes: 0,
                    main_domain: Some(nav.registrable_domain.clone()),
                };
                let mut end_ms: f64 = 0.0;
                for &i in seg {
                    let r = &mut ds.requests[i];
                    r.page_id = Some(id.clone());
                    page.components += 1;
                    if r.status == 0 || r.status >= 400 || r.error.is_some() {
                        page.failed_components += 1;
                    }
                    page.bytes += r.transfer_bytes.or(r.body_bytes).unwrap_or(0);
                    let off = (r.start - start).num_milliseconds() as f64;
                    end_ms = end_ms.max(off + r.phases.total_ms.unwrap_or(0.0));
                }
                // the browser's own timings hold for the first load only
                if j == 0
                    && let Some(t) = &template
                {
                    page.on_content_load_ms = t.on_content_load_ms;
                    page.on_load_ms = t.on_load_ms;
                } else {
                    page.on_load_ms = Some(end_ms);
                }
                new_pages.push(page);
            }
            if let Some(pid) = page_id {
                drop_pages.insert(pid);
                split += 1;
            } else {
                made += bounds.len() - 1;
            }
        }
    }
    if !drop_pages.is_empty() {
        ds.pages.retain(|p| !drop_pages.contains(&p.id));
    }
    ds.pages.extend(new_pages);
    drop_blank_tabs(ds);
    (split, made)
}

/// A HAR page with no request, no title and no load event is the tab the
/// browser opened before it navigated (Playwright records the new tab's
/// `about:blank` as the first page of every capture), not a page load:
/// counted as one, it reads as a load that lost every component and
/// opens an incident at the first second of every capture. A page that
/// did try to load keeps its title (the URL) or its timings, even when
/// its producer dropped every failed request (chrome-har).
fn drop_blank_tabs(ds: &mut Dataset) {
    let blank = |p: &Page| {
        p.components == 0
            && p.on_load_ms.is_none()
            && p.on_content_load_ms.is_none()
            && p.title
                .as_deref()
                .is_none_or(|t| t.trim().is_empty() || t.trim() == "about:blank")
    };
    let mut per_file: BTreeMap<u32, usize> = BTreeMap::new();
    for p in ds.pages.iter().filter(|p| blank(p)) {
        *per_file.entry(p.source.file).or_default() += 1;
    }
    if per_file.is_empty() {
        return;
    }
    ds.pages.retain(|p| !blank(p));
    for (file, n) in per_file {
        if let Some(input) = ds.inputs.get_mut(file as usize) {
            input.warnings.push(format!(
                "{n} blank tab page{} (no request, no title, no load event) not counted as page loads",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_labels() {
        assert!(labels_related("nytimes", "nyt"));
        assert!(labels_related("wikipedia", "wikimedia"));
        assert!(labels_related("shopfront", "shopfront-cdn"));
        assert!(!labels_related("nytimes", "doubleclick"));
        assert!(!labels_related("ferguson", "kampyle"));
        assert!(!labels_related("abc", "abd"));
        // a news site's asset domain with the CDN word in front
        assert!(labels_related("expressen", "cdn-expressen"));
        assert!(labels_related("shopfront", "imgshopfront"));
        assert!(!labels_related("times", "nytimes"));
        assert!(!labels_related("shop", "myshop"));
    }

    /// gstatic.com is google.com's own when google.com is the site, and a
    /// shared provider for every other site.
    #[test]
    fn same_owner_domains_are_first_party_only_for_their_owner() {
        use crate::ingest::{IngestOptions, har::parse_har_bytes};
        let entry = |url: &str| {
            format!(
                r#"{{"startedDateTime":"2024-01-01T00:00:00Z","time":10,"request":{{"method":"GET","url":"{url}","headers":[]}},"response":{{"status":200,"headers":[],"content":{{"size":1,"mimeType":"text/javascript"}}}},"timings":{{"send":1,"wait":5,"receive":4}}}}"#
            )
        };
        let har = format!(
            r#"{{"log":{{"entries":[{},{},{}]}}}}"#,
            entry("https://www.google.com/"),
            entry("https://www.gstatic.com/og/app.js"),
            entry("https://shop.example.com/")
        );
        let p = parse_har_bytes(0, None, har.as_bytes(), &IngestOptions::default());
        let ds = Dataset {
            requests: p.records.requests,
            ..Dataset::default()
        };
        let infer = |seed: &str| {
            let seeds: BTreeSet<String> = [seed.to_string()].into();
            infer_first_party(&ds, &[], &seeds, &BTreeMap::new())
        };
        let google = infer("google.com");
        let g = google.iter().find(|d| d.domain == "gstatic.com");
        assert_eq!(
            g.map(|d| d.reason.as_str()),
            Some("same owner as the site (google.com)")
        );
        let shop = infer("example.com");
        assert!(shop.iter().all(|d| d.domain != "gstatic.com"), "{shop:?}");
    }

    /// Playwright's first page is the new tab's about:blank: no request,
    /// no title, no load event. It is not a page load; a page that tried
    /// to load (its title the URL, its requests dropped by chrome-har) is.
    #[test]
    fn a_blank_tab_is_not_a_page_load() {
        use crate::ingest::{IngestOptions, har::parse_har_bytes};
        let har = r#"{"log":{"creator":{"name":"Playwright","version":"1.65.1"},"pages":[
            {"startedDateTime":"2024-01-01T00:00:00Z","id":"blank","title":"","pageTimings":{"onContentLoad":-1,"onLoad":-1}},
            {"startedDateTime":"2024-01-01T00:00:05Z","id":"p1","title":"Shop","pageTimings":{"onContentLoad":200,"onLoad":400}},
            {"startedDateTime":"2024-01-01T00:00:15Z","id":"p2","title":"https://shop.example.com/","pageTimings":{"onContentLoad":-1,"onLoad":-1}}],
            "entries":[{"pageref":"p1","startedDateTime":"2024-01-01T00:00:05Z","time":10,"request":{"method":"GET","url":"https://shop.example.com/","headers":[]},"response":{"status":200,"headers":[],"content":{"size":1,"mimeType":"text/html"}},"timings":{"send":1,"wait":5,"receive":4}}]}}"#;
        let p = parse_har_bytes(0, None, har.as_bytes(), &IngestOptions::default());
        let mut input = p.report;
        input.format = "har".into();
        let mut ds = Dataset {
            requests: p.records.requests,
            pages: p.records.pages,
            inputs: vec![input],
            ..Dataset::default()
        };
        assert_eq!(ds.pages.len(), 3);
        split_page_loads(&mut ds);
        let ids: Vec<&str> = ds.pages.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.iter().all(|id| !id.ends_with("blank")), "{ids:?}");
        assert!(
            ds.inputs[0]
                .warnings
                .iter()
                .any(|w| w.starts_with("1 blank tab page ")),
            "{:?}",
            ds.inputs[0].warnings
        );
    }
}
