//! `mtr --json` reports: the last hub (the destination) gives loss, mean
//! RTT and jitter for the path. mtr 0.93 writes most numbers as strings,
//! 0.94+ as numbers; both are read.
//!
//! mtr's JSON has no time of its own. Collections of runs put one next to
//! it: an RFC 3339 / unix time before each report (`echo "$(date -Is)
//! $(mtr --json ...)"`), or a `ts` / `timestamp` / `time` field at the top
//! level or in `report.mtr`. A report with neither is rejected, never
//! placed at an invented time. Several reports may follow each other in
//! one file, pretty-printed or one per line.

use super::probe::Num;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "mtr-json",
    sniff,
    parse,
    samples: &[
        // mtr 0.93 (string fields), as printed by `mtr --json -c 10 example.com`
        r#"2025-02-06T10:00:00+00:00 {
  "report": {
    "mtr": {
      "src": "probe-ams-1",
      "dst": "example.com",
      "tos": "0x0",
      "psize": "64",
      "bitpattern": "0x00",
      "tests": "10"
    },
    "hubs": [{
      "count": "1",
      "host": "_gateway",
      "Loss%": 0.00,
      "Snt": 10,
      "Last": 0.39,
      "Avg": 0.43,
      "Best": 0.36,
      "Wrst": 0.52,
      "StDev": 0.04
    },
    {
      "count": "2",
      "host": "93.184.215.14",
      "Loss%": 10.00,
      "Snt": 10,
      "Last": 88.11,
      "Avg": 87.93,
      "Best": 86.90,
      "Wrst": 90.02,
      "StDev": 0.95
    }]
  }
}"#,
        // mtr 0.95 (integers), one report per line with a unix time stamp
        r#"1738836060 {"report":{"mtr":{"src":"probe-ams-1","dst":"example.com","tos":0,"tests":10,"psize":"64","bitpattern":"0x00"},"hubs":[{"count":1,"host":"_gateway","Loss%":0.0,"Snt":10,"Last":0.36,"Avg":0.4,"Best":0.33,"Wrst":0.53,"StDev":0.06},{"count":2,"host":"93.184.215.14","Loss%":100.0,"Snt":10,"Last":0.0,"Avg":0.0,"Best":0.0,"Wrst":0.0,"StDev":0.0}]}}"#,
    ],
};

fn sniff(head: &[u8]) -> bool {
    let b = super::trimmed_head(head);
    let Some(brace) = memchr::memchr(b'{', b) else {
        return false;
    };
    let prefix = &b[..brace];
    if !prefix.is_empty() && (prefix.len() > 40 || time_of(prefix).is_none()) {
        return false;
    }
    let find = |s: &[u8]| memchr::memmem::find(b, s).is_some();
    find(b"\"report\"") && find(b"\"mtr\"") && find(b"\"hubs\"") && !find(b"\"log\"")
}

fn time_of(prefix: &[u8]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(prefix)
        .ok()?
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches(':');
    super::probe::parse_time(s)
}

#[derive(Deserialize)]
struct Hub {
    #[serde(rename = "Loss%", default)]
    loss: Num,
    #[serde(rename = "Avg", default)]
    avg: Num,
    #[serde(rename = "StDev", default)]
    stdev: Num,
    #[serde(rename = "Javg", default)]
    javg: Num,
    #[serde(rename = "Snt", default)]
    sent: Num,
    #[serde(default)]
    host: Option<String>,
}

fn ts_field(v: &Value) -> Option<DateTime<Utc>> {
    ["ts", "timestamp", "time"]
        .iter()
        .find_map(|k| match v.get(*k)? {
            Value::String(s) => super::probe::parse_time(s),
            Value::Number(n) => n.as_f64().and_then(crate::classify::unix_to_utc),
            _ => None,
        })
}

fn build(
    v: &Value,
    prefix_ts: Option<DateTime<Utc>>,
    at: SourceRef,
    vantage: Option<&str>,
) -> Result<ProbeRecord, String> {
    let report = v
        .get("report")
        .ok_or("no `report` object: not mtr --json output")?;
    let mtr = report.get("mtr").ok_or("no `report.mtr`")?;
    let ts = prefix_ts.or_else(|| ts_field(v)).or_else(|| ts_field(mtr)).ok_or(
        "no time stamp: mtr --json carries none; put an RFC 3339 time before each report or a `ts` field in it",
    )?;
    let dst = mtr
        .get("dst")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or("no `report.mtr.dst`")?;
    let src = mtr
        .get("src")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let hubs = report
        .get("hubs")
        .and_then(Value::as_array)
        .ok_or("no `report.hubs` list")?;
    let last = hubs.last().ok_or("no hops in `report.hubs`")?;
    let hub: Hub = Hub::deserialize(last).map_err(|e| format!("last hop: {e}"))?;
    let agent = src.or(vantage).unwrap_or("mtr");
    let region = vantage.or(src).unwrap_or("mtr");
    let mut r = ProbeRecord::identity(
        at,
        ts,
        agent,
        region,
        &format!("mtr {dst}"),
        ProbeKind::Network,
        dst,
    );
    r.loss_pct = hub.loss.0.map(|l| l.clamp(0.0, 100.0));
    let all_lost = r.loss_pct.is_some_and(|l| l >= 100.0);
    if !all_lost {
        r.latency_ms = hub.avg.0.filter(|a| *a >= 0.0);
        r.jitter_ms = hub.javg.0.or(hub.stdev.0).filter(|j| *j >= 0.0);
    }
    if all_lost || hub.sent.0 == Some(0.0) {
        r.error = Some(crate::sym::intern(&format!(
            "no reply from last hop {}",
            hub.host.as_deref().unwrap_or("?")
        )));
        r.error_class = Some(ErrorClass::Timeout);
    }
    Ok(r)
}

