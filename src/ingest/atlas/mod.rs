//! RIPE Atlas measurement results, as the API and `ripe-atlas report`
//! download them: a JSON array, or one result per line. Five result types
//! become probe records: ping and traceroute (network), http and sslcert
//! (http), dns (dns).
//!
//! Results name a probe (`prb_id`) but not where it is, so the region comes
//! from `--vantage-map` (CSV `probe_id,region[,country,asn]`), falling back
//! to the probe id so that per-vantage tables still split by probe.
//!
//! Quirks honoured: `-1` RTTs when nothing came back, `{"x":"*"}` lost
//! replies, and the real `decription` misspelling in sslcert alerts.
//!
//! `result` reads what every result has and hands it to the reader of its
//! type (`network`, `http`, `dns`); this module finds the results in a
//! file (an array, lines, or JSON values in sequence) and tallies them.

mod dns;
mod http;
mod network;
mod result;

use super::lines::{LineOutcome, map_lines};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{InputReport, ProbeRecord, SourceRef};
pub(crate) use network::jitter;
use rayon::prelude::*;
pub use result::READ_TYPES;
use result::{Built, build};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

pub static FORMAT: FormatSpec = FormatSpec {
    name: "ripe-atlas",
    sniff,
    parse,
    samples: &[
        r#"[{"af":4,"avg":48.802,"dst_addr":"193.0.14.129","dst_name":"k.root-servers.net","dup":0,"from":"80.83.113.44","fw":4790,"lts":30,"max":49.012,"min":48.612,"msm_id":1001,"msm_name":"Ping","prb_id":2,"proto":"ICMP","rcvd":3,"result":[{"rtt":48.612},{"rtt":49.012},{"rtt":48.782}],"sent":3,"size":48,"src_addr":"80.83.113.44","step":240,"timestamp":1700000000,"ttl":54,"type":"ping"}]"#,
        r#"{"fw":4790,"lts":41,"msm_id":12023,"msm_name":"HTTPGet","prb_id":6001,"result":[{"af":4,"bsize":1547,"dst_addr":"193.0.6.139","hsize":360,"method":"GET","res":200,"rt":62.123,"src_addr":"10.0.0.5","ttc":21.4,"ttfb":55.0,"ver":"1.1"}],"timestamp":1700000060,"type":"http","uri":"http://www.ripe.net/"}
{"af":4,"alert":{"decription":42,"level":2},"dst_addr":"193.0.6.139","dst_name":"www.ripe.net","dst_port":"443","from":"203.0.113.9","fw":4790,"lts":12,"method":"TLS","msm_id":1006,"prb_id":6001,"rt":67.9,"src_addr":"10.0.0.5","timestamp":1700000060,"ttc":27.2,"type":"sslcert","ver":"1.2"}"#,
    ],
};

fn sniff(head: &[u8]) -> bool {
    let b = super::trimmed_head(head);
    if !(b.starts_with(b"[") || b.starts_with(b"{")) {
        return false;
    }
    let finder = |s: &[u8]| memchr::memmem::find(b, s).is_some();
    finder(b"\"prb_id\"") && finder(b"\"msm_id\"") && finder(b"\"type\"") && !finder(b"\"log\"")
}

/// Read a vantage map: CSV `probe_id,region[,country,asn]`, an optional
/// header row, `#` comments. Errors name the line.
pub fn load_vantage_map(text: &str) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells = super::probe::split_csv(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let id = cells.first().map(|c| c.trim()).unwrap_or("");
        let region = cells.get(1).map(|c| c.trim()).unwrap_or("");
        if map.is_empty() && i < 5 && !id.is_empty() && !id.bytes().all(|c| c.is_ascii_digit()) {
            continue; // header row
        }
        if id.is_empty() || region.is_empty() {
            return Err(format!(
                "line {}: expected probe_id,region[,country,asn]",
                i + 1
            ));
        }
        map.insert(id.to_string(), region.to_string());
    }
    Ok(map)
}

