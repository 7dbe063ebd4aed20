//! k6 end-of-test summaries: the `--summary-export` file (metrics with
//! their statistics as fields, `root_group` checks as objects) and the
//! `handleSummary` data JSON (`metrics.NAME.values`, `type`, thresholds
//! with `ok`, `root_group` checks as arrays, `state.testRunDurationMs`).
//!
//! A summary has no per-request times, so it gives no records: it becomes
//! the file's [`RunSummary`] (whole-run aggregates), which `compare` sets
//! against another run's and `analyze` lists as run-level evidence. Each
//! metric read counts as one record of the input account; a metric whose
//! statistics are not numbers is rejected by name.

use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{RunSummary, SourceRef, SummaryCheck, SummaryMetric, SummaryThreshold};
use serde_json::Value;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "k6-summary",
    sniff,
    parse,
    samples: &[
        // handleSummary data as JSON.stringify(data) wrote it at the end of a
        // real run (Md-Nur-Amin/ParaBank_k6 summary.json; fixtures/logs/README.md)
        include_str!("../../fixtures/logs/k6-handle-summary-parabank.json"),
        // grafana/k6 internal/js/summary_test.go, expectedOldJSONExportResult (cut)
        r#"{
    "root_group": {
        "name": "",
        "path": "",
        "id": "d41d8cd98f00b204e9800998ecf8427e",
        "groups": {},
        "checks": {}
    },
    "metrics": {
        "http_reqs": {
            "count": 3,
            "rate": 3,
            "thresholds": {
                "rate<100": true
            }
        }
    }
}"#,
    ],
};

