//! Benchmark driver: run the full ingest (detect + parse + normalise, all
//! cores) the way `faultlens analyze` does (discover, then large
//! line-oriented files read in blocks), print counts and throughput.
//! `--whole` reads each file into memory first and calls
//! `ingest::ingest` (the path taken for small files and stdin).
//!
//!     cargo run --release --example ingest_logs -- [--whole] FILE...

use faultlens::ingest::{self, IngestOptions, InputFile};
use faultlens::model::Dataset;
use std::time::Instant;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    let whole = paths.first().is_some_and(|a| a == "--whole");
    if whole {
        paths.remove(0);
    }
    if paths.is_empty() {
        eprintln!("usage: ingest_logs [--whole] FILE...");
        std::process::exit(1);
    }
    let t0 = Instant::now();
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let ds: Dataset = if whole {
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
        ingest::ingest(&files, &IngestOptions::default())
    } else {
        let sources: Vec<_> = faultlens::discover::discover(&paths, &mut Vec::new)
            .into_iter()
            .map(|s| (s, None))
            .collect();
        faultlens::pipeline::ingest_sources(&sources, &IngestOptions::default(), &|_, _| {})
    };
    let total = t0.elapsed();
    for r in &ds.inputs {
        println!(
            "{}\t{}\trecords={}\tbad={}",
            r.path, r.format, r.records, r.bad_records
        );
    }
    let secs = total.as_secs_f64();
    println!(
        "bytes={bytes} mode={} total_s={secs:.3} MB/s={:.1} GB/min={:.2} threads={} probes={} server={} changes={}",
        if whole { "whole" } else { "stream" },
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e9 / secs * 60.0,
        rayon::current_num_threads(),
        ds.probes.len(),
        ds.server.len(),
        ds.changes.len()
    );
}
