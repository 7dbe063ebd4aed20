//! Throughput of the readers of issue 21 (ping, RIPE Atlas, IIS Advanced
//! Logging, Prometheus query_range, Chrome NetLog, k6 summaries) against a
//! floor, on
//! inputs grown from the real fixtures in `fixtures/logs/` (each copy
//! shifted in time / source id so that it is new data to the reader):
//!
//! * floor, JSON documents: `serde_json::from_slice::<IgnoredAny>` of the
//!   whole file (every byte decoded, nothing kept);
//! * floor, line formats: the file split into the readers' chunks and
//!   lines on all cores, each line split into its whitespace tokens;
//! * reader: `ingest::parse_file` (detect + parse + normalise).
//!
//! k6 end-of-test summaries are small files (a few KB each, one per run):
//! they are timed as many files, the real summaries of `fixtures/logs/`
//! over and over, floor `serde_json::from_slice::<IgnoredAny>` per file.
//!
//! Both are timed on the same bytes in memory, best of five.
//!
//!     cargo run --release --no-default-features --example reader_throughput -- [MB]

use faultlens::ingest::lines::{CHUNK_BYTES, chunk_lines, split_chunks};
use faultlens::ingest::{self, IngestOptions, InputFile};
use rayon::prelude::*;
use serde_json::Value;
use std::time::Instant;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut out).unwrap();
        out
    } else {
        raw
    }
}

/// `ping -D`: the recorded replies, again and again, a second apart.
fn ping(target: usize) -> Vec<u8> {
    let text = String::from_utf8(fixture("ping-D-O-localhost.txt")).unwrap();
    let mut out = String::from("PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n");
    let mut t = 1_796_233_445.0f64;
    let mut seq = 1u64;
    let replies: Vec<&str> = text.lines().filter(|l| l.contains("bytes from")).collect();
    while out.len() < target {
        for l in &replies {
            let rtt = l.split("time=").nth(1).unwrap_or("1 ms");
            out.push_str(&format!(
                "[{t:.6}] 64 bytes from 127.0.0.1: icmp_seq={seq} ttl=64 time={rtt}\n"
            ));
            t += 1.0;
            seq += 1;
        }
    }
    out.into_bytes()
}

/// IIS Advanced Logging: the two data lines, repeated.
fn iis(target: usize) -> Vec<u8> {
    let text = String::from_utf8(fixture("iis-advanced-tabs.log")).unwrap();
    let (head, data): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with('#'));
    let mut out = head.join("\n") + "\n";
    while out.len() < target {
        for l in &data {
            out.push_str(l);
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// ping piped through `ts '[%Y-%m-%d %H:%M:%S]'`: the recorded lines,
/// repeated, a second apart.
fn ping_ts(target: usize) -> Vec<u8> {
    let text = String::from_utf8(fixture("ping-ts-bracket.txt")).unwrap();
    let replies: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, r)| r))
        .filter(|r| r.contains("bytes from"))
        .collect();
    let mut out = String::new();
    let mut t = chrono::DateTime::from_timestamp(1_796_233_445, 0).unwrap();
    while out.len() < target {
        for r in &replies {
            out.push_str(&format!("[{}] {r}\n", t.format("%Y-%m-%d %H:%M:%S")));
            t += chrono::Duration::seconds(1);
        }
    }
    out.into_bytes()
}

/// RIPE Atlas traceroutes, one per line, repeated.
fn atlas(target: usize) -> Vec<u8> {
    let text = fixture("atlas-sagan-traceroute.jsonl");
    let mut out = Vec::new();
    while out.len() < target {
        out.extend_from_slice(&text);
    }
    out
}

/// A query_range matrix: the recorded series, each with its samples
/// continued every 10 s.
fn prometheus(target: usize) -> Vec<u8> {
    let mut doc: Value =
        serde_json::from_slice(&fixture("prometheus-blackbox-range.json")).unwrap();
    let series = doc["data"]["result"].as_array_mut().unwrap();
    let n = series.len();
    let per = target / n / 28 + 1;
    for s in series.iter_mut() {
        let v = s["values"].as_array().unwrap().clone();
        let mut grown = Vec::with_capacity(per);
        let mut t = v[0][0].as_f64().unwrap();
        for i in 0..per {
            let val = v[i % v.len()][1].clone();
            grown.push(serde_json::json!([t, val]));
            t += 10.0;
        }
        s["values"] = Value::Array(grown);
    }
    serde_json::to_vec(&doc).unwrap()
}

