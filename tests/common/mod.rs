//! Helpers shared by the tests that drive the binary over exported tables.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod outcome;
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run faultlens; it must succeed. Returns stdout.
pub fn run(args: &[&str]) -> Vec<u8> {
    let o = Command::new(env!("CARGO_BIN_EXE_faultlens"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The first `*.parquet` file directly in `dir`.
pub fn parquet_in(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    files.remove(0)
}

/// The secrets planted in fixtures/secrets (one per line, `#` comments).
pub fn planted() -> Vec<String> {
    std::fs::read_to_string(root().join("fixtures/secrets/planted.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}