/// Elements of a JSON array up to the first syntax error (a truncated
/// download keeps what came before the cut), and that error.
fn array_elements(bytes: &[u8]) -> (Vec<Box<RawValue>>, Option<String>) {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    struct Collect<'v>(&'v mut Vec<Box<RawValue>>);
    impl<'de> Visitor<'de> for Collect<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of results")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<Box<RawValue>>()? {
                self.0.push(v);
            }
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match de.deserialize_seq(Collect(&mut out)) {
        Ok(()) => de.end().err().map(|e| format!("after the array: {e}")),
        Err(e) => Some(format!("{e}")),
    };
    (out, err)
}

/// The tally of one part of a file: records, and results of types not read.
#[derive(Default)]
struct Tally {
    probes: Vec<ProbeRecord>,
    unread: BTreeMap<String, u64>,
}

impl Tally {
    fn take(&mut self, built: Result<Built, String>) -> LineOutcome {
        match built {
            Ok(Built::Probes(rs)) if rs.is_empty() => {
                LineOutcome::Reject("result without measurements".into())
            }
            Ok(Built::Probes(rs)) => {
                self.probes.extend(rs);
                LineOutcome::Record
            }
            Ok(Built::Unread(t)) => {
                *self.unread.entry(t).or_default() += 1;
                LineOutcome::Skip
            }
            Err(e) => LineOutcome::Reject(e),
        }
    }
}

fn finish(parts: Vec<(Tally, InputReport)>) -> Parsed {
    let mut out = Parsed::default();
    let mut unread: BTreeMap<String, u64> = BTreeMap::new();
    for (t, rep) in parts {
        super::lines::merge_report(&mut out.report, rep);
        out.records.probes.extend(t.probes);
        for (k, n) in t.unread {
            *unread.entry(k).or_default() += n;
        }
    }
    for (k, n) in unread {
        out.report.warnings.push(format!(
            "{n} RIPE Atlas result(s) of type {k:?} not read: only {READ_TYPES} carry latency, loss or failure"
        ));
    }
    // a dns `resultset` gives one record per resolver asked
    out.report.records = out.records.probes.len() as u64;
    for r in &out.records.probes {
        out.report.see_ts(r.ts);
    }
    out
}

/// An object that is not a result (no `type`) holding exactly one array
/// whose first element is one (`type` and `prb_id`): how some people save
/// what the API returned (`{"info": [...]}`).
fn wrapped_results(bytes: &[u8]) -> Option<(String, Vec<Value>)> {
    let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    if m.contains_key("type") {
        return None;
    }
    let is_result = |v: &Value| v.get("type").is_some() && v.get("prb_id").is_some();
    let mut keys = m
        .iter()
        .filter(|(_, v)| {
            v.as_array()
                .is_some_and(|a| a.first().is_some_and(is_result))
        })
        .map(|(k, _)| k.clone());
    let key = keys.next()?;
    if keys.next().is_some() {
        return None;
    }
    match m.remove(&key) {
        Some(Value::Array(items)) => Some((key, items)),
        _ => None,
    }
}

fn value_of(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))
}

/// 1-based line of a byte offset.
fn line_at(bytes: &[u8], pos: usize) -> u64 {
    memchr::memchr_iter(b'\n', &bytes[..pos.min(bytes.len())]).count() as u64 + 1
}

