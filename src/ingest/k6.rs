//! k6 `--out json`: one JSON object per line, `Metric` declarations and
//! `Point` samples. k6 writes one Point per metric per request, so a single
//! request is spread over up to eight lines (`http_req_duration`,
//! `_blocked`, `_connecting`, `_tls_handshaking`, `_sending`, `_waiting`,
//! `_receiving`, `http_req_failed`) that share the same time and tag set;
//! they are joined back into one probe record. The Point time is when the
//! request *ended*, so the record starts at `time - http_req_duration`.
//!
//! Lines are parsed in parallel chunks; a request cut by a chunk boundary is
//! joined in a serial merge keyed by (time, raw tags) that keeps first-line
//! order, so the output does not depend on the thread count.

use super::lines::LineOutcome;
use super::lines::map_lines;
use super::probe::{Num, parse_time};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, Phases, ProbeKind, ProbeRecord, SourceRef};
use crate::sym::FxMap;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "k6-json",
    sniff,
    parse,
    samples: &[
        // from the k6 docs ("JSON" output page)
        r#"{"type":"Metric","data":{"type":"gauge","contains":"default","tainted":null,"thresholds":[],"submetrics":null,"sub":{"name":"","parent":"","suffix":"","tags":null}},"metric":"vus"}
{"type":"Point","data":{"time":"2017-05-09T14:34:45.625742514+02:00","value":5,"tags":null},"metric":"vus"}
{"type":"Metric","data":{"type":"trend","contains":"time","tainted":null,"thresholds":["avg<1000"],"submetrics":null,"sub":{"name":"","parent":"","suffix":"","tags":null}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2017-05-09T14:34:45.239531499+02:00","value":459.865729,"tags":{"group":"::my group::json","method":"GET","status":"200","url":"https://quickpizza.grafana.com/api/json"}},"metric":"http_req_duration"}"#,
        r#"{"metric":"http_req_waiting","type":"Point","data":{"time":"2024-03-01T10:00:01.5Z","value":118.2,"tags":{"expected_response":"true","group":"","method":"GET","name":"https://test.k6.io/","proto":"HTTP/1.1","scenario":"default","status":"200","tls_version":"tls1.3","url":"https://test.k6.io/"}}}"#,
    ],
};

fn sniff(head: &[u8]) -> bool {
    let Some(m) = super::probe::first_json_object(head) else {
        return false;
    };
    m.get("type")
        .and_then(|v| v.as_str())
        .is_some_and(|t| t == "Metric" || t == "Point")
        && m.get("metric").is_some_and(|v| v.is_string())
        && m.get("data").is_some_and(|v| v.is_object())
}

/// Index of an HTTP trail metric in a joined request.
fn metric_slot(name: &str) -> Option<usize> {
    Some(match name {
        "http_req_duration" => 0,
        "http_req_blocked" => 1,
        "http_req_connecting" => 2,
        "http_req_tls_handshaking" => 3,
        "http_req_sending" => 4,
        "http_req_waiting" => 5,
        "http_req_receiving" => 6,
        "http_req_failed" => 7,
        // counted, not timed: only marks where the request's lines begin
        "http_reqs" => 8,
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    metric: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Num,
    #[serde(borrow, default)]
    tags: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Tags<'a> {
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scenario: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    load_zone: Option<Cow<'a, str>>,
}

/// The points of one request seen so far.
struct Partial {
    /// `time` + NUL + raw tags JSON.
    key: String,
    first_line: u64,
    vals: [Option<f64>; 9],
}

#[derive(Default)]
struct ChunkState {
    index: FxMap<String, usize>,
    parts: Vec<Partial>,
    /// The current line's key, built here so that a line joining a known
    /// request allocates nothing.
    key: String,
}

/// Add a point under the key in `state.key`. A request's lines are usually
/// consecutive, so the last request is tried before the index.
fn add(state: &mut ChunkState, line: u64, slot: usize, v: f64) {
    let i = match state.parts.last() {
        Some(p) if p.key == state.key => state.parts.len() - 1,
        _ => match state.index.get(state.key.as_str()) {
            Some(&i) => i,
            None => {
                let i = state.parts.len();
                state.index.insert(state.key.clone(), i);
                state.parts.push(Partial {
                    key: state.key.clone(),
                    first_line: line,
                    vals: [None; 9],
                });
                i
            }
        },
    };
    let p = &mut state.parts[i];
    p.first_line = p.first_line.min(line);
    p.vals[slot] = Some(v);
}

fn parse_line(state: &mut ChunkState, line: &[u8], at: SourceRef) -> LineOutcome {
    let l: Line = match serde_json::from_slice(line) {
        Ok(l) => l,
        Err(e) => return LineOutcome::Reject(format!("not a k6 JSON line: {e}")),
    };
    match l.kind.as_ref() {
        "Metric" => return LineOutcome::Skip,
        "Point" => {}
        other => return LineOutcome::Reject(format!("unknown k6 line type {other:?}")),
    }
    let Some(slot) = l.metric.as_deref().and_then(metric_slot) else {
        // vus, iterations, checks, data_sent, ...: not request samples
        return LineOutcome::Skip;
    };
    let Some(data) = l.data else {
        return LineOutcome::Reject("Point without `data`".into());
    };
    let Some(time) = data.time else {
        return LineOutcome::Reject("Point without `data.time`".into());
    };
    let Some(v) = data.value.0 else {
        return LineOutcome::Reject("Point without a numeric `data.value`".into());
    };
    let tags = data.tags.map(|t| t.get()).unwrap_or("null");
    state.key.clear();
    state.key.push_str(&time);
    state.key.push('\0');
    state.key.push_str(tags);
    add(state, at.n, slot, v);
    // the joined request is counted when it is built
    LineOutcome::Skip
}

/// k6 error codes (docs: "Error codes") where no error text says more.
fn class_from_code(code: u32) -> ErrorClass {
    match code {
        1050 => ErrorClass::Timeout,
        1100..=1199 => ErrorClass::NameNotResolved,
        1201 => ErrorClass::ConnectionClosed,
        1211 => ErrorClass::ConnectionTimedOut,
        1212 => ErrorClass::ConnectionRefused,
        1220 => ErrorClass::ConnectionReset,
        1310 | 1311 => ErrorClass::CertError,
        1300..=1399 => ErrorClass::TlsError,
        _ => ErrorClass::Other,
    }
}

fn build(p: &Partial, file: &InputFile) -> Result<ProbeRecord, String> {
    let at = SourceRef::line(file.id, p.first_line);
    let (time, tags_raw) = p.key.split_once('\0').unwrap_or((&p.key, "null"));
    let end = parse_time(time).ok_or_else(|| format!("invalid Point time {time:?}"))?;
    let tags: Tags = serde_json::from_str::<Option<Tags>>(tags_raw)
        .ok()
        .flatten()
        .unwrap_or_default();
    let v = p.vals;
    let start = match v[0] {
        Some(d) if d.is_finite() && d >= 0.0 => end
            .checked_sub_signed(chrono::Duration::microseconds((d * 1000.0).round() as i64))
            .ok_or_else(|| format!("http_req_duration {d} ms before the year 0"))?,
        _ => end,
    };
    let url = tags
        .url
        .as_deref()
        .or(tags.name.as_deref())
        .unwrap_or("")
        .to_string();
    let agent = tags
        .scenario
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("k6")
        .to_string();
    let region = tags
        .region
        .as_deref()
        .or(tags.load_zone.as_deref())
        .filter(|s| !s.is_empty())
        .or(file.vantage.as_deref())
        // no region or load zone tag and no region folder: the run has no
        // place, and must never show up as a region named after the tool
        .unwrap_or("");
    let test = tags
        .name
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&url);
    let mut r = ProbeRecord::identity(at, start, &agent, region, test, ProbeKind::Http, &url);
    r.status = tags
        .status
        .as_deref()
        .and_then(|s| s.trim().parse::<i32>().ok());
    let code = tags
        .error_code
        .as_deref()
        .and_then(|c| c.trim().parse::<u32>().ok())
        .filter(|&c| c > 0)
        .map(i64::from);
    super::apply_probe_error(&mut r, tags.error.as_deref(), code, "k6 error code", |c| {
        class_from_code(c as u32)
    });
    r.phases = Phases {
        blocked_ms: v[1],
        dns_ms: None,
        connect_ms: v[2],
        tls_ms: v[3],
        send_ms: v[4],
        wait_ms: v[5],
        receive_ms: v[6],
        total_ms: v[0],
    };
    Ok(r)
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let chunks = map_lines(file, opts, |_| ChunkState::default(), parse_line);
    let mut out = Parsed::default();
    let mut all: Vec<Partial> = Vec::new();
    for (state, rep) in chunks {
        super::lines::merge_report(&mut out.report, rep);
        all.extend(state.parts);
    }
    // a request cut by a chunk boundary: its later pieces join the first
    // (in order, so a later value of a point wins as within a chunk)
    let first: Vec<usize> = {
        let mut index: FxMap<&str, usize> = FxMap::default();
        all.iter()
            .enumerate()
            .map(|(i, p)| *index.entry(p.key.as_str()).or_insert(i))
            .collect()
    };
    for (i, &f) in first.iter().enumerate() {
        if f != i {
            let (line, vals) = (all[i].first_line, all[i].vals);
            let q = &mut all[f];
            q.first_line = q.first_line.min(line);
            for (a, b) in q.vals.iter_mut().zip(vals) {
                if b.is_some() {
                    *a = b;
                }
            }
        }
    }
    let parts: Vec<Partial> = all
        .into_iter()
        .zip(&first)
        .enumerate()
        .filter(|(i, (_, f))| *i == **f)
        .map(|(_, (p, _))| p)
        .collect();
    let built: Vec<Result<ProbeRecord, String>> =
        parts.par_iter().map(|p| build(p, file)).collect();
    for (p, b) in parts.iter().zip(built) {
        match b {
            Ok(r) => {
                out.report.records += 1;
                out.report.see_ts(r.ts);
                out.records.probes.push(r);
            }
            Err(e) => out.report.reject(SourceRef::line(file.id, p.first_line), e),
        }
    }
    out.report.rejections.sort_by_key(|r| r.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile::from_bytes(2, "k", text)
    }

    const TAGS: &str = r#"{"expected_response":"true","group":"","method":"GET","name":"https://test.k6.io/","proto":"HTTP/1.1","scenario":"browse","status":"200","url":"https://test.k6.io/"}"#;

    fn point(metric: &str, time: &str, v: f64, tags: &str) -> String {
        format!(
            r#"{{"type":"Point","data":{{"time":"{time}","value":{v},"tags":{tags}}},"metric":"{metric}"}}"#
        )
    }

    fn request(time: &str, tags: &str) -> Vec<String> {
        [
            ("http_reqs", 1.0),
            ("http_req_duration", 250.0),
            ("http_req_blocked", 30.0),
            ("http_req_connecting", 10.0),
            ("http_req_tls_handshaking", 15.0),
            ("http_req_sending", 0.5),
            ("http_req_waiting", 200.0),
            ("http_req_receiving", 49.5),
            ("http_req_failed", 0.0),
        ]
        .iter()
        .map(|(m, v)| point(m, time, *v, tags))
        .collect()
    }

    #[test]
    fn joins_points_of_one_request() {
        let mut lines = vec![FORMAT.samples[0].to_string()];
        lines.extend(request("2024-03-01T10:00:01+01:00", TAGS));
        lines.push("garbage".into());
        let failed = TAGS.replace(
            r#""status":"200""#,
            r#""status":"0","error":"dial tcp 1.2.3.4:443: i/o timeout","error_code":"1211""#,
        );
        lines.extend(request("2024-03-01T10:00:02Z", &failed));
        let p = parse(&file(&lines.join("\n")), &IngestOptions::default());
        assert_eq!(p.report.records, 3, "{:?}", p.report.rejections);
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, 14);
        let r = &p.records.probes[0];
        assert_eq!(r.source.n, 4);
        assert_eq!(r.agent, "k6");
        assert_eq!(r.region, "");
        assert_eq!(r.phases.total_ms, Some(459.865729));
        let ok = &p.records.probes[1];
        assert_eq!(ok.source.n, 5);
        assert_eq!(ok.ts.to_rfc3339(), "2024-03-01T09:00:00.750+00:00");
        assert_eq!(ok.agent, "browse");
        assert_eq!(ok.status, Some(200));
        assert_eq!(ok.phases.connect_ms, Some(10.0));
        assert_eq!(ok.phases.tls_ms, Some(15.0));
        assert_eq!(ok.phases.wait_ms, Some(200.0));
        assert_eq!(ok.phases.receive_ms, Some(49.5));
        assert_eq!(ok.phases.blocked_ms, Some(30.0));
        assert_eq!(ok.registrable_domain, "k6.io");
        let bad = &p.records.probes[2];
        assert_eq!(bad.source.n, 15);
        assert_eq!(bad.status, Some(0));
        assert_eq!(bad.error_class, Some(ErrorClass::Timeout));
        assert!(bad.is_error());
    }

    #[test]
    fn join_is_chunk_independent() {
        let mut lines = Vec::new();
        for i in 0..300 {
            lines.extend(request(
                &format!("2024-03-01T10:{:02}:{:02}Z", i / 60, i % 60),
                TAGS,
            ));
        }
        let text = lines.join("\n");
        let f = file(&text);
        let whole = parse(&f, &IngestOptions::default());
        assert_eq!(whole.records.probes.len(), 300);
        // same content parsed chunk by chunk with a tiny chunk size
        let chunks = super::super::lines::split_chunks(&f.bytes, 97);
        assert!(chunks.len() > 100);
        let mut st = Vec::new();
        for c in &chunks {
            let mut s = ChunkState::default();
            for (n, l) in super::super::lines::chunk_lines(c) {
                let _ = parse_line(&mut s, l, SourceRef::line(2, n));
            }
            st.push(s.parts.len());
        }
        assert!(st.iter().sum::<usize>() >= 300);
    }

    #[test]
    fn vantage_and_region_tag() {
        let mut f = file(&request("2024-03-01T10:00:01Z", TAGS).join("\n"));
        f.vantage = Some("eu-west".into());
        assert_eq!(
            parse(&f, &IngestOptions::default()).records.probes[0].region,
            "eu-west"
        );
        let tagged = TAGS.replace(r#""group":"""#, r#""group":"","region":"ap-south""#);
        let p = parse(
            &file(&request("2024-03-01T10:00:01Z", &tagged).join("\n")),
            &IngestOptions::default(),
        );
        assert_eq!(p.records.probes[0].region, "ap-south");
    }

    #[test]
    fn sniff_strict() {
        assert!(sniff(FORMAT.samples[1].as_bytes()));
        assert!(!sniff(br#"{"type":"http","ts":1,"target":"x"}"#));
        assert!(!sniff(br#"{"log":{"entries":[]}}"#));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn never_panics_on_points(v in -1e12f64..1e12, t in "[0-9T:.Z+-]{0,40}", m in "http_req_[a-z_]{0,20}") {
            let f = file(&point(&m, &t, v, TAGS));
            let _ = parse(&f, &IngestOptions::default());
        }
    }
}
