//! Drive the binary the way a user does: exit codes, formats, labels,
//! stdin, gzip, determinism across argument order and thread counts, and
//! the real captures in ../shared/corpus (skipped when absent).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faultlens"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn incident(name: &str) -> String {
    root()
        .join("fixtures/incidents")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run faultlens")
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json output")
}

#[test]
fn analyze_json_has_the_contract_fields() {
    let v = json(&["analyze", &incident("asana-global"), "--format", "json"]);
    for k in ["verdict", "windows", "evidence", "changes", "inputs"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let verdict = &v["verdict"];
    for k in [
        "fault_domain",
        "confidence",
        "scope",
        "affected_regions",
        "ruled_out",
        "summary",
    ] {
        assert!(verdict.get(k).is_some(), "missing verdict.{k}");
    }
    assert_eq!(verdict["fault_domain"], "backend");
    let c = verdict["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&c));
    assert!(["global", "regional", "none"].contains(&verdict["scope"].as_str().unwrap()));
    for r in verdict["ruled_out"].as_array().unwrap() {
        assert!(r["fault_domain"].is_string() && r["reason"].is_string());
    }
    for e in v["evidence"].as_array().unwrap() {
        for k in ["signal", "before", "during", "after", "supports", "weight"] {
            assert!(e.get(k).is_some(), "evidence missing {k}");
        }
    }
    for i in v["inputs"].as_array().unwrap() {
        for k in ["path", "format", "records", "bad_records"] {
            assert!(i.get(k).is_some(), "input missing {k}");
        }
    }
    assert!(v["windows"]["during"]["start"].is_string());
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["minutes_before_onset"].is_number())
    );
}

#[test]
fn output_is_deterministic_across_order_and_threads() {
    let d = root().join("fixtures/incidents/discord-messaging");
    let mut parts: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    parts.sort();
    let mut a = vec!["analyze".to_string(), "--format".into(), "json".into()];
    a.extend(parts.iter().cloned());
    let mut b = vec!["analyze".to_string(), "--format".into(), "json".into()];
    b.extend(parts.iter().rev().cloned());
    let one = bin()
        .args(&a)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let two = bin()
        .args(&b)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    assert!(one.status.success());
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&two.stdout)
    );
    let md1 = bin()
        .args(["analyze", "--format", "markdown"])
        .args(&parts)
        .output()
        .unwrap();
    let md2 = bin()
        .args(["analyze", "--format", "markdown"])
        .args(parts.iter().rev())
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert_eq!(md1.stdout, md2.stdout);
}

#[test]
fn vv_prints_stage_times_on_stderr_only() {
    let dir = incident("asana-global");
    let args = [
        "analyze",
        "--format",
        "json",
        "--now",
        "2025-02-06T12:00:00Z",
        &dir,
    ];
    let plain = run(&args);
    let vv = run(&[&["-vv"][..], &args[..]].concat());
    assert!(plain.status.success() && vv.status.success());
    assert_eq!(plain.stdout, vv.stdout, "-vv must not change the report");
    let err = String::from_utf8_lossy(&vv.stderr);
    for stage in [
        "discover+ingest",
        "model",
        "aggregate",
        "detect",
        "verdict",
        "report",
    ] {
        assert!(
            err.contains(&format!("faultlens: stage {stage}: ")),
            "{stage} missing in {err}"
        );
    }
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("stage "));
}

