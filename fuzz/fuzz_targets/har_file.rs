#![no_main]
//! Differential fuzzing of the memory-mapped HAR reader
//! (`har::parse_har_file_windows`: the file mapped one window at a time,
//! the `unsafe` block of the HAR reader) against the in-memory reader:
//! same records, pages and report for any bytes and any window (the first
//! byte picks it). The bytes go through a real file, as a map needs one.
use faultlens::ingest::{IngestOptions, har};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let Some((&b, doc)) = data.split_first() else {
        return;
    };
    let window = 1 + b as usize * 3;
    let opts = IngestOptions::default();
    let path = std::env::temp_dir().join(format!("faultlens-fuzz-har-{}", std::process::id()));
    let mut f = std::fs::File::create(&path).expect("temp file");
    f.write_all(doc).expect("write temp file");
    drop(f);
    let f = std::fs::File::open(&path).expect("open temp file");
    let got = har::parse_har_file_windows(0, None, &f, &opts, window);
    let want = har::parse_har_bytes(0, None, doc, &opts);
    assert_eq!(got.records.requests, want.records.requests, "requests");
    assert_eq!(got.records.pages, want.records.pages, "pages");
    assert_eq!(got.report, want.report, "report");
});
