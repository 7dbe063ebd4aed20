//! Every detector has a bundled incident where it must fire and one where
//! it must stay silent.

use faultlens::pipeline::{self, Request};
use std::path::Path;

fn fired(name: &str) -> Vec<&'static str> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/incidents")
        .join(name);
    let req = Request {
        paths: vec![dir.display().to_string()],
        ..Default::default()
    };
    let o = pipeline::run(&req, &mut Vec::new, &|_, _| {}).unwrap();
    o.findings
        .iter()
        .filter(|f| f.fired)
        .map(|f| f.code)
        .collect()
}

#[test]
fn each_detector_fires_where_it_must_and_not_elsewhere() {
    let cases = [
        ("FL101", "asana-global", "network-regional"),
        ("FL102", "chatgpt-slow-api", "asana-regional"),
        ("FL103", "asana-global", "chatgpt-slow-api"),
        ("FL104", "discord-messaging", "network-regional"),
        ("FL105", "asana-global", "chatgpt-slow-api"),
        ("FL110", "cdn-edge", "chatgpt-slow-api"),
        ("FL111", "network-regional", "chatgpt-slow-api"),
        ("FL201", "dns", "tls-cert"),
        ("FL301", "network-regional", "dns"),
        ("FL401", "tls-cert", "dns"),
        ("FL501", "cdn-edge", "asana-global"),
        ("FL601", "third-party", "asana-global"),
        ("FL701", "client-offline", "third-party"),
        ("FL801", "chatgpt-slow-api", "network-regional"),
        ("FL901", "asana-global", "network-regional"),
        ("FL902", "jira-waves", "asana-global"),
    ];
    let codes: Vec<&str> = faultlens::detect::registry()
        .iter()
        .map(|d| d.code)
        .collect();
    for (code, _, _) in &cases {
        assert!(codes.contains(code), "{code} not registered");
    }
    assert_eq!(codes.len(), cases.len(), "every detector needs a case here");
    let mut problems = Vec::new();
    for (code, fire, silent) in cases {
        if !fired(fire).contains(&code) {
            problems.push(format!("{code} did not fire on {fire}"));
        }
        if fired(silent).contains(&code) {
            problems.push(format!("{code} fired on {silent}"));
        }
    }
    for healthy in ["healthy", "noisy-healthy"] {
        let f = fired(healthy);
        if !f.is_empty() {
            problems.push(format!("{healthy}: {f:?} fired"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn findings_of(dir: &str) -> Vec<faultlens::detect::Finding> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let req = Request {
        paths: vec![dir.display().to_string()],
        ..Default::default()
    };
    pipeline::run(&req, &mut Vec::new, &|_, _| {})
        .unwrap()
        .findings
}

fn weight_of(fs: &[faultlens::detect::Finding], code: &str, domain: &str) -> f64 {
    fs.iter()
        .filter(|f| f.code == code)
        .flat_map(|f| &f.supports)
        .filter(|s| s.domain.as_str() == domain)
        .map(|s| s.weight)
        .sum()
}

/// A fault one region of three saw is a third of the window's requests at
/// most: the lab's regional DNS and TLS failures fire their detectors from
/// the vantage that saw them, and the clean rest of the world does not
/// argue them away (real Chromium captures, `fixtures/lab`).
#[test]
fn regional_failures_are_judged_where_they_were_seen() {
    let dns = findings_of("fixtures/lab/dns-servfail-cdn-us-east");
    let f = dns.iter().find(|f| f.code == "FL201").unwrap();
    assert!(f.fired, "{}", f.summary);
    assert!(
        f.regions.contains(&"us-east".to_string()),
        "{:?}",
        f.regions
    );
    assert!(weight_of(&dns, "FL201", "dns") > 0.5);

    let tls = findings_of("fixtures/lab/tls-wrongname-app-ap-south");
    let f = tls.iter().find(|f| f.code == "FL401").unwrap();
    assert!(f.fired, "{}", f.summary);
    assert_eq!(f.regions, vec!["ap-south".to_string()]);
    // and the other way: no DNS failure there, no TLS failure in the DNS case
    assert!(!tls.iter().any(|f| f.code == "FL201" && f.fired));
    assert!(!dns.iter().any(|f| f.code == "FL401" && f.fired));

    // a blackholed path: curl's "SSL connection timeout" is a stall, not a
    // certificate or protocol failure
    let hole = findings_of("fixtures/lab/network-blackhole-ap-south");
    assert!(!hole.iter().any(|f| f.code == "FL401" && f.fired));
}

/// Clean pings do not see resets, and an edge's error page blocked as ORB
/// is in no edge-served count: neither may argue hard against what the
/// browser saw fail. Where nothing of the kind failed, they still do.
#[test]
fn clean_probes_and_counts_do_not_talk_away_what_failed() {
    let reset = findings_of("fixtures/lab/network-reset-us-east");
    let w = weight_of(&reset, "FL301", "network");
    assert!(w < 0.0 && w > -0.5, "{w}");
    let tls = findings_of("fixtures/lab/tls-wrongname-app-ap-south");
    assert!(weight_of(&tls, "FL301", "network") <= -0.7);

    let edge = findings_of("fixtures/lab/cdn-edge-503-eu-west");
    assert_eq!(weight_of(&edge, "FL501", "cdn"), 0.0);
    let dns = findings_of("fixtures/lab/dns-servfail-cdn-us-east");
    assert!(weight_of(&dns, "FL501", "cdn") < 0.0);

    // one region's broken widget is 4 % of every region's third-party
    // requests, and a quarter of its own
    let widget = findings_of("fixtures/lab/thirdparty-widget-reset-ap-south");
    assert_eq!(weight_of(&widget, "FL601", "third_party"), 0.0);
    assert!(weight_of(&dns, "FL601", "third_party") < 0.0);
}

/// Ten page loads of a chrome-har capture (it keeps no request without a
/// response): the document and two scripts on www.example.com, two API calls
/// there, four images on the site's own img.example-cdn.com. From the
/// eighth load on, `gone` is missing: the image host's every request, or
/// the API calls.
fn capture_with_missing(gone: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faultlens-gone-{gone}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("har/region=office")).unwrap();
    let entry = |p: usize, ms: u32, url: &str, mime: &str| {
        format!(
            r#"{{"pageref":"page_{p}","startedDateTime":"2024-05-01T10:{p:02}:00.{ms:03}Z","request":{{"method":"GET","url":"{url}","headers":[]}},"response":{{"status":200,"statusText":"OK","headers":[],"content":{{"size":900,"mimeType":"{mime}"}}}},"timings":{{"blocked":1,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":40,"receive":2}},"time":43}}"#
        )
    };
    let (mut pages, mut entries) = (Vec::new(), Vec::new());
    for p in 0..10 {
        pages.push(format!(
            r#"{{"id":"page_{p}","startedDateTime":"2024-05-01T10:{p:02}:00.000Z","title":"Example","pageTimings":{{"onContentLoad":300,"onLoad":900}}}}"#
        ));
        entries.push(entry(p, 0, "https://www.example.com/", "text/html"));
        entries.push(entry(
            p,
            60,
            "https://www.example.com/static/app.js",
            "application/javascript",
        ));
        entries.push(entry(
            p,
            70,
            "https://www.example.com/static/ui.js",
            "application/javascript",
        ));
        if p < 7 || gone != "api" {
            entries.push(entry(
                p,
                400,
                "https://www.example.com/api/items",
                "application/json",
            ));
            entries.push(entry(
                p,
                420,
                "https://www.example.com/api/cart",
                "application/json",
            ));
        }
        if p < 7 || gone != "images" {
            for (i, name) in ["hero", "logo", "banner", "thumb"].iter().enumerate() {
                entries.push(entry(
                    p,
                    500 + i as u32,
                    &format!("https://img.example-cdn.com/p/{name}.jpg"),
                    "image/jpeg",
                ));
            }
        }
    }
    let har = format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"chrome-har","version":"0.11.0"}},"pages":[{}],"entries":[{}]}}}}"#,
        pages.join(","),
        entries.join(",")
    );
    std::fs::write(dir.join("har/region=office/capture.har"), har).unwrap();
    dir
}

