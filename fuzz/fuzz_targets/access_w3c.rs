#![no_main]
//! Fuzz the access_w3c reader (and format detection) with arbitrary bytes.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(&["iis-w3c", "access-w3c"], data));
