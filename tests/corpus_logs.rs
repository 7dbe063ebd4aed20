//! Log readers against real files: the shared third-party corpus (skipped
//! when ../shared is absent) and the small fixtures under fixtures/logs/.

use faultlens::ingest::{self, IngestOptions, InputFile};
use faultlens::model::{ErrorClass, LocKind, ProbeKind};
use std::path::{Path, PathBuf};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/logs");

fn load(path: &Path) -> InputFile {
    InputFile {
        id: 0,
        path: path.display().to_string(),
        vantage: None,
        bytes: std::fs::read(path).unwrap(),
        read_error: None,
    }
}

fn fixture(name: &str) -> ingest::Parsed {
    ingest::parse_file(
        &load(&PathBuf::from(FIXTURES).join(name)),
        &IngestOptions::default(),
    )
}

fn corpus_dir() -> Option<PathBuf> {
    let d = PathBuf::from(SHARED).join("corpus/logs");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: shared corpus not found at {}", d.display());
        None
    }
}

fn bad_lines(p: &ingest::Parsed) -> Vec<u64> {
    p.report.rejections.iter().map(|r| r.at.n).collect()
}

#[test]
fn corpus_access_logs_read_with_manifest_counts() {
    let Some(dir) = corpus_dir() else { return };
    let cases = [
        ("netdata__go.d.plugin__common.log", "access-log", 456, 44),
        ("netdata__go.d.plugin__full.log", "access-log", 452, 48),
        ("netdata__go.d.plugin__u_ex221107.log", "iis-w3c", 152, 0),
    ];
    for (name, format, records, bad) in cases {
        let p = ingest::parse_file(&load(&dir.join(name)), &IngestOptions::default());
        assert_eq!(p.report.format, format, "{name}");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (records, bad),
            "{name}"
        );
        assert_eq!(p.records.server.len() as u64, records, "{name}");
        assert!(p.report.skipped.is_none());
        for r in &p.report.rejections {
            assert_eq!(r.at.kind, LocKind::Line);
            assert!(r.at.n >= 1 && r.at.n <= 500);
        }
    }
    // the junk lines are the ones rejected, by line number
    let text = std::fs::read_to_string(dir.join("netdata__go.d.plugin__common.log")).unwrap();
    let junk: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("Unmatched!"))
        .map(|(i, _)| i as u64 + 1)
        .take(20)
        .collect();
    let p = ingest::parse_file(
        &load(&dir.join("netdata__go.d.plugin__common.log")),
        &IngestOptions::default(),
    );
    assert_eq!(bad_lines(&p), junk);
    let first = &p.records.server[0];
    assert_eq!(first.ts.to_rfc3339(), "2009-03-22T08:30:31+00:00");
    assert_eq!(
        (
            first.method.as_str(),
            first.endpoint.as_str(),
            first.status,
            first.bytes
        ),
        ("POST", "/example.net", 100, Some(3441))
    );
    // IIS: time-taken is milliseconds, directives are neither records nor rejections
    let iis = ingest::parse_file(
        &load(&dir.join("netdata__go.d.plugin__u_ex221107.log")),
        &IngestOptions::default(),
    );
    assert_eq!(iis.records.server[0].request_ms, Some(130.0));
    assert_eq!(iis.records.server[0].source.n, 5);
    // vhost prefix
    let full = ingest::parse_file(
        &load(&dir.join("netdata__go.d.plugin__full.log")),
        &IngestOptions::default(),
    );
    assert_eq!(
        full.records.server[0].vhost.as_deref(),
        Some("198.51.100.1")
    );
    assert_eq!(
        full.records.server[0].request_ms, None,
        "unknown trailing fields are not read as times"
    );
}

#[test]
fn corpus_non_access_logs_are_unrecognised() {
    let Some(dir) = corpus_dir() else { return };
    for name in [
        "netdata__go.d.plugin__custom.log",
        "netdata__go.d.plugin__custom_time_fields.log",
        "curl-test970.txt",
    ] {
        let p = ingest::parse_file(&load(&dir.join(name)), &IngestOptions::default());
        assert_eq!(p.report.format, "unrecognised", "{name}");
        assert!(p.report.skipped.is_some());
        assert_eq!(p.report.bad_records, 0);
    }
}

