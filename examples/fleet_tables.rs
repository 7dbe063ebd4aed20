//! Writes a synthetic probe fleet straight into `faultlens export`'s
//! Parquet layout, in slices, so that a dataset far larger than memory can
//! be made on one machine: N HTTP and network probe rows from 8 regions,
//! one row per agent and target every few seconds, with a backend outage
//! (5xx on the API, wait doubled, no packet loss) in the middle.
//!
//!     cargo run --release --example fleet_tables -- ROWS DIR
//!
//! Used by the 50 M-row parity run (docs/performance.md); not committed data.

use chrono::{DateTime, Duration, Utc};
use faultlens::columnar;
use faultlens::model::{
    Dataset, ErrorClass, InputReport, Phases, ProbeKind, ProbeRecord, SourceRef,
};
use faultlens::redact::Redactor;

const REGIONS: [&str; 8] = [
    "us-east",
    "us-west",
    "eu-west",
    "eu-central",
    "ap-south",
    "ap-northeast",
    "sa-east",
    "af-south",
];
const TARGETS: [&str; 3] = [
    "https://app.fleet.example/",
    "https://api.fleet.example/api/v1/orders/{id}",
    "https://api.fleet.example/api/v1/cart",
];
const SLICE: u64 = 1_000_000;

/// Small deterministic generator (splitmix64): same rows on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rows), Some(dir)) = (
        args.first().and_then(|r| r.parse::<u64>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: fleet_tables ROWS DIR");
        std::process::exit(1);
    };
    let dir = std::path::Path::new(dir);
    let start: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
    let span_ms: i64 = 12 * 3600 * 1000;
    let (onset, end) = (span_ms / 2, span_ms / 2 + 40 * 60_000);
    let agents_per_region = 25u64;
    let mut inputs: Vec<InputReport> = REGIONS
        .iter()
        .map(|r| InputReport {
            path: format!("fleet/{r}.jsonl"),
            format: "probe-jsonl".into(),
            vantage: None,
            records: 0,
            bad_records: 0,
            rejections: vec![],
            warnings: vec![],
            skipped: None,
            first_ts: Some(start),
            last_ts: Some(start + Duration::milliseconds(span_ms)),
            run_summary: None,
        })
        .collect();
    let per_region = rows.div_ceil(REGIONS.len() as u64);
    for i in inputs.iter_mut() {
        i.records = per_region;
    }
    let red = Redactor::new(true);
    let fp = vec!["fleet.example".to_string()];
    let mut rng = Rng(7);
    let t0 = std::time::Instant::now();
    let mut written = 0u64;
    let mut part = 0usize;
    while written < rows {
        let n = SLICE.min(rows - written);
        let mut ds = Dataset {
            inputs: inputs.clone(),
            ..Default::default()
        };
        ds.probes.reserve(n as usize);
        for k in written..written + n {
            let region = (k % REGIONS.len() as u64) as usize;
            let line = k / REGIONS.len() as u64 + 1;
            let ts_ms = (line as f64 / per_region as f64 * span_ms as f64) as i64;
            let agent = format!("{}-{}", REGIONS[region], rng.next() % agents_per_region);
            let incident = ts_ms >= onset && ts_ms < end;
            let net = (k / REGIONS.len() as u64) % 10 == 9;
            let rtt = 20.0 + 15.0 * region as f64 + rng.unit() * 8.0;
            let mut p = ProbeRecord::identity(
                SourceRef::line(region as u32, line),
                start + Duration::milliseconds(ts_ms),
                &agent,
                REGIONS[region],
                if net { "net" } else { "http" },
                if net {
                    ProbeKind::Network
                } else {
                    ProbeKind::Http
                },
                "",
            );
            p.registrable_domain = "fleet.example".into();
            if net {
                p.target = "api.fleet.example".into();
                p.loss_pct = Some(if rng.unit() < 0.01 { 10.0 } else { 0.0 });
                p.latency_ms = Some(rtt);
                p.jitter_ms = Some(rng.unit() * 3.0);
            } else {
                let t = (k / 80 % TARGETS.len() as u64) as usize;
                p.target = TARGETS[t].into();
                let api = t > 0;
                let failing = incident && api && rng.unit() < 0.45;
                let slow = if incident && api { 2.1 } else { 1.0 };
                let wait = (60.0 + rng.unit() * 40.0) * slow;
                p.status = Some(if failing {
                    if rng.unit() < 0.3 { 502 } else { 503 }
                } else if rng.unit() < 0.001 {
                    500
                } else {
                    200
                });
                if failing && rng.unit() < 0.05 {
                    p.error = Some("upstream timeout".into());
                    p.error_class = Some(ErrorClass::Timeout);
                }
                p.phases = Phases {
                    blocked_ms: None,
                    dns_ms: Some(2.0 + rng.unit() * 4.0),
                    connect_ms: Some(rtt),
                    tls_ms: Some(rtt * 1.1),
                    send_ms: Some(0.1),
                    wait_ms: Some(wait + rtt),
                    receive_ms: Some(1.0 + rng.unit()),
                    total_ms: Some(wait + 3.1 * rtt + 5.0),
                };
            }
            ds.probes.push(p);
        }
        if let Err(e) = columnar::export_part(&ds, &fp, dir, &red, part) {
            eprintln!("fleet_tables: {e}");
            std::process::exit(1);
        }
        written += n;
        part += 1;
        eprintln!(
            "fleet_tables: {written} rows, {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    println!(
        "rows={written} parts={part} total_s={:.1}",
        t0.elapsed().as_secs_f64()
    );
}