/// A NetLog: the recorded events again and again, source ids and times
/// shifted per copy.
fn netlog(target: usize) -> Vec<u8> {
    let doc: Value = serde_json::from_slice(&fixture("chrome-netlog-shop.json.gz")).unwrap();
    let events = doc["events"].as_array().unwrap();
    let one = serde_json::to_vec(events).unwrap().len();
    let copies = target / one + 1;
    let mut all = Vec::with_capacity(events.len() * copies);
    for c in 0..copies as i64 {
        for e in events {
            let mut e = e.clone();
            let id = e["source"]["id"].as_i64().unwrap_or(0);
            e["source"]["id"] = Value::from(id + c * 1_000_000);
            if let Some(d) = e
                .get_mut("params")
                .and_then(|p| p.get_mut("source_dependency"))
            {
                let id = d["id"].as_i64().unwrap_or(0);
                d["id"] = Value::from(id + c * 1_000_000);
            }
            let t: i64 = e["time"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
            e["time"] = Value::from((t + c * 1000).to_string());
            all.push(e);
        }
    }
    let mut out = doc.clone();
    out["events"] = Value::Array(all);
    serde_json::to_vec(&out).unwrap()
}

const K6_SUMMARIES: [&str; 5] = [
    "k6-export-qr-code.json",
    "k6-export-ticket-reserve.json",
    "k6-export-ticketing.json",
    "k6-handle-summary-circleci.json",
    "k6-handle-summary-parabank.json",
];

/// k6 summaries as many files: the real ones, over and over.
fn k6_summaries(target: usize) -> Vec<Vec<u8>> {
    let one: Vec<Vec<u8>> = K6_SUMMARIES.iter().map(|n| fixture(n)).collect();
    let mut out = Vec::new();
    let mut size = 0;
    while size < target {
        for f in &one {
            size += f.len();
            out.push(f.clone());
        }
    }
    out
}

fn best<F: FnMut() -> usize>(mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, n)
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let target = mb << 20;
    let inputs: Vec<(&str, bool, Vec<u8>)> = vec![
        ("ping -D", false, ping(target)),
        ("ping piped to ts", false, ping_ts(target)),
        ("iis advanced logging", false, iis(target)),
        ("ripe atlas traceroute jsonl", false, atlas(target)),
        ("prometheus query_range", true, prometheus(target)),
        ("chrome netlog", true, netlog(target)),
    ];
    println!(
        "| input | MB | format | records | floor MB/s | reader MB/s | reader / floor |\n| --- | ---: | --- | ---: | ---: | ---: | ---: |"
    );
    for (name, json, bytes) in inputs {
        let size = bytes.len() as f64 / 1e6;
        let (floor_s, _) = if json {
            best(|| {
                serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).unwrap();
                0
            })
        } else {
            best(|| {
                split_chunks(&bytes, CHUNK_BYTES)
                    .par_iter()
                    .map(|c| {
                        chunk_lines(c)
                            .map(|(_, l)| {
                                l.split(|b| b.is_ascii_whitespace())
                                    .filter(|t| !t.is_empty())
                                    .count()
                            })
                            .sum::<usize>()
                    })
                    .sum()
            })
        };
        let file = InputFile::from_bytes(0, name, bytes.clone());
        let mut format = String::new();
        let (read_s, records) = best(|| {
            let p = ingest::parse_file(&file, &IngestOptions::default());
            format = p.report.format.clone();
            p.report.records as usize
        });
        println!(
            "| {name} | {size:.0} | {format} | {records} | {:.0} | {:.0} | {:.2}x |",
            size / floor_s,
            size / read_s,
            floor_s / read_s
        );
    }
    let files = k6_summaries(target);
    let size = files.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let (floor_s, _) = best(|| {
        files
            .par_iter()
            .map(|f| {
                serde_json::from_slice::<serde::de::IgnoredAny>(f).unwrap();
                1
            })
            .sum()
    });
    let inputs: Vec<InputFile> = files
        .iter()
        .enumerate()
        .map(|(i, f)| InputFile::from_bytes(i as u32, "k6", f.clone()))
        .collect();
    let (read_s, records) = best(|| {
        inputs
            .par_iter()
            .map(|f| {
                ingest::parse_file(f, &IngestOptions::default())
                    .report
                    .records as usize
            })
            .sum()
    });
    println!(
        "| k6 summaries ({} files) | {size:.0} | k6-summary | {records} | {:.0} | {:.0} | {:.2}x |",
        files.len(),
        size / floor_s,
        size / read_s,
        floor_s / read_s
    );
}
