//! Parquet export, the aggregation SQL on the local engine, and
//! `analyze --aggregates`: with every row kept the verdict and report are
//! byte-identical to a direct run; with a sample they agree on the verdict
//! and the counts stay exact through the count bins.

mod common;

use common::{planted, root, run, s};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fl-columnar-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn export_and_aggregate(fixture: &str, rate: &str, dir: &Path) -> PathBuf {
    let input = root().join("fixtures/incidents").join(fixture);
    let (tables, agg) = (dir.join("tables"), dir.join("agg"));
    run(&["-q", "export", s(&input), "--parquet", s(&tables)]);
    run(&[
        "-q",
        "aggregate",
        s(&tables),
        "--out",
        s(&agg),
        "--sample-rate",
        rate,
    ]);
    agg
}

#[test]
fn full_aggregates_give_the_same_bytes_as_a_direct_run() {
    for fixture in ["asana-global", "jira-waves", "healthy", "client-offline"] {
        let dir = tmp(fixture);
        let agg = export_and_aggregate(fixture, "1", &dir);
        let input = root().join("fixtures/incidents").join(fixture);
        for format in ["json", "markdown"] {
            let direct = run(&["-q", "analyze", s(&input), "--format", format]);
            let via = run(&["-q", "analyze", "--aggregates", s(&agg), "--format", format]);
            assert!(
                direct == via,
                "{fixture} --format {format}: the aggregates path differs from the direct run"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn export_is_hive_partitioned_by_day_and_source_kind() {
    let dir = tmp("layout");
    let input = root().join("fixtures/incidents/asana-global");
    let tables = dir.join("tables");
    run(&["-q", "export", s(&input), "--parquet", s(&tables)]);
    for p in [
        "inputs/part-0.parquet",
        "first_party/part-0.parquet",
        "probes/day=2025-08-06/source=probe-jsonl/part-0.parquet",
        "probes/day=2025-08-06/source=k6-json/part-0.parquet",
        "requests/day=2025-08-06/source=har/part-0.parquet",
        "server/day=2025-08-06/source=access-log/part-0.parquet",
        "changes/day=2025-08-06/source=changes-jsonl/part-0.parquet",
    ] {
        assert!(tables.join(p).is_file(), "missing {p}");
    }
    let inputs = faultlens::columnar::input_reports(&tables).unwrap();
    assert_eq!(inputs.len(), 6);
    assert!(
        inputs
            .iter()
            .any(|i| i.bad_records > 0 && !i.rejections.is_empty())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

fn evidence<'a>(v: &'a serde_json::Value, signal: &str) -> &'a serde_json::Value {
    v["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["signal"] == signal)
        .unwrap_or_else(|| panic!("no evidence {signal}"))
}

#[test]
fn a_sample_keeps_the_verdict_and_the_bins_keep_the_counts() {
    let dir = tmp("sample");
    let agg = export_and_aggregate("asana-global", "0.5", &dir);
    let input = root().join("fixtures/incidents/asana-global");
    let direct = json(&run(&["-q", "analyze", s(&input), "--format", "json"]));
    let via = json(&run(&[
        "-q",
        "analyze",
        "--aggregates",
        s(&agg),
        "--format",
        "json",
    ]));
    assert_eq!(
        via["verdict"]["fault_domain"],
        direct["verdict"]["fault_domain"]
    );
    assert_eq!(via["verdict"]["scope"], direct["verdict"]["scope"]);
    // window edges fall on the engine's minute bins, so the counts are
    // exact for the windows found: a direct run over the very same windows
    // must count the same requests, errors and 5xx (half of them would be
    // in the sample alone)
    let w = |name: &str| {
        let win = &via["windows"][name];
        format!(
            "{name}={}..{}",
            win["start"].as_str().unwrap(),
            win["end"].as_str().unwrap()
        )
    };
    let (before, during, after) = (w("before"), w("during"), w("after"));
    let same_windows = json(&run(&[
        "-q",
        "analyze",
        s(&input),
        "--format",
        "json",
        "--window",
        &before,
        "--window",
        &during,
        "--window",
        &after,
    ]));
    let signal = "first-party HTTP 5xx rate";
    let (exact, sampled) = (evidence(&same_windows, signal), evidence(&via, signal));
    for k in ["n_before", "n_during", "before", "during", "after"] {
        assert_eq!(sampled[k], exact[k], "{k}");
    }
    assert!(exact["n_during"].as_u64().unwrap() > 50);
    // and the sample really is a sample
    let tables = faultlens::columnar::import(&agg).unwrap();
    assert!(tables.sample_rate == 0.5);
    assert_eq!(tables.bin_ms, 60_000);
    let full: u64 = 432;
    let kept = tables.dataset.probes.len() as u64;
    assert!(
        kept > full / 3 && kept < full * 2 / 3,
        "kept {kept} of {full}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_refuses_a_directory_that_is_not_empty() {
    let dir = tmp("nonempty");
    std::fs::create_dir_all(dir.join("probes/day=2020-01-01")).unwrap();
    let input = root().join("fixtures/incidents/asana-global");
    let o = Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(["export", s(&input), "--parquet", s(&dir)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Parquet pages are compressed, so the check reads the tables back.
fn leaked(tables: &Path) -> Vec<String> {
    let imp = faultlens::columnar::import(tables).unwrap();
    let text = format!("{:?} {:?}", imp.dataset, imp.first_party);
    planted()
        .into_iter()
        .filter(|p| text.contains(p.as_str()))
        .collect()
}

#[test]
fn exported_tables_carry_no_planted_secret() {
    let dir = tmp("secrets");
    let input = root().join("fixtures/secrets");
    let (safe, raw) = (dir.join("safe"), dir.join("raw"));
    run(&["-q", "export", s(&input), "--parquet", s(&safe)]);
    assert_eq!(leaked(&safe), Vec::<String>::new());
    // control: the opt-out does write them, so the check can fail
    run(&[
        "-q",
        "export",
        s(&input),
        "--parquet",
        s(&raw),
        "--unsafe-include-secrets",
    ]);
    assert!(!leaked(&raw).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sql_prints_every_statement_and_checks_its_parameters() {
    let out =
        String::from_utf8(run(&["sql", "--sample-rate", "0.25", "--bin-seconds", "5"])).unwrap();
    for name in [
        "inputs",
        "requests",
        "probes",
        "request_bins",
        "probe_bins",
        "sample",
    ] {
        assert!(out.contains(&format!("-- name: {name}\n")), "{name}");
    }
    assert!(out.contains("sample_key < 1073741824"));
    assert!(out.contains("ts_ms % 5000"));
    assert!(!out.contains('{'), "unfilled parameter");
    let bad = Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(["sql", "--sample-rate", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn an_unknown_directory_is_an_error_not_a_panic() {
    let dir = tmp("empty");
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(["analyze", "--aggregates", s(&dir)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no inputs table"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_truncated_or_foreign_parquet_file_is_an_error_naming_it() {
    let dir = tmp("corrupt");
    let agg = export_and_aggregate("asana-global", "1", &dir);
    let part = common::parquet_in(&agg.join("probes"));
    let bytes = std::fs::read(&part).unwrap();
    for bad in [bytes[..bytes.len() / 2].to_vec(), b"not parquet\n".to_vec()] {
        std::fs::write(&part, &bad).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_faultlens"))
            .args(["analyze", "--aggregates", s(&agg)])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("part-0.parquet"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
