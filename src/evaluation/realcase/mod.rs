//! Labelled cases built from real page loads, for tuning and judging the
//! verdict on real page structures (issue 19).
//!
//! The scenario generator's worlds are small and regular; real pages have a
//! hundred hosts, sibling CDN domains, beacons and a producer's own idea of
//! how to write a failure, and the verdict has to work on those. So each
//! case here starts from a real capture (`../shared/corpus/har`, listed in
//! its MANIFEST.tsv): one real page load is taken as a [`Template`], repeated
//! into captures with realistic noise, and a fault is put on the requests it
//! would hit (by role: document, first-party API, static asset on the asset
//! host, third party), written exactly as that capture's producer writes
//! failures. `truth.json` carries the same keys as the generated bundles
//! (`fixtures/incidents/*/truth.json`) plus `mode`, `producer`, `source`,
//! `split`, `variant` and `seed`.
//!
//! # Failure shapes and where they come from
//!
//! | producer | failed request | read from |
//! | --- | --- | --- |
//! | Chrome DevTools | status 0, `_error: "net::ERR_*"`, all time in `blocked`, other phases -1, `_transferSize` 0 | mitmproxy `examples/contrib/import_har/har_files/timed_out.har` (ERR_INTERNET_DISCONNECTED, ERR_ABORTED) |
//! | chrome-har / Browsertime | the request is **removed** (`Network.loadingFailed` deletes the entry: "not something that a HAR file can represent"); only HTTP errors appear | sitespeedio/chrome-har `index.js`, `lib/messageHandlers/network.js` |
//! | Playwright | status -1, `_failureText`, `time` -1, timings send/wait/receive -1, content size -1 `x-unknown`; one page for the whole tab | microsoft/playwright `server/har/harTracer.ts` (`createHarEntry`, `_onRequestFailed`); corpus `har-unstable-network.har` |
//! | Firefox | status 0, no error text, no mimeType, content size -1, integer phases up to where it stopped; ssl counted on top of connect; local-offset times | Firefox `devtools/client/netmonitor/src/har/har-builder.js` (`buildResponse`); corpus `firefox.har` |
//! | Safari | status 0, `_error` = the NSURLError description, timings -1 / send, wait, receive 0, time 0; one page `page_0` | WebKit `WebInspectorUI/.../HARBuilder.js`; corpus `safari.har` |
//! | BrowserMob Proxy | status 0, httpVersion "unknown", sizes -1, `_errorMessage` ("Unable to resolve host: h:443", "Unable to connect to host", "Response timed out", "No response received"), the dns/connect time it spent | browsermob-proxy `HarCaptureUtil.java`, `HarCaptureFilter.java` |
//! | WebPageTest | status = error code (12007 name not resolved, 12029 connect refused/timed out, 12031 reset, 12030 aborted, else 12999), `_responseCode` the same, phases it measured | WebPageTest `har.inc.php` (status = (int)responseCode) and the Chrome agent's `netErrorStringToWptCode` |
//!
//! HTTP errors are recorded by every producer as a status with headers. CDN
//! edge errors carry the edge's headers (Cloudflare `server: cloudflare` +
//! `cf-ray`; CloudFront `x-cache: Error from cloudfront` + `via ...
//! (CloudFront)` + `x-amz-cf-*`; Fastly `x-served-by: cache-...` + `via: 1.1
//! varnish`; Akamai `server: AkamaiGHost`); in Chromium 114+ captures a
//! cross-origin image or script whose error body is HTML is
//! `net::ERR_BLOCKED_BY_ORB` with no status.
//!
//! # Tune and holdout
//!
//! The lead tunes on [`Split::Tune`] only; [`Split::Holdout`] is what is
//! reported. The split is by source (different sites, different producers)
//! and by seed: tune sources use seeds 1-3, holdout sources seeds 1001-1003.
//!
//! - tune: Wikipedia (chrome-har, Browsertime), Ferguson (chrome-har),
//!   mitmproxy.org (Firefox 111), google.com (Chrome DevTools), walmart.com
//!   dev (held out until stop 31), plus the chrome-har loads restyled as
//!   DevTools and Playwright captures (and Ferguson and walmart as BrowserMob
//!   Proxy captures);
//! - holdout: nytimes.com, aftonbladet.se and expressen.se (WebPageTest),
//!   mytoys.de (chrome-har, and restyled as DevTools, Playwright,
//!   BrowserMob), mitmproxy.org (Safari), run.sitespeed.io (Firefox 43).

