//! Change log (contract §3), JSON Lines and CSV: deploys, config changes,
//! rollbacks and maintenance, the "what changed" half of a verdict.
//!
//! Recognised by `ts` + `service` + `kind` and no `type`, so a probe log
//! (which has `type`) is never read as a list of changes.

use super::lines::{LineOutcome, parse_lines};
use super::probe::{Ts, csv_header, first_json_object, parse_time, split_csv};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{Change, ChangeKind, Records, SourceRef};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::borrow::Cow;

pub static FORMAT_JSONL: FormatSpec = FormatSpec {
    name: "changes-jsonl",
    sniff: sniff_jsonl,
    parse: parse_jsonl,
    samples: &[
        r#"{"ts":"2025-02-06T09:57:00Z","service":"checkout-api","kind":"deploy","summary":"v2.14.0 rolled out to 100% (canary passed)"}
{"ts":"2025-02-06T10:20:00Z","service":"checkout-api","kind":"rollback","summary":"back to v2.13.4"}"#,
        r#"{"ts":1738835700,"service":"edge-cdn","kind":"config","summary":"cache TTL for /static lowered to 60s"}"#,
    ],
};

pub static FORMAT_CSV: FormatSpec = FormatSpec {
    name: "changes-csv",
    sniff: sniff_csv,
    parse: parse_csv,
    samples: &[
        "ts,service,kind,summary\n2025-02-06T09:57:00Z,checkout-api,deploy,\"v2.14.0, canary passed\"\n2025-02-06T11:00:00Z,db-primary,maintenance,minor version upgrade\n",
    ],
};

fn sniff_jsonl(head: &[u8]) -> bool {
    let Some(m) = first_json_object(head) else {
        return false;
    };
    m.contains_key("ts")
        && m.get("service").is_some_and(|v| v.is_string())
        && m.get("kind").is_some_and(|v| v.is_string())
        && !m.contains_key("type")
}

fn sniff_csv(head: &[u8]) -> bool {
    let line = super::first_line(head);
    if line.starts_with('{') || line.starts_with('[') || line.starts_with('#') {
        return false;
    }
    let Ok(names) = split_csv(&line) else {
        return false;
    };
    let has = |n: &str| names.iter().any(|x| x.trim().eq_ignore_ascii_case(n));
    has("ts") && has("service") && has("kind") && !has("type")
}

fn build(
    ts: Option<DateTime<Utc>>,
    service: Option<&str>,
    kind: Option<&str>,
    summary: Option<&str>,
    at: SourceRef,
) -> Result<Change, String> {
    let ts = ts.ok_or("missing or invalid `ts`")?;
    let service = service
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing `service`")?;
    let kind = kind
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing `kind`")?;
    Ok(Change {
        source: at,
        ts,
        service: service.to_string(),
        kind: ChangeKind::parse(kind),
        summary: summary.unwrap_or("").trim().to_string(),
    })
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    ts: Ts,
    #[serde(borrow, default)]
    service: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    summary: Option<Cow<'a, str>>,
}

fn parse_jsonl(file: &InputFile, opts: &IngestOptions) -> Parsed {
    parse_lines(file, opts, |line, at, out: &mut Records| {
        let l: Line = match serde_json::from_slice(line) {
            Ok(l) => l,
            Err(e) => return LineOutcome::Reject(format!("not a change JSON object: {e}")),
        };
        LineOutcome::push(
            build(
                l.ts.0,
                l.service.as_deref(),
                l.kind.as_deref(),
                l.summary.as_deref(),
                at,
            ),
            &mut out.changes,
        )
    })
}

fn parse_csv(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let Some((header_line, names)) = csv_header(&file.bytes) else {
        let mut p = Parsed::default();
        p.report.warnings.push("no CSV header row".into());
        return p;
    };
    let col = |n: &str| names.iter().position(|x| x == n);
    let (c_ts, c_service, c_kind, c_summary) =
        (col("ts"), col("service"), col("kind"), col("summary"));
    let width = names.len();
    parse_lines(file, opts, |line, at, out: &mut Records| {
        if at.n == header_line {
            return LineOutcome::Skip;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return LineOutcome::Reject("not UTF-8".into());
        };
        let cells = match split_csv(text) {
            Ok(c) => c,
            Err(e) => return LineOutcome::Reject(e),
        };
        if cells.len() != width {
            return LineOutcome::Reject(format!("{} fields, header has {width}", cells.len()));
        }
        let get = |c: Option<usize>| c.map(|i| cells[i].as_ref());
        LineOutcome::push(
            build(
                get(c_ts).and_then(parse_time),
                get(c_service),
                get(c_kind),
                get(c_summary),
                at,
            ),
            &mut out.changes,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile::from_bytes(1, "c", text)
    }

    #[test]
    fn jsonl_values() {
        let text = format!(
            "{}\n{{\"ts\":\"bad\",\"service\":\"x\",\"kind\":\"deploy\"}}\n{}\n",
            FORMAT_JSONL.samples[0], FORMAT_JSONL.samples[1]
        );
        let p = parse_jsonl(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 3);
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, 3);
        let c = &p.records.changes;
        assert_eq!(c[0].kind, ChangeKind::Deploy);
        assert_eq!(c[1].kind, ChangeKind::Rollback);
        assert_eq!(c[1].source.n, 2);
        assert_eq!(c[2].kind, ChangeKind::Config);
        assert_eq!(c[2].ts.to_rfc3339(), "2025-02-06T09:55:00+00:00");
        assert_eq!(c[2].source.n, 4);
    }

    #[test]
    fn csv_values() {
        let text = format!(
            "{}2025-02-06T11:05:00Z,,deploy,no service\n",
            FORMAT_CSV.samples[0]
        );
        let p = parse_csv(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 2);
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, 4);
        assert_eq!(p.records.changes[0].summary, "v2.14.0, canary passed");
        assert_eq!(p.records.changes[1].kind, ChangeKind::Maintenance);
    }

    #[test]
    fn sniffs() {
        assert!(sniff_jsonl(FORMAT_JSONL.samples[1].as_bytes()));
        assert!(!sniff_jsonl(
            br#"{"ts":1,"service":"a","kind":"deploy","type":"http","target":"x"}"#
        ));
        assert!(sniff_csv(FORMAT_CSV.samples[0].as_bytes()));
        assert!(!sniff_csv(b"ts,type,target,service,kind\n"));
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
    }
}
