//! Benchmark driver: read files, run the full ingest (detect + parse +
//! normalise, all cores), print counts and throughput.
//!
//!     cargo run --release --example ingest_logs -- FILE...

use faultlens::ingest::{self, IngestOptions, InputFile};
use std::time::Instant;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: ingest_logs FILE...");
        std::process::exit(1);
    }
    let t0 = Instant::now();
    let files: Vec<InputFile> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| InputFile {
            id: i as u32,
            path: p.clone(),
            vantage: None,
            bytes: std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}")),
            read_error: None,
        })
        .collect();
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    let t_read = t0.elapsed();
    let ds = ingest::ingest(&files, &IngestOptions::default());
    let total = t0.elapsed();
    for r in &ds.inputs {
        println!(
            "{}\t{}\trecords={}\tbad={}",
            r.path, r.format, r.records, r.bad_records
        );
    }
    let secs = total.as_secs_f64();
    println!(
        "bytes={bytes} read_s={:.3} total_s={secs:.3} MB/s={:.1} GB/min={:.2} threads={} probes={} server={} changes={}",
        t_read.as_secs_f64(),
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e9 / secs * 60.0,
        rayon::current_num_threads(),
        ds.probes.len(),
        ds.server.len(),
        ds.changes.len()
    );
}
