#![no_main]
//! Fuzz the prometheus reader (and format detection) with arbitrary bytes.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(&["prometheus"], data));