/// Results that are not one per line (one pretty-printed object, or several
/// back to back): JSON values in sequence, each placed at its first line; a
/// value with a syntax error is rejected there and reading goes on at the
/// next line that opens a value (`{` first on the line).
fn parse_values(file: &InputFile, bytes: &[u8], opts: &IngestOptions) -> Vec<(Tally, InputReport)> {
    let vantage = file.vantage.as_deref();
    let mut t = Tally::default();
    let mut rep = InputReport::default();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let skip = bytes[pos..]
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(bytes.len() - pos);
        pos += skip;
        if pos >= bytes.len() {
            break;
        }
        let at = SourceRef::line(file.id, line_at(bytes, pos) + opts.line_base);
        let mut it = serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<Value>();
        match it.next() {
            Some(Ok(v)) => {
                let end = pos + it.byte_offset();
                if end - pos > opts.max_record_bytes() {
                    rep.reject(
                        at,
                        format!("result of {} bytes exceeds the limit", end - pos),
                    );
                } else {
                    match t.take(build(&v, at, opts, vantage)) {
                        LineOutcome::Record => rep.records += 1,
                        LineOutcome::Skip => {}
                        LineOutcome::Reject(why) => rep.reject(at, why),
                    }
                }
                pos = end;
            }
            Some(Err(e)) => {
                rep.reject(at, format!("not JSON: {e}"));
                // go on from the next line that opens a value
                pos = match memchr::memmem::find(&bytes[pos + 1..], b"\n{") {
                    Some(i) => pos + 1 + i + 1,
                    None => bytes.len(),
                };
            }
            None => break,
        }
    }
    vec![(t, rep)]
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let vantage = file.vantage.as_deref();
    let head = super::trimmed_head(&file.bytes);
    if head.starts_with(b"[") {
        // one JSON array: results are entries, numbered from 0
        let (elems, err) = array_elements(head);
        let built: Vec<Result<Built, String>> = elems
            .par_iter()
            .enumerate()
            .map(|(i, raw)| {
                let at = SourceRef::entry(file.id, i as u64);
                serde_json::from_str::<Value>(raw.get())
                    .map_err(|e| e.to_string())
                    .and_then(|v| build(&v, at, opts, vantage))
            })
            .collect();
        let mut t = Tally::default();
        let mut rep = InputReport::default();
        let n = built.len() as u64;
        for (i, b) in built.into_iter().enumerate() {
            match t.take(b) {
                LineOutcome::Record => rep.records += 1,
                LineOutcome::Skip => {}
                LineOutcome::Reject(why) => rep.reject(SourceRef::entry(file.id, i as u64), why),
            }
        }
        if let Some(e) = &err {
            rep.reject(
                SourceRef::entry(file.id, n),
                format!("JSON array cut short: {e}"),
            );
        }
        let mut out = finish(vec![(t, rep)]);
        if let Some(e) = err {
            out.report.warnings.push(format!(
                "RIPE Atlas array is truncated or malformed ({e}); results before it were kept"
            ));
        }
        return out;
    }
    // results saved inside an object of the saver's own (`{"info": [...]}`):
    // the one array of results in it, numbered from 0
    if head.starts_with(b"{")
        && let Some((key, items)) = wrapped_results(head)
    {
        let mut t = Tally::default();
        let mut rep = InputReport::default();
        for (i, v) in items.iter().enumerate() {
            let at = SourceRef::entry(file.id, i as u64);
            match t.take(build(v, at, opts, vantage)) {
                LineOutcome::Record => rep.records += 1,
                LineOutcome::Skip => {}
                LineOutcome::Reject(why) => rep.reject(at, why),
            }
        }
        let mut out = finish(vec![(t, rep)]);
        out.report.warnings.push(format!(
            "RIPE Atlas results read from the `{key}` array of a wrapping object (entries numbered from 0 in it)"
        ));
        return out;
    }
    // one result per line, unless the first line is not a whole result
    // (a pretty-printed object: read as a sequence of JSON values)
    let first = head.split(|&c| c == b'\n').next().unwrap_or(head);
    if value_of(first).is_err() {
        let body = super::strip_bom(&file.bytes);
        return finish(parse_values(file, body, opts));
    }
    let parts = map_lines(
        file,
        opts,
        |_| Tally::default(),
        |t, line, at| match value_of(line) {
            Ok(v) => t.take(build(&v, at, opts, vantage)),
            Err(e) => LineOutcome::Reject(e),
        },
    );
    finish(parts)
}

#[cfg(test)]
mod tests;
