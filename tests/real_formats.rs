//! Real files of real tools (fixtures/logs, origins in its README.md): each
//! read with its expected counts, and what the reports make of them.

use faultlens::detect::FaultDomain;
use faultlens::ingest::{self, IngestOptions, InputFile};
use faultlens::model::RunSummary;
use faultlens::report::runs;
use std::path::PathBuf;
use std::process::Command;

fn path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/logs")
        .join(name)
        .display()
        .to_string()
}

fn parse(name: &str) -> ingest::Parsed {
    let bytes = std::fs::read(path(name)).unwrap();
    ingest::parse_file(
        &InputFile::from_bytes(0, name, bytes),
        &IngestOptions::default(),
    )
}

fn summary(name: &str) -> RunSummary {
    let p = parse(name);
    p.report
        .run_summary
        .unwrap_or_else(|| panic!("{name}: no run summary ({:?})", p.report.rejections))
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(args)
        .output()
        .expect("run faultlens")
}

fn cli_json(args: &[&str]) -> serde_json::Value {
    let o = cli(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

/// Every real k6 summary: format, metrics read (records), rejected, checks.
#[test]
fn k6_summaries_read_with_their_counts() {
    let cases: [(&str, u64, usize); 7] = [
        // --summary-export files of real runs
        ("k6-export-qr-code.json", 17, 1),
        ("k6-export-ticket-reserve.json", 17, 1),
        ("k6-export-ticketing.json", 21, 4),
        // handleSummary data, pretty-printed and as JSON.stringify wrote it
        ("k6-handle-summary-circleci.json", 16, 0),
        ("k6-handle-summary-parabank.json", 17, 1),
        // k6's own summary tests
        ("k6-summary-export.json", 4, 3),
        ("k6-handle-summary.json", 4, 3),
    ];
    for (name, metrics, checks) in cases {
        let p = parse(name);
        assert_eq!(
            (
                p.report.format.as_str(),
                p.report.records,
                p.report.bad_records
            ),
            ("k6-summary", metrics, 0),
            "{name}: {:?}",
            p.report.rejections
        );
        assert!(p.records.is_empty(), "{name}: a summary gives no records");
        let s = p.report.run_summary.unwrap();
        assert_eq!(s.metrics.len() as u64, metrics, "{name}");
        assert_eq!(s.checks.len(), checks, "{name}");
    }
}

#[test]
fn k6_run_evidence_from_real_summaries() {
    let t = runs::run_out("t", &summary("k6-export-ticketing.json"));
    assert_eq!(t.http_reqs, Some(38974));
    assert_eq!(t.iterations, Some(28504));
    assert_eq!(t.http_req_failed_rate, Some(0.2297));
    assert_eq!(t.http_req_duration_p95_ms, Some(1669.0));
    assert_eq!(t.http_req_duration_p50_ms, Some(46.22));
    assert_eq!(t.checks_pass_rate, Some(0.7882));
    assert_eq!(t.failing_checks.len(), 2);
    assert!(
        t.thresholds_crossed
            .contains(&"http_req_duration{expected_response:true}: p(95)<500".to_string()),
        "{:?}",
        t.thresholds_crossed
    );
    // no p(95) asked for: absent, not invented
    let q = runs::run_out("q", &summary("k6-export-qr-code.json"));
    assert_eq!(q.http_req_duration_p95_ms, None);
    assert_eq!(q.http_req_duration_max_ms, Some(1737.0));
    assert_eq!(q.http_req_failed_rate, Some(0.0));
    // handleSummary: rate and run duration
    let c = runs::run_out("c", &summary("k6-handle-summary-circleci.json"));
    assert_eq!(c.duration_s, Some(8.3));
    assert_eq!(c.http_req_failed_rate, Some(0.0));
    assert_eq!(c.checks_pass_rate, None);
    assert!(c.thresholds_crossed.is_empty());
}

#[test]
fn k6_compare_readings() {
    // healthy rate limiter run against the ticketing run: 0% -> 23% failed
    let r = runs::readings(
        &summary("k6-export-qr-code.json"),
        &summary("k6-export-ticketing.json"),
    );
    assert_eq!(r[0].domain, FaultDomain::Backend, "{r:?}");
    assert!(r[0].text.contains("0.00% -> 22.97%"), "{r:?}");
    // ParaBank run (connections mostly reused) against the CircleCI run
    // (new connections to a far server): connect and TLS means up
    let r = runs::readings(
        &summary("k6-handle-summary-parabank.json"),
        &summary("k6-handle-summary-circleci.json"),
    );
    assert!(
        r.iter()
            .any(|x| x.domain == FaultDomain::Network && x.text.contains("27.6 -> 133.9")),
        "{r:?}"
    );
    assert!(!r.iter().any(|x| x.domain == FaultDomain::Backend), "{r:?}");
    // a run against itself: nothing to read
    let s = summary("k6-export-ticket-reserve.json");
    let r = runs::readings(&s, &s);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].domain, FaultDomain::None);
}

#[test]
fn compare_of_two_k6_runs_cli() {
    let v = cli_json(&[
        "compare",
        "--format",
        "json",
        "--baseline",
        &path("k6-export-qr-code.json"),
        "--incident",
        &path("k6-export-ticketing.json"),
    ]);
    assert_eq!(v["incident"][0]["http_req_failed_rate"], 0.2297);
    assert_eq!(v["readings"][0]["domain"], "backend");
    let o = cli(&[
        "compare",
        "--baseline",
        &path("k6-export-qr-code.json"),
        "--incident",
        &path("k6-export-ticketing.json"),
    ]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("what the difference points at:"), "{text}");
    assert!(text.contains("[backend] failed requests"), "{text}");
}

/// A summary beside timed records: listed as run evidence, and the
/// time-windowed verdict is the same as without it.
#[test]
fn analyze_lists_runs_without_touching_the_windows() {
    let probes = path("probe.jsonl");
    let run = path("k6-export-ticketing.json");
    let alone = cli_json(&["analyze", "--format", "json", &probes]);
    let with = cli_json(&["analyze", "--format", "json", &probes, &run]);
    assert!(alone.get("runs").is_none());
    assert_eq!(
        with["verdict"]["fault_domain"],
        alone["verdict"]["fault_domain"]
    );
    assert_eq!(with["windows"], alone["windows"]);
    assert_eq!(with["evidence"], alone["evidence"]);
    assert_eq!(with["runs"].as_array().unwrap().len(), 1);
    assert_eq!(with["runs"][0]["http_req_failed_rate"], 0.2297);
    let md = cli(&["analyze", "--format", "markdown", &probes, &run]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("## Load-test runs (whole-run aggregates)"),
        "{md}"
    );
    assert!(md.contains("22.97%"), "{md}");
    let table = cli(&["analyze", "--color", "never", &probes, &run]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("Load-test runs"), "{table}");
    // a summary alone: read, listed, no verdict invented from it
    let only = cli_json(&["analyze", "--format", "json", &run]);
    assert_eq!(only["runs"][0]["http_reqs"], 38974);
    assert_eq!(only["verdict"]["fault_domain"], "none");
}
