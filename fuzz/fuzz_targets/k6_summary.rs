#![no_main]
//! Fuzz the k6 end-of-test summary reader (and format detection) with arbitrary bytes.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(&["k6-summary"], data));
