#![no_main]
//! Differential fuzzing of the flat JSON fast path against serde_json: any
//! line the scanner reads must read exactly as serde_json reads it.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    if let Some(why) = faultlens::ingest::flat_json::differs_from_serde(data) {
        panic!("{why}");
    }
});
