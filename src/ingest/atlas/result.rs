//! What every RIPE Atlas result has (type, probe, time, measurement) and
//! the handing of each to the reader of its type: `network` (ping,
//! traceroute, ntp), `http` (http, sslcert), `dns`.

use super::{dns, http, network};
use crate::classify;
use crate::ingest::IngestOptions;
use crate::model::{ProbeKind, ProbeRecord, SourceRef};
use serde_json::Value;

/// Makes the record of one result for a kind and target, with the
/// result's probe, region, test and time filled in.
pub(super) type Mk<'a> = dyn Fn(ProbeKind, &str) -> ProbeRecord + 'a;

/// A number field; firmware writes some as strings.
pub(super) fn f(v: &Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty string field, trimmed.
pub(super) fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)?.as_str().map(str::trim).filter(|x| !x.is_empty())
}

/// An id field (number or string) as text.
pub(super) fn id(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
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
    let mk = |kind: ProbeKind, target: &str| {
        ProbeRecord::identity(at, ts, &prb, &region, &test, kind, target)
    };
    let records = match kind {
        "ping" => network::ping(v, &mk, dst)?,
        "traceroute" => network::traceroute(v, &mk, dst)?,
        "ntp" => network::ntp(v, &mk, dst)?,
        "http" => http::http(v, &mk, dst)?,
        "sslcert" => http::sslcert(v, &mk)?,
        "dns" => dns::dns(v, &mk, dst)?,
        other => return Ok(Built::Unread(other.to_string())),
    };
    Ok(Built::Probes(records))
}
