//! The parse floor for HAR ingest benchmarks: read the file and
//! `serde_json::from_slice` it, serially, into a minimal typed struct (the
//! fields a reader needs; everything else, bodies included, skipped).
//! faultlens' HAR reader is measured against this in benches/har_bench.sh.

use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Har<'a> {
    #[serde(borrow)]
    log: Log<'a>,
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    entries: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Entry<'a> {
    #[serde(rename = "startedDateTime", borrow)]
    started: Cow<'a, str>,
    time: f64,
    #[serde(borrow)]
    request: Req<'a>,
    response: Resp,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Req<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Resp {
    status: i64,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: har_floor FILE.har");
    let bytes = std::fs::read(&path).expect("read");
    let har: Har = serde_json::from_slice(&bytes).expect("parse");
    let errors = har
        .log
        .entries
        .iter()
        .filter(|e| e.response.status <= 0 || e.response.status >= 500)
        .count();
    eprintln!(
        "floor: {} entries, {} errors",
        har.log.entries.len(),
        errors
    );
}
