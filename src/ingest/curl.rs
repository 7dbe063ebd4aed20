//! curl `--write-out '%{json}'` lines, as cron scripts collect them:
//! `2025-02-06T10:00:00Z {"time_total":0.21,...}` (the timestamp prefix is
//! optional for detection but curl's JSON carries no time of its own, so a
//! line without one is rejected rather than placed at an invented time).
//!
//! curl's `time_*` values are cumulative seconds since the start of the
//! transfer; they are turned into per-phase milliseconds so that a curl
//! probe, a k6 request and a HAR entry are comparable phase by phase.

use super::lines::{LineOutcome, parse_lines};
use super::probe::{Num, parse_time};
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, Phases, ProbeKind, ProbeRecord, Records, SourceRef};
use serde::Deserialize;
use std::borrow::Cow;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "curl-json",
    sniff,
    parse,
    samples: &[
        // the %{json} object of curl's tests/data/test970, placeholders filled in
        r#"{"certs":"","conn_id":0,"content_type":"text/html","errormsg":null,"exitcode":0,"filename_effective":"log/out970","ftp_entry_path":null,"http_code":200,"http_connect":0,"http_version":"1.1","local_ip":"127.0.0.1","local_port":13,"method":"GET","num_certs":0,"num_connects":1,"num_headers":9,"num_redirects":0,"num_retries":0,"proxy_ssl_verify_result":0,"proxy_used":0,"redirect_url":null,"referer":null,"remote_ip":"127.0.0.1","remote_port":8990,"response_code":200,"scheme":"http","size_delivered":445,"size_download":445,"size_header":4019,"size_request":4019,"size_upload":0,"speed_download":13,"speed_upload":13,"ssl_verify_result":0,"time_appconnect":0.000013,"time_connect":0.000013,"time_namelookup":0.000013,"time_posttransfer":0.000013,"time_pretransfer":0.000013,"time_queue":0.000013,"time_redirect":0.000013,"time_starttransfer":0.000013,"time_total":0.000013,"tls_earlydata":0,"url":"http://127.0.0.1:8990/970","url_effective":"http://127.0.0.1:8990/970","urlnum":0,"xfer_id":0,"curl_version":"curl-unit-test-fake-version"}"#,
        r#"2025-02-06T10:00:00+00:00 {"content_type":"application/json","errormsg":null,"exitcode":0,"http_code":200,"http_version":"2","method":"GET","num_connects":1,"remote_ip":"93.184.215.14","response_code":200,"scheme":"https","size_download":1256,"time_appconnect":0.061807,"time_connect":0.031254,"time_namelookup":0.004142,"time_pretransfer":0.061941,"time_redirect":0,"time_starttransfer":0.118734,"time_total":0.118931,"url_effective":"https://example.com/api/health"}
2025-02-06T10:01:00+00:00 {"content_type":null,"errormsg":"Could not resolve host: example.com","exitcode":6,"http_code":0,"method":"GET","num_connects":0,"response_code":0,"scheme":null,"size_download":0,"time_appconnect":0,"time_connect":0,"time_namelookup":0,"time_pretransfer":0,"time_redirect":0,"time_starttransfer":0,"time_total":2.004201,"url_effective":"https://example.com/api/health"}"#,
    ],
};

/// (timestamp prefix, JSON object) of a line, if it has the curl shape.
fn split_prefix(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b'{', line)?;
    let prefix = line[..i].trim_ascii();
    // a prefix is a time stamp: no quotes, no braces, short
    if prefix.len() > 64 || prefix.iter().any(|&c| c == b'"' || c == b'}') {
        return None;
    }
    Some((prefix, &line[i..]))
}

fn prefix_time(prefix: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = std::str::from_utf8(prefix).ok()?;
    let s = s
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches(':')
        .trim();
    parse_time(s)
}

