use super::jsonl::{Line, decode, decode_flat};
use super::*;
use crate::ingest::{IngestOptions, InputFile};
use crate::model::{ErrorClass, LocKind, ProbeKind};
use proptest::prelude::*;

fn file(text: &str) -> InputFile {
    InputFile::from_bytes(3, "p", text)
}

#[test]
fn jsonl_values_units_lines() {
    let text = format!(
        "{}\n\nnot json\n{}\n",
        FORMAT_JSONL.samples[0], FORMAT_JSONL.samples[1]
    );
    let p = parse_jsonl(&file(&text), &IngestOptions::default());
    assert_eq!(p.report.records, 3);
    assert_eq!(p.report.bad_records, 1);
    assert_eq!(
        p.report.rejections[0].at,
        SourceRef {
            file: 3,
            kind: LocKind::Line,
            n: 3
        }
    );
    let r = &p.records.probes[0];
    assert_eq!(r.kind, ProbeKind::Http);
    assert_eq!(r.registrable_domain, "example.com");
    assert_eq!(r.phases.wait_ms, Some(87.5));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.agent, "probe-fra-1");
    let n = &p.records.probes[1];
    assert_eq!(n.source.n, 4);
    assert_eq!(n.ts.to_rfc3339(), "2025-02-06T10:01:00+00:00");
    assert_eq!(n.loss_pct, Some(0.0));
    let d = &p.records.probes[2];
    assert_eq!(d.kind, ProbeKind::Dns);
    assert_eq!(d.error_class, Some(ErrorClass::DnsServfail));
    assert_eq!(d.resolve_ms, None);
}

#[test]
fn jsonl_rejections_and_offsets() {
    let text = r#"{"ts":"2025-02-06T10:01:00+01:00","type":"page","target":"https://x.example.org/","page_load_ms":"2310"}
{"ts":"2025-02-06T10:01:00Z","type":"smtp","target":"x"}
{"ts":"yesterday","type":"http","target":"x"}
{"ts":1738836000,"type":"http"}
{"ts":1738836000,"type":"network","target":"h","loss_pct":140}
"#;
    let p = parse_jsonl(&file(text), &IngestOptions::default());
    assert_eq!(p.report.records, 1);
    assert_eq!(p.report.bad_records, 4);
    let r = &p.records.probes[0];
    assert_eq!(r.ts.to_rfc3339(), "2025-02-06T09:01:00+00:00");
    assert_eq!(r.page_load_ms, Some(2310.0));
    assert_eq!(r.agent, "unknown");
    let lines: Vec<u64> = p.report.rejections.iter().map(|r| r.at.n).collect();
    assert_eq!(lines, vec![2, 3, 4, 5]);
    assert!(p.report.rejections[0].reason.contains("smtp"));
}

