//! Benchmark of the window / aggregate stage alone: N synthetic records
//! (browser requests and probe measurements over three hours, a 20-minute
//! backend incident in the middle) built in memory, then
//! `aggregate::analyze` timed (change points, polars group-bys, every
//! statistical comparison). Run: `cargo run --release --example
//! aggregate_bench -- 10000000`. Used by benches/aggregate_bench.sh.
//!
//! `--write DIR` also writes the same records as the files they would come
//! from (probe measurements as faultlens probe JSON Lines, browser requests
//! as one Chrome-style HAR per region under `region=NAME/`, headers and
//! all, no bodies), so that `faultlens analyze -vv DIR` times ingest and
//! this stage on the same records in one run.

use chrono::{DateTime, Duration, Utc};
use faultlens::aggregate::{self, AggOptions};
use faultlens::model::*;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let write_to = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
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
                agent: format!("{region}-{}", i % 2).into(),
                region: region.into(),
                test: "api-http".into(),
                kind: if i % 4 == 0 {
                    ProbeKind::Network
                } else {
                    ProbeKind::Http
                },
                target: format!("https://api.example.com{ep}").into(),
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
    if let Some(dir) = &write_to {
        write_files(&ds, dir).expect("write the benchmark's input files");
        println!(
            "wrote {} probe lines and {} HAR entries under {}",
            ds.probes.len(),
            ds.requests.len(),
            dir.display()
        );
    }
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

/// The dataset as input files: `probes.jsonl` and `region=R/browser.har`.
fn write_files(ds: &Dataset, dir: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    let ms = |v: Option<f64>| v.map_or("null".to_string(), |v| format!("{v:.3}"));
    let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::fs::create_dir_all(dir)?;
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("probes.jsonl"))?,
    );
    for p in &ds.probes {
        let ph = &p.phases;
        match p.kind {
            ProbeKind::Network => writeln!(
                f,
                r#"{{"ts":"{}","agent":"{}","region":"{}","test":"api-ping","type":"network","target":"api.example.com","loss_pct":{},"latency_ms":{},"jitter_ms":{}}}"#,
                ts(p.ts),
                p.agent,
                p.region,
                ms(p.loss_pct),
                ms(p.latency_ms),
                ms(p.jitter_ms)
            )?,
            _ => writeln!(
                f,
                r#"{{"ts":"{}","agent":"{}","region":"{}","test":"{}","type":"http","target":"{}","status":{},"dns_ms":{},"connect_ms":{},"tls_ms":{},"wait_ms":{},"total_ms":{}}}"#,
                ts(p.ts),
                p.agent,
                p.region,
                p.test,
                p.target,
                p.status.unwrap_or(0),
                ms(ph.dns_ms),
                ms(ph.connect_ms),
                ms(ph.tls_ms),
                ms(ph.wait_ms),
                ms(ph.total_ms)
            )?,
        }
    }
    f.flush()?;
    let mut regions: Vec<&str> = ds
        .requests
        .iter()
        .filter_map(|r| r.vantage.as_deref())
        .collect();
    regions.sort();
    regions.dedup();
    for region in regions {
        let sub = dir.join(format!("region={region}"));
        std::fs::create_dir_all(&sub)?;
        let mut f = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(sub.join("browser.har"))?,
        );
        write!(
            f,
            r#"{{"log":{{"version":"1.2","creator":{{"name":"WebInspector","version":"537.36"}},"pages":[],"entries":["#
        )?;
        for (i, r) in ds
            .requests
            .iter()
            .filter(|r| r.vantage.as_deref() == Some(region))
            .enumerate()
        {
            let ph = &r.phases;
            let v = |x: Option<f64>| x.map_or("-1".to_string(), |v| format!("{v:.3}"));
            // Chrome counts ssl inside connect
            let connect = ph.connect_ms.map(|c| c + ph.tls_ms.unwrap_or(0.0));
            let total = ph.total_ms.unwrap_or(0.0);
            let mime = if r.endpoint.ends_with(".js") {
                "application/javascript"
            } else if r.endpoint == "/" {
                "text/html"
            } else {
                "application/json"
            };
            let id = r.source.n;
            let path = r.endpoint.replace("{id}", &(id % 1000).to_string());
            if i > 0 {
                f.write_all(b",")?;
            }
            write!(
                f,
                r#"{{"_initiator":{{"type":"script","url":"https://www.example.com/app.js"}},"_priority":"High","_resourceType":"fetch","cache":{{}},"connection":"{conn}","request":{{"method":"{method}","url":"https://{host}{path}?token=abc{id}","httpVersion":"http/2.0","headers":[{{"name":":authority","value":"{host}"}},{{"name":"accept","value":"*/*"}},{{"name":"cookie","value":"session={id:08x}"}},{{"name":"user-agent","value":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"}}],"queryString":[{{"name":"token","value":"abc{id}"}}],"cookies":[],"headersSize":-1,"bodySize":0}},"response":{{"status":{status},"statusText":"","httpVersion":"http/2.0","headers":[{{"name":"content-type","value":"{mime}"}},{{"name":"server","value":"nginx"}},{{"name":"date","value":"Thu, 06 Feb 2025 10:00:00 GMT"}},{{"name":"cache-control","value":"no-store"}}],"cookies":[],"content":{{"size":800,"mimeType":"{mime}"}},"redirectURL":"","headersSize":-1,"bodySize":800,"_transferSize":1000}},"serverIPAddress":"203.0.113.{ip}","startedDateTime":"{ts}","time":{total:.3},"timings":{{"blocked":-1,"dns":{dns},"ssl":{ssl},"connect":{connect},"send":-1,"wait":{wait},"receive":-1}}}}"#,
                conn = 1000 + id % 50,
                method = r.method,
                host = r.host,
                status = r.status,
                ip = id % 250,
                ts = ts(r.start),
                dns = v(ph.dns_ms),
                ssl = v(ph.tls_ms),
                connect = v(connect),
                wait = v(ph.wait_ms),
            )?;
        }
        f.write_all(b"]}}\n")?;
        f.flush()?;
    }
    Ok(())
}