fn sniff(head: &[u8]) -> bool {
    // curl's own complaints on stderr (`curl: (6) Could not resolve host`)
    // often land in the same file first; the first other line decides
    let b = super::trimmed_head(head);
    let Some(line) = b
        .split(|&c| c == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
        .take(5)
        .find(|l| !l.starts_with(b"curl: "))
    else {
        return false;
    };
    let Some((prefix, json)) = split_prefix(line) else {
        return false;
    };
    if !prefix.is_empty() && prefix_time(prefix).is_none() {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) => {
            m.contains_key("time_total")
                && m.contains_key("time_namelookup")
                && (m.contains_key("url_effective")
                    || m.contains_key("http_code")
                    || m.contains_key("response_code"))
        }
        _ => false,
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    time_namelookup: Num,
    #[serde(default)]
    time_connect: Num,
    #[serde(default)]
    time_appconnect: Num,
    #[serde(default)]
    time_pretransfer: Num,
    #[serde(default)]
    time_starttransfer: Num,
    #[serde(default)]
    time_total: Num,
    #[serde(default)]
    http_code: Num,
    #[serde(default)]
    response_code: Num,
    #[serde(borrow, default)]
    url_effective: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(default)]
    exitcode: Num,
    #[serde(borrow, default)]
    errormsg: Option<Cow<'a, str>>,
}

/// curl exit codes (man curl, EXIT CODES) when no message says more.
fn class_from_exit(code: i64) -> ErrorClass {
    match code {
        5 | 6 => ErrorClass::NameNotResolved,
        7 => ErrorClass::ConnectionRefused,
        28 => ErrorClass::Timeout,
        35 => ErrorClass::TlsError,
        51 | 58 | 60 | 77 | 83 | 90 | 91 => ErrorClass::CertError,
        52 => ErrorClass::ConnectionClosed,
        55 | 56 => ErrorClass::ConnectionReset,
        97 => ErrorClass::Proxy,
        _ => ErrorClass::Other,
    }
}

/// Cumulative seconds to per-phase milliseconds (never negative).
fn phases(l: &Line) -> Phases {
    let s = |n: Num| n.0.filter(|v| *v >= 0.0);
    let (dns, conn, app, pre, start, total) = (
        s(l.time_namelookup),
        s(l.time_connect),
        s(l.time_appconnect),
        s(l.time_pretransfer),
        s(l.time_starttransfer),
        s(l.time_total),
    );
    let ms = |a: f64, b: f64| Some(((b - a) * 1000.0).max(0.0));
    let connected = conn.filter(|c| *c > 0.0);
    let tls_end = app.filter(|a| *a > 0.0);
    let ready = [connected, tls_end, pre]
        .into_iter()
        .flatten()
        .fold(0.0f64, f64::max);
    let started = start.filter(|v| *v > 0.0);
    Phases {
        blocked_ms: None,
        dns_ms: dns.map(|d| d * 1000.0),
        connect_ms: connected.and_then(|c| ms(dns.unwrap_or(0.0), c)),
        tls_ms: match (connected, tls_end) {
            (Some(c), Some(a)) => ms(c, a),
            (Some(_), None) => Some(0.0),
            _ => None,
        },
        send_ms: pre.filter(|p| *p > 0.0).and_then(|p| {
            ms(
                [connected, tls_end]
                    .into_iter()
                    .flatten()
                    .fold(p.min(0.0), f64::max),
                p,
            )
        }),
        wait_ms: started.and_then(|st| ms(ready, st)),
        receive_ms: match (started, total) {
            (Some(st), Some(t)) => ms(st, t),
            _ => None,
        },
        total_ms: total.map(|t| t * 1000.0),
    }
}

