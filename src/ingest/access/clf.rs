//! NCSA common / combined lines, with the optional virtual-host prefix;
//! a line cut inside its last quoted field is read without the rest.

use super::endpoint_of;
use super::timing::tail_times;
use crate::ingest::lines::{LineOutcome, map_lines};
use crate::ingest::{IngestOptions, InputFile, Parsed, SNIFF_BYTES};
use crate::model::{Records, ServerRequest, SourceRef};
use crate::sym::intern;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// One parsed common/combined line.
#[derive(Debug, PartialEq)]
pub(super) struct Clf<'a> {
    vhost: Option<&'a str>,
    ts: DateTime<Utc>,
    method: &'a str,
    target: &'a str,
    status: i32,
    bytes: Option<u64>,
    request_ms: Option<f64>,
    upstream_ms: Option<f64>,
    /// The line ends inside its last quoted field (cut short by a shipper's
    /// line limit): read without what would have followed.
    cut: bool,
}

pub(super) fn month(m: &[u8]) -> Option<u32> {
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

pub(super) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |a, &c| {
        a.checked_mul(10)?.checked_add((c - b'0') as u32)
    })
}

/// `22/Mar/2009:09:30:31 +0100` (fractional seconds tolerated) to UTC.
pub(super) fn clf_time(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[2] != b'/'
        || b[6] != b'/'
        || b[11] != b':'
        || b[14] != b':'
        || b[17] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[7..11])? as i32,
        month(&b[3..6])?,
        digits(&b[0..2])?,
    )?;
    let mut i = 20;
    let mut nanos = 0u32;
    if i < b.len() && b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &b[start..i.min(start + 9)];
        nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
    }
    let t = date.and_hms_nano_opt(
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
        nanos,
    )?;
    let zone = s[i..].trim();
    let offset_secs = if zone.is_empty() {
        0
    } else {
        let z = zone.as_bytes();
        if z.len() != 5 || !(z[0] == b'+' || z[0] == b'-') {
            return None;
        }
        let v = (digits(&z[1..3])? * 3600 + digits(&z[3..5])? * 60) as i64;
        if z[0] == b'-' { -v } else { v }
    };
    let utc = Utc
        .from_utc_datetime(&t)
        .checked_sub_signed(chrono::Duration::seconds(offset_secs))?;
    Some(utc)
}

/// A quoted field starting at `s[0] == '"'`: (content, rest after quote).
pub(super) fn quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(k) = b.get(i..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) {
        i += k;
        if b[i] == b'"' {
            return Some((&s[1..i], &s[i + 1..]));
        }
        i += 2;
    }
    None
}

pub(super) fn parse_clf_line(line: &str) -> Result<Clf<'_>, &'static str> {
    // the first " [" (memchr for the bracket: a substring search was a
    // tenth of the reader)
    let open = memchr::memchr_iter(b'[', line.as_bytes())
        .find(|&i| i > 0 && line.as_bytes()[i - 1] == b' ')
        .map(|i| i - 1)
        .ok_or("not an access log line (no [time])")?;
    let mut who = line[..open].split_ascii_whitespace();
    let n = line[..open].split_ascii_whitespace().count();
    let vhost = match n {
        3 => None,
        4 => who.next(),
        _ => return Err("not an access log line (expected host ident user before [time])"),
    };
    let rest = &line[open + 2..];
    let close = memchr::memchr(b']', rest.as_bytes()).ok_or("unterminated [time]")?;
    let ts = clf_time(&rest[..close]).ok_or("invalid [time]")?;
    let rest = rest[close + 1..].trim_start();
    let (request, rest) = quoted(rest).ok_or("missing quoted request")?;
    let (status_s, rest) = cut_space(rest.trim_start());
    let status = match status_s.as_bytes() {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            digits(status_s.as_bytes()).unwrap_or(0) as i32
        }
        _ => return Err("invalid status"),
    };
    let (bytes_s, tail) = cut_space(rest.ok_or("missing bytes")?);
    let bytes = match bytes_s {
        "-" => None,
        b => Some(b.parse::<u64>().map_err(|_| "invalid bytes")?),
    };
    let mut tail = tail.unwrap_or("").trim_start();
    let mut cut = false;
    // combined: "referer" "user-agent"; a line cut inside either is read
    // without the rest
    if tail.starts_with('"') {
        match quoted(tail) {
            None => {
                cut = true;
                tail = "";
            }
            Some((_, r)) => {
                let r = r.trim_start();
                if r.is_empty() {
                    return Err("missing user agent");
                }
                match quoted(r) {
                    Some((_, r)) => tail = r,
                    None if r.starts_with('"') => {
                        cut = true;
                        tail = "";
                    }
                    None => return Err("missing user agent"),
                }
            }
        }
    }
    let (request_ms, upstream_ms) = tail_times(tail);
    let (method, rest) = cut_space(request);
    let target = rest.map_or("", |r| cut_space(r).0);
    Ok(Clf {
        vhost,
        ts,
        method,
        target,
        status,
        bytes,
        request_ms,
        upstream_ms,
        cut,
    })
}

