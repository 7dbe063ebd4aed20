//! HAR timings into [`Phases`], with TLS counted once.
//!
//! Producers disagree on whether `ssl` is inside `connect` (the HAR 1.2
//! spec) or on top of it (Firefox, mitmproxy); every later stage compares
//! phases across captures, so the difference is settled here, once.

use crate::model::Phases;

/// How a producer counted TLS time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslStyle {
    /// HAR 1.2 spec: `ssl` is included in `connect`.
    InsideConnect,
    /// Firefox (and mitmproxy) exports: `ssl` comes on top of `connect`.
    OnTopOfConnect,
}

/// Normalize HAR timings into [`Phases`] so that no phase is counted twice:
/// `tls_ms` is its own phase and `connect_ms` excludes it.
///
/// Rule: `-1`, absent, null or non-numeric = `None`. When both `connect`
/// and `ssl` are measured and `ssl > 0`, the style is decided from the
/// entry's `time`: the sum of phases without `ssl` (spec: ssl is inside
/// connect) and the sum with `ssl` added (Firefox) are compared with
/// `time`, the closer one wins (ties go to the spec). Without a usable
/// `time`, `connect < ssl` can only be Firefox style, otherwise the spec is
/// assumed. In spec style `connect_ms = connect - ssl`. `total_ms` is the
/// entry's `time` when measured, else the sum of the normalized phases.
/// HAR timings of one entry, `None` where absent or `-1`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HarTimings {
    pub blocked: Option<f64>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub ssl: Option<f64>,
    pub send: Option<f64>,
    pub wait: Option<f64>,
    pub receive: Option<f64>,
    /// The entry's `time`.
    pub time: Option<f64>,
}

pub fn normalize_phases(t: HarTimings) -> (Phases, Option<SslStyle>) {
    let HarTimings {
        blocked,
        dns,
        connect,
        ssl,
        send,
        wait,
        receive,
        time,
    } = t;
    let mut style = None;
    let mut connect_ms = connect;
    let tls_ms = ssl;
    if let (Some(c), Some(s)) = (connect, ssl)
        && s > 0.0
    {
        let base: f64 = [blocked, dns, Some(c), send, wait, receive]
            .iter()
            .flatten()
            .sum();
        let st = match time {
            Some(t) => {
                if c < s || (t - (base + s)).abs() < (t - base).abs() {
                    SslStyle::OnTopOfConnect
                } else {
                    SslStyle::InsideConnect
                }
            }
            None if c < s => SslStyle::OnTopOfConnect,
            None => SslStyle::InsideConnect,
        };
        if st == SslStyle::InsideConnect {
            connect_ms = Some((c - s).max(0.0));
        }
        style = Some(st);
    }
    let mut phases = Phases {
        blocked_ms: blocked,
        dns_ms: dns,
        connect_ms,
        tls_ms,
        send_ms: send,
        wait_ms: wait,
        receive_ms: receive,
        total_ms: time,
    };
    if phases.total_ms.is_none() {
        let parts = [blocked, dns, connect_ms, tls_ms, send, wait, receive];
        if parts.iter().any(Option::is_some) {
            phases.total_ms = Some(parts.iter().flatten().sum());
        }
    }
    (phases, style)
}
