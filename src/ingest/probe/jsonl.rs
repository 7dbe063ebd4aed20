//! Probe logs as JSON Lines: one flat object per line, read by the flat
//! fast path ([`flat_json`]) when it can be, by serde otherwise.

use super::shared::{Num, Ts, first_json_object, parse_kind, parse_time, reserve_chunk};
use super::{Fields, build};
use crate::classify;
use crate::ingest::flat_json::{self, Scalar};
use crate::ingest::lines::{LineOutcome, parse_lines};
use crate::ingest::{IngestOptions, InputFile, Parsed};
use crate::model::Records;
use serde::Deserialize;
use std::borrow::Cow;

pub(super) fn sniff_jsonl(head: &[u8]) -> bool {
    let Some(m) = first_json_object(head) else {
        return false;
    };
    let kind_ok = m
        .get("type")
        .and_then(|v| v.as_str())
        .is_some_and(|t| parse_kind(t).is_some());
    kind_ok && m.contains_key("ts") && m.get("target").is_some_and(|v| v.is_string())
}

#[derive(Deserialize, Debug, Default, PartialEq)]
pub(super) struct Line<'a> {
    #[serde(default)]
    ts: Ts,
    #[serde(borrow, default)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    test: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    target: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Num,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(default)]
    dns_ms: Num,
    #[serde(default)]
    connect_ms: Num,
    #[serde(default)]
    tls_ms: Num,
    #[serde(default)]
    send_ms: Num,
    #[serde(default)]
    wait_ms: Num,
    #[serde(default)]
    receive_ms: Num,
    #[serde(default)]
    total_ms: Num,
    #[serde(default)]
    loss_pct: Num,
    #[serde(default)]
    latency_ms: Num,
    #[serde(default)]
    jitter_ms: Num,
    #[serde(default)]
    page_load_ms: Num,
    #[serde(default)]
    components: Num,
    #[serde(default)]
    component_errors: Num,
    #[serde(default)]
    resolve_ms: Num,
}

/// One JSONL line: read by the flat fast path when it is a flat object of
/// plain values (nearly every real line), else by serde, which also words
/// every rejection.
pub(super) fn decode(line: &[u8]) -> Result<Line<'_>, serde_json::Error> {
    match decode_flat(line) {
        Some(l) => Ok(l),
        None => serde_json::from_slice(line),
    }
}

/// [`Line`] from [`flat_json::scan`], with serde's rules: unknown keys
/// ignored, a repeated known key or a value of the wrong type left to
/// serde (which rejects it).
pub(super) fn decode_flat(line: &[u8]) -> Option<Line<'_>> {
    fn text<'a>(f: &mut Option<Cow<'a, str>>, v: Scalar<'a>) -> bool {
        match v {
            Scalar::Str(s) => *f = Some(Cow::Borrowed(s)),
            Scalar::Null => *f = None,
            _ => return false,
        }
        true
    }
    fn num(f: &mut Num, v: Scalar<'_>) -> bool {
        match v {
            Scalar::Num(x) => *f = Num(x.is_finite().then_some(x)),
            Scalar::Null => *f = Num(None),
            Scalar::Str(s) => match Num::of_text(s) {
                Ok(n) => *f = n,
                Err(_) => return false,
            },
            Scalar::Bool(_) => return false,
        }
        true
    }
    let mut l = Line::default();
    let mut seen = 0u32;
    let ok = flat_json::scan(line, |k, v| {
        let field = match k {
            "ts" => 0,
            "agent" => 1,
            "region" => 2,
            "test" => 3,
            "type" => 4,
            "target" => 5,
            "status" => 6,
            "error" => 7,
            "dns_ms" => 8,
            "connect_ms" => 9,
            "tls_ms" => 10,
            "send_ms" => 11,
            "wait_ms" => 12,
            "receive_ms" => 13,
            "total_ms" => 14,
            "loss_pct" => 15,
            "latency_ms" => 16,
            "jitter_ms" => 17,
            "page_load_ms" => 18,
            "components" => 19,
            "component_errors" => 20,
            "resolve_ms" => 21,
            _ => return true,
        };
        if seen & (1 << field) != 0 {
            return false;
        }
        seen |= 1 << field;
        match field {
            0 => match v {
                Scalar::Num(x) => l.ts = Ts(classify::unix_to_utc(x)),
                Scalar::Str(s) => l.ts = Ts(parse_time(s)),
                Scalar::Null => l.ts = Ts(None),
                Scalar::Bool(_) => return false,
            },
            1 => return text(&mut l.agent, v),
            2 => return text(&mut l.region, v),
            3 => return text(&mut l.test, v),
            4 => return text(&mut l.kind, v),
            5 => return text(&mut l.target, v),
            6 => return num(&mut l.status, v),
            7 => return text(&mut l.error, v),
            8 => return num(&mut l.dns_ms, v),
            9 => return num(&mut l.connect_ms, v),
            10 => return num(&mut l.tls_ms, v),
            11 => return num(&mut l.send_ms, v),
            12 => return num(&mut l.wait_ms, v),
            13 => return num(&mut l.receive_ms, v),
            14 => return num(&mut l.total_ms, v),
            15 => return num(&mut l.loss_pct, v),
            16 => return num(&mut l.latency_ms, v),
            17 => return num(&mut l.jitter_ms, v),
            18 => return num(&mut l.page_load_ms, v),
            19 => return num(&mut l.components, v),
            20 => return num(&mut l.component_errors, v),
            _ => return num(&mut l.resolve_ms, v),
        }
        true
    });
    ok.then_some(l)
}

pub(super) fn parse_jsonl(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let vantage = file.vantage.as_deref();
    parse_lines(file, opts, |line, at, out: &mut Records| {
        reserve_chunk(&mut out.probes, line.len(), file.bytes.len());
        let l: Line = match decode(line) {
            Ok(l) => l,
            Err(e) => return LineOutcome::Reject(format!("not a probe JSON object: {e}")),
        };
        let f = Fields {
            ts: l.ts.0,
            agent: l.agent.as_deref(),
            region: l.region.as_deref(),
            test: l.test.as_deref(),
            kind: l.kind.as_deref(),
            target: l.target.as_deref(),
            status: l.status.0,
            error: l.error.as_deref(),
            nums: [
                l.dns_ms.0,
                l.connect_ms.0,
                l.tls_ms.0,
                l.send_ms.0,
                l.wait_ms.0,
                l.receive_ms.0,
                l.total_ms.0,
                l.loss_pct.0,
                l.latency_ms.0,
                l.jitter_ms.0,
                l.page_load_ms.0,
                l.components.0,
                l.component_errors.0,
                l.resolve_ms.0,
            ],
        };
        LineOutcome::push(build(f, at, vantage), &mut out.probes)
    })
}