/// `s` up to its first space, and what follows that space (if any).
pub(super) fn cut_space(s: &str) -> (&str, Option<&str>) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

pub(super) fn vhost_name(v: &str) -> String {
    match v.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => v.to_string(),
    }
}

pub(super) fn clf_record(c: Clf<'_>, at: SourceRef) -> ServerRequest {
    ServerRequest {
        source: at,
        ts: c.ts,
        vhost: c.vhost.map(|v| intern(&vhost_name(v))),
        method: intern(if c.method.is_empty() { "-" } else { c.method }),
        endpoint: endpoint_of(c.target),
        status: c.status,
        bytes: c.bytes,
        request_ms: c.request_ms,
        upstream_ms: c.upstream_ms,
    }
}

/// Complete lines of the head (the last one only if the head is the whole file).
pub(super) fn head_lines(head: &[u8]) -> Vec<&[u8]> {
    let b = crate::ingest::strip_bom(head);
    let whole = head.len() < SNIFF_BYTES;
    let mut v: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    if !whole || v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v.into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.trim_ascii().is_empty())
        .collect()
}

pub(super) fn sniff_clf(head: &[u8]) -> bool {
    let lines = head_lines(head);
    let sample: Vec<&[u8]> = lines.into_iter().take(20).collect();
    let ok = sample
        .iter()
        .filter(|l| {
            std::str::from_utf8(l)
                .ok()
                .is_some_and(|s| parse_clf_line(s).is_ok())
        })
        .count();
    ok > 0 && ok * 2 >= sample.len()
}

pub(super) fn parse_clf(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let parts = map_lines(
        file,
        opts,
        |_| (Records::default(), 0u64),
        |(out, cut): &mut (Records, u64), line, at| {
            crate::ingest::probe::reserve_chunk(&mut out.server, line.len(), file.bytes.len());
            let Ok(text) = std::str::from_utf8(line) else {
                return LineOutcome::Reject("not UTF-8".into());
            };
            match parse_clf_line(text) {
                Ok(c) => {
                    *cut += u64::from(c.cut);
                    out.server.push(clf_record(c, at));
                    LineOutcome::Record
                }
                Err(e) => LineOutcome::Reject(e.into()),
            }
        },
    );
    let mut out = Parsed::default();
    let mut records = Vec::with_capacity(parts.len());
    let mut cut = 0;
    for ((r, c), rep) in parts {
        records.push(r);
        cut += c;
        crate::ingest::lines::merge_report(&mut out.report, rep);
    }
    out.records = Records::concat(records);
    if cut > 0 {
        out.report.warnings.push(format!(
            "{cut} access-log line(s) end inside a quoted field (cut short?): read without the fields after it"
        ));
    }
    out
}
