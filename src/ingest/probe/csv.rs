//! Probe logs as CSV, and the CSV record splitter the other CSV readers
//! (changes, atlas) share.
//!
//! Why not the `csv` crate: it reads malformed quoting without an error
//! (`"a"b` is the field `ab`, an unterminated quote runs to the end of the
//! line), while the contract rejects such a line with its reason
//! ("unterminated quoted CSV field", "text after a closing quote in a CSV
//! field"), and those rejections are part of the output. It also trims
//! quoted fields when asked to trim at all, where a quoted field here keeps
//! its spaces. Matching both would mean a second scan of every line by
//! hand, so the splitter stays the 40 lines it is.

use super::shared::{parse_time, reserve_chunk};
use super::{Fields, build};
use crate::ingest::lines::{LineOutcome, parse_lines};
use crate::ingest::{IngestOptions, InputFile, Parsed};
use crate::model::Records;
use std::borrow::Cow;

/// Split one CSV record (RFC 4180 quoting, no embedded newlines).
pub(crate) fn split_csv(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if i < b.len() && b[i] == b'"' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match line[j..].find('"') {
                    None => return Err("unterminated quoted CSV field".into()),
                    Some(k) => {
                        s.push_str(&line[j..j + k]);
                        j += k + 1;
                        if j < b.len() && b[j] == b'"' {
                            s.push('"');
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push(Cow::Owned(s));
            if j >= b.len() {
                return Ok(out);
            }
            if b[j] != b',' {
                return Err("text after a closing quote in a CSV field".into());
            }
            i = j + 1;
        } else {
            match line[i..].find(',') {
                Some(k) => {
                    out.push(Cow::Borrowed(line[i..i + k].trim()));
                    i += k + 1;
                }
                None => {
                    out.push(Cow::Borrowed(line[i..].trim()));
                    return Ok(out);
                }
            }
        }
    }
}

/// The header of a CSV file: its line number and lower-cased names.
pub(crate) fn csv_header(bytes: &[u8]) -> Option<(u64, Vec<String>)> {
    let b = crate::ingest::strip_bom(bytes);
    for (i, line) in b.split(|&c| c == b'\n').enumerate().take(1000) {
        let line = std::str::from_utf8(line).ok()?.trim();
        if line.is_empty() {
            continue;
        }
        let names = split_csv(line).ok()?;
        return Some((
            i as u64 + 1,
            names
                .into_iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect(),
        ));
    }
    None
}

pub(super) fn sniff_csv(head: &[u8]) -> bool {
    let line = crate::ingest::first_line(head);
    if line.starts_with('{') || line.starts_with('[') || line.starts_with('#') {
        return false;
    }
    let Ok(names) = split_csv(&line) else {
        return false;
    };
    let has = |n: &str| names.iter().any(|x| x.trim().eq_ignore_ascii_case(n));
    names.len() >= 3 && has("ts") && has("type") && has("target")
}

/// The metric columns of the probe log, in the contract's order.
pub const NUM_COLS: [&str; 14] = [
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "send_ms",
    "wait_ms",
    "receive_ms",
    "total_ms",
    "loss_pct",
    "latency_ms",
    "jitter_ms",
    "page_load_ms",
    "components",
    "component_errors",
    "resolve_ms",
];

pub(super) fn parse_csv(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let Some((header_line, names)) = csv_header(&file.bytes) else {
        let mut p = Parsed::default();
        p.report.warnings.push("no CSV header row".into());
        return p;
    };
    let col = |n: &str| names.iter().position(|x| x == n);
    let c_ts = col("ts");
    let c_agent = col("agent");
    let c_region = col("region");
    let c_test = col("test");
    let c_type = col("type");
    let c_target = col("target");
    let c_status = col("status");
    let c_error = col("error");
    let c_nums: Vec<Option<usize>> = NUM_COLS.iter().map(|n| col(n)).collect();
    let vantage = file.vantage.as_deref();
    let width = names.len();
    parse_lines(file, opts, |line, at, out: &mut Records| {
        if at.n == header_line {
            return LineOutcome::Skip;
        }
        reserve_chunk(&mut out.probes, line.len(), file.bytes.len());
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
        let num = |c: Option<usize>| -> Result<Option<f64>, String> {
            match get(c).map(str::trim) {
                None | Some("") | Some("-") | Some("null") => Ok(None),
                Some(s) => s
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("not a number: {s:?}")),
            }
        };
        let mut nums = [None; 14];
        for (i, c) in c_nums.iter().enumerate() {
            match num(*c) {
                Ok(v) => nums[i] = v,
                Err(e) => return LineOutcome::Reject(format!("`{}`: {e}", NUM_COLS[i])),
            }
        }
        let status = match num(c_status) {
            Ok(v) => v,
            Err(e) => return LineOutcome::Reject(format!("`status`: {e}")),
        };
        let f = Fields {
            ts: get(c_ts).and_then(parse_time),
            agent: get(c_agent),
            region: get(c_region),
            test: get(c_test),
            kind: get(c_type),
            target: get(c_target),
            status,
            error: get(c_error),
            nums,
        };
        LineOutcome::push(build(f, at, vantage), &mut out.probes)
    })
}
