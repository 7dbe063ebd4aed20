//! One capture of the outage lab (`fixtures/lab`, real Chromium against
//! real servers on this machine) judged alone, as a user who saved one HAR
//! would have it judged: what real browser timing and a real page's
//! rotating content do to the rules that read slowness and lost
//! components.

mod common;
use common::outcome::{assert_domain, assert_fired_saying, finding};
use faultlens::accuracy::run_corpus;
use faultlens::pipeline::{self, Request};
use std::path::{Path, PathBuf};

fn lab(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/lab")
        .join(rel)
}

fn run(rel: &str) -> pipeline::Outcome {
    let req = Request {
        paths: vec![lab(rel).display().to_string()],
        ..Default::default()
    };
    pipeline::run(&req, &mut Vec::new, &|_, _| {}).expect("runs")
}

/// A healthy control's capture: three browsers and the servers share two
/// cores, and for a minute every answer is read late (x3.7), its own
/// loopback files as much as anyone's. That is the machine, not a path.
#[test]
fn a_busy_capturing_browser_is_not_a_slow_path() {
    let o = run("healthy-1/har/region=ap-south/playwright.har.gz");
    let f = finding(&o, "FL111");
    assert!(!f.fired, "{}", f.summary);
    assert!(
        f.summary.contains("capturing browser was busy"),
        "{}",
        f.summary
    );
    assert_domain(&o, "none");
}

/// The lab's regional delay (a proxy adding latency to every chunk) slows
/// the connects and the waits, not the reading: still a slow path.
#[test]
fn a_slow_path_is_not_a_busy_browser() {
    let o = run("network-latency-eu-west/har/region=eu-west/playwright.har.gz");
    assert_fired_saying(&o, "FL111", "every host slowed");
    assert_domain(&o, "network");
}

/// The shop's featured products change every minute: two product images
/// leave the page and two others take their place. Not lost components.
#[test]
fn rotating_products_are_not_vanished_components() {
    let o = run("healthy-deploy/har/region=us-east/playwright.har.gz");
    let f = finding(&o, "FL105");
    assert!(!f.fired, "{}", f.summary);
    assert!(f.summary.contains("rotating content"), "{}", f.summary);
    assert_domain(&o, "none");
    // a failing API takes its product images with it, none replaced
    let o = run("backend-503-global/har/region=us-east/playwright.har.gz");
    assert_fired_saying(&o, "FL105", "/img/p-");
}

/// `faultlens accuracy --corpus` judges a lab case whole, then each of its
/// captures alone: whole, and cut to the fault's span.
#[test]
fn the_lab_is_also_judged_one_capture_at_a_time() {
    let t = run_corpus(&lab("backend-503-global")).expect("runs");
    let modes = |m: &str| t.cases.iter().filter(|c| c.mode == m).count();
    assert_eq!(modes("timeline"), 1);
    // three regions, two producers
    assert_eq!(modes("single"), 6);
    assert_eq!(modes("single-during"), 6);
    assert_eq!(modes("compare"), 6);
    for c in &t.cases {
        // a global fault: every vantage saw it
        assert_eq!(c.expected, "backend");
        assert_eq!(
            c.got, "backend",
            "{} ({}): {:?}",
            c.kind, c.mode, c.raw.domain
        );
    }
    // a regional fault's other vantages are healthy controls
    let t = run_corpus(&lab("cdn-edge-503-eu-west")).expect("runs");
    let healthy = t
        .cases
        .iter()
        .filter(|c| c.mode != "timeline" && c.expected == "none")
        .count();
    assert_eq!(
        healthy, 12,
        "ap-south and us-east, two producers, three views"
    );
}

/// A capture with no page and no request (chrome-har saved while the site
/// could not be reached) is no input, and the error says what it means.
#[test]
fn an_empty_capture_says_why() {
    let dir = std::env::temp_dir().join(format!("faultlens-empty-har-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("empty.har");
    std::fs::write(
        &f,
        r#"{"log":{"version":"1.2","creator":{"name":"chrome-har","version":"0.13"},"pages":[],"entries":[]}}"#,
    )
    .unwrap();
    let req = Request {
        paths: vec![f.display().to_string()],
        ..Default::default()
    };
    let err = pipeline::run(&req, &mut Vec::new, &|_, _| {})
        .err()
        .expect("no usable input");
    let _ = std::fs::remove_dir_all(&dir);
    let msg = err.to_string();
    assert!(
        msg.contains("keep no request that got no response"),
        "{msg}"
    );
}

/// `compare` of one capture before and one during: one machine seen
/// twice, not two vantages, so the fault is that vantage's ("regional",
/// seen from one vantage), never "global".
#[test]
fn a_capture_pair_is_one_vantage_seen_twice() {
    let dir = std::env::temp_dir().join(format!("faultlens-pair-{}", std::process::id()));
    let (b, i) = (dir.join("before"), dir.join("during"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&i).unwrap();
    // no region folder: nothing names the vantage
    std::fs::copy(
        lab("healthy-1/har/region=us-east/playwright.har.gz"),
        b.join("capture.har.gz"),
    )
    .unwrap();
    std::fs::copy(
        lab("backend-503-global/har/region=us-east/playwright.har.gz"),
        i.join("capture.har.gz"),
    )
    .unwrap();
    let req = Request {
        paths: vec![i.display().to_string()],
        baseline: vec![b.display().to_string()],
        compare: true,
        ..Default::default()
    };
    let o = pipeline::run(&req, &mut Vec::new, &|_, _| {}).expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    let v = &o.verdict;
    assert_eq!(v.fault_domain.as_str(), "backend", "{}", v.summary);
    assert_eq!(v.scope, "regional", "{}", v.summary);
    assert_eq!(v.affected_regions, vec!["capture-0".to_string()]);
    assert!(v.summary.contains("seen from one vantage"), "{}", v.summary);
}

/// chrome-har drops the failing widget's requests (its script's 503 page
/// is blocked as ORB), so the widget's three components are simply gone
/// from 11 of 25 loads: more than a fifth of the capture, so "usual" is
/// also what the first and the last quarter of the loads make.
#[test]
fn components_gone_from_half_a_capture_were_usual_before() {
    let o = run("thirdparty-widget-503-global/har/region=eu-west/cdp.har.gz");
    assert_fired_saying(&o, "FL105", "widgets.reviewly.test");
    assert_domain(&o, "third_party");
    // the shop's rotating products are swapped, not missing, in any load
    let o = run("healthy-deploy/har/region=us-east/playwright.har.gz");
    let missing: Vec<&str> = o
        .analysis
        .loads
        .loads
        .iter()
        .flat_map(|l| &l.why)
        .filter(|w| w.contains("usual components missing"))
        .map(String::as_str)
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
}
