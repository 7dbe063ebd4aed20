//! faultlens' own probe log (contract §2), JSON Lines and CSV.
//!
//! This is the format other tools are asked to convert to, so it is read
//! leniently where the contract allows (numbers as strings, `null` metrics,
//! unix or RFC 3339 times) and strictly where a wrong guess would mislead
//! (an unknown `type` is a rejection, never a default). The small helpers
//! every probe-like reader shares (flexible numbers and times, the target's
//! registrable domain, a CSV splitter) live here too.

use super::flat_json::{self, Scalar};
use super::lines::{LineOutcome, parse_lines};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::classify;
use crate::model::{Phases, ProbeKind, ProbeRecord, Records, SourceRef, Sym};
use crate::sym::intern;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

pub static FORMAT_JSONL: FormatSpec = FormatSpec {
    name: "probe-jsonl",
    sniff: sniff_jsonl,
    parse: parse_jsonl,
    samples: &[
        r#"{"ts":"2025-02-06T10:00:00Z","agent":"probe-fra-1","region":"eu-west","test":"app-http","type":"http","target":"https://app.example.com/api/health","status":200,"dns_ms":3.1,"connect_ms":11.8,"tls_ms":24.0,"send_ms":0.1,"wait_ms":87.5,"receive_ms":2.2,"total_ms":128.7}"#,
        r#"{"ts":1738836060,"agent":"probe-iad-2","region":"us-east","test":"app-net","type":"network","target":"app.example.com","loss_pct":0,"latency_ms":21.4,"jitter_ms":1.2}
{"ts":1738836060,"agent":"probe-iad-2","region":"us-east","test":"app-dns","type":"dns","target":"app.example.com","resolve_ms":null,"error":"SERVFAIL"}"#,
        r#"{"ts":"2025-02-06T10:01:00+01:00","agent":"probe-sin-1","region":"ap-southeast","test":"app-page","type":"page","target":"https://app.example.com/","page_load_ms":2310,"components":84,"component_errors":3}"#,
    ],
};

pub static FORMAT_CSV: FormatSpec = FormatSpec {
    name: "probe-csv",
    sniff: sniff_csv,
    parse: parse_csv,
    samples: &[
        "ts,agent,region,test,type,target,status,error,dns_ms,connect_ms,tls_ms,send_ms,wait_ms,receive_ms,total_ms\n\
         2025-02-06T10:00:00Z,probe-fra-1,eu-west,app-http,http,https://app.example.com/api/health,200,,3.1,11.8,24.0,0.1,87.5,2.2,128.7\n\
         2025-02-06T10:01:00Z,probe-fra-1,eu-west,app-http,http,https://app.example.com/api/health,0,timeout,3.0,,,,,,10000\n",
        "ts,region,agent,type,target,loss_pct,latency_ms,jitter_ms\n1738836000,us-east,probe-iad-2,network,app.example.com,12.5,88.1,14.2\n",
    ],
};

// ---------------------------------------------------------------- helpers

/// Metrics read leniently (numbers as strings, `null`, empty): shared with
/// the HAR reader, and re-exported for the probe-like readers.
pub(crate) use super::lenient::Num;