/// A whole asset host gone without one recorded failure is a host the
/// browser never got an answer from (its name, its certificate, its
/// path), not the application; the application's calls gone are.
#[test]
fn a_whole_asset_host_gone_is_not_the_backend() {
    let dir = capture_with_missing("images");
    let fs = findings_of(dir.to_str().unwrap());
    assert!(
        weight_of(&fs, "FL105", "dns") > 0.0,
        "{:?}",
        fs.iter().find(|f| f.code == "FL105")
    );
    assert!(weight_of(&fs, "FL105", "backend") < 0.0);
    assert!(weight_of(&fs, "FL103", "backend") <= 0.0);
    let _ = std::fs::remove_dir_all(&dir);

    let dir = capture_with_missing("api");
    let fs = findings_of(dir.to_str().unwrap());
    assert!(weight_of(&fs, "FL105", "dns") <= 0.0);
    assert!(
        weight_of(&fs, "FL105", "backend") > 0.0,
        "{:?}",
        fs.iter().find(|f| f.code == "FL105")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// FL102 argues against the network only from connects it timed: the
/// generated slow API (new connections every minute, connect flat) keeps
/// the argument; a capture whose connections were all reused does not
/// (tests/real_structure.rs `server_wait_does_not_call_untimed_connects_flat`).
#[test]
fn server_wait_argues_against_the_network_from_timed_connects() {
    let fs = findings_of("fixtures/incidents/chatgpt-slow-api");
    let f = fs.iter().find(|f| f.code == "FL102").expect("FL102 ran");
    assert!(f.fired, "{}", f.summary);
    assert!(f.summary.contains("stayed flat"), "{}", f.summary);
    assert!(weight_of(&fs, "FL102", "network") < 0.0);
}
