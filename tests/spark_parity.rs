//! Spark parity: the aggregation SQL runs unchanged on a real Spark
//! standalone master and worker (127.0.0.1, pyspark from PyPI, Java from
//! the machine), and faultlens reads what Spark wrote into the same
//! verdict and report as a local run.
//!
//! Skipped, with the reason on stderr, where Java or pyspark is missing
//! (a failure instead when FAULTLENS_REQUIRE_SPARK is set, as `.ci/run`
//! does once it has installed pyspark).
//! Python: $FAULTLENS_PYTHON, else ~/.cache/faultlens-spark-venv (what
//! `.ci/run` installs), else python3.

mod common;

use common::{root, run, s};
use std::path::Path;
use std::process::Command;

fn works(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A Python that imports pyspark, or why there is none.
fn spark_python() -> Result<String, String> {
    if !works("java", &["-version"]) {
        return Err("no java on PATH".into());
    }
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(p) = std::env::var("FAULTLENS_PYTHON") {
        candidates.push(p);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let venv = Path::new(&home).join(".cache/faultlens-spark-venv/bin/python");
        if venv.exists() {
            candidates.push(venv.display().to_string());
        }
    }
    candidates.push("python3".into());
    candidates
        .into_iter()
        .find(|p| works(p, &["-c", "import pyspark"]))
        .ok_or_else(|| "no python with pyspark (.ci/run installs one)".into())
}

fn spark(python: &str, tables: &Path, sql: &Path, out: &Path) {
    let o = Command::new(python)
        .arg(root().join("sql/spark_run.py"))
        .args([s(tables), s(out), "--sql", s(sql), "--standalone"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "spark_run.py failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("\"master\": \"spark://127.0.0.1\""),
        "{stdout}"
    );
}

#[test]
fn spark_standalone_gives_the_local_verdict() {
    let python = match spark_python() {
        Ok(p) => p,
        // CI sets FAULTLENS_REQUIRE_SPARK once it has installed pyspark:
        // there a missing Spark is a failure, not a skip
        Err(why) if std::env::var_os("FAULTLENS_REQUIRE_SPARK").is_some() => {
            panic!("FAULTLENS_REQUIRE_SPARK is set but Spark parity cannot run: {why}")
        }
        Err(why) => {
            eprintln!("skipped: Spark parity needs Java and pyspark: {why}");
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("fl-spark-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = root().join("fixtures/incidents/asana-global");
    let tables = dir.join("tables");
    run(&["-q", "export", s(&input), "--parquet", s(&tables)]);

    // every row kept: Spark's aggregates give the direct run's bytes
    let sql = dir.join("full.sql");
    std::fs::write(&sql, run(&["sql"])).unwrap();
    let out = dir.join("spark-full");
    spark(&python, &tables, &sql, &out);
    for format in ["json", "markdown"] {
        let direct = run(&["-q", "analyze", s(&input), "--format", format]);
        let via = run(&["-q", "analyze", "--aggregates", s(&out), "--format", format]);
        assert!(
            direct == via,
            "--format {format}: Spark path differs from the direct run"
        );
    }

    // a sample: Spark and the local engine keep the same rows and bins
    let sql = dir.join("half.sql");
    std::fs::write(&sql, run(&["sql", "--sample-rate", "0.5"])).unwrap();
    let out = dir.join("spark-half");
    spark(&python, &tables, &sql, &out);
    let local = dir.join("local-half");
    run(&[
        "-q",
        "aggregate",
        s(&tables),
        "--out",
        s(&local),
        "--sample-rate",
        "0.5",
    ]);
    let a = run(&["-q", "analyze", "--aggregates", s(&out), "--format", "json"]);
    let b = run(&[
        "-q",
        "analyze",
        "--aggregates",
        s(&local),
        "--format",
        "json",
    ]);
    assert!(
        a == b,
        "Spark and polars aggregates disagree at sample rate 0.5"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
