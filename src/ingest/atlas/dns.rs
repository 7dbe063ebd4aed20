//! DNS results: one record per resolver asked, failed by the answer's
//! RCODE (read from the base64 answer buffer) or by the error given.

use super::result::{Mk, f, s};
use crate::classify;
use crate::model::{ErrorClass, ProbeKind, ProbeRecord};
use crate::sym::intern;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::Value;

/// A dns result: one record per resolver asked, with the answer's RCODE
/// or the error.
pub(super) fn dns(v: &Value, mk: &Mk<'_>, dst: &str) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
                r.error_class = Some(classify::classify_error(text).unwrap_or(ErrorClass::Other));
            }
        } else {
            return Err("dns result with neither `result` nor `error`".into());
        }
        out.push(r);
    }
    Ok(out)
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