#[test]
fn exit_codes_follow_the_contract() {
    // no usable input
    let o = run(&["analyze", "/nonexistent/path/x.har"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no usable input"));
    // bad usage
    assert_ne!(run(&["analyze"]).status.code(), Some(0));
    let o = run(&[
        "analyze",
        &incident("healthy"),
        "--window",
        "during=nonsense",
    ]);
    assert_eq!(o.status.code(), Some(1));
    // analysis done, whatever the verdict
    assert_eq!(
        run(&["analyze", &incident("healthy"), "-q"]).status.code(),
        Some(0)
    );
}

#[test]
fn labels_stdin_and_gzip() {
    let har = root().join("fixtures/har");
    let any_har = std::fs::read_dir(&har)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "har"))
        .expect("a fixture HAR");
    let label = format!("lab-1={}", any_har.display());
    let v = json(&["analyze", "--format", "json", &label]);
    assert_eq!(v["inputs"][0]["vantage"], "lab-1");
    // stdin
    let bytes = std::fs::read(&any_har).unwrap();
    let mut child = bin()
        .args(["analyze", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"][0]["format"], "har");
    // gzip by content, whatever the name
    let tmp = std::env::temp_dir().join(format!("fl-cli-{}.bin", std::process::id()));
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&bytes).unwrap();
    std::fs::write(&tmp, e.finish().unwrap()).unwrap();
    let v = json(&["analyze", "--format", "json", tmp.to_str().unwrap()]);
    assert_eq!(v["inputs"][0]["format"], "har");
    std::fs::remove_file(&tmp).unwrap();
}

#[test]
fn explain_and_docs_are_in_sync() {
    let o = run(&["explain", "FL103"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("faster"));
    let o = run(&["explain", "--all", "--markdown"]);
    let doc = std::fs::read_to_string(root().join("docs/detectors.md")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        doc,
        "docs/detectors.md is stale: run `faultlens explain --all --markdown > docs/detectors.md`"
    );
    assert_eq!(run(&["explain", "nope"]).status.code(), Some(1));
}

#[test]
fn completions_and_man_page() {
    let o = run(&["completions", "bash"]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("faultlens"));
    let o = run(&["man"]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains(".TH"));
    let o = run(&["analyze", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Examples"));
}

fn corpus(name: &str) -> Option<String> {
    let p = root().join("../shared/corpus/har").join(name);
    if p.exists() {
        Some(p.display().to_string())
    } else {
        eprintln!("skipping: ../shared/corpus not present");
        None
    }
}

#[test]
fn real_capture_timed_out_is_the_client_losing_its_connection() {
    let Some(p) = corpus("mitmproxy__mitmproxy__timed_out.har") else {
        return;
    };
    let v = json(&["analyze", "--format", "json", &p]);
    assert_eq!(
        v["verdict"]["fault_domain"], "client",
        "{}",
        v["verdict"]["summary"]
    );
}

#[test]
fn real_capture_304_is_a_third_party_failing() {
    let Some(p) = corpus("sitespeedio__pagexray__304.har") else {
        return;
    };
    let v = json(&["analyze", "--format", "json", &p]);
    assert_eq!(
        v["verdict"]["fault_domain"], "third_party",
        "{}",
        v["verdict"]["summary"]
    );
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("loremflickr.com")
    );
}

#[test]
fn whole_corpus_reads_without_a_crash() {
    let dir = root().join("../shared/corpus");
    if !dir.exists() {
        eprintln!("skipping: ../shared/corpus not present");
        return;
    }
    let v = json(&["analyze", "--format", "json", "-q", dir.to_str().unwrap()]);
    let inputs = v["inputs"].as_array().unwrap();
    assert!(inputs.len() >= 23);
    let _ = Path::new("");
}

/// A Browsertime (chrome-har) capture taken while the browser was offline:
/// the producer drops every request that got no response, so the file has
/// page loads and no entries. Built by `examples/realcase` (client fault,
/// seed 1) from the real Browsertime capture of Wikipedia in
/// ../shared/corpus (sitespeedio/compare); its pages are the real ones.
/// Page loads that recorded nothing are evidence, not "no usable input".
#[test]
fn har_with_pages_and_no_entries_is_read_as_nothing_loaded() {
    let har = root().join("fixtures/har/nothing-loaded-browsertime.har");
    let v = json(&["analyze", har.to_str().unwrap(), "--format", "json"]);
    assert_eq!(v["inputs"][0]["records"], 0);
    assert_eq!(v["verdict"]["fault_domain"], "client", "{}", v["verdict"]);
    assert_eq!(v["verdict"]["scope"], "regional");
    let fl110 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "FL110")
        .expect("FL110");
    assert_eq!(fl110["fired"], true);
    assert!(
        fl110["summary"]
            .as_str()
            .unwrap()
            .contains("recorded no request at all"),
        "{}",
        fl110["summary"]
    );
}
