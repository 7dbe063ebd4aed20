//! k6 `--out json` results from the region that runs k6 instead of the own
//! probe's HTTP checks: `Metric` declarations the first time a metric is
//! seen, then `Point` lines stamped at request end, with k6's tags
//! (`status` as a string, `error`/`error_code` on failures, `--tag region`).

use super::{Client, Fail, OFFSETS, Out, Role, World, num, rfc3339};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::collections::BTreeSet;

fn k6_error(f: Fail, host: &str) -> (String, u32) {
    match f {
        Fail::DnsServfail | Fail::DnsTimeout => (format!("lookup {host}: no such host"), 1101),
        Fail::ConnTimeout => ("dial: i/o timeout".to_string(), 1211),
        Fail::ConnReset => ("read: connection reset by peer".to_string(), 1220),
        Fail::CertExpired => (
            "x509: certificate has expired or is not yet valid".to_string(),
            1300,
        ),
        Fail::Timeout => ("request timeout".to_string(), 1050),
        Fail::ClientDisconnected | Fail::ClientNetworkChanged => {
            ("dial: network is unreachable".to_string(), 1200)
        }
    }
}

struct Writer {
    lines: Vec<String>,
    seen: BTreeSet<&'static str>,
    offset: i32,
}

impl Writer {
    fn point(
        &mut self,
        metric: &'static str,
        mtype: &str,
        contains: &str,
        time: DateTime<Utc>,
        value: f64,
        tags: &str,
    ) {
        if self.seen.insert(metric) {
            self.lines.push(format!(
                "{{\"type\":\"Metric\",\"data\":{{\"name\":\"{metric}\",\"type\":\"{mtype}\",\"contains\":\"{contains}\",\"thresholds\":[],\"submetrics\":null}},\"metric\":\"{metric}\"}}"
            ));
        }
        let ts = rfc3339(time, self.offset, SecondsFormat::Micros, false);
        self.lines.push(format!("{{\"metric\":\"{metric}\",\"type\":\"Point\",\"data\":{{\"time\":\"{ts}\",\"value\":{},\"tags\":{tags}}}}}", if mtype == "trend" { num(value, 6) } else { num(value, 0) }));
    }
}

pub(crate) fn write(w: &World, out: &mut Out) -> std::io::Result<()> {
    let Some(region) = w.k6_region.clone() else {
        return Ok(());
    };
    let mut r = w.rng("k6");
    let mut wr = Writer {
        lines: Vec::new(),
        seen: BTreeSet::new(),
        offset: *r.pick(&OFFSETS),
    };
    let ep = w.primary_endpoint();
    let mut pr = w.rng("k6-path");
    let url = format!("https://{}{}", w.host(Role::Api), w.fill_path(&mut pr, ep));
    let host = w.host(Role::Api);
    // One VU, one iteration per probe interval; the connection is kept
    // alive between iterations unless it failed.
    let every = w.profile.probe_every_min.max(1);
    let mut conn_open = false;
    let mut m = 0;
    let mut requests = 0u64;
    while m < w.minutes() {
        requests += 1;
        let t0 = w.start + Duration::minutes(m) + Duration::milliseconds(r.range_i(0, 900));
        let o = w.outcome(&mut r, t0, &region, None, Role::Api, Some(ep.family));
        let body = r.range_i(2_000, 20_000) as u64;
        let tm = w.timing(&mut r, &o, !conn_open, body, Client::K6);
        conn_open = o.fail.is_none();
        let connecting = tm.connect.unwrap_or(0.0);
        let tls = tm.tls.unwrap_or(0.0);
        let blocked = tm.blocked + tm.dns.unwrap_or(0.0) + connecting + tls;
        let sending = tm.send.unwrap_or(0.0);
        let waiting = tm.wait.unwrap_or(0.0);
        let receiving = tm.receive.unwrap_or(0.0);
        let duration = sending + waiting + receiving;
        let elapsed = blocked + duration;
        let end = t0 + Duration::microseconds((elapsed * 1000.0) as i64);
        let status = o.status;
        let mut tags = format!(
            "{{\"expected_response\":\"{}\",\"group\":\"\",\"method\":\"GET\",\"name\":\"{url}\",\"proto\":\"{}\",\"region\":\"{region}\",\"scenario\":\"default\",\"status\":\"{status}\"",
            (200..400).contains(&status),
            if status > 0 { "HTTP/2.0" } else { "" }
        );
        if status > 0 {
            tags.push_str(",\"tls_version\":\"tls1.3\"");
        }
        if let Some(f) = o.fail {
            let (msg, code) = k6_error(f, &host);
            tags.push_str(&format!(
                ",\"error\":{},\"error_code\":\"{code}\"",
                super::json_str(&msg)
            ));
        } else if status >= 400 {
            tags.push_str(&format!(",\"error_code\":\"{}\"", 1000 + status));
        }
        tags.push_str(&format!(",\"url\":\"{url}\"}}"));
        wr.point("http_reqs", "counter", "default", end, 1.0, &tags);
        wr.point("http_req_duration", "trend", "time", end, duration, &tags);
        wr.point("http_req_blocked", "trend", "time", end, blocked, &tags);
        wr.point(
            "http_req_connecting",
            "trend",
            "time",
            end,
            connecting,
            &tags,
        );
        wr.point("http_req_tls_handshaking", "trend", "time", end, tls, &tags);
        wr.point("http_req_sending", "trend", "time", end, sending, &tags);
        wr.point("http_req_waiting", "trend", "time", end, waiting, &tags);
        wr.point("http_req_receiving", "trend", "time", end, receiving, &tags);
        wr.point(
            "http_req_failed",
            "rate",
            "default",
            end,
            if (200..400).contains(&status) {
                0.0
            } else {
                1.0
            },
            &tags,
        );
        if !w.profile.lean_har {
            let itags =
                format!("{{\"group\":\"\",\"region\":\"{region}\",\"scenario\":\"default\"}}");
            let iend = end + Duration::milliseconds(r.range_i(1, 5));
            wr.point(
                "iteration_duration",
                "trend",
                "time",
                iend,
                elapsed + r.range_f(0.5, 3.0),
                &itags,
            );
            wr.point("iterations", "counter", "default", iend, 1.0, &itags);
        }
        m += every;
    }
    let mut lines = wr.lines;
    // A k6 run killed mid-write leaves a torn last line.
    let mut bad = 0;
    if r.chance(0.5) {
        let last = lines[lines.len() - 1].clone();
        lines.push(last[..last.len() / 3].to_string());
        bad = 1;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    out.write(
        &format!("k6/region={region}/k6-results.json"),
        text.as_bytes(),
        "k6",
        requests,
        bad,
    )
}
