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

use super::lines::{LineOutcome, map_lines};
use super::probe::base_record;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::classify;
use crate::model::{ErrorClass, InputReport, ProbeKind, ProbeRecord, SourceRef};
use crate::sym::intern;
use rayon::prelude::*;
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

fn f(v: &Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)?.as_str().map(str::trim).filter(|x| !x.is_empty())
}

fn id(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Mean of the absolute differences of consecutive values.
pub(crate) fn jitter(rtts: &[f64]) -> Option<f64> {
    (rtts.len() >= 2).then(|| {
        rtts.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (rtts.len() - 1) as f64
    })
}

/// RTTs of a list of replies (`{"rtt":..}`), and how many were lost.
fn replies(list: Option<&Value>) -> (Vec<f64>, usize, usize) {
    let mut rtts = Vec::new();
    let mut lost = 0;
    let mut n = 0;
    for r in list.and_then(Value::as_array).into_iter().flatten() {
        n += 1;
        match f(r, "rtt") {
            Some(x) if x >= 0.0 => rtts.push(x),
            _ => {
                if r.get("x").is_some() || r.get("err").is_some() || r.get("rtt").is_some() {
                    lost += 1;
                }
            }
        }
    }
    (rtts, lost, n)
}

/// DNS RCODE from the base64 answer buffer (4th header byte, low nibble).
fn dns_rcode(abuf: &str) -> Option<u8> {
    let dec = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let b = abuf.as_bytes();
    if b.len() < 8 {
        return None;
    }
    let mut bits = 0u64;
    for &c in &b[..8] {
        bits = (bits << 6) | dec(c)? as u64;
    }
    // 8 chars = 6 bytes; byte 3 (0-based) holds RA/Z/RCODE
    let byte3 = ((bits >> 16) & 0xff) as u8;
    Some(byte3 & 0x0f)
}

/// What one result gave: probe records, or a type that carries no
/// latency, loss or failure (`wifi`, ...), counted and reported.
#[derive(Debug)]
enum Built {
    Probes(Vec<ProbeRecord>),
    Unread(String),
}

/// Result types read into probe records.
pub const READ_TYPES: &str = "ping, traceroute, http, sslcert, dns, ntp";

fn build(
    v: &Value,
    at: SourceRef,
    opts: &IngestOptions,
    vantage: Option<&str>,
) -> Result<Built, String> {
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let kind = s(v, "type").ok_or("no result `type`")?;
    let prb = id(v, "prb_id").ok_or("no `prb_id`")?;
    let ts = f(v, "timestamp")
        .and_then(classify::unix_to_utc)
        .ok_or("missing or invalid `timestamp`")?;
    let region = opts
        .vantage_map
        .get(&prb)
        .cloned()
        .or_else(|| vantage.map(str::to_string))
        .unwrap_or_else(|| prb.clone());
    let test = format!("atlas-{kind}-{}", id(v, "msm_id").unwrap_or_default());
    let dst = s(v, "dst_name").or(s(v, "dst_addr")).unwrap_or("");
    let mk =
        |kind: ProbeKind, target: &str| base_record(at, ts, &prb, &region, &test, kind, target);
    let mut out = Vec::new();
    match kind {
        "ping" => {
            let mut r = mk(ProbeKind::Network, dst);
            let sent = f(v, "sent").unwrap_or(0.0);
            let rcvd = f(v, "rcvd").unwrap_or(0.0);
            if sent > 0.0 {
                r.loss_pct = Some(((sent - rcvd) / sent * 100.0).clamp(0.0, 100.0));
            }
            r.latency_ms = f(v, "avg").filter(|a| *a >= 0.0);
            let (rtts, _, _) = replies(v.get("result"));
            r.jitter_ms = jitter(&rtts);
            if sent > 0.0 && rcvd == 0.0 {
                r.error = Some("no reply".into());
                r.error_class = Some(ErrorClass::Timeout);
            }
            if let Some(e) = v
                .get("result")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find_map(|x| s(x, "error")))
            {
                super::probe::set_error(&mut r, Some(e));
            }
            out.push(r);
        }
        "traceroute" => {
            let mut r = mk(ProbeKind::Network, dst);
            let hops = v.get("result").and_then(Value::as_array);
            // the last hop: the destination's, or hop 255 when the probe
            // gave up counting and asked the destination once more
            let last = hops.and_then(|h| h.last());
            let list = last.and_then(|h| h.get("result"));
            let (rtts, lost, n) = replies(list);
            let late = list
                .and_then(Value::as_array)
                .map_or(0, |a| a.iter().filter(|x| x.get("late").is_some()).count());
            if n > 0 {
                r.loss_pct = Some(lost as f64 / n as f64 * 100.0);
                r.latency_ms =
                    (!rtts.is_empty()).then(|| rtts.iter().sum::<f64>() / rtts.len() as f64);
                r.jitter_ms = jitter(&rtts);
            }
            // ICMP errors (`err`: N, H, A, P, p or a code) from the last hop;
            // port unreachable from the destination is how UDP traces end
            let dst_addr = s(v, "dst_addr");
            let icmp_err = list.and_then(Value::as_array).and_then(|a| {
                a.iter().find_map(|x| {
                    let e = match x.get("err")? {
                        Value::String(e) => e.clone(),
                        other => other.to_string(),
                    };
                    let from = s(x, "from");
                    (!(e == "p" && from.is_some() && from == dst_addr)).then_some((e, from))
                })
            });
            if let Some(e) = last.and_then(|h| s(h, "error")) {
                super::probe::set_error(&mut r, Some(e));
                // "name resolution failed: ..." (the probe could not resolve dst_name)
                if r.error_class == Some(ErrorClass::Other)
                    && e.to_ascii_lowercase().contains("name resolution")
                {
                    r.error_class = Some(ErrorClass::NameNotResolved);
                }
            } else if let Some((code, from)) = icmp_err {
                let what = match code.as_str() {
                    "N" => "network unreachable",
                    "H" => "host unreachable",
                    "A" => "administratively prohibited (unreachable)",
                    "P" => "protocol unreachable",
                    "p" => "port unreachable",
                    _ => "destination unreachable",
                };
                let text = match from {
                    Some(f) => format!("ICMP {what} ({code}) from {f}"),
                    None => format!("ICMP {what} ({code})"),
                };
                super::probe::set_error(&mut r, Some(&text));
            } else if n > 0 && rtts.is_empty() && late > 0 {
                r.error = Some("last hop replied late".into());
                r.error_class = Some(ErrorClass::Timeout);
            } else if n > 0 && rtts.is_empty() {
                r.error = Some("last hop did not reply".into());
                r.error_class = Some(ErrorClass::Timeout);
            } else if n == 0 && last.is_none() {
                return Err("traceroute result without hops".into());
            }
            out.push(r);
        }
        "ntp" => {
            // NTP: the server's round trips (seconds) and lost polls
            let mut r = mk(ProbeKind::Network, dst);
            let list = Some(
                v.get("result")
                    .and_then(Value::as_array)
                    .ok_or("ntp result without `result` list")?,
            );
            let mut rtts = Vec::new();
            let mut lost = 0usize;
            let mut err = None;
            for x in list.into_iter().flatten() {
                match f(x, "rtt") {
                    Some(t) if t >= 0.0 => rtts.push(t * 1000.0),
                    _ => {
                        lost += 1;
                        if err.is_none() {
                            err = s(x, "error");
                        }
                    }
                }
            }
            let n = rtts.len() + lost;
            if n > 0 {
                r.loss_pct = Some(lost as f64 / n as f64 * 100.0);
            }
            r.latency_ms = (!rtts.is_empty()).then(|| rtts.iter().sum::<f64>() / rtts.len() as f64);
            r.jitter_ms = jitter(&rtts);
            if rtts.is_empty() {
                match err {
                    Some(e) => super::probe::set_error(&mut r, Some(e)),
                    None => {
                        r.error = Some("no reply".into());
                        r.error_class = Some(ErrorClass::Timeout);
                    }
                }
            }
            out.push(r);
        }
        "http" => {
            let uri = s(v, "uri").unwrap_or(dst);
            // firmware 0 and 1 wrote one line of text: `GET4 ADDR RT_S
            // STATUS HSIZE BSIZE` or `connect error N` (sometimes in
            // `src_addr`, a bug of its own)
            let legacy = match v.get("result") {
                Some(Value::String(t)) => Some(t.as_str()),
                None if f(v, "fw").is_some_and(|fw| fw <= 1.0) => s(v, "src_addr"),
                _ => None,
            };
            if let Some(t) = legacy {
                let mut r = mk(ProbeKind::Http, uri);
                let tok: Vec<&str> = t.split_whitespace().collect();
                if t.starts_with("connect error") || t.contains("error") {
                    r.status = Some(0);
                    super::probe::set_error(&mut r, Some(t));
                } else if tok.len() >= 4 && tok[0].starts_with(|c: char| c.is_ascii_uppercase()) {
                    r.status = Some(
                        tok[3]
                            .parse()
                            .map_err(|_| format!("legacy http result {t:?}"))?,
                    );
                    r.phases.total_ms = tok[2].parse::<f64>().ok().map(|x| x * 1000.0);
                } else {
                    return Err(format!("legacy http result {t:?} not understood"));
                }
                out.push(r);
                return Ok(Built::Probes(out));
            }
            let results = v
                .get("result")
                .and_then(Value::as_array)
                .ok_or("http result without `result` list")?;
            for x in results {
                let mut r = mk(ProbeKind::Http, uri);
                if let Some(t) = f(x, "time").and_then(classify::unix_to_utc) {
                    r.ts = t;
                }
                r.status = Some(f(x, "res").map(|c| c as i32).unwrap_or(0));
                let rt = f(x, "rt").filter(|t| *t >= 0.0);
                let ttc = f(x, "ttc").filter(|t| *t >= 0.0);
                let ttfb = f(x, "ttfb").filter(|t| *t >= 0.0);
                r.phases.total_ms = rt;
                r.phases.connect_ms = ttc;
                r.phases.wait_ms = match (ttc, ttfb) {
                    (Some(c), Some(b)) => Some((b - c).max(0.0)),
                    (None, Some(b)) => Some(b),
                    _ => None,
                };
                r.phases.receive_ms = match (ttfb, rt) {
                    (Some(b), Some(t)) => Some((t - b).max(0.0)),
                    _ => None,
                };
                if let Some(d) = s(x, "dnserr") {
                    r.error = Some(intern(d));
                    r.error_class = Some(match classify::classify_error(d) {
                        Some(c) if c.is_dns() => c,
                        _ => ErrorClass::NameNotResolved,
                    });
                } else {
                    super::probe::set_error(&mut r, s(x, "err"));
                }
                out.push(r);
            }
        }
        "sslcert" => {
            let port = id(v, "dst_port").unwrap_or_else(|| "443".into());
            let name = s(v, "dst_name").or(s(v, "dst_addr")).unwrap_or("");
            let mut r = mk(ProbeKind::Http, &format!("https://{name}:{port}/"));
            let rt = f(v, "rt").filter(|t| *t >= 0.0);
            let ttc = f(v, "ttc").filter(|t| *t >= 0.0);
            r.phases.connect_ms = ttc;
            r.phases.total_ms = rt;
            r.phases.tls_ms = match (ttc, rt) {
                (Some(c), Some(t)) => Some((t - c).max(0.0)),
                _ => None,
            };
            if let Some(alert) = v.get("alert") {
                let desc = f(alert, "description").or_else(|| f(alert, "decription"));
                r.error = Some(match desc {
                    Some(d) => intern(&format!("TLS alert {d}")),
                    None => intern("TLS alert"),
                });
                r.error_class = Some(ErrorClass::CertError);
            } else if let Some(e) = s(v, "err") {
                super::probe::set_error(&mut r, Some(e));
                if r.error_class == Some(ErrorClass::Other) {
                    r.error_class = Some(ErrorClass::TlsError);
                }
            }
            out.push(r);
        }
        "dns" => {
            // one measurement may ask several resolvers (`resultset`)
            let sets: Vec<&Value> = match v.get("resultset").and_then(Value::as_array) {
                Some(a) => a.iter().collect(),
                None => vec![v],
            };
            for set in sets {
                let target = s(set, "dst_name").or(s(set, "dst_addr")).unwrap_or(dst);
                let mut r = mk(ProbeKind::Dns, target);
                if let Some(t) = f(set, "time").and_then(classify::unix_to_utc) {
                    r.ts = t;
                }
                if let Some(res) = set.get("result") {
                    r.resolve_ms = f(res, "rt").filter(|t| *t >= 0.0);
                    match s(res, "abuf").and_then(dns_rcode) {
                        Some(2) => {
                            r.error = Some("SERVFAIL".into());
                            r.error_class = Some(ErrorClass::DnsServfail);
                        }
                        Some(3) => {
                            r.error = Some("NXDOMAIN".into());
                            r.error_class = Some(ErrorClass::DnsNxdomain);
                        }
                        Some(5) => {
                            r.error = Some("REFUSED".into());
                            r.error_class = Some(ErrorClass::Other);
                        }
                        _ => {}
                    }
                } else if let Some(e) = set.get("error") {
                    if e.get("timeout").is_some() {
                        r.error = Some("dns timeout".into());
                        r.error_class = Some(ErrorClass::DnsTimeout);
                    } else {
                        let text = e
                            .as_object()
                            .and_then(|o| o.values().find_map(|x| x.as_str()))
                            .unwrap_or("dns error");
                        r.error = Some(intern(text));
                        r.error_class =
                            Some(classify::classify_error(text).unwrap_or(ErrorClass::Other));
                    }
                } else {
                    return Err("dns result with neither `result` nor `error`".into());
                }
                out.push(r);
            }
        }
        other => return Ok(Built::Unread(other.to_string())),
    }
    Ok(Built::Probes(out))
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
mod tests {
    use super::*;
    use crate::model::LocKind;
    const DNS_RECORDS: u64 = 53;
    const DNS_BAD: u64 = 0;
    const MIXED_RECORDS: u64 = 51;
    const MIXED_BAD: u64 = 0;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile::from_bytes(5, "a", text)
    }

    #[test]
    fn array_ping_with_vantage_map() {
        let o = IngestOptions {
            vantage_map: load_vantage_map("probe_id,region,country,asn\n2,eu-central,DE,3320\n")
                .unwrap(),
            ..Default::default()
        };
        let p = parse(&file(FORMAT.samples[0]), &o);
        assert_eq!(p.report.records, 1);
        let r = &p.records.probes[0];
        assert_eq!(
            r.source,
            SourceRef {
                file: 5,
                kind: LocKind::Entry,
                n: 0
            }
        );
        assert_eq!(r.region, "eu-central");
        assert_eq!(r.agent, "2");
        assert_eq!(r.kind, ProbeKind::Network);
        assert_eq!(r.loss_pct, Some(0.0));
        assert_eq!(r.latency_ms, Some(48.802));
        assert!((r.jitter_ms.unwrap() - 0.315).abs() < 1e-9);
        assert_eq!(r.ts.timestamp(), 1700000000);
        assert_eq!(r.registrable_domain, "root-servers.net");
    }

    #[test]
    fn jsonl_http_sslcert_and_bad() {
        let text = format!(
            "{}\n{{\"type\":\"ntp\",\"prb_id\":1,\"msm_id\":2,\"timestamp\":1700000000}}\n[broken\n",
            FORMAT.samples[1]
        );
        let p = parse(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 2);
        assert_eq!(p.report.bad_records, 2);
        assert_eq!(p.report.rejections[0].at.n, 3);
        assert_eq!(p.report.rejections[1].at.n, 4);
        let h = &p.records.probes[0];
        assert_eq!(h.region, "6001");
        assert_eq!(h.status, Some(200));
        assert_eq!(h.phases.connect_ms, Some(21.4));
        assert_eq!(h.phases.wait_ms, Some(33.6));
        assert!((h.phases.receive_ms.unwrap() - 7.123).abs() < 1e-9);
        let c = &p.records.probes[1];
        assert_eq!(c.error_class, Some(ErrorClass::CertError));
        assert_eq!(c.error.as_deref(), Some("TLS alert 42"));
        assert!((c.phases.tls_ms.unwrap() - 40.7).abs() < 1e-9);
    }

    #[test]
    fn ping_all_lost_traceroute_dns() {
        let text = r#"{"af":4,"avg":-1,"dst_addr":"192.0.2.1","dst_name":"192.0.2.1","dup":0,"fw":5020,"max":-1,"min":-1,"msm_id":7,"prb_id":9,"proto":"ICMP","rcvd":0,"result":[{"x":"*"},{"x":"*"},{"x":"*"}],"sent":3,"timestamp":1700000000,"type":"ping"}
{"af":4,"dst_addr":"193.0.14.129","dst_name":"k.root-servers.net","endtime":1700000005,"fw":4790,"msm_id":5001,"paris_id":1,"prb_id":9,"proto":"UDP","result":[{"hop":1,"result":[{"from":"192.168.1.1","rtt":1.2,"size":28,"ttl":64},{"from":"192.168.1.1","rtt":1.0,"size":28,"ttl":64}]},{"hop":2,"result":[{"from":"193.0.14.129","rtt":30.0,"size":28,"ttl":60},{"x":"*"},{"from":"193.0.14.129","rtt":34.0,"size":28,"ttl":60},{"from":"193.0.14.129","rtt":32.0,"size":28,"ttl":60}]}],"size":48,"timestamp":1700000000,"type":"traceroute"}
{"fw":4790,"msm_id":10001,"prb_id":9,"result":{"ANCOUNT":0,"ARCOUNT":0,"ID":23441,"NSCOUNT":0,"QDCOUNT":1,"abuf":"W5GEgwABAAAAAAAA","rt":11.4,"size":60},"timestamp":1700000000,"type":"dns","dst_addr":"193.0.14.129"}
{"fw":4790,"msm_id":10001,"prb_id":9,"error":{"timeout":5000},"timestamp":1700000000,"type":"dns","dst_addr":"193.0.14.129"}"#;
        let p = parse(&file(text), &IngestOptions::default());
        assert_eq!(p.report.records, 4, "{:?}", p.report.rejections);
        let pr = &p.records.probes;
        assert_eq!(pr[0].loss_pct, Some(100.0));
        assert_eq!(pr[0].latency_ms, None);
        assert!(pr[0].is_error());
        assert_eq!(pr[1].loss_pct, Some(25.0));
        assert_eq!(pr[1].latency_ms, Some(32.0));
        assert_eq!(pr[1].jitter_ms, Some(3.0));
        assert_eq!(pr[2].kind, ProbeKind::Dns);
        assert_eq!(pr[2].resolve_ms, Some(11.4));
        assert_eq!(pr[2].error_class, Some(ErrorClass::DnsNxdomain));
        assert_eq!(pr[3].error_class, Some(ErrorClass::DnsTimeout));
    }

    #[test]
    fn truncated_array_keeps_earlier_results() {
        let whole = format!(
            "[{},{}",
            &FORMAT.samples[0][1..FORMAT.samples[0].len() - 1],
            &FORMAT.samples[0][1..40]
        );
        let p = parse(&file(&whole), &IngestOptions::default());
        assert_eq!(p.report.records, 1);
        assert_eq!(p.report.bad_records, 1);
        assert!(!p.report.warnings.is_empty());
    }

    fn fixture(name: &str) -> InputFile {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).unwrap();
        assert!(
            sniff(&bytes[..bytes.len().min(super::super::SNIFF_BYTES)])
                || crate::discover::is_gzip(&bytes),
            "{name}"
        );
        InputFile::from_bytes(3, name, bytes)
    }

    /// ripe-atlas-sagan's traceroutes: hop 255, `late`, `*`, ICMP errors,
    /// a failed name resolution.
    #[test]
    fn sagan_traceroutes() {
        let p = parse(
            &fixture("atlas-sagan-traceroute.jsonl"),
            &IngestOptions::default(),
        );
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (21, 0),
            "{:?}",
            p.report
        );
        let rs = &p.records.probes;
        // the first: hop 255 with three `*`, the target never answered
        assert_eq!(rs[0].target, "121.244.76.25");
        assert_eq!(rs[0].loss_pct, Some(100.0));
        assert_eq!(rs[0].error.as_deref(), Some("last hop did not reply"));
        assert_eq!(rs[0].error_class, Some(ErrorClass::Timeout));
        // `late` replies from the destination at hop 255
        let late = rs.iter().find(|r| r.agent == "10834").unwrap();
        assert_eq!(late.loss_pct, Some(50.0));
        assert_eq!(late.error.as_deref(), Some("last hop replied late"));
        // ICMP network unreachable (`err: N`) from the first hop
        let n = rs.iter().find(|r| r.agent == "14468").unwrap();
        assert!(
            n.error
                .as_deref()
                .unwrap()
                .contains("network unreachable (N)")
        );
        assert_eq!(n.error_class, Some(ErrorClass::ConnectionTimedOut));
        // no destination address: name resolution failed
        let dns = rs.iter().find(|r| r.agent == "22586").unwrap();
        assert_eq!(dns.target, "syndication.exoclick.com");
        assert_eq!(dns.error_class, Some(ErrorClass::NameNotResolved));
        // gzipped, the same after discovery gunzips it
        let gz = std::fs::read(format!(
            "{}/fixtures/logs/atlas-sagan-traceroute.jsonl.gz",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let src = crate::discover::discover(
            &[format!(
                "{}/fixtures/logs/atlas-sagan-traceroute.jsonl.gz",
                env!("CARGO_MANIFEST_DIR")
            )],
            &mut Vec::new,
        );
        assert!(crate::discover::is_gzip(&gz));
        let f = crate::discover::load(0, &src[0], 1 << 30);
        let q = super::super::parse_file(&f, &IngestOptions::default());
        assert_eq!(q.report.format, "ripe-atlas");
        assert_eq!(q.report.records, 21);
    }

    #[test]
    fn sagan_dns_array_result_and_resultset() {
        let p = parse(&fixture("atlas-sagan-dns.json"), &IngestOptions::default());
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (DNS_RECORDS, DNS_BAD),
            "{:?}",
            p.report
        );
        assert!(p.records.probes.iter().all(|r| r.kind == ProbeKind::Dns));
        assert!(
            p.records
                .probes
                .iter()
                .all(|r| r.source.kind == LocKind::Entry)
        );
    }

    #[test]
    fn sagan_mixed_types_and_unread_counted() {
        let p = parse(
            &fixture("atlas-sagan-mixed.jsonl"),
            &IngestOptions::default(),
        );
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (MIXED_RECORDS, MIXED_BAD),
            "{:?}",
            p.report
        );
        assert_eq!(
            p.report.warnings,
            vec![format!(
                "2 RIPE Atlas result(s) of type \"wifi\" not read: only {READ_TYPES} carry latency, loss or failure"
            )]
        );
        let ntp: Vec<&ProbeRecord> = p
            .records
            .probes
            .iter()
            .filter(|r| r.test.starts_with("atlas-ntp"))
            .collect();
        assert_eq!(ntp.len(), 3);
        assert!((ntp[0].latency_ms.unwrap() - 11.354333).abs() < 1e-3);
        assert_eq!(ntp[1].loss_pct, Some(100.0));
        assert_eq!(ntp[2].error.as_deref(), Some("error-example"));
    }

    #[test]
    fn sagan_single_pretty_printed_object() {
        let p = parse(
            &fixture("atlas-sagan-single.json"),
            &IngestOptions::default(),
        );
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (1, 0),
            "{:?}",
            p.report
        );
        let r = &p.records.probes[0];
        assert_eq!(r.source, SourceRef::line(3, 1));
        assert_eq!(r.loss_pct, Some(50.0));
        // and two of them back to back, the second broken
        let text = std::fs::read_to_string(format!(
            "{}/fixtures/logs/atlas-sagan-single.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let lines = text.lines().count() as u64;
        let two = format!("{text}{}\n{text}", &text[..200]);
        let p = parse(&file(&two), &IngestOptions::default());
        assert_eq!(p.report.records, 2, "{:?}", p.report);
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, lines + 1);
        assert_eq!(
            p.records.probes[1].source.n,
            lines + 1 + text[..200].lines().count() as u64
        );
    }

    #[test]
    fn vantage_map_errors() {
        assert!(
            load_vantage_map("12,eu\n13\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert_eq!(
            load_vantage_map("# c\n12,eu,DE,1\n")
                .unwrap()
                .get("12")
                .map(String::as_str),
            Some("eu")
        );
    }

    #[test]
    fn rcode() {
        assert_eq!(dns_rcode("W5GEAAABAAEAAAAACGhvc3RuYW1l"), Some(0));
        assert_eq!(dns_rcode("W5GEggAB"), Some(2));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
            let _ = load_vantage_map(&String::from_utf8_lossy(&f.bytes));
        }

        #[test]
        fn never_panics_on_results(t in "(ping|http|dns|sslcert|traceroute)", body in r#"("result"|"rtt"|"x"|"sent"|"rcvd"|"abuf"|"res"|"alert"|:|,|1|-1|"\*"|\{|\}|\[|\])*"#) {
            let text = format!(r#"{{"type":"{t}","prb_id":1,"msm_id":2,"timestamp":1700000000,{body}}}"#);
            let _ = parse(&file(&text), &IngestOptions::default());
        }
    }
}
