//! faultlens' own probe log (contract §2), JSON Lines and CSV.
//!
//! This is the format other tools are asked to convert to, so it is read
//! leniently where the contract allows (numbers as strings, `null` metrics,
//! unix or RFC 3339 times) and strictly where a wrong guess would mislead
//! (an unknown `type` is a rejection, never a default). The small helpers
//! every probe-like reader shares (flexible numbers and times, the target's
//! registrable domain, a CSV splitter) live here too.
//!
//! Where each job lives: [`jsonl`] and [`csv`] read the two encodings into
//! one set of fields, [`build`] holds them to the contract, [`shared`] has
//! the helpers other readers borrow.

mod csv;
mod jsonl;
mod shared;
#[cfg(test)]
mod tests;

pub use self::csv::NUM_COLS;
pub(crate) use self::csv::{csv_header, split_csv};
pub(crate) use shared::{
    Num, Ts, first_json_object, parse_kind, parse_time, reserve_chunk, set_error,
};

use self::csv::{parse_csv, sniff_csv};
use super::FormatSpec;
use crate::model::{Phases, ProbeRecord, SourceRef};
use chrono::{DateTime, Utc};
use jsonl::{parse_jsonl, sniff_jsonl};
use std::borrow::Cow;

pub static FORMAT_JSONL: FormatSpec = FormatSpec {
    name: "probe-jsonl",
    sniff: sniff_jsonl,
    parse: parse_jsonl,
    samples: &[
        r#"{"ts":"2025-02-06T10:00:00Z","agent":"probe-fra-1","region":"eu-west","test":"app-http","type":"http","target":"https://app.example.com/api/health","status":200,"dns_ms":3.1,"connect_ms":11.8,"tls_ms":24.0,"send_ms":0.1,"wait_ms":87.5,"receive_ms":2.2,"total_ms":128.7}"#,
        r#"{"ts":1738836060,"agent":"probe-iad-2","region":"us-east","test":"app-net","type":"network","target":"app.example.com","loss_pct":0,"latency_ms":21.4,"jitter_ms":1.2}
{"ts":1738836060,"agent":"probe-iad-2","region":"us-east","test":"app-dns","type":"dns","target":"app.example.com","resolve_ms":null,"error":"SERVFAIL"}"#,
        r#"{"ts":"2025-02-06T10:01:00+01:00","agent":"probe-sin-1","region":"ap-southeast","test":"app-page","type":"page","target":"https://app.example.com/","page_load_ms":2310,"components":84,"component_errors":3}"#,
    ],
};

pub static FORMAT_CSV: FormatSpec = FormatSpec {
    name: "probe-csv",
    sniff: sniff_csv,
    parse: parse_csv,
    samples: &[
        "ts,agent,region,test,type,target,status,error,dns_ms,connect_ms,tls_ms,send_ms,wait_ms,receive_ms,total_ms\n\
         2025-02-06T10:00:00Z,probe-fra-1,eu-west,app-http,http,https://app.example.com/api/health,200,,3.1,11.8,24.0,0.1,87.5,2.2,128.7\n\
         2025-02-06T10:01:00Z,probe-fra-1,eu-west,app-http,http,https://app.example.com/api/health,0,timeout,3.0,,,,,,10000\n",
        "ts,region,agent,type,target,loss_pct,latency_ms,jitter_ms\n1738836000,us-east,probe-iad-2,network,app.example.com,12.5,88.1,14.2\n",
    ],
};

/// The fields of one probe measurement, however it was written.
pub(super) struct Fields<'a> {
    pub(super) ts: Option<DateTime<Utc>>,
    pub(super) agent: Option<&'a str>,
    pub(super) region: Option<&'a str>,
    pub(super) test: Option<&'a str>,
    pub(super) kind: Option<&'a str>,
    pub(super) target: Option<&'a str>,
    pub(super) status: Option<f64>,
    pub(super) error: Option<&'a str>,
    pub(super) nums: [Option<f64>; 14],
}

pub(super) fn build(
    f: Fields<'_>,
    at: SourceRef,
    vantage: Option<&str>,
) -> Result<ProbeRecord, String> {
    let ts = f.ts.ok_or("missing or invalid `ts`")?;
    let kind_s = f
        .kind
        .filter(|k| !k.trim().is_empty())
        .ok_or("missing `type`")?;
    let kind = parse_kind(kind_s)
        .ok_or_else(|| format!("unknown probe type {kind_s:?} (http, network, page, dns)"))?;
    let target = f
        .target
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("missing `target`")?;
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let agent = nonempty(f.agent);
    let region = nonempty(f.region);
    let agent_s = agent.or(region).or(vantage).unwrap_or("unknown");
    let region_s = region.or(vantage).or(agent).unwrap_or("unknown");
    let test: Cow<str> = match nonempty(f.test) {
        Some(t) => t.into(),
        None => format!("{}:{}", kind.as_str(), target).into(),
    };
    let mut r = ProbeRecord::identity(at, ts, agent_s, region_s, &test, kind, target);
    if let Some(s) = f.status {
        if s.fract() != 0.0 || !(-1.0..=999.0).contains(&s) {
            return Err(format!("`status` {s} is not an HTTP status"));
        }
        r.status = Some(s as i32);
    }
    set_error(&mut r, f.error);
    let n = f.nums;
    r.phases = Phases {
        blocked_ms: None,
        dns_ms: n[0],
        connect_ms: n[1],
        tls_ms: n[2],
        send_ms: n[3],
        wait_ms: n[4],
        receive_ms: n[5],
        total_ms: n[6],
    };
    if let Some(l) = n[7]
        && !(0.0..=100.0).contains(&l)
    {
        return Err(format!("`loss_pct` {l} is outside 0..100"));
    }
    r.loss_pct = n[7];
    r.latency_ms = n[8];
    r.jitter_ms = n[9];
    r.page_load_ms = n[10];
    r.components = n[11];
    r.component_errors = n[12];
    r.resolve_ms = n[13];
    Ok(r)
}
