//! One RIPE Atlas result to probe records, by result type: ping,
//! traceroute and ntp (network), http and sslcert (http), dns.

use crate::classify;
use crate::ingest::IngestOptions;
use crate::ingest::probe::base_record;
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use crate::sym::intern;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::Value;

pub(super) fn f(v: &Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)?.as_str().map(str::trim).filter(|x| !x.is_empty())
}

pub(super) fn id(v: &Value, k: &str) -> Option<String> {
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
pub(super) fn replies(list: Option<&Value>) -> (Vec<f64>, usize, usize) {
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
/// Only the first 8 characters (6 bytes) are read, in either alphabet.
pub(super) fn dns_rcode(abuf: &str) -> Option<u8> {
    let head: Vec<u8> = abuf
        .as_bytes()
        .get(..8)?
        .iter()
        .map(|&c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    let bytes = STANDARD_NO_PAD.decode(head).ok()?;
    // byte 3 (0-based) holds RA/Z/RCODE
    Some(bytes[3] & 0x0f)
}

/// What one result gave: probe records, or a type that carries no
/// latency, loss or failure (`wifi`, ...), counted and reported.
#[derive(Debug)]
pub(super) enum Built {
    Probes(Vec<ProbeRecord>),
    Unread(String),
}

/// Result types read into probe records.
pub const READ_TYPES: &str = "ping, traceroute, http, sslcert, dns, ntp";

pub(super) fn build(
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
                crate::ingest::probe::set_error(&mut r, Some(e));
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
                crate::ingest::probe::set_error(&mut r, Some(e));
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
                crate::ingest::probe::set_error(&mut r, Some(&text));
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
                    Some(e) => crate::ingest::probe::set_error(&mut r, Some(e)),
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
                    crate::ingest::probe::set_error(&mut r, Some(t));
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
                    crate::ingest::probe::set_error(&mut r, s(x, "err"));
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
                crate::ingest::probe::set_error(&mut r, Some(e));
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
