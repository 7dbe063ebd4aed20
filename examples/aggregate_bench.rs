//! Benchmark of the window / aggregate stage alone: N synthetic records
//! (browser requests and probe measurements over three hours, a 20-minute
//! backend incident in the middle) built in memory, then
//! `aggregate::analyze` timed (change points, polars group-bys, every
//! statistical comparison). Run: `cargo run --release --example
//! aggregate_bench -- 10000000`. Used by benches/aggregate_bench.sh.

use chrono::{DateTime, Duration, Utc};
use faultlens::aggregate::{self, AggOptions};
use faultlens::model::*;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = DateTime::<Utc>::from_timestamp(1_738_836_000, 0).unwrap();
    let span_ms = 3 * 3600 * 1000i64;
    let onset = span_ms / 2;
    let regions = ["us-east", "eu-west", "ap-south"];
    let endpoints = [
        "/api/v1/projects/{id}/tasks",
        "/api/v1/messages",
        "/api/v1/auth/session",
        "/",
        "/assets/app.js",
    ];
    let mut ds = Dataset::default();
    ds.inputs.push(InputReport {
        path: "synthetic".into(),
        format: "synthetic".into(),
        ..Default::default()
    });
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let build = Instant::now();
    let probes = n / 2;
    for i in 0..n {
        let ts_ms = (i as i64 * span_ms) / n as i64;
        let ts = t0 + Duration::milliseconds(ts_ms);
        let incident = ts_ms >= onset && ts_ms < onset + 20 * 60_000;
        let region = regions[i % 3];
        let ep = endpoints[(i / 3) % endpoints.len()];
        let wait = 80.0 * (1.0 + rnd()) * if incident { 2.0 } else { 1.0 };
        let status = if incident && rnd() < 0.3 { 503 } else { 200 };
        let phases = Phases {
            dns_ms: Some(3.0),
            connect_ms: Some(20.0 + 10.0 * rnd()),
            tls_ms: Some(25.0),
            wait_ms: Some(wait),
            total_ms: Some(wait + 60.0),
            ..Default::default()
        };
        if i < probes {
            ds.probes.push(ProbeRecord {
                source: SourceRef::line(0, i as u64 + 1),
                ts,
                agent: format!("{region}-{}", i % 2),
                region: region.into(),
                test: "api-http".into(),
                kind: if i % 4 == 0 {
                    ProbeKind::Network
                } else {
                    ProbeKind::Http
                },
                target: format!("https://api.example.com{ep}"),
                registrable_domain: "example.com".into(),
                status: Some(status),
                error: None,
                error_class: None,
                phases,
                loss_pct: Some(0.0),
                latency_ms: Some(20.0 + 5.0 * rnd()),
                jitter_ms: Some(1.0),
                page_load_ms: None,
                components: None,
                component_errors: None,
                resolve_ms: None,
            });
        } else {
            ds.requests.push(Request {
                source: SourceRef::entry(0, i as u64),
                start: ts,
                vantage: Some(region.into()),
                page_id: None,
                method: "GET".into(),
                scheme: "https".into(),
                host: "api.example.com".into(),
                registrable_domain: "example.com".into(),
                party: Party::First,
                endpoint: ep.into(),
                status,
                error_class: None,
                error: None,
                resource_type: ResourceType::Xhr,
                phases,
                transfer_bytes: Some(1000),
                body_bytes: Some(800),
                from_cache: false,
                server_ip: None,
                edge: EdgeHints::default(),
            });
        }
    }
    let built = build.elapsed();
    let t = Instant::now();
    let an = aggregate::analyze(&ds, &AggOptions::default());
    let took = t.elapsed();
    println!(
        "records={n} build_s={:.2} analyze_s={:.2} records_per_s={:.0} incident={:?} comparisons={}",
        built.as_secs_f64(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        an.windows.during.map(|w| (w.start, w.end)),
        an.comparisons.len()
    );
    for (step, ms) in &an.step_ms {
        println!("  {step}: {:.0} ms", ms);
    }
    // a digest of everything the stage returned (timings aside): two builds
    // that print the same digest computed the same figures to the last bit
    let mut same = an.clone();
    same.step_ms.clear();
    let text = format!("{same:?}");
    let mut h = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&text, &mut h);
    println!(
        "digest={:016x} ({} bytes of Debug output)",
        std::hash::Hasher::finish(&h),
        text.len()
    );
}