mod build;
mod case;
mod entry;
mod plan;
mod producer;
mod render;
mod response;
mod restyle;
mod template;

pub use build::{Load, build_load};
pub use case::{Case, CaseSpec, Mode, build_case, case_id};
pub use plan::{Edge, FaultKind, FaultPlan};
pub use producer::{NetError, Outcome, Producer, Stop, apply, total_time};
pub use render::{fmt_time, render};
pub use restyle::restyle;
pub use template::{
    PageLoad, Role, Site, TEntry, Template, infer_site, page_loads, read_har, sibling_names,
    template,
};

use std::path::Path;

/// Why a case could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RealcaseError {
    #[error("reading {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("not a HAR: {0}")]
    NotHar(String),
    #[error("no usable page load in the capture")]
    NoPageLoad,
    #[error("fault {0} does not apply to this page (nothing it would hit)")]
    NotApplicable(String),
}

/// Which set a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Split {
    Tune,
    Holdout,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Holdout => "holdout",
        }
    }
    pub fn seeds(self) -> &'static [u64] {
        match self {
            Split::Tune => &[1, 2, 3],
            Split::Holdout => &[1001, 1002, 1003],
        }
    }
}

/// A real capture the grid builds from.
#[derive(Debug, Clone)]
pub struct SourceDef {
    /// File name in the corpus folder.
    pub file: &'static str,
    /// Short name used in case ids.
    pub short: &'static str,
    pub split: Split,
    /// Which page load of the file is the template.
    pub load: usize,
    /// Chromium producers the load is also written as.
    pub restyles: &'static [Producer],
    /// The site's own domains the name test cannot see (google.com's
    /// gstatic.com).
    pub siblings: &'static [&'static str],
}