fn build(line: &[u8], at: SourceRef, vantage: Option<&str>) -> Result<ProbeRecord, String> {
    let (prefix, json) = split_prefix(line).ok_or("no curl %{json} object on this line")?;
    let l: Line =
        serde_json::from_slice(json).map_err(|e| format!("not a curl %{{json}} object: {e}"))?;
    if l.time_total.0.is_none() {
        return Err("no `time_total`: not curl %{json} output".into());
    }
    if prefix.is_empty() {
        return Err(
            "no timestamp: curl %{json} carries none, prefix each line with an RFC 3339 time"
                .into(),
        );
    }
    let ts = prefix_time(prefix).ok_or_else(|| {
        format!(
            "invalid timestamp prefix {:?}",
            String::from_utf8_lossy(prefix)
        )
    })?;
    let url = l
        .url_effective
        .as_deref()
        .or(l.url.as_deref())
        .unwrap_or("")
        .trim()
        .to_string();
    if url.is_empty() {
        return Err("no `url_effective` or `url`".into());
    }
    let who = vantage.unwrap_or("curl");
    let mut r = ProbeRecord::identity(at, ts, who, who, &url, ProbeKind::Http, &url);
    r.status = l.http_code.0.or(l.response_code.0).map(|s| s as i32);
    r.phases = phases(&l);
    let exit = l.exitcode.0.map(|c| c as i64).filter(|&c| c != 0);
    super::apply_probe_error(
        &mut r,
        l.errormsg.as_deref(),
        exit,
        "curl exit code",
        class_from_exit,
    );
    Ok(r)
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let vantage = file.vantage.as_deref();
    parse_lines(file, opts, |line, at, out: &mut Records| {
        super::probe::reserve_chunk(&mut out.probes, line.len(), file.bytes.len());
        LineOutcome::push(build(line, at, vantage), &mut out.probes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile {
            id: 4,
            path: "c".into(),
            vantage: Some("lon".into()),
            bytes: text.as_bytes().to_vec(),
            read_error: None,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn cumulative_to_phases() {
        let text = format!("{}\nnoise\n{}\n", FORMAT.samples[1], FORMAT.samples[0]);
        let p = parse(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 2);
        assert_eq!(p.report.bad_records, 2);
        assert_eq!(p.report.rejections[0].at.n, 3);
        assert!(p.report.rejections[1].reason.contains("no timestamp"));
        let r = &p.records.probes[0];
        assert_eq!(r.ts.to_rfc3339(), "2025-02-06T10:00:00+00:00");
        assert_eq!(r.region, "lon");
        assert_eq!(r.status, Some(200));
        assert!(close(r.phases.dns_ms, 4.142));
        assert!(close(r.phases.connect_ms, 27.112));
        assert!(close(r.phases.tls_ms, 30.553));
        assert!(close(r.phases.send_ms, 0.134));
        assert!(close(r.phases.wait_ms, 56.793));
        assert!(close(r.phases.receive_ms, 0.197));
        assert!(close(r.phases.total_ms, 118.931));
        let e = &p.records.probes[1];
        assert_eq!(e.status, Some(0));
        assert_eq!(e.error_class, Some(ErrorClass::NameNotResolved));
        assert_eq!(e.source.n, 2);
        assert!(e.is_error());
    }

    #[test]
    fn plain_http_has_zero_tls_and_exit_code_classes() {
        let line = r#"[2025-02-06T10:00:00Z] {"http_code":0,"exitcode":28,"errormsg":null,"time_namelookup":0.001,"time_connect":0.002,"time_appconnect":0,"time_pretransfer":0.002,"time_starttransfer":0.0,"time_total":5.0,"url_effective":"http://api.example.net/x"}"#;
        let p = parse(&file(line), &IngestOptions::default());
        let r = &p.records.probes[0];
        assert_eq!(r.phases.tls_ms, Some(0.0));
        assert_eq!(r.phases.wait_ms, None);
        assert_eq!(r.error_class, Some(ErrorClass::Timeout));
        assert_eq!(r.error.as_deref(), Some("curl exit code 28"));
    }

    #[test]
    fn sniffs() {
        for s in FORMAT.samples {
            assert!(sniff(s.as_bytes()));
        }
        assert!(!sniff(br#"{"type":"http","ts":1,"target":"x"}"#));
        let after_stderr = format!("curl: (28) Operation timed out\n{}", FORMAT.samples[1]);
        assert!(sniff(after_stderr.as_bytes()));
        assert!(!sniff(
            br#"hello {"time_total":1,"time_namelookup":1,"http_code":2}"#
        ));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn phases_never_negative(a in 0.0f64..10.0, b in 0.0f64..10.0, c in 0.0f64..10.0, d in 0.0f64..10.0, e in 0.0f64..10.0, t in 0.0f64..10.0) {
            let line = format!(r#"2025-02-06T10:00:00Z {{"time_namelookup":{a},"time_connect":{b},"time_appconnect":{c},"time_pretransfer":{d},"time_starttransfer":{e},"time_total":{t},"url":"http://x.example/"}}"#);
            let p = parse(&file(&line), &IngestOptions::default());
            let ph = p.records.probes[0].phases;
            for v in [ph.dns_ms, ph.connect_ms, ph.tls_ms, ph.send_ms, ph.wait_ms, ph.receive_ms, ph.total_ms].into_iter().flatten() {
                prop_assert!(v >= 0.0);
            }
        }
    }
}
