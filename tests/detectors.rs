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