/// The grid's sources (files of `../shared/corpus/har`).
pub const SOURCES: &[SourceDef] = &[
    SourceDef {
        file: "sitespeedio__compare__browsertime-chrome-wikipedia.har.gz",
        short: "wikipedia",
        split: Split::Tune,
        load: 0,
        restyles: &[Producer::DevTools, Producer::Playwright],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__ferguson.har",
        short: "ferguson",
        split: Split::Tune,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    SourceDef {
        file: "mitmproxy__mitmproxy__firefox.har",
        short: "mitmproxy-ff",
        split: Split::Tune,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "mitmproxy__mitmproxy__timed_out.har",
        short: "google",
        split: Split::Tune,
        load: 1,
        restyles: &[],
        siblings: &["gstatic.com"],
    },
    SourceDef {
        file: "sitespeedio__pagexray__www.nytimes.com.har",
        short: "nytimes",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__304.har",
        short: "walmart",
        // held out until stop 31, when its 33 backend-called-cdn misses
        // were read case by case: tune since (see fixtures/realcase/README.md)
        split: Split::Tune,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    SourceDef {
        file: "mitmproxy__mitmproxy__safari.har",
        short: "mitmproxy-safari",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__minusSizeForContentFirefox.har",
        short: "sitespeed-ff43",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    // Three sites added in stop 31, never looked at case by case: two news
    // sites (WebPageTest) and a retailer (chrome-har, restyled). Not in
    // ../shared/corpus: `git show` them from sitespeedio/pagexray (commit
    // c9f22741d20bdb171b695de66fe2614d43fdb961) into the corpus folder under
    // these names (fixtures/realcase/README.md); absent, they are skipped.
    SourceDef {
        file: "sitespeedio__pagexray__aftonbladet.se.har",
        short: "aftonbladet",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__expressen.har",
        short: "expressen",
        // held out in stop 31, the worst holdout site (its client, dns and
        // cdn misses read only as counts): tune since stop 32, when two
        // unseen sites took its place
        split: Split::Tune,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__mytoys.de.har",
        short: "mytoys",
        split: Split::Holdout,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    // Two sites added in stop 32 when expressen moved to tune, never looked
    // at case by case: a Swedish lock maker's site (chrome-har 0.2.3,
    // restyled) and linkedin.com (Firefox 43), from the same pagexray
    // commit.
    SourceDef {
        file: "sitespeedio__pagexray__assa.har",
        short: "assa",
        split: Split::Holdout,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    SourceDef {
        file: "sitespeedio__pagexray__linkedin.har",
        short: "linkedin",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
];

/// The committed sources (`fixtures/realcase/sources`): one page load each
/// of the corpus files above, bodies and cookies stripped, so tests and the
/// committed cases need no `../shared`.
pub const FIXTURE_SOURCES: &[SourceDef] = &[
    SourceDef {
        file: "wikipedia-chrome-har-run1.har.gz",
        short: "wikipedia",
        split: Split::Tune,
        load: 0,
        restyles: &[Producer::DevTools, Producer::Playwright],
        siblings: &[],
    },
    SourceDef {
        file: "mitmproxy-firefox.har.gz",
        short: "mitmproxy-ff",
        split: Split::Tune,
        load: 0,
        restyles: &[Producer::BrowserMob],
        siblings: &[],
    },
    SourceDef {
        file: "google-devtools-page2.har.gz",
        short: "google",
        split: Split::Tune,
        load: 0,
        restyles: &[],
        siblings: &["gstatic.com"],
    },
    SourceDef {
        file: "expressen-wpt-firstview.har.gz",
        short: "expressen",
        split: Split::Tune,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "nytimes-wpt-firstview.har.gz",
        short: "nytimes",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "mitmproxy-safari.har.gz",
        short: "mitmproxy-safari",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    // held-out sites of the grid above, committed (stop 32) so the
    // calibration is measured on more than two held-out pages without
    // ../shared: one page load each, from sitespeedio/pagexray at c9f22741
    SourceDef {
        file: "aftonbladet-wpt-firstview.har.gz",
        short: "aftonbladet",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
    SourceDef {
        file: "mytoys-chrome-har.har.gz",
        short: "mytoys",
        split: Split::Holdout,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    SourceDef {
        file: "assa-chrome-har.har.gz",
        short: "assa",
        split: Split::Holdout,
        load: 0,
        restyles: &[
            Producer::DevTools,
            Producer::Playwright,
            Producer::BrowserMob,
        ],
        siblings: &[],
    },
    SourceDef {
        file: "linkedin-firefox.har.gz",
        short: "linkedin",
        split: Split::Holdout,
        load: 0,
        restyles: &[],
        siblings: &[],
    },
];

/// The committed case set: (fixture source, producer, mode, kind, seed).
pub const FIXTURE_CASES: &[(&str, Producer, Mode, FaultKind, u64)] = &[
    (
        "wikipedia",
        Producer::ChromeHar,
        Mode::Single,
        FaultKind::Backend,
        1,
    ),
    (
        "wikipedia",
        Producer::Playwright,
        Mode::Single,
        FaultKind::Dns,
        1,
    ),
    (
        "wikipedia",
        Producer::ChromeHar,
        Mode::Sparse,
        FaultKind::Cdn,
        1,
    ),
    (
        "wikipedia",
        Producer::DevTools,
        Mode::Compare,
        FaultKind::Backend,
        2,
    ),
    (
        "wikipedia",
        Producer::Playwright,
        Mode::Compare,
        FaultKind::Cdn,
        3,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Single,
        FaultKind::Tls,
        1,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Compare,
        FaultKind::Client,
        1,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Sparse,
        FaultKind::Healthy,
        1,
    ),
    (
        "mitmproxy-ff",
        Producer::BrowserMob,
        Mode::Single,
        FaultKind::Network,
        3,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Single,
        FaultKind::Network,
        1,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Compare,
        FaultKind::ThirdParty,
        1,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Compare,
        FaultKind::Cdn,
        1,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Timeline,
        FaultKind::Dns,
        2,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Single,
        FaultKind::Healthy,
        2,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Single,
        FaultKind::Dns,
        1001,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Compare,
        FaultKind::BackendSlow,
        1001,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Sparse,
        FaultKind::Backend,
        1001,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Single,
        FaultKind::Healthy,
        1001,
    ),
    (
        "wikipedia",
        Producer::ChromeHar,
        Mode::Single,
        FaultKind::Dns,
        2,
    ),
    (
        "wikipedia",
        Producer::ChromeHar,
        Mode::Single,
        FaultKind::Tls,
        2,
    ),
    (
        "wikipedia",
        Producer::ChromeHar,
        Mode::Single,
        FaultKind::Client,
        2,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Timeline,
        FaultKind::BackendSlow,
        1,
    ),
    (
        "wikipedia",
        Producer::DevTools,
        Mode::Single,
        FaultKind::BackendSlow,
        2,
    ),
    (
        "wikipedia",
        Producer::DevTools,
        Mode::Sparse,
        FaultKind::BackendPartial,
        1,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Single,
        FaultKind::Dns,
        2,
    ),
    (
        "mitmproxy-ff",
        Producer::Firefox,
        Mode::Compare,
        FaultKind::Network,
        2,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Single,
        FaultKind::Backend,
        3,
    ),
    (
        "google",
        Producer::DevTools,
        Mode::Compare,
        FaultKind::Healthy,
        3,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Single,
        FaultKind::Backend,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Single,
        FaultKind::Dns,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Single,
        FaultKind::Cdn,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Compare,
        FaultKind::Network,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Timeline,
        FaultKind::Tls,
        1003,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Sparse,
        FaultKind::Client,
        1003,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Compare,
        FaultKind::ThirdParty,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Timeline,
        FaultKind::BackendPartial,
        1002,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Single,
        FaultKind::BackendSlow,
        1003,
    ),
    (
        "mitmproxy-safari",
        Producer::WebKit,
        Mode::Sparse,
        FaultKind::Healthy,
        1002,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Single,
        FaultKind::Backend,
        1002,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Compare,
        FaultKind::Cdn,
        1002,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Sparse,
        FaultKind::Network,
        1003,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Single,
        FaultKind::Tls,
        1002,
    ),
    (
        "nytimes",
        Producer::WebPageTest,
        Mode::Single,
        FaultKind::Healthy,
        1003,
    ),
];

/// Build the committed case set from `sources` (the `fixtures/realcase/sources`
/// folder) into `out`, at `scale` (fewer loads keep the set small).
pub fn build_fixture_cases(
    sources: &Path,
    out: &Path,
    scale: f64,
) -> Result<Vec<Case>, RealcaseError> {
    let mut cases = Vec::new();
    for (short, producer, mode, kind, seed) in FIXTURE_CASES {
        let Some(s) = FIXTURE_SOURCES.iter().find(|s| s.short == *short) else {
            continue;
        };
        let ts = source_templates(sources, s)?;
        let Some(t) = ts.iter().find(|t| t.producer == *producer) else {
            continue;
        };
        let spec = CaseSpec {
            kind: *kind,
            mode: *mode,
            seed: *seed,
            source: s.file.to_string(),
            gzip: true,
            scale,
            split: s.split.name().to_string(),
        };
        cases.push(build_case(t, s.short, &spec, &out.join(s.split.name()))?);
    }
    Ok(cases)
}

/// The templates of one source: as recorded, then each restyle.
pub fn source_templates(corpus: &Path, s: &SourceDef) -> Result<Vec<Template>, RealcaseError> {
    let har = read_har(&corpus.join(s.file))?;
    let t = template(&har, s.load, s.siblings)?;
    let mut v = vec![t.clone()];
    for p in s.restyles {
        v.push(restyle(&t, *p));
    }
    Ok(v)
}