#[test]
fn vantage_fills_agent_and_region() {
    let mut f =
        file(r#"{"ts":1738836000,"type":"http","target":"https://a.example.com/","status":503}"#);
    f.vantage = Some("eu-west".into());
    let p = parse_jsonl(&f, &IngestOptions::default());
    assert_eq!(p.records.probes[0].region, "eu-west");
    assert_eq!(p.records.probes[0].agent, "eu-west");
    assert!(p.records.probes[0].is_error());
}

#[test]
fn csv_values_and_bad_rows() {
    let text = format!(
        "{}2025-02-06T10:02:00Z,p,r,t,http,\"https://a.example.com/x,y\",200,,1,2,3,4,5,6,21\nshort,row\n2025-02-06T10:02:00Z,p,r,t,http,u,abc,,,,,,,,\n",
        FORMAT_CSV.samples[0]
    );
    let p = parse_csv(&file(&text), &IngestOptions::default());
    assert_eq!(p.report.records, 3, "{:?}", p.report.rejections);
    assert_eq!(p.report.bad_records, 2);
    assert_eq!(p.report.rejections[0].at.n, 5);
    assert_eq!(p.report.rejections[1].at.n, 6);
    let t = &p.records.probes[1];
    assert_eq!(t.status, Some(0));
    assert_eq!(t.error_class, Some(ErrorClass::Timeout));
    assert_eq!(t.phases.total_ms, Some(10000.0));
    assert_eq!(t.phases.connect_ms, None);
    assert_eq!(t.source.n, 3);
    assert_eq!(p.records.probes[2].target, "https://a.example.com/x,y");
}

#[test]
fn csv_split() {
    assert_eq!(
        split_csv(r#"a,"b ""q"", c",d"#).unwrap(),
        vec!["a", "b \"q\", c", "d"]
    );
    assert!(split_csv(r#"a,"b"#).is_err());
    assert_eq!(split_csv("a,,").unwrap(), vec!["a", "", ""]);
}

#[test]
fn sniffs() {
    assert!(sniff_jsonl(FORMAT_JSONL.samples[0].as_bytes()));
    assert!(!sniff_jsonl(br#"{"ts":1,"service":"api","kind":"deploy"}"#));
    assert!(!sniff_jsonl(br#"{"type":"Point","metric":"x","data":{}}"#));
    assert!(sniff_csv(FORMAT_CSV.samples[1].as_bytes()));
    assert!(!sniff_csv(b"ts,service,kind,summary\n"));
}

/// The registry test for the log formats alone (it does not depend on
/// the HAR reader having samples): every sample of every log format is
/// claimed by its own format and no other, HAR included, and HAR-shaped
/// content is claimed by no log format.
#[test]
fn log_samples_claimed_exactly_once() {
    let reg = super::super::registry();
    let mine = [
        "probe-jsonl",
        "probe-csv",
        "changes-jsonl",
        "changes-csv",
        "k6-json",
        "curl-json",
        "ripe-atlas",
        "ping",
        "mtr-json",
        "access-log",
        "iis-w3c",
    ];
    for f in reg.iter().filter(|f| mine.contains(&f.name)) {
        assert!(!f.samples.is_empty(), "{} has no samples", f.name);
        for s in f.samples {
            let claimers: Vec<&str> = reg
                .iter()
                .filter(|g| (g.sniff)(s.as_bytes()))
                .map(|g| g.name)
                .collect();
            assert_eq!(
                claimers,
                vec![f.name],
                "sample of {} claimed by {:?}:\n{}",
                f.name,
                claimers,
                s
            );
        }
    }
    let har_like = [
        r#"{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[]}}"#,
        r#"{"startedDateTime":"2025-02-06T10:00:00Z","time":12,"request":{"method":"GET","url":"https://a.example/"},"response":{"status":200},"timings":{"wait":10}}"#,
    ];
    for s in har_like {
        let claimers: Vec<&str> = reg
            .iter()
            .filter(|g| mine.contains(&g.name) && (g.sniff)(s.as_bytes()))
            .map(|g| g.name)
            .collect();
        assert!(claimers.is_empty(), "HAR content claimed by {claimers:?}");
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
        let _ = parse_jsonl(&f, &IngestOptions::default());
        let _ = parse_csv(&f, &IngestOptions::default());
        let _ = sniff_jsonl(&f.bytes);
        let _ = sniff_csv(&f.bytes);
    }

    #[test]
    fn never_panics_on_jsonish(s in r#"\{("ts"|"type"|"target"|"status"|"loss_pct"|:|,|"http"|1|"x"|null|-1e400|\[|\])*\}"#) {
        let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes: s.into_bytes(), read_error: None };
        let _ = parse_jsonl(&f, &IngestOptions::default());
    }

    /// The flat fast path reads a line exactly as serde does, or
    /// leaves it to serde: same fields, same values, and never a line
    /// serde rejects.
    #[test]
    fn flat_path_agrees_with_serde(
        fields in proptest::collection::vec(
            (
                prop_oneof![
                    Just("ts"), Just("agent"), Just("type"), Just("target"), Just("status"),
                    Just("error"), Just("wait_ms"), Just("loss_pct"), Just("components"),
                    Just("extra"),
                ],
                prop_oneof![
                    Just("1738836000".to_string()),
                    Just("\"2025-02-06T10:00:00Z\"".to_string()),
                    Just("\"http\"".to_string()),
                    Just("\"12.5\"".to_string()),
                    Just("\"\"".to_string()),
                    Just("\"x\\\"y\"".to_string()),
                    Just("null".to_string()),
                    Just("true".to_string()),
                    Just("[1]".to_string()),
                    Just("-0".to_string()),
                    Just("2.5e1".to_string()),
                    (0u32..100_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
                    any::<i16>().prop_map(|n| n.to_string()),
                ],
            ),
            0..10,
        ),
    ) {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let line = format!("{{{}}}", body.join(","));
        let slow = serde_json::from_slice::<Line>(line.as_bytes()).ok();
        if let Some(fast) = decode_flat(line.as_bytes()) {
            prop_assert_eq!(Some(fast), slow, "{}", line);
        }
    }
}

#[test]
fn typical_lines_take_the_flat_path() {
    let mut n = 0;
    for sample in FORMAT_JSONL.samples {
        for line in sample.lines() {
            let fast = decode_flat(line.as_bytes()).expect(line);
            assert_eq!(Some(fast), serde_json::from_str::<Line>(line).ok());
            n += 1;
        }
    }
    assert_eq!(n, 4);
    // a repeated field is serde's to reject
    assert!(decode_flat(br#"{"ts":1,"ts":2}"#).is_none());
    assert!(decode(br#"{"ts":1,"ts":2}"#).is_err());
}
