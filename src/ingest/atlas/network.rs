//! Network results: ping, traceroute (judged by its last hop) and ntp;
//! loss, mean RTT and jitter.

use super::result::{Mk, f, s};
use crate::ingest::probe::set_error;
use crate::model::{ErrorClass, ProbeKind, ProbeRecord};
use serde_json::Value;

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

/// A ping result: loss from sent / received, mean RTT, jitter of the replies.
pub(super) fn ping(v: &Value, mk: &Mk<'_>, dst: &str) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
        set_error(&mut r, Some(e));
    }
    out.push(r);
    Ok(out)
}

/// A traceroute result, judged by its last hop: loss, RTT and jitter of
/// its replies, and why it failed (hop error, ICMP unreachable, silence).
pub(super) fn traceroute(v: &Value, mk: &Mk<'_>, dst: &str) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
        r.latency_ms = (!rtts.is_empty()).then(|| rtts.iter().sum::<f64>() / rtts.len() as f64);
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
        set_error(&mut r, Some(e));
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
        set_error(&mut r, Some(&text));
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
    Ok(out)
}

/// An ntp result: the server's round trips (seconds) and lost polls.
pub(super) fn ntp(v: &Value, mk: &Mk<'_>, dst: &str) -> Result<Vec<ProbeRecord>, String> {
    let mut out = Vec::new();
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
            Some(e) => set_error(&mut r, Some(e)),
            None => {
                r.error = Some("no reply".into());
                r.error_class = Some(ErrorClass::Timeout);
            }
        }
    }
    out.push(r);
    Ok(out)
}