#[test]
fn corpus_curl_test970_json_object_reads() {
    let Some(dir) = corpus_dir() else { return };
    let text = std::fs::read_to_string(dir.join("curl-test970.txt")).unwrap();
    let start =
        text.find("<stdout nonewline=\"yes\">\n").unwrap() + "<stdout nonewline=\"yes\">\n".len();
    let end = start + text[start..].find("\n</stdout>").unwrap();
    let json = text[start..end]
        .replace("%HOSTIP", "127.0.0.1")
        .replace("%HTTPPORT", "8990")
        .replace("%TESTNUMBER", "970")
        .replace("%LOGDIR", "log");
    let line = format!("2010-11-09T14:49:00Z {json}\n");
    let f = InputFile {
        id: 0,
        path: "t970".into(),
        vantage: None,
        bytes: line.into_bytes(),
        read_error: None,
    };
    let p = ingest::parse_file(&f, &IngestOptions::default());
    assert_eq!(p.report.format, "curl-json");
    assert_eq!(p.report.records, 1, "{:?}", p.report.rejections);
    let r = &p.records.probes[0];
    assert_eq!(r.status, Some(200));
    assert_eq!(r.target, "http://127.0.0.1:8990/970");
    assert!((r.phases.total_ms.unwrap() - 0.013).abs() < 1e-9);
    assert_eq!(r.phases.tls_ms, Some(0.0));
}

#[test]
fn corpus_har_files_not_claimed_by_log_formats() {
    let Some(dir) = corpus_dir() else { return };
    let har = dir.parent().unwrap().join("har");
    let logs = [
        "probe-jsonl",
        "probe-csv",
        "changes-jsonl",
        "changes-csv",
        "k6-json",
        "curl-json",
        "ripe-atlas",
        "ping",
        "mtr-json",
        "access-log",
        "iis-w3c",
    ];
    for e in std::fs::read_dir(har).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let claimed = ingest::detect(&bytes).map(|f| f.name);
        assert!(
            !claimed.is_some_and(|n| logs.contains(&n)),
            "{} claimed by {:?}",
            path.display(),
            claimed
        );
    }
}

#[test]
fn fixtures_probe_and_change_logs() {
    let p = fixture("probe.jsonl");
    assert_eq!(
        (
            p.report.format.as_str(),
            p.report.records,
            p.report.bad_records
        ),
        ("probe-jsonl", 60, 2)
    );
    assert_eq!(bad_lines(&p), vec![8, 21]);
    let regions: std::collections::BTreeSet<&str> =
        p.records.probes.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions.len(), 3);
    assert!(
        p.records
            .probes
            .iter()
            .any(|r| r.status == Some(503) && r.phases.wait_ms.unwrap() > 2000.0)
    );
    let c = fixture("probe.csv");
    assert_eq!(
        (
            c.report.format.as_str(),
            c.report.records,
            c.report.bad_records
        ),
        ("probe-csv", 20, 1)
    );
    assert_eq!(bad_lines(&c), vec![6]);
    assert!(
        c.records
            .probes
            .iter()
            .any(|r| r.kind == ProbeKind::Dns && r.error_class == Some(ErrorClass::DnsServfail))
    );
    assert!(
        c.records
            .probes
            .iter()
            .any(|r| r.kind == ProbeKind::Page && r.component_errors == Some(19.0))
    );
    let j = fixture("changes.jsonl");
    assert_eq!(
        (
            j.report.format.as_str(),
            j.report.records,
            j.report.bad_records
        ),
        ("changes-jsonl", 4, 1)
    );
    assert_eq!(
        j.records.changes[2].ts.to_rfc3339(),
        "2025-02-06T09:10:00+00:00"
    );
    let v = fixture("changes.csv");
    assert_eq!(
        (
            v.report.format.as_str(),
            v.report.records,
            v.report.bad_records
        ),
        ("changes-csv", 3, 1)
    );
}