fn sniff(head: &[u8]) -> bool {
    let b = super::trimmed_head(head);
    if !b.starts_with(b"{") {
        return false;
    }
    let has = |s: &[u8]| memchr::memmem::find(b, s).is_some();
    has(b"\"root_group\"") && has(b"\"metrics\"") && !has(b"\"resultType\"")
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Checks of a group and its subgroups, in the order written (objects in
/// `--summary-export`, arrays in `handleSummary` data).
fn checks(group: &Value, out: &mut Vec<SummaryCheck>) {
    fn items(v: Option<&Value>) -> Vec<&Value> {
        match v {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(Value::Object(o)) => o.values().collect(),
            _ => Vec::new(),
        }
    }
    for c in items(group.get("checks")) {
        let path = c
            .get("path")
            .or(c.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        out.push(SummaryCheck {
            path,
            passes: c.get("passes").and_then(Value::as_u64).unwrap_or(0),
            fails: c.get("fails").and_then(Value::as_u64).unwrap_or(0),
        });
    }
    for g in items(group.get("groups")) {
        checks(g, out);
    }
}

/// The kind of a `--summary-export` metric, from the statistics it has.
fn kind_of(stats: &serde_json::Map<String, Value>) -> &'static str {
    if stats.contains_key("avg") || stats.contains_key("med") {
        "trend"
    } else if stats.contains_key("passes") || stats.contains_key("fails") {
        "rate"
    } else if stats.contains_key("count") {
        "counter"
    } else {
        "gauge"
    }
}

fn parse(file: &InputFile, _opts: &IngestOptions) -> Parsed {
    let mut out = Parsed::default();
    let at = SourceRef::entry(file.id, 0);
    let doc: Value = match serde_json::from_slice(super::strip_bom(&file.bytes)) {
        Ok(v) => v,
        Err(e) => {
            out.report
                .reject(at, format!("k6 summary is not JSON: {e}"));
            return out;
        }
    };
    let Some(metrics) = doc.get("metrics").and_then(Value::as_object) else {
        out.report
            .reject(at, "k6 summary without a `metrics` object");
        return out;
    };
    let mut run = RunSummary {
        tool: "k6".into(),
        duration_ms: doc
            .get("state")
            .and_then(|s| s.get("testRunDurationMs"))
            .and_then(num),
        ..Default::default()
    };
    for (i, (name, m)) in metrics.iter().enumerate() {
        let at = SourceRef::entry(file.id, i as u64);
        // handleSummary data: {"type", "contains", "values", "thresholds": {expr: {"ok"}}}
        // --summary-export: the statistics themselves, "thresholds": {expr: bool}
        let (kind, stats) = match (m.get("values").and_then(Value::as_object), m.as_object()) {
            (Some(v), _) => (
                m.get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                v,
            ),
            (None, Some(o)) => (kind_of(o).to_string(), o),
            (None, None) => {
                out.report
                    .reject(at, format!("k6 metric {name:?} is not an object"));
                continue;
            }
        };
        let values: Vec<(String, f64)> = stats
            .iter()
            .filter(|(k, _)| k.as_str() != "thresholds")
            .filter_map(|(k, v)| Some((k.clone(), num(v)?)))
            .collect();
        if values.is_empty() {
            out.report
                .reject(at, format!("k6 metric {name:?} has no numeric statistics"));
            continue;
        }
        if let Some(th) = m.get("thresholds").and_then(Value::as_object) {
            for (expr, v) in th {
                let ok = match v {
                    Value::Bool(b) => *b,
                    other => other.get("ok").and_then(Value::as_bool).unwrap_or(false),
                };
                run.thresholds.push(SummaryThreshold {
                    metric: name.clone(),
                    expr: expr.clone(),
                    ok,
                });
            }
        }
        run.metrics.push(SummaryMetric {
            name: name.clone(),
            kind,
            values,
        });
    }
    if let Some(g) = doc.get("root_group") {
        checks(g, &mut run.checks);
    }
    out.report.records = run.metrics.len() as u64;
    out.report.warnings.push(format!(
        "k6 end-of-test summary: {} metrics, whole-run aggregates only (no per-request times); compare it with another run's summary",
        run.metrics.len()
    ));
    out.report.run_summary = Some(run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> Parsed {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let f = InputFile::from_bytes(1, name, std::fs::read(path).unwrap());
        assert!(sniff(&f.bytes), "{name}");
        assert!(!super::super::k6::FORMAT.samples.is_empty());
        parse(&f, &IngestOptions::default())
    }

    #[test]
    fn summary_export() {
        let p = fixture("k6-summary-export.json");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (4, 0),
            "{:?}",
            p.report
        );
        let r = p.report.run_summary.unwrap();
        let t = r.metric("my_trend").unwrap();
        assert_eq!(t.kind, "trend");
        assert_eq!(t.get("p(95)"), Some(19.5));
        assert_eq!(r.metric("checks").unwrap().get("value"), Some(0.75));
        assert_eq!(r.metric("http_reqs").unwrap().kind, "counter");
        assert_eq!(r.checks.len(), 3);
        assert_eq!(r.checks[1].path, "::child::check2");
        assert_eq!((r.checks[1].passes, r.checks[1].fails), (5, 10));
        assert!(r.thresholds.iter().any(|t| t.expr == "rate>70" && !t.ok));
    }

    #[test]
    fn handle_summary_data() {
        let p = fixture("k6-handle-summary.json");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (4, 0),
            "{:?}",
            p.report
        );
        let r = p.report.run_summary.unwrap();
        assert_eq!(r.duration_ms, Some(1000.0));
        assert_eq!(r.metric("checks").unwrap().kind, "rate");
        assert_eq!(r.metric("checks").unwrap().get("rate"), Some(0.75));
        assert_eq!(r.metric("my_trend").unwrap().get("p(99)"), Some(19.9));
        assert!(
            r.thresholds
                .iter()
                .any(|t| t.expr == "my_trend<1000" && !t.ok)
        );
        assert_eq!(r.checks.len(), 3);
    }

    #[test]
    fn rejects() {
        let p = parse(
            &InputFile::from_bytes(
                0,
                "x",
                r#"{"root_group":{},"metrics":{"a":"x","b":{"values":{"p(95)":"slow"}},"c":{"count":1}}}"#,
            ),
            &IngestOptions::default(),
        );
        assert_eq!((p.report.records, p.report.bad_records), (1, 2));
        let p = parse(
            &InputFile::from_bytes(0, "x", "{\"root_group\""),
            &IngestOptions::default(),
        );
        assert_eq!(p.report.bad_records, 1);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile::from_bytes(0, "x", bytes);
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }
    }
}
