//! JSON Web Tokens: found whole, and marked with the claims that identify
//! nobody (algorithm, type, issuer host, times) so a reader can still tell
//! an expired token from a forged one.

use super::codec::b64_decode;
use crate::marker::{MARKER_PREFIX, short_hash};
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

pub(super) fn jwt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+)?)?")
            .unwrap()
    })
}

/// True when the whole of `s` is a JWT (JWS compact form, or JWE).
pub fn is_jwt(s: &str) -> bool {
    s.starts_with("eyJ")
        && jwt_re()
            .find(s)
            .is_some_and(|m| m.start() == 0 && m.end() == s.len())
}

/// Marker for a JWT keeping the non-identifying parts: header `alg`/`typ`,
/// the issuer's host, `exp`/`iat`/`nbf`.
pub fn jwt_marker(jwt: &str) -> String {
    let mut m = format!("{MARKER_PREFIX}{}:jwt", short_hash(jwt));
    let mut parts = jwt.split('.');
    let header = parts.next().and_then(b64_json);
    let claims = parts.next().and_then(b64_json);
    if let Some(h) = header {
        for k in ["alg", "typ"] {
            if let Some(v) = h.get(k).and_then(Value::as_str) {
                push_annot(&mut m, k, v);
            }
        }
    }
    if let Some(c) = claims {
        if let Some(iss) = c.get("iss").and_then(Value::as_str) {
            let host = iss.split("://").nth(1).unwrap_or(iss);
            let host = host.split(['/', ':', '?', '#']).next().unwrap_or("");
            push_annot(&mut m, "iss", host);
        }
        for k in ["exp", "iat", "nbf"] {
            if let Some(v) = c.get(k).and_then(Value::as_i64) {
                push_annot(&mut m, k, &v.to_string());
            }
        }
    }
    m.push(']');
    m
}

fn push_annot(m: &mut String, k: &str, v: &str) {
    let clean: String = v
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(40)
        .collect();
    if !clean.is_empty() {
        m.push(':');
        m.push_str(k);
        m.push('=');
        m.push_str(&clean);
    }
}

fn b64_json(part: &str) -> Option<Value> {
    let bytes = b64_decode(part)?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.is_object().then_some(v)
}
