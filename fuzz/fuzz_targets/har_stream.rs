#![no_main]
//! Differential fuzzing of the streaming HAR reader (blocks cut into parts
//! at guessed entry starts, parsed at once, merged in order) against the
//! in-memory reader: same records, pages, rejections and warnings for any
//! bytes and any block size (the first byte picks it).
use faultlens::ingest::{IngestOptions, har};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let Some((&b, doc)) = data.split_first() else {
        return;
    };
    let block = 1 + b as usize * 3;
    let opts = IngestOptions::default();
    let want = har::parse_har_bytes(0, None, doc, &opts);
    let got = har::parse_har_reader_blocks(0, None, doc, &opts, block);
    assert_eq!(got.records.requests, want.records.requests, "requests");
    assert_eq!(got.records.pages, want.records.pages, "pages");
    assert_eq!(got.report, want.report, "report");
});
