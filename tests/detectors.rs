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
