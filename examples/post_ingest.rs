//! Scratch: load once, then time aggregate::analyze repeatedly.
use faultlens::aggregate::{self, AggOptions};
use faultlens::pipeline;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let req = pipeline::Request {
        paths: args,
        top: 10,
        ..Default::default()
    };
    let t = Instant::now();
    let loaded = pipeline::load(&req, &mut Vec::new, &|_, _| {}).expect("load");
    eprintln!("load {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let ds = loaded.dataset;
    for _ in 0..reps {
        let t = Instant::now();
        let a = aggregate::analyze(&ds, &AggOptions::default());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let steps: Vec<String> = a
            .step_ms
            .iter()
            .map(|(n, v)| format!("{}={v:.1}", n.trim_start_matches("aggregate: ")))
            .collect();
        eprintln!("analyze {ms:.1} ms  {}", steps.join(" "));
    }
}