fn line_at(bytes: &[u8], pos: usize, from: usize, line: &mut u64) -> u64 {
    *line += memchr::memchr_iter(b'\n', &bytes[from..pos]).count() as u64;
    *line
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let limit = opts.max_record_bytes();
    let bytes = super::strip_bom(&file.bytes);
    let vantage = file.vantage.as_deref();
    let mut out = Parsed::default();
    let (mut pos, mut counted, mut line) = (0usize, 0usize, 1u64);
    while pos < bytes.len() {
        // skip blank space
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= bytes.len() {
            break;
        }
        let start_line = line_at(bytes, pos, counted, &mut line);
        counted = pos;
        let eol = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let at = SourceRef::line(file.id, start_line);
        let Some(brace) = memchr::memchr(b'{', &bytes[pos..eol]).map(|i| pos + i) else {
            out.report
                .reject(at, "not an mtr --json report (no `{` on this line)");
            pos = eol;
            continue;
        };
        let prefix = bytes[pos..brace].trim_ascii();
        let prefix_ts = if prefix.is_empty() {
            None
        } else {
            time_of(prefix)
        };
        if !prefix.is_empty() && prefix_ts.is_none() {
            out.report.reject(
                at,
                format!(
                    "text before the report is not a time: {:?}",
                    String::from_utf8_lossy(&prefix[..prefix.len().min(40)])
                ),
            );
            pos = eol;
            continue;
        }
        let mut stream = serde_json::Deserializer::from_slice(&bytes[brace..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                let end = brace + stream.byte_offset();
                if end - brace > limit {
                    out.report.reject(
                        at,
                        format!(
                            "report of {} bytes exceeds the {limit} byte limit",
                            end - brace
                        ),
                    );
                } else {
                    match build(&v, prefix_ts, at, vantage) {
                        Ok(r) => {
                            out.report.records += 1;
                            out.report.see_ts(r.ts);
                            out.records.probes.push(r);
                        }
                        Err(e) => out.report.reject(at, e),
                    }
                }
                pos = end;
            }
            Some(Err(e)) => {
                out.report.reject(at, format!("invalid JSON: {e}"));
                // resynchronise on the next line
                pos = eol;
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile {
            id: 7,
            path: "m".into(),
            vantage: Some("ams".into()),
            bytes: text.as_bytes().to_vec(),
            read_error: None,
        }
    }

    #[test]
    fn both_versions_and_line_numbers() {
        let text = format!(
            "{}\n{}\ngarbage\n{{\"report\":{{\"mtr\":{{\"dst\":\"x.org\"}},\"hubs\":[{{\"Loss%\":1}}]}}}}\n",
            FORMAT.samples[0], FORMAT.samples[1]
        );
        let p = parse(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 2, "{:?}", p.report.rejections);
        assert_eq!(p.report.bad_records, 2);
        assert_eq!(p.report.rejections[0].at.n, 36);
        assert!(p.report.rejections[1].reason.contains("no time stamp"));
        let a = &p.records.probes[0];
        assert_eq!(a.source.n, 1);
        assert_eq!(a.agent, "probe-ams-1");
        assert_eq!(a.region, "ams");
        assert_eq!(a.target, "example.com");
        assert_eq!(a.loss_pct, Some(10.0));
        assert_eq!(a.latency_ms, Some(87.93));
        assert_eq!(a.jitter_ms, Some(0.95));
        let b = &p.records.probes[1];
        assert_eq!(b.source.n, 35);
        assert_eq!(b.ts.timestamp(), 1738836060);
        assert_eq!(b.loss_pct, Some(100.0));
        assert_eq!(b.latency_ms, None);
        assert!(b.is_error());
    }

    #[test]
    fn ts_field_and_javg() {
        let t = r#"{"ts":"2025-02-06T10:05:00Z","report":{"mtr":{"src":"a","dst":"b.example"},"hubs":[{"count":"1","host":"h","Loss%":"0.0","Avg":"5.5","StDev":"1.0","Javg":"0.7"}]}}"#;
        let p = parse(&file(t), &IngestOptions::default());
        assert_eq!(p.report.records, 1);
        assert_eq!(p.records.probes[0].latency_ms, Some(5.5));
        assert_eq!(p.records.probes[0].jitter_ms, Some(0.7));
    }

    #[test]
    fn sniffs() {
        assert!(sniff(FORMAT.samples[0].as_bytes()));
        assert!(sniff(FORMAT.samples[1].as_bytes()));
        assert!(!sniff(br#"{"log":{"report":1,"mtr":2,"hubs":3}}"#));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }
    }
}
