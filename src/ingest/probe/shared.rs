//! The helpers every probe-like reader shares (probe, k6, curl, mtr,
//! changes, atlas): lenient times, the record with only its identity set,
//! error texts classified.

use crate::classify;
use crate::model::{ProbeKind, ProbeRecord};
use crate::sym::intern;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Metrics read leniently (numbers as strings, `null`, empty): shared with
/// the HAR reader, and re-exported for the probe-like readers.
pub(crate) use crate::ingest::lenient::Num;

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

/// Reserve room for a chunk's records at its first line (lines of one file
/// are much alike, so the first predicts the count): without it the record
/// vectors of a large file double their way up and copy everything again.
pub(crate) fn reserve_chunk<T>(v: &mut Vec<T>, line_len: usize, file_len: usize) {
    if v.capacity() == 0 {
        let span = file_len.min(crate::ingest::lines::CHUNK_BYTES);
        v.reserve(span / (line_len + 1) + span / (line_len + 1) / 8 + 4);
    }
}

/// Set the error text and its class (empty text = no error).
pub(crate) fn set_error(r: &mut ProbeRecord, text: Option<&str>) {
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        r.error_class = classify::classify_error(t);
        r.error = Some(intern(t));
    }
}

/// First non-empty line of the head parsed as a JSON object (`None` when it
/// is not one, or is cut by the sniff limit).
pub(crate) fn first_json_object(head: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let b = crate::ingest::trimmed_head(head);
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
