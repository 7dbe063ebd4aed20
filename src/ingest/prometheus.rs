//! Prometheus HTTP API responses (`/api/v1/query_range`, matrix; or
//! `/api/v1/query`, vector) holding blackbox exporter series: how most
//! teams keep their synthetic probes. A file holds one response, or several
//! (a JSON array of responses, or one per line), e.g. one per metric or one
//! `{__name__=~"probe_.*"}` query.
//!
//! Series of one target (`instance`) and vantage are joined per sample time
//! into one probe record: `probe_success` (0 = failed),
//! `probe_duration_seconds` (total), `probe_http_duration_seconds{phase}`
//! (resolve, connect, tls, processing, transfer),
//! `probe_dns_lookup_time_seconds`, `probe_http_status_code`,
//! `probe_ssl_earliest_cert_expiry` (expired = a certificate error),
//! `probe_icmp_duration_seconds{phase="rtt"}`. Other series are counted and
//! reported, not read.
//!
//! The vantage is a label (`region`, `probe`, `location`, `site`, `vantage`,
//! `dc`, `zone`), mapped through `--vantage-map` when it names it, or the
//! `instance` mapped the same way, or the file's `label=PATH` vantage.

use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use crate::sym::intern;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "prometheus",
    sniff,
    parse,
    samples: &[
        // fixtures/logs/prometheus-blackbox-success.json (first series, cut)
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"probe_success","instance":"http://127.0.0.1:18081/","job":"blackbox","region":"local-a"},"values":[[1796233920,"1"],[1796233925,"1"]]}]}}"#,
    ],
};

/// Labels that name where a probe ran, most specific first.
const VANTAGE_LABELS: [&str; 8] = [
    "region",
    "probe",
    "location",
    "site",
    "vantage",
    "datacenter",
    "dc",
    "zone",
];

fn sniff(head: &[u8]) -> bool {
    let b = super::trimmed_head(head);
    if !(b.starts_with(b"{") || b.starts_with(b"[")) {
        return false;
    }
    let has = |s: &[u8]| memchr::memmem::find(b, s).is_some();
    // `resultType` comes before the series as Prometheus writes it, but a
    // file re-serialised with sorted keys (`jq -S`) has it after them
    has(b"\"data\"")
        && has(b"\"result\"")
        && has(b"\"metric\"")
        && (has(b"\"resultType\"") || has(b"\"values\"") || has(b"\"value\""))
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType", default)]
    result_type: String,
    #[serde(default)]
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(Value, Value)>,
    #[serde(default)]
    value: Option<(Value, Value)>,
}

/// What a series measures, in the joined record.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Success,
    Total,
    Dns,
    Connect,
    Tls,
    Wait,
    Receive,
    Resolve,
    Status,
    CertExpiry,
    Rtt,
    /// A phase read but not used (`probe_icmp_duration_seconds{phase="setup"}`).
    Ignored,
}

fn slot(m: &BTreeMap<String, String>) -> Option<Slot> {
    let phase = m.get("phase").map(String::as_str);
    Some(match m.get("__name__")?.as_str() {
        "probe_success" => Slot::Success,
        "probe_duration_seconds" => Slot::Total,
        "probe_dns_lookup_time_seconds" => Slot::Resolve,
        "probe_http_status_code" => Slot::Status,
        "probe_ssl_earliest_cert_expiry" => Slot::CertExpiry,
        "probe_http_duration_seconds" => match phase? {
            "resolve" => Slot::Dns,
            "connect" => Slot::Connect,
            "tls" => Slot::Tls,
            "processing" => Slot::Wait,
            "transfer" => Slot::Receive,
            _ => Slot::Ignored,
        },
        "probe_icmp_duration_seconds" if phase == Some("rtt") => Slot::Rtt,
        "probe_icmp_duration_seconds" => Slot::Ignored,
        _ => return None,
    })
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A probe's identity: target, vantage, and where its first series sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    instance: String,
    vantage: String,
    job: String,
}

#[derive(Default)]
struct Sample {
    success: Option<f64>,
    total: Option<f64>,
    phases: [Option<f64>; 5],
    resolve: Option<f64>,
    status: Option<f64>,
    cert_expiry: Option<f64>,
    rtt: Option<f64>,
}