#[test]
fn fixtures_k6_curl_atlas() {
    let k = fixture("k6.json");
    assert_eq!(
        (
            k.report.format.as_str(),
            k.report.records,
            k.report.bad_records
        ),
        ("k6-json", 12, 1)
    );
    assert_eq!(bad_lines(&k), vec![41]);
    assert_eq!(
        k.records
            .probes
            .iter()
            .filter(|r| r.error_class == Some(ErrorClass::Timeout))
            .count(),
        2
    );
    assert!(
        k.records
            .probes
            .iter()
            .all(|r| r.agent == "checkout" && r.phases.wait_ms.is_some())
    );
    let c = fixture("curl.log");
    assert_eq!(
        (
            c.report.format.as_str(),
            c.report.records,
            c.report.bad_records
        ),
        ("curl-json", 8, 1)
    );
    assert_eq!(
        c.records
            .probes
            .iter()
            .filter(|r| r.error_class == Some(ErrorClass::NameNotResolved))
            .count(),
        1
    );
    let o = IngestOptions {
        vantage_map: ingest::atlas::load_vantage_map(
            &std::fs::read_to_string(PathBuf::from(FIXTURES).join("vantage-map.csv")).unwrap(),
        )
        .unwrap(),
        ..Default::default()
    };
    let a = ingest::parse_file(&load(&PathBuf::from(FIXTURES).join("atlas-ping.json")), &o);
    assert_eq!(
        (
            a.report.format.as_str(),
            a.report.records,
            a.report.bad_records
        ),
        ("ripe-atlas", 30, 0)
    );
    assert_eq!(
        a.records
            .probes
            .iter()
            .filter(|r| r.region == "eu-west" && r.loss_pct == Some(100.0))
            .count(),
        3
    );
    assert!(
        a.records
            .probes
            .iter()
            .all(|r| r.source.kind == LocKind::Entry)
    );
    let l = fixture("atlas.jsonl");
    assert_eq!(
        (
            l.report.format.as_str(),
            l.report.records,
            l.report.bad_records
        ),
        ("ripe-atlas", 9, 0)
    );
    // the wifi result carries no latency, loss or failure: a warning, not a rejection
    assert!(l.report.warnings.iter().any(|w| w.contains("wifi")));
    assert!(
        l.records
            .probes
            .iter()
            .any(|r| r.error_class == Some(ErrorClass::CertError))
    );
    assert!(
        l.records
            .probes
            .iter()
            .any(|r| r.error_class == Some(ErrorClass::DnsServfail))
    );
    assert!(
        l.records
            .probes
            .iter()
            .any(|r| r.error_class == Some(ErrorClass::DnsTimeout))
    );
    assert!(
        l.records.probes.iter().all(|r| r.region == r.agent),
        "no vantage map: region is the probe id"
    );
}

#[test]
fn fixtures_ping_mtr() {
    let p = fixture("ping-D.txt");
    assert_eq!(
        (
            p.report.format.as_str(),
            p.report.records,
            p.report.bad_records
        ),
        ("ping", 3, 0)
    );
    // `ping: sendmsg: Network is unreachable` (line 41) explains the next loss
    assert!(bad_lines(&p).is_empty());
    let lost: f64 = p.records.probes.iter().map(|r| r.loss_pct.unwrap()).sum();
    assert!(lost > 0.0);
    let m = fixture("mtr-0.93.txt");
    assert_eq!(
        (
            m.report.format.as_str(),
            m.report.records,
            m.report.bad_records
        ),
        ("mtr-json", 4, 0)
    );
    assert_eq!(m.records.probes[2].loss_pct, Some(30.0));
    assert!(m.records.probes[3].is_error());
    let n = fixture("mtr-0.95.jsonl");
    assert_eq!(
        (
            n.report.format.as_str(),
            n.report.records,
            n.report.bad_records
        ),
        ("mtr-json", 4, 1)
    );
    assert_eq!(bad_lines(&n), vec![3]);
}

#[test]
fn fixtures_access_logs() {
    let n = fixture("nginx-combined.log");
    assert_eq!(
        (
            n.report.format.as_str(),
            n.report.records,
            n.report.bad_records
        ),
        ("access-log", 120, 2)
    );
    assert_eq!(bad_lines(&n), vec![11, 51]);
    assert!(n.records.server.iter().all(|r| r.request_ms.is_some()));
    assert!(n.records.server.iter().any(|r| r.upstream_ms.is_none()));
    assert!(
        n.records
            .server
            .iter()
            .any(|r| r.status >= 502 && r.upstream_ms.unwrap_or(0.0) > 4000.0)
    );
    assert!(
        n.records
            .server
            .iter()
            .any(|r| r.endpoint == "/api/v1/projects/{id}/tasks")
    );
    let a = fixture("apache-vhost-D.log");
    assert_eq!(
        (
            a.report.format.as_str(),
            a.report.records,
            a.report.bad_records
        ),
        ("access-log", 40, 0)
    );
    assert!(a.records.server.iter().all(|r| r.vhost.as_deref() == Some("www.example.com") && r.request_ms.unwrap() < 251.0));
    let c = fixture("apache-common.log");
    assert_eq!(
        (
            c.report.format.as_str(),
            c.report.records,
            c.report.bad_records
        ),
        ("access-log", 20, 1)
    );
    let i = fixture("iis-w3c.log");
    assert_eq!(
        (
            i.report.format.as_str(),
            i.report.records,
            i.report.bad_records
        ),
        ("iis-w3c", 30, 1)
    );
    assert_eq!(bad_lines(&i), vec![13]);
    assert_eq!(
        i.records.server.iter().filter(|r| r.status == 500).count(),
        5
    );
    assert_eq!(
        i.records
            .server
            .iter()
            .filter(|r| r.bytes.is_some())
            .count(),
        10
    );
}
