//! The timing fields after the standard CLF ones, when they are timings:
//! nginx seconds (and upstream lists), `rt=`/`urt=` pairs, ingress-nginx's
//! `upstreaminfo`, Apache's `%D` microseconds. Anything else gives no
//! number rather than a guessed unit.

/// Seconds, or a list of seconds (`0.1, 0.2` / `0.1 : 0.2`), summed; `-`
/// parts are skipped, all-`-` gives `None`.
pub(super) fn seconds_list(v: &str) -> Result<Option<f64>, ()> {
    let mut sum = None;
    for part in v.split([',', ':']) {
        let p = part.trim().trim_matches('"');
        if p.is_empty() || p == "-" {
            continue;
        }
        let x: f64 = p.parse().map_err(|_| ())?;
        if !x.is_finite() || x < 0.0 {
            return Err(());
        }
        sum = Some(sum.unwrap_or(0.0) + x);
    }
    Ok(sum)
}

pub(super) fn looks_like_seconds(t: &str) -> bool {
    t == "-" || (t.contains('.') || t.contains(',') || t.contains(':')) && seconds_list(t).is_ok()
}

/// A token of seconds in ms, if it is one (see [`looks_like_seconds`]).
pub(super) fn seconds_ms(t: &str) -> Option<Option<f64>> {
    if t == "-" {
        return Some(None);
    }
    // a plain decimal, the common case, without the list machinery
    let b = t.as_bytes();
    if b.contains(&b'.') && b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
        return t
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite())
            .map(|s| Some(s * 1000.0));
    }
    looks_like_seconds(t).then(|| seconds_list(t).ok().flatten().map(|s| s * 1000.0))
}

/// Interpret the fields after the standard ones, when they are timings:
/// [`tail_times_general`], with a direct path for the usual tail of plain
/// tokens (`0.123 0.120`, `-`, `%D`), which is most lines of most logs.
pub(super) fn tail_times(tail: &str) -> (Option<f64>, Option<f64>) {
    let tail = tail.trim();
    if let Some(t) = ingress_times(tail) {
        return t;
    }
    // one scan tells whether there are key=value pairs or lists to glue
    if memchr::memchr3(b'=', b',', b':', tail.as_bytes()).is_none() {
        let mut toks = tail.split_whitespace();
        return match (toks.next(), toks.next(), toks.next()) {
            (Some(one), None, None) if one.bytes().all(|c| c.is_ascii_digit()) => {
                // Apache %D: microseconds
                (one.parse::<f64>().ok().map(|us| us / 1000.0), None)
            }
            (Some(one), None, None) => (seconds_ms(one).flatten(), None),
            (Some(a), Some(b), None) => match (seconds_ms(a), seconds_ms(b)) {
                (Some(a), Some(b)) => (a, b),
                _ => (None, None),
            },
            _ => (None, None),
        };
    }
    tail_times_general(tail)
}

/// ingress-nginx's `upstreaminfo` tail: `$request_length $request_time
/// [$proxy_upstream_name] [$proxy_alternative_upstream_name]
/// $upstream_addr $upstream_response_length $upstream_response_time
/// $upstream_status $req_id`, where each upstream field lists every
/// attempt (`a, b`; `a : b` across internal redirects). The upstream time
/// is the attempts' sum. `None` when the tail is not of this shape, so a
/// request length is never taken for Apache's `%D`.
pub(super) fn ingress_times(tail: &str) -> Option<(Option<f64>, Option<f64>)> {
    let mut it = tail.split_ascii_whitespace();
    let len = it.next()?;
    let rt = it.next()?;
    let name = it.next()?;
    if !(name.starts_with('[') && len.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let req = seconds_ms(rt)?;
    // past the upstream name and the (maybe empty) alternative one
    let at = tail.find(name)? + name.len();
    let mut rest = tail[at..].trim_start();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    let glued = rest.replace(", ", ",").replace(" : ", ":");
    let times = glued.split_ascii_whitespace().nth(2);
    let up = times
        .and_then(|t| seconds_list(t).ok().flatten())
        .map(|s| s * 1000.0);
    Some((req, up))
}

pub(super) fn tail_times_general(tail: &str) -> (Option<f64>, Option<f64>) {
    let tail = tail.trim();
    if tail.is_empty() {
        return (None, None);
    }
    // key=value pairs (nginx "main_ext": rt=0.002 uct="0.000" urt="0.001")
    if tail.contains('=') {
        let mut req = None;
        let mut up = None;
        for kv in tail.split_whitespace() {
            if let Some((k, v)) = kv.split_once('=') {
                let v = v.trim_matches('"');
                match k {
                    "rt" | "request_time" => req = seconds_list(v).ok().flatten(),
                    "urt" | "upstream_response_time" => up = seconds_list(v).ok().flatten(),
                    _ => {}
                }
            }
        }
        return (req.map(|s| s * 1000.0), up.map(|s| s * 1000.0));
    }
    // glue list separators so that one list is one token
    let glued = tail.replace(", ", ",").replace(" : ", ":");
    let toks: Vec<&str> = glued.split_whitespace().collect();
    match toks.as_slice() {
        [one] if one.bytes().all(|c| c.is_ascii_digit()) => {
            // Apache %D: microseconds
            (one.parse::<f64>().ok().map(|us| us / 1000.0), None)
        }
        [one] if looks_like_seconds(one) => {
            (seconds_list(one).ok().flatten().map(|s| s * 1000.0), None)
        }
        [a, b] if looks_like_seconds(a) && looks_like_seconds(b) => (
            seconds_list(a).ok().flatten().map(|s| s * 1000.0),
            seconds_list(b).ok().flatten().map(|s| s * 1000.0),
        ),
        _ => (None, None),
    }
}