fn vantage_of(
    m: &BTreeMap<String, String>,
    instance: &str,
    file: &InputFile,
    opts: &IngestOptions,
) -> String {
    for l in VANTAGE_LABELS {
        if let Some(v) = m.get(l).filter(|v| !v.is_empty()) {
            return opts
                .vantage_map
                .get(v)
                .cloned()
                .unwrap_or_else(|| v.clone());
        }
    }
    opts.vantage_map
        .get(instance)
        .cloned()
        .or_else(|| file.vantage.clone())
        .unwrap_or_else(|| "prometheus".into())
}

/// The responses in the file: one object, an array of them, or one per line.
fn responses(bytes: &[u8]) -> Vec<Result<Response, String>> {
    let body = super::trimmed_head(bytes);
    if body.starts_with(b"[") {
        return match serde_json::from_slice::<Vec<Value>>(body) {
            Ok(vs) => vs
                .into_iter()
                .map(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
                .collect(),
            Err(e) => vec![Err(format!("not a JSON array of responses: {e}"))],
        };
    }
    serde_json::Deserializer::from_slice(body)
        .into_iter::<Response>()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let mut out = Parsed::default();
    // (key, time in ms) -> joined sample, and each key's first series
    let mut joined: BTreeMap<(Key, i64), Sample> = BTreeMap::new();
    let mut first_series: BTreeMap<Key, u64> = BTreeMap::new();
    let mut unread: BTreeMap<String, u64> = BTreeMap::new();
    let mut has_success = false;
    let mut n_series = 0u64;
    for (ri, resp) in responses(&file.bytes).into_iter().enumerate() {
        let at = SourceRef::entry(file.id, n_series);
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                out.report.reject(at, format!("response {ri}: {e}"));
                continue;
            }
        };
        if resp.status.as_deref().is_some_and(|s| s != "success") {
            out.report.reject(
                at,
                format!(
                    "response {ri}: status {:?}: {}",
                    resp.status.unwrap_or_default(),
                    resp.error.unwrap_or_default()
                ),
            );
            continue;
        }
        let Some(data) = resp.data else {
            out.report
                .reject(at, format!("response {ri} has no `data`"));
            continue;
        };
        if data.result_type != "matrix" && data.result_type != "vector" {
            out.report.reject(
                at,
                format!(
                    "response {ri}: result type {:?} is not a matrix or vector",
                    data.result_type
                ),
            );
            continue;
        }
        for s in data.result {
            let idx = n_series;
            n_series += 1;
            let at = SourceRef::entry(file.id, idx);
            let Some(sl) = slot(&s.metric) else {
                let name = s
                    .metric
                    .get("__name__")
                    .cloned()
                    .unwrap_or_else(|| "(no __name__)".into());
                *unread.entry(name).or_default() += 1;
                continue;
            };
            let Some(instance) = s.metric.get("instance").filter(|i| !i.is_empty()).cloned() else {
                out.report
                    .reject(at, "series without an `instance` label (the probe target)");
                continue;
            };
            has_success |= sl == Slot::Success;
            let key = Key {
                vantage: vantage_of(&s.metric, &instance, file, opts),
                job: s.metric.get("job").cloned().unwrap_or_default(),
                instance,
            };
            first_series.entry(key.clone()).or_insert(idx);
            let points = s.values.iter().chain(s.value.iter());
            let mut bad = 0u64;
            for (t, v) in points {
                let (Some(t), Some(v)) = (num(t), num(v)) else {
                    bad += 1;
                    continue;
                };
                if !t.is_finite() || crate::classify::unix_to_utc(t).is_none() {
                    bad += 1;
                    continue;
                }
                let e = joined
                    .entry((key.clone(), (t * 1000.0).round() as i64))
                    .or_default();
                let v = Some(v).filter(|v| v.is_finite());
                match sl {
                    Slot::Success => e.success = v,
                    Slot::Total => e.total = v,
                    Slot::Dns => e.phases[0] = v,
                    Slot::Connect => e.phases[1] = v,
                    Slot::Tls => e.phases[2] = v,
                    Slot::Wait => e.phases[3] = v,
                    Slot::Receive => e.phases[4] = v,
                    Slot::Resolve => e.resolve = v,
                    Slot::Status => e.status = v,
                    Slot::CertExpiry => e.cert_expiry = v,
                    Slot::Rtt => e.rtt = v,
                    Slot::Ignored => {}
                }
            }
            if bad > 0 {
                out.report.reject(
                    at,
                    format!("{bad} sample(s) without a valid time and number"),
                );
            }
        }
    }
    let ms = |s: Option<f64>| s.map(|x| x * 1000.0);
    for ((key, t_ms), s) in joined {
        let Some(ts) = chrono::DateTime::from_timestamp_millis(t_ms) else {
            continue;
        };
        let at = SourceRef::entry(file.id, first_series[&key]);
        let http = key.instance.contains("://")
            || s.status.is_some()
            || s.phases.iter().any(Option::is_some);
        let kind = if http {
            ProbeKind::Http
        } else if s.resolve.is_some() && s.rtt.is_none() {
            ProbeKind::Dns
        } else {
            ProbeKind::Network
        };
        let agent = if key.job.is_empty() {
            "prometheus"
        } else {
            &key.job
        };
        let test = format!("{} {}", agent, key.instance);
        let mut r: ProbeRecord =
            ProbeRecord::identity(at, ts, agent, &key.vantage, &test, kind, &key.instance);
        r.phases.total_ms = ms(s.total);
        r.phases.dns_ms = ms(s.phases[0]);
        r.phases.connect_ms = ms(s.phases[1]);
        r.phases.tls_ms = ms(s.phases[2]);
        r.phases.wait_ms = ms(s.phases[3]);
        r.phases.receive_ms = ms(s.phases[4]);
        r.resolve_ms = ms(s.resolve);
        let failed = s.success.is_some_and(|x| x < 0.5);
        // a failed probe's duration is how long it took to fail, not a latency
        if !failed {
            r.latency_ms = if kind == ProbeKind::Network {
                ms(s.rtt).or(ms(s.total))
            } else {
                ms(s.total)
            };
        }
        if http {
            r.status = s.status.map(|c| c as i32);
        }
        if kind == ProbeKind::Network && s.success.is_some() {
            r.loss_pct = Some(if failed { 100.0 } else { 0.0 });
        }
        if let Some(exp) = s
            .cert_expiry
            .filter(|e| *e > 0.0 && *e < ts.timestamp() as f64)
        {
            r.error = Some(intern(&format!("certificate expired at {exp:.0}")));
            r.error_class = Some(ErrorClass::CertError);
        } else if failed {
            let (text, class) = match (kind, s.status) {
                (ProbeKind::Http, Some(c)) if c >= 1.0 => {
                    (format!("probe failed (HTTP {c:.0})"), None)
                }
                (ProbeKind::Http, _)
                    if s.resolve.is_none()
                        && s.phases[0].is_none_or(|d| d == 0.0)
                        && s.phases[1].is_none_or(|c| c == 0.0) =>
                {
                    (
                        "probe failed before connecting (no response)".to_string(),
                        Some(ErrorClass::Other),
                    )
                }
                (ProbeKind::Http, _) => (
                    "probe failed (no response)".to_string(),
                    Some(ErrorClass::Other),
                ),
                (ProbeKind::Network, _) => ("no reply".to_string(), Some(ErrorClass::Timeout)),
                (ProbeKind::Dns, _) => ("dns probe failed".to_string(), Some(ErrorClass::Other)),
                _ => ("probe failed".to_string(), Some(ErrorClass::Other)),
            };
            r.error = Some(intern(&text));
            r.error_class = class.or(Some(ErrorClass::Other));
            if r.status.is_none() && http {
                r.status = Some(0);
            }
        }
        out.report.records += 1;
        out.report.see_ts(r.ts);
        out.records.probes.push(r);
    }
    if !unread.is_empty() {
        let names: Vec<String> = unread.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        out.report.warnings.push(format!(
            "Prometheus series not read (not blackbox probe metrics): {}",
            names.join(", ")
        ));
    }
    if out.report.records > 0 && !has_success {
        out.report.warnings.push(
            "no probe_success series: failures are not visible; export it in the same file (query {__name__=~\"probe_.*\"})".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> InputFile {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let f = InputFile::from_bytes(4, name, std::fs::read(path).unwrap());
        assert!(sniff(&f.bytes), "{name}");
        f
    }

    /// A real run: Prometheus 2.42 scraping blackbox_exporter 0.23 every
    /// 2 s; http://127.0.0.1:18081/ served, stopped for a minute
    /// (1796233989..1796234049), served again; :18082 refused; shop.invalid
    /// does not resolve; ICMP to 127.0.0.1 and to 10.255.255.1 (lost).
    #[test]
    fn blackbox_range_joined_per_target_and_time() {
        let p = parse(
            &fixture("prometheus-blackbox-range.json"),
            &IngestOptions::default(),
        );
        // 5 targets x 19 steps of 10 s
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (95, 0),
            "{:?}",
            p.report
        );
        assert!(p.report.warnings.is_empty(), "{:?}", p.report.warnings);
        let of = |inst: &str| -> Vec<&ProbeRecord> {
            p.records
                .probes
                .iter()
                .filter(|r| r.target == inst)
                .collect()
        };
        let ok = of("http://127.0.0.1:18081/");
        assert_eq!(ok.len(), 19);
        let first = ok[0];
        assert_eq!(first.kind, ProbeKind::Http);
        assert_eq!(first.region, "local-a");
        assert_eq!(first.agent, "blackbox");
        assert_eq!(first.status, Some(200));
        assert!(first.error.is_none());
        assert!((first.phases.connect_ms.unwrap() - 2.557951).abs() < 1e-6);
        assert!((first.phases.total_ms.unwrap() - 4.126948).abs() < 1e-6);
        assert_eq!(first.phases.tls_ms, Some(0.0));
        // the minute the server was down fails, before and after do not
        let down: Vec<bool> = ok
            .iter()
            .map(|r| (1796233989..1796234049 + 10).contains(&r.ts.timestamp()) && r.is_error())
            .collect();
        assert!(down.iter().filter(|d| **d).count() >= 4, "{down:?}");
        assert!(!ok[0].is_error() && !ok[18].is_error());
        let refused = of("http://127.0.0.1:18082/");
        assert!(refused.iter().all(|r| r.is_error() && r.status == Some(0)));
        assert!(refused[0].latency_ms.is_none());
        let icmp = of("10.255.255.1");
        assert_eq!(icmp[0].kind, ProbeKind::Network);
        assert_eq!(icmp[0].region, "local-b");
        assert_eq!(icmp[0].loss_pct, Some(100.0));
        assert_eq!(icmp[0].latency_ms, None);
        let lo = of("127.0.0.1");
        assert_eq!(lo[0].loss_pct, Some(0.0));
        assert!((lo[0].latency_ms.unwrap() - 0.180768).abs() < 1e-6);
    }

    #[test]
    fn success_alone_instant_and_vantage_map() {
        let mut o = IngestOptions::default();
        o.vantage_map.insert("local-a".into(), "eu-west".into());
        let p = parse(&fixture("prometheus-blackbox-success.json"), &o);
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (5 * 39, 0),
            "{:?}",
            p.report
        );
        assert!(p.records.probes.iter().any(|r| r.region == "eu-west"));
        let p = parse(
            &fixture("prometheus-blackbox-instant.json"),
            &IngestOptions::default(),
        );
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (5, 0),
            "{:?}",
            p.report
        );
    }

    #[test]
    fn rejects_errors_and_counts_other_series() {
        let text = r#"{"status":"error","errorType":"bad_data","error":"parse error"}
{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","instance":"a:9100","job":"node"},"values":[[1,"1"]]},{"metric":{"__name__":"probe_success","job":"x"},"values":[[1,"1"]]},{"metric":{"__name__":"probe_success","instance":"h","job":"x"},"values":[[1,"1"],["x","1"],[2,"NaN"]]}]}}"#;
        let p = parse(
            &InputFile::from_bytes(1, "x", text),
            &IngestOptions::default(),
        );
        assert_eq!(p.report.bad_records, 3, "{:?}", p.report);
        assert!(p.report.rejections[0].reason.contains("parse error"));
        assert!(p.report.rejections[1].reason.contains("instance"));
        assert_eq!(p.report.records, 2);
        assert!(p.report.warnings[0].contains("up (1)"));
        assert!(!sniff(br#"{"log":{"entries":[]}}"#));
        // keys sorted (jq -S): resultType after the series
        let sorted = br#"{"data":{"result":[{"metric":{"__name__":"probe_success","instance":"h"},"values":[[1,"1"]]}],"resultType":"matrix"},"status":"success"}"#;
        assert!(sniff(&sorted[..90]));
        assert_eq!(
            parse(
                &InputFile::from_bytes(1, "x", &sorted[..]),
                &IngestOptions::default()
            )
            .report
            .records,
            1
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile::from_bytes(0, "x", bytes);
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn never_panics_on_series(name in "(probe_success|probe_duration_seconds|probe_http_status_code|probe_ssl_earliest_cert_expiry|up)", t in "[0-9.e+-]{0,14}", v in "[0-9.a-zA-Z+-]{0,10}") {
            let text = format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"{name}","instance":"i"}},"values":[[{t:?},"{v}"],["{t}","{v}"]]}}]}}}}"#);
            let _ = parse(&InputFile::from_bytes(0, "x", text), &IngestOptions::default());
        }
    }
}
