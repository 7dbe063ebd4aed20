//! Secrets never leave: every command and every output format is run over
//! the planted-secrets corpus (fixtures/secrets) and no output byte may
//! contain any planted secret. `--unsafe-include-secrets` is the only way
//! out, and a control run with it proves the test can fail.

mod common;

use common::{planted, root};
use std::process::Command;

fn leaks(bytes: &[u8], secrets: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    secrets
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .cloned()
        .collect()
}

fn run(args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let o = Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (o.stdout, o.stderr)
}

#[test]
fn no_planted_secret_in_any_output() {
    let secrets = planted();
    assert!(secrets.len() > 20);
    let dir = root().join("fixtures/secrets");
    let d = dir.to_str().unwrap();
    let tmp = std::env::temp_dir().join(format!("fl-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut checked = Vec::new();
    for format in ["table", "json", "markdown"] {
        let (out, err) = run(&["analyze", d, "--format", format, "-v", "--color", "always"]);
        checked.push((format!("analyze --format {format}"), [out, err].concat()));
    }
    let md = tmp.join("summary.md");
    let (out, err) = run(&["report", d, "-o", md.to_str().unwrap(), "--svg"]);
    checked.push(("report stdout/stderr".into(), [out, err].concat()));
    for e in std::fs::read_dir(&tmp).unwrap() {
        let p = e.unwrap().path();
        checked.push((
            format!("report file {}", p.display()),
            std::fs::read(&p).unwrap(),
        ));
    }
    let (out, err) = run(&[
        "compare",
        "--baseline",
        d,
        "--incident",
        d,
        "--format",
        "json",
    ]);
    checked.push(("compare".into(), [out, err].concat()));
    let har = tmp.join("clean.har");
    for extra in [&[][..], &["--drop-bodies"][..]] {
        let mut args = vec![
            "sanitize",
            dir.join("capture.har").to_str().unwrap().to_string().leak() as &str,
            "-o",
            har.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (out, err) = run(&args);
        checked.push(("sanitize stdout/stderr".into(), [out, err].concat()));
        let bytes = std::fs::read(&har).unwrap();
        // still a HAR with the same entries
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let orig: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("capture.har")).unwrap()).unwrap();
        assert_eq!(
            v["log"]["entries"].as_array().unwrap().len(),
            orig["log"]["entries"].as_array().unwrap().len()
        );
        checked.push((format!("sanitize {extra:?} output"), bytes));
    }
    let mut failures = Vec::new();
    for (what, bytes) in &checked {
        let l = leaks(bytes, &secrets);
        if !l.is_empty() {
            failures.push(format!(
                "{what} leaks {} secret(s), e.g. {:?}",
                l.len(),
                &l[..l.len().min(3)]
            ));
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsafe_flag_is_the_only_way_out() {
    // control: the same run with the escape hatch does show secrets, so the
    // scan above is able to see them
    let secrets = planted();
    let d = root().join("fixtures/secrets");
    let (out, _) = run(&[
        "analyze",
        d.to_str().unwrap(),
        "--format",
        "json",
        "--unsafe-include-secrets",
    ]);
    let (safe, _) = run(&["analyze", d.to_str().unwrap(), "--format", "json"]);
    assert!(leaks(&safe, &secrets).is_empty());
    assert!(
        !leaks(&out, &secrets).is_empty(),
        "the unsafe run must show a planted secret, or this scan proves nothing"
    );
}
