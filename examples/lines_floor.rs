//! The floor the log readers are measured against: read the file, split it
//! into lines on all cores (same chunking as the readers), and decode each
//! line into a minimal struct — serde_json into one borrowed field for JSON
//! lines, or the bracketed time and the status token for access logs.
//!
//!     cargo run --release --example lines_floor -- json|text FILE

use faultlens::ingest::lines::{CHUNK_BYTES, chunk_lines, split_chunks};
use rayon::prelude::*;
use serde::Deserialize;
use std::time::Instant;

/// One field, of any JSON type: every well-formed line decodes (a `&str`
/// field made the probe log's numeric `ts` fail at its first value, so the
/// floor stopped parsing there and built an error per line instead).
#[derive(Deserialize)]
struct Minimal {
    #[serde(default)]
    #[allow(dead_code)]
    ts: Option<serde::de::IgnoredAny>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, path) = match args.as_slice() {
        [m, p] => (m.clone(), p.clone()),
        _ => {
            eprintln!("usage: lines_floor json|text FILE");
            std::process::exit(1);
        }
    };
    let t0 = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    let chunks = split_chunks(&bytes, CHUNK_BYTES);
    let (ok, bad): (u64, u64) = chunks
        .par_iter()
        .map(|c| {
            let (mut ok, mut bad) = (0u64, 0u64);
            for (_, line) in chunk_lines(c) {
                let good = if mode == "json" {
                    serde_json::from_slice::<Minimal>(line).is_ok()
                } else {
                    let s = std::str::from_utf8(line).unwrap_or("");
                    match (s.find('['), s.find("\" ")) {
                        (Some(a), Some(b)) if b > a => s[b + 2..]
                            .split(' ')
                            .next()
                            .is_some_and(|st| st.parse::<u16>().is_ok()),
                        _ => false,
                    }
                };
                if good { ok += 1 } else { bad += 1 }
            }
            (ok, bad)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{path}\tfloor-{mode}\tlines_ok={ok}\tbad={bad}\nbytes={} total_s={secs:.3} MB/s={:.1} GB/min={:.2} threads={}",
        bytes.len(),
        bytes.len() as f64 / 1e6 / secs,
        bytes.len() as f64 / 1e9 / secs * 60.0,
        rayon::current_num_threads()
    );
}