/// A time as RFC 3339 text or unix seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Ts(pub Option<DateTime<Utc>>);

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 time or unix seconds")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ts, E> {
                Ok(Ts(classify::unix_to_utc(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ts, E> {
                Ok(Ts(classify::unix_to_utc(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ts, E> {
                Ok(Ts(classify::unix_to_utc(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ts, E> {
                Ok(Ts(parse_time(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ts, E> {
                Ok(Ts(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Ts, E> {
                Ok(Ts(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Ts, D2::Error> {
                d.deserialize_any(V)
            }
        }
        d.deserialize_any(V)
    }
}

/// [`classify::parse_ts`] with a fast path for the common `...Z` form.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if t.len() >= 20
        && t.ends_with('Z')
        && t.as_bytes()[10] == b'T'
        && let Ok(d) = DateTime::parse_from_rfc3339(t)
    {
        return Some(d.with_timezone(&Utc));
    }
    classify::parse_ts(t)
}

/// Registrable domain of a URL or a bare host (`host`, `host:port`).
pub(crate) fn target_domain(target: &str) -> Sym {
    let (_, host, _) = classify::split_url(target.trim());
    classify::registrable_domain_memo(host)
}

/// Reserve room for a chunk's records at its first line (lines of one file
/// are much alike, so the first predicts the count): without it the record
/// vectors of a large file double their way up and copy everything again.
pub(crate) fn reserve_chunk<T>(v: &mut Vec<T>, line_len: usize, file_len: usize) {
    if v.capacity() == 0 {
        let span = file_len.min(super::lines::CHUNK_BYTES);
        v.reserve(span / (line_len + 1) + span / (line_len + 1) / 8 + 4);
    }
}

/// A probe record with only the identity set; readers fill the metrics.
/// The strings are interned ([`crate::sym`]): a file repeats them on every
/// line.
pub fn base_record(
    source: SourceRef,
    ts: DateTime<Utc>,
    agent: &str,
    region: &str,
    test: &str,
    kind: ProbeKind,
    target: &str,
) -> ProbeRecord {
    let registrable_domain = target_domain(target);
    ProbeRecord {
        source,
        ts,
        agent: intern(agent),
        region: intern(region),
        test: intern(test),
        kind,
        target: intern(target),
        registrable_domain,
        status: None,
        error: None,
        error_class: None,
        phases: Phases::default(),
        loss_pct: None,
        latency_ms: None,
        jitter_ms: None,
        page_load_ms: None,
        components: None,
        component_errors: None,
        resolve_ms: None,
    }
}

/// Set the error text and its class (empty text = no error).
pub(crate) fn set_error(r: &mut ProbeRecord, text: Option<&str>) {
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        r.error_class = classify::classify_error(t);
        r.error = Some(intern(t));
    }
}

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
    let b = super::strip_bom(bytes);
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

/// First non-empty line of the head parsed as a JSON object (`None` when it
/// is not one, or is cut by the sniff limit).
pub(crate) fn first_json_object(head: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let b = super::trimmed_head(head);
    let end = memchr::memchr(b'\n', b).unwrap_or(b.len());
    match serde_json::from_slice::<serde_json::Value>(&b[..end]) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    }
}

pub(crate) fn parse_kind(s: &str) -> Option<ProbeKind> {
    match s.trim().to_ascii_lowercase().as_str() {
        "http" => Some(ProbeKind::Http),
        "network" => Some(ProbeKind::Network),
        "page" => Some(ProbeKind::Page),
        "dns" => Some(ProbeKind::Dns),
        _ => None,
    }
}

// ---------------------------------------------------------------- sniff

fn sniff_jsonl(head: &[u8]) -> bool {
    let Some(m) = first_json_object(head) else {
        return false;
    };
    let kind_ok = m
        .get("type")
        .and_then(|v| v.as_str())
        .is_some_and(|t| parse_kind(t).is_some());
    kind_ok && m.contains_key("ts") && m.get("target").is_some_and(|v| v.is_string())
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
    names.len() >= 3 && has("ts") && has("type") && has("target")
}

// ---------------------------------------------------------------- JSONL

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Line<'a> {
    #[serde(default)]
    ts: Ts,
    #[serde(borrow, default)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    test: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    target: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Num,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(default)]
    dns_ms: Num,
    #[serde(default)]
    connect_ms: Num,
    #[serde(default)]
    tls_ms: Num,
    #[serde(default)]
    send_ms: Num,
    #[serde(default)]
    wait_ms: Num,
    #[serde(default)]
    receive_ms: Num,
    #[serde(default)]
    total_ms: Num,
    #[serde(default)]
    loss_pct: Num,
    #[serde(default)]
    latency_ms: Num,
    #[serde(default)]
    jitter_ms: Num,
    #[serde(default)]
    page_load_ms: Num,
    #[serde(default)]
    components: Num,
    #[serde(default)]
    component_errors: Num,
    #[serde(default)]
    resolve_ms: Num,
}

/// The fields of one probe measurement, however it was written.
struct Fields<'a> {
    ts: Option<DateTime<Utc>>,
    agent: Option<&'a str>,
    region: Option<&'a str>,
    test: Option<&'a str>,
    kind: Option<&'a str>,
    target: Option<&'a str>,
    status: Option<f64>,
    error: Option<&'a str>,
    nums: [Option<f64>; 14],
}

fn build(f: Fields<'_>, at: SourceRef, vantage: Option<&str>) -> Result<ProbeRecord, String> {
    let ts = f.ts.ok_or("missing or invalid `ts`")?;
    let kind_s = f
        .kind
        .filter(|k| !k.trim().is_empty())
        .ok_or("missing `type`")?;
    let kind = parse_kind(kind_s)
        .ok_or_else(|| format!("unknown probe type {kind_s:?} (http, network, page, dns)"))?;
    let target = f
        .target
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("missing `target`")?;
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let agent = nonempty(f.agent);
    let region = nonempty(f.region);
    let agent_s = agent.or(region).or(vantage).unwrap_or("unknown");
    let region_s = region.or(vantage).or(agent).unwrap_or("unknown");
    let test: Cow<str> = match nonempty(f.test) {
        Some(t) => t.into(),
        None => format!("{}:{}", kind.as_str(), target).into(),
    };
    let mut r = base_record(at, ts, agent_s, region_s, &test, kind, target);
    if let Some(s) = f.status {
        if s.fract() != 0.0 || !(-1.0..=999.0).contains(&s) {
            return Err(format!("`status` {s} is not an HTTP status"));
        }
        r.status = Some(s as i32);
    }
    set_error(&mut r, f.error);
    let n = f.nums;
    r.phases = Phases {
        blocked_ms: None,
        dns_ms: n[0],
        connect_ms: n[1],
        tls_ms: n[2],
        send_ms: n[3],
        wait_ms: n[4],
        receive_ms: n[5],
        total_ms: n[6],
    };
    if let Some(l) = n[7]
        && !(0.0..=100.0).contains(&l)
    {
        return Err(format!("`loss_pct` {l} is outside 0..100"));
    }
    r.loss_pct = n[7];
    r.latency_ms = n[8];
    r.jitter_ms = n[9];
    r.page_load_ms = n[10];
    r.components = n[11];
    r.component_errors = n[12];
    r.resolve_ms = n[13];
    Ok(r)
}

/// One JSONL line: read by the flat fast path when it is a flat object of
/// plain values (nearly every real line), else by serde, which also words
/// every rejection.
fn decode(line: &[u8]) -> Result<Line<'_>, serde_json::Error> {
    match decode_flat(line) {
        Some(l) => Ok(l),
        None => serde_json::from_slice(line),
    }
}

/// [`Line`] from [`flat_json::scan`], with serde's rules: unknown keys
/// ignored, a repeated known key or a value of the wrong type left to
/// serde (which rejects it).
fn decode_flat(line: &[u8]) -> Option<Line<'_>> {
    fn text<'a>(f: &mut Option<Cow<'a, str>>, v: Scalar<'a>) -> bool {
        match v {
            Scalar::Str(s) => *f = Some(Cow::Borrowed(s)),
            Scalar::Null => *f = None,
            _ => return false,
        }
        true
    }
    fn num(f: &mut Num, v: Scalar<'_>) -> bool {
        match v {
            Scalar::Num(x) => *f = Num(x.is_finite().then_some(x)),
            Scalar::Null => *f = Num(None),
            Scalar::Str(s) => match Num::of_text(s) {
                Ok(n) => *f = n,
                Err(_) => return false,
            },
            Scalar::Bool(_) => return false,
        }
        true
    }
    let mut l = Line::default();
    let mut seen = 0u32;
    let ok = flat_json::scan(line, |k, v| {
        let field = match k {
            "ts" => 0,
            "agent" => 1,
            "region" => 2,
            "test" => 3,
            "type" => 4,
            "target" => 5,
            "status" => 6,
            "error" => 7,
            "dns_ms" => 8,
            "connect_ms" => 9,
            "tls_ms" => 10,
            "send_ms" => 11,
            "wait_ms" => 12,
            "receive_ms" => 13,
            "total_ms" => 14,
            "loss_pct" => 15,
            "latency_ms" => 16,
            "jitter_ms" => 17,
            "page_load_ms" => 18,
            "components" => 19,
            "component_errors" => 20,
            "resolve_ms" => 21,
            _ => return true,
        };
        if seen & (1 << field) != 0 {
            return false;
        }
        seen |= 1 << field;
        match field {
            0 => match v {
                Scalar::Num(x) => l.ts = Ts(classify::unix_to_utc(x)),
                Scalar::Str(s) => l.ts = Ts(parse_time(s)),
                Scalar::Null => l.ts = Ts(None),
                Scalar::Bool(_) => return false,
            },
            1 => return text(&mut l.agent, v),
            2 => return text(&mut l.region, v),
            3 => return text(&mut l.test, v),
            4 => return text(&mut l.kind, v),
            5 => return text(&mut l.target, v),
            6 => return num(&mut l.status, v),
            7 => return text(&mut l.error, v),
            8 => return num(&mut l.dns_ms, v),
            9 => return num(&mut l.connect_ms, v),
            10 => return num(&mut l.tls_ms, v),
            11 => return num(&mut l.send_ms, v),
            12 => return num(&mut l.wait_ms, v),
            13 => return num(&mut l.receive_ms, v),
            14 => return num(&mut l.total_ms, v),
            15 => return num(&mut l.loss_pct, v),
            16 => return num(&mut l.latency_ms, v),
            17 => return num(&mut l.jitter_ms, v),
            18 => return num(&mut l.page_load_ms, v),
            19 => return num(&mut l.components, v),
            20 => return num(&mut l.component_errors, v),
            _ => return num(&mut l.resolve_ms, v),
        }
        true
    });
    ok.then_some(l)
}

fn parse_jsonl(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let vantage = file.vantage.as_deref();
    parse_lines(file, opts, |line, at, out: &mut Records| {
        reserve_chunk(&mut out.probes, line.len(), file.bytes.len());
        let l: Line = match decode(line) {
            Ok(l) => l,
            Err(e) => return LineOutcome::Reject(format!("not a probe JSON object: {e}")),
        };
        let f = Fields {
            ts: l.ts.0,
            agent: l.agent.as_deref(),
            region: l.region.as_deref(),
            test: l.test.as_deref(),
            kind: l.kind.as_deref(),
            target: l.target.as_deref(),
            status: l.status.0,
            error: l.error.as_deref(),
            nums: [
                l.dns_ms.0,
                l.connect_ms.0,
                l.tls_ms.0,
                l.send_ms.0,
                l.wait_ms.0,
                l.receive_ms.0,
                l.total_ms.0,
                l.loss_pct.0,
                l.latency_ms.0,
                l.jitter_ms.0,
                l.page_load_ms.0,
                l.components.0,
                l.component_errors.0,
                l.resolve_ms.0,
            ],
        };
        LineOutcome::push(build(f, at, vantage), &mut out.probes)
    })
}

// ---------------------------------------------------------------- CSV

const NUM_COLS: [&str; 14] = [
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

fn parse_csv(file: &InputFile, opts: &IngestOptions) -> Parsed {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorClass, LocKind};
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
        let mut f = file(
            r#"{"ts":1738836000,"type":"http","target":"https://a.example.com/","status":503}"#,
        );
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
}
