#![no_main]
//! Differential fuzzing of the streamed line-log reader (`ingest::stream`:
//! blocks cut at newlines, each cut into chunks read on their own with
//! their true line numbers) against the whole-file reader of the same
//! format: same records and report for any bytes and any block size. The
//! first byte picks the format (probe JSONL or access log) and the block.
use faultlens::ingest::{self, IngestOptions, InputFile, stream};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let Some((&b, text)) = data.split_first() else {
        return;
    };
    let name = stream::STREAMABLE[(b & 1) as usize];
    let block = 1 + (b >> 1) as usize * 5;
    let spec = ingest::registry()
        .into_iter()
        .find(|f| f.name == name)
        .expect("a streamable format is in the registry");
    let opts = IngestOptions::default();
    let file = InputFile::from_bytes(0, "fuzz", text);
    let want = ingest::parse_file_as(&file, &opts, name);
    let got = stream::parse_lines_stream(
        stream::empty_file(0, "fuzz".into(), None),
        spec,
        text,
        &opts,
        block,
    );
    assert_eq!(
        format!("{:?}", got.records),
        format!("{:?}", want.records),
        "records"
    );
    assert_eq!(
        format!("{:?}", got.report),
        format!("{:?}", want.report),
        "report"
    );
});
