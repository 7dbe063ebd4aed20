//! The redaction marker's format, apart from the redactor that writes it.
//!
//! Stages below the report (the model groups a redacted path segment like
//! the id it replaced) need to recognise a marker without depending on
//! the cross-cutting redactor; both import this module instead.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Prefix of every marker; anything matching [`is_marker`] is left alone.
pub const MARKER_PREFIX: &str = "[REDACTED:";

pub(crate) fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[REDACTED:[0-9a-f]{8}(?::[A-Za-z0-9._=-]{1,64}){0,8}\]").unwrap()
    })
}

/// True when `s` is exactly one redaction marker.
pub fn is_marker(s: &str) -> bool {
    s.starts_with(MARKER_PREFIX)
        && marker_re()
            .find(s)
            .is_some_and(|m| m.start() == 0 && m.end() == s.len())
}

/// The marker for `value`: `[REDACTED:` + first 8 hex of SHA-256 over the
/// percent-decoded value + `]`. Percent-decoding first makes a token give
/// the same marker in a query string and in a header.
pub fn marker(value: &str) -> String {
    format!("{MARKER_PREFIX}{}]", short_hash(value))
}

/// First 8 hex digits of SHA-256 over the percent-decoded value.
pub(crate) fn short_hash(value: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
    let digest = Sha256::digest(decoded.as_bytes());
    let mut s = String::with_capacity(8);
    for b in &digest[..4] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
