//! HTTP results: http (requests and their phases, or firmware 0 and 1's
//! line of text) and sslcert (TLS handshakes and alerts).

use super::result::{Mk, f, id, s};
use crate::classify;
use crate::ingest::probe::set_error;
use crate::model::{ErrorClass, ProbeKind, ProbeRecord};
use crate::sym::intern;
use serde_json::Value;

/// An http result: one record per request, with connect / wait / receive
/// phases, or the one line of text that firmware 0 and 1 wrote.
pub(super) fn http(v: &Value, mk: &Mk<'_>, dst: &str) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
            set_error(&mut r, Some(t));
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
        return Ok(out);
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
            set_error(&mut r, s(x, "err"));
        }
        out.push(r);
    }
    Ok(out)
}

/// An sslcert result: connect and TLS time, a TLS alert or error.
pub(super) fn sslcert(v: &Value, mk: &Mk) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
        set_error(&mut r, Some(e));
        if r.error_class == Some(ErrorClass::Other) {
            r.error_class = Some(ErrorClass::TlsError);
        }
    }
    out.push(r);
    Ok(out)
}
