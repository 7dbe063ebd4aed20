//! Server access logs: the server's own view of the same requests the
//! probes and browsers made. Two families:
//!
//! * NCSA common / combined (nginx, Apache, most proxies), optionally with a
//!   `host:port ` virtual-host prefix and timing fields after the standard
//!   ones: nginx `$request_time $upstream_response_time` (seconds; upstream
//!   lists such as `0.1, 0.2` or `0.1 : 0.2` are summed, `-` means none),
//!   `rt=... urt=...` key/value pairs, or a single integer Apache `%D`
//!   (microseconds). Any other trailing fields are left uninterpreted rather
//!   than guessed at: a wrong unit would be worse than no number.
//! * W3C extended (IIS, also CloudFront-style tab-separated logs): the
//!   `#Fields:` directive names the columns and may change mid-file (IIS
//!   writes a new header block on restart), so each parallel chunk starts
//!   with the directive in force at its first byte. Directives are neither
//!   records nor rejections.
//!
//! `request_ms` (total time at the server) and `upstream_ms` (time waiting on
//! the backend) are kept apart: their difference is what separates a slow
//! backend from a slow proxy or client.

use super::lines::LineOutcome;
use super::lines::map_lines;
use super::{FormatSpec, IngestOptions, InputFile, Parsed, SNIFF_BYTES};
use crate::classify;
use crate::model::{Records, ServerRequest, SourceRef, Sym};
use crate::sym::intern;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::sync::Arc;

pub static FORMAT_CLF: FormatSpec = FormatSpec {
    name: "access-log",
    sniff: sniff_clf,
    parse: parse_clf,
    samples: &[
        // nginx combined, from the nginx docs' log_format example shape
        r#"203.0.113.7 - - [06/Feb/2025:10:00:01 +0000] "GET /api/v1/projects/1234/tasks?limit=50 HTTP/1.1" 200 5120 "https://app.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0""#,
        // Apache common log format, the example from the Apache httpd docs
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        // nginx combined + $request_time $upstream_response_time
        "198.51.100.23 - - [06/Feb/2025:10:00:02 +0100] \"POST /checkout HTTP/2.0\" 502 157 \"-\" \"curl/8.5.0\" 30.004 10.001, 20.003\n\
         198.51.100.24 - - [06/Feb/2025:10:00:03 +0100] \"GET /health HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\" 0.001 -",
        // vhost prefix (Apache %v:%p, nginx $host:$server_port)
        r#"www.example.com:443 192.0.2.10 - - [06/Feb/2025:10:00:04 +0000] "GET /static/app.3f9a1c.js HTTP/1.1" 304 0 "https://www.example.com/" "Mozilla/5.0" 1532"#,
    ],
};

pub static FORMAT_W3C: FormatSpec = FormatSpec {
    name: "iis-w3c",
    sniff: sniff_w3c,
    parse: parse_w3c,
    samples: &[
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Version: 1.0\n\
         #Date: 2022-11-07 14:29:06\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
         2022-11-07 14:29:06 127.0.0.1 GET /us - 80 - 127.0.0.1 Go-http-client/1.1 - 404 0 2 130\n",
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query time-taken\n\
         2025-02-06\t10:00:00\tFRA56-P1\t5120\t203.0.113.7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0\t-\t0.002\n",
    ],
};

// ---------------------------------------------------------------- CLF

/// One parsed common/combined line.
#[derive(Debug, PartialEq)]
struct Clf<'a> {
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

fn month(m: &[u8]) -> Option<u32> {
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

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |a, &c| {
        a.checked_mul(10)?.checked_add((c - b'0') as u32)
    })
}

/// `22/Mar/2009:09:30:31 +0100` (fractional seconds tolerated) to UTC.
fn clf_time(s: &str) -> Option<DateTime<Utc>> {
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
fn quoted(s: &str) -> Option<(&str, &str)> {
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

/// Seconds, or a list of seconds (`0.1, 0.2` / `0.1 : 0.2`), summed; `-`
/// parts are skipped, all-`-` gives `None`.
fn seconds_list(v: &str) -> Result<Option<f64>, ()> {
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

fn looks_like_seconds(t: &str) -> bool {
    t == "-" || (t.contains('.') || t.contains(',') || t.contains(':')) && seconds_list(t).is_ok()
}

/// A token of seconds in ms, if it is one (see [`looks_like_seconds`]).
fn seconds_ms(t: &str) -> Option<Option<f64>> {
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
fn tail_times(tail: &str) -> (Option<f64>, Option<f64>) {
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
fn ingress_times(tail: &str) -> Option<(Option<f64>, Option<f64>)> {
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

fn tail_times_general(tail: &str) -> (Option<f64>, Option<f64>) {
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

fn parse_clf_line(line: &str) -> Result<Clf<'_>, &'static str> {
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
fn cut_space(s: &str) -> (&str, Option<&str>) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

fn vhost_name(v: &str) -> String {
    match v.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => v.to_string(),
    }
}

/// The endpoint template of a request target, interned (templated in a
/// per-thread buffer: no allocation per line once the template is known).
fn endpoint_of(target: &str) -> Sym {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    if target.is_empty() || target == "-" {
        return intern("-");
    }
    let path = if target.starts_with("http://") || target.starts_with("https://") {
        classify::split_url(target).2
    } else {
        target
    };
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        classify::endpoint_template_into(path, &mut b);
        intern(&b)
    })
}

fn clf_record(c: Clf<'_>, at: SourceRef) -> ServerRequest {
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
fn head_lines(head: &[u8]) -> Vec<&[u8]> {
    let b = super::strip_bom(head);
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

fn sniff_clf(head: &[u8]) -> bool {
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

fn parse_clf(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let parts = map_lines(
        file,
        opts,
        |_| (Records::default(), 0u64),
        |(out, cut): &mut (Records, u64), line, at| {
            super::probe::reserve_chunk(&mut out.server, line.len(), file.bytes.len());
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
        super::lines::merge_report(&mut out.report, rep);
    }
    out.records = Records::concat(records);
    if cut > 0 {
        out.report.warnings.push(format!(
            "{cut} access-log line(s) end inside a quoted field (cut short?): read without the fields after it"
        ));
    }
    out
}

// ---------------------------------------------------------------- W3C

/// Column positions named by one `#Fields:` directive.
#[derive(Debug, Default)]
struct Fields {
    n: usize,
    date: Option<usize>,
    time: Option<usize>,
    method: Option<usize>,
    stem: Option<usize>,
    status: Option<usize>,
    bytes: Option<usize>,
    taken: Option<usize>,
    /// `TimeTakenMS` (Advanced Logging): always milliseconds.
    taken_ms: bool,
    host: Option<usize>,
    /// `date-local` / `time-local`: the server's clock, zone unknown.
    local: bool,
}

fn fields_of(directive: &str) -> Fields {
    let names: Vec<String> = directive
        .split_whitespace()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let pos = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let date = pos(&["date", "date-utc"]);
    let time = pos(&["time", "time-utc"]);
    let local_date = pos(&["date-local"]);
    let local_time = pos(&["time-local"]);
    let ms = pos(&["timetakenms", "time-taken-ms"]);
    Fields {
        n: names.len(),
        local: date.is_none() && local_date.is_some() || time.is_none() && local_time.is_some(),
        date: date.or(local_date),
        time: time.or(local_time),
        method: pos(&["cs-method"]),
        stem: pos(&["cs-uri-stem", "cs-uri"]),
        status: pos(&["sc-status"]),
        bytes: pos(&["sc-bytes"]),
        taken_ms: ms.is_some(),
        taken: ms.or(pos(&["time-taken"])),
        host: pos(&["cs-host", "cs(host)", "s-sitename"]),
    }
}

fn sniff_w3c(head: &[u8]) -> bool {
    let first = super::first_line(head);
    (first.starts_with("#Software:")
        || first.starts_with("#Version:")
        || first.starts_with("#Fields:")
        || first.starts_with("#Date:"))
        && (first.starts_with("#Fields:") || memchr::memmem::find(head, b"\n#Fields:").is_some())
}

/// The cells of a W3C line: tab-separated, or space-separated where a
/// value in double quotes (IIS Advanced Logging) may hold spaces; the
/// quotes are dropped. An unterminated quote runs to the end of the line.
fn w3c_cells(line: &str) -> Vec<&str> {
    fn unquote(c: &str) -> &str {
        let c = c.trim();
        c.strip_prefix('"')
            .map(|x| x.strip_suffix('"').unwrap_or(x))
            .unwrap_or(c)
    }
    if line.contains('\t') {
        return line.split('\t').map(unquote).collect();
    }
    if !line.contains('"') {
        return line.split(' ').filter(|c| !c.is_empty()).collect();
    }
    let mut out = Vec::new();
    let mut rest = line.trim_start_matches(' ');
    while !rest.is_empty() {
        let end = if let Some(q) = rest.strip_prefix('"') {
            // a quoted value ends at a quote followed by a space or the end
            let mut from = 0;
            loop {
                match q[from..].find('"') {
                    Some(i)
                        if q[from + i + 1..].is_empty() || q[from + i + 1..].starts_with(' ') =>
                    {
                        break from + i + 2;
                    }
                    Some(i) => from += i + 1,
                    None => break rest.len(),
                }
            }
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        out.push(unquote(&rest[..end]));
        rest = rest[end..].trim_start_matches(' ');
    }
    out
}

fn w3c_line(f: &Fields, line: &str, at: SourceRef) -> Result<ServerRequest, String> {
    let cells = w3c_cells(line);
    if cells.len() != f.n {
        return Err(format!("{} fields, #Fields names {}", cells.len(), f.n));
    }
    let get = |i: Option<usize>| {
        i.map(|i| cells[i].trim())
            .filter(|v| !v.is_empty() && *v != "-")
    };
    let date = get(f.date).ok_or("no date")?;
    let time = get(f.time).ok_or("no time")?;
    let naive = NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S%.f")
        .map_err(|_| format!("invalid date/time {date} {time}"))?;
    let status: i32 = get(f.status)
        .ok_or("no sc-status")?
        .parse()
        .map_err(|_| "invalid sc-status")?;
    if !(0..=999).contains(&status) {
        return Err("invalid sc-status".into());
    }
    let taken = match get(f.taken) {
        None => None,
        // IIS writes integer milliseconds; CloudFront-style logs seconds with a fraction
        Some(t) if t.contains('.') && !f.taken_ms => {
            Some(t.parse::<f64>().map_err(|_| "invalid time-taken")? * 1000.0)
        }
        Some(t) => Some(t.parse::<f64>().map_err(|_| "invalid time-taken")?),
    };
    Ok(ServerRequest {
        source: at,
        ts: Utc.from_utc_datetime(&naive),
        vhost: get(f.host).map(intern),
        method: intern(get(f.method).unwrap_or("-")),
        endpoint: get(f.stem).map_or_else(|| intern("-"), endpoint_of),
        status,
        bytes: get(f.bytes).and_then(|b| b.parse().ok()),
        request_ms: taken,
        upstream_ms: None,
    })
}

fn parse_w3c(file: &InputFile, opts: &IngestOptions) -> Parsed {
    // every #Fields: directive with its byte offset, so that each chunk
    // starts with the columns in force where it begins
    let bytes = &file.bytes;
    let mut directives: Vec<(usize, Arc<Fields>)> = Vec::new();
    for pos in memchr::memmem::find_iter(bytes, b"#Fields:") {
        let at_line_start =
            pos == 0 || bytes[pos - 1] == b'\n' || (pos == 3 && bytes.starts_with(b"\xEF\xBB\xBF"));
        if at_line_start {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let text = String::from_utf8_lossy(&bytes[pos + 8..end]);
            directives.push((pos, Arc::new(fields_of(&text))));
        }
    }
    type State = (Option<Arc<Fields>>, Vec<ServerRequest>);
    let chunks = map_lines(
        file,
        opts,
        |c| {
            (
                directives
                    .iter()
                    .take_while(|(p, _)| *p < c.offset)
                    .last()
                    .map(|(_, f)| f.clone()),
                Vec::new(),
            )
        },
        |state: &mut State, line, at| {
            if let Some(d) = line.strip_prefix(b"#Fields:") {
                state.0 = Some(Arc::new(fields_of(&String::from_utf8_lossy(d))));
                return LineOutcome::Skip;
            }
            if line.starts_with(b"#") {
                return LineOutcome::Skip;
            }
            let Some(f) = state.0.as_deref() else {
                return LineOutcome::Reject("data line before any #Fields: directive".into());
            };
            let Ok(text) = std::str::from_utf8(line) else {
                return LineOutcome::Reject("not UTF-8".into());
            };
            super::probe::reserve_chunk(&mut state.1, line.len(), bytes.len());
            LineOutcome::push(w3c_line(f, text, at), &mut state.1)
        },
    );
    let mut out = Parsed::default();
    for ((_, recs), rep) in chunks {
        super::lines::merge_report(&mut out.report, rep);
        out.records.server.extend(recs);
    }
    if directives.iter().any(|(_, f)| f.local) {
        out.report.warnings.push(
            "W3C log times are in date-local/time-local columns (the server's clock, zone not written): read as UTC".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile::from_bytes(8, "a", text)
    }

    #[test]
    fn combined_with_times() {
        let p = parse_clf(&file(FORMAT_CLF.samples[2]), &IngestOptions::default());
        assert_eq!(p.report.records, 2);
        let a = &p.records.server[0];
        assert_eq!(a.ts.to_rfc3339(), "2025-02-06T09:00:02+00:00");
        assert_eq!(a.status, 502);
        assert_eq!(a.method, "POST");
        assert_eq!(a.request_ms, Some(30004.0));
        assert!((a.upstream_ms.unwrap() - 30004.0).abs() < 1e-6);
        let b = &p.records.server[1];
        assert_eq!(b.request_ms, Some(1.0));
        assert_eq!(b.upstream_ms, None);
        assert_eq!(b.source.n, 2);
    }

    #[test]
    fn common_vhost_and_apache_d() {
        let text = format!(
            "{}\n{}\n{}\n",
            FORMAT_CLF.samples[0], FORMAT_CLF.samples[1], FORMAT_CLF.samples[3]
        );
        let p = parse_clf(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 3);
        let s = &p.records.server;
        assert_eq!(s[0].endpoint, "/api/v1/projects/{id}/tasks");
        assert_eq!(s[0].bytes, Some(5120));
        assert_eq!(s[0].request_ms, None);
        assert_eq!(s[1].ts.to_rfc3339(), "2000-10-10T20:55:36+00:00");
        assert_eq!(s[1].vhost, None);
        assert_eq!(s[2].vhost.as_deref(), Some("www.example.com"));
        assert_eq!(s[2].request_ms, Some(1.532));
        assert_eq!(s[2].status, 304);
    }

    #[test]
    fn tails() {
        assert_eq!(tail_times(""), (None, None));
        let (r, u) = tail_times("0.250 0.100 : 0.050");
        assert_eq!(r, Some(250.0));
        assert!((u.unwrap() - 150.0).abs() < 1e-9);
        assert_eq!(
            tail_times("rt=0.5 uct=\"0.001\" urt=\"0.4\""),
            (Some(500.0), Some(400.0))
        );
        // unknown extra fields are not guessed at
        assert_eq!(
            tail_times("4113 174 465 https TLSv1.2 ECDHE-RSA-AES256-SHA dark beer 230"),
            (None, None)
        );
        assert_eq!(tail_times("abc"), (None, None));
        assert_eq!(tail_times("0.123 0.120"), (Some(123.0), Some(120.0)));
        assert_eq!(tail_times("0.123 -"), (Some(123.0), None));
        assert_eq!(tail_times("1234"), (Some(1.234), None));
        assert_eq!(tail_times("1.2.3 0.1"), (None, None));
    }

    #[test]
    fn junk_rejected_with_lines() {
        let text = format!(
            "{}\nUnmatched! The rat the cat\n{}\n\"quoted\" [x]\n",
            FORMAT_CLF.samples[0], FORMAT_CLF.samples[1]
        );
        let p = parse_clf(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.records, 2);
        assert_eq!(p.report.bad_records, 2);
        let lines: Vec<u64> = p.report.rejections.iter().map(|r| r.at.n).collect();
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn w3c_fields_change_mid_file_and_chunks() {
        let mut text = String::from(FORMAT_W3C.samples[0]);
        text.push_str("#Fields: date time cs-method cs-uri-stem sc-status time-taken\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "2022-11-07 15:{:02}:{:02} GET /orders/{i} 503 {i}\n",
                (i / 60) % 60,
                i % 60
            ));
        }
        text.push_str("bad line\n");
        let f = file(&text);
        let p = parse_w3c(&f, &IngestOptions::default());
        assert_eq!(p.report.records, 2001, "{:?}", p.report.rejections);
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, 2007);
        let s = &p.records.server;
        assert_eq!(s[0].request_ms, Some(130.0));
        assert_eq!(s[0].status, 404);
        assert_eq!(s[0].source.n, 5);
        assert_eq!(s[1].endpoint, "/orders/{id}");
        assert_eq!(s[1].source.n, 7);
        assert_eq!(s[2000].request_ms, Some(1999.0));
        // a chunk that starts after the second directive uses it
        let chunks = super::super::lines::split_chunks(&f.bytes, 1000);
        assert!(chunks.len() > 10);
    }

    fn w3c_fixture(name: &str) -> Parsed {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let f = InputFile::from_bytes(8, name, std::fs::read(path).unwrap());
        assert!(sniff_w3c(&f.bytes), "{name}");
        parse_w3c(&f, &IngestOptions::default())
    }

    /// IIS Advanced Logging, tab-separated with quoted values and
    /// `TimeTakenMS` (vjeantet/bitfan's w3c codec test data).
    #[test]
    fn w3c_advanced_logging_tabs_quotes_timetakenms() {
        let p = w3c_fixture("iis-advanced-tabs.log");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (2, 0),
            "{:?}",
            p.report
        );
        let r = &p.records.server[1];
        assert_eq!(r.ts.to_rfc3339(), "2017-09-23T00:34:44.666+00:00");
        assert_eq!(r.method, "POST");
        assert_eq!(r.endpoint, "/_vti_bin/Lists.asmx");
        assert_eq!(r.status, 201);
        assert_eq!(r.bytes, Some(378));
        assert_eq!(r.request_ms, Some(0.0));
        assert_eq!(r.vhost.as_deref(), Some("w3c.example.com"));
    }

    /// Advanced Logging with a `#Filter:` directive, a double space after
    /// `#Fields:` and quoted values (Microsoft's ARR troubleshooting docs).
    #[test]
    fn w3c_advanced_logging_spaces_quotes() {
        let p = w3c_fixture("iis-advanced-arr.log");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (1, 0),
            "{:?}",
            p.report
        );
        let r = &p.records.server[0];
        assert_eq!(r.endpoint, "/iisstart.htm");
        assert_eq!(r.status, 200);
        assert_eq!(r.bytes, Some(1680));
        assert_eq!(r.request_ms, None);
        // HTTP.sys's own error log (HTTPERR): cs-uri, s-reason, a trailing space in #Fields
        let p = w3c_fixture("iis-httperr.log");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (1, 0),
            "{:?}",
            p.report
        );
        assert_eq!(p.records.server[0].status, 400);
        assert_eq!(p.records.server[0].endpoint, "/{id}/time.asp");
    }

    fn clf_fixture(name: &str) -> Parsed {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let f = InputFile::from_bytes(8, name, std::fs::read(path).unwrap());
        assert!(sniff_clf(&f.bytes), "{name}");
        parse_clf(&f, &IngestOptions::default())
    }

    /// nginx 1.22 writing ingress-nginx's `upstreaminfo` format: a first
    /// request retried on the next upstream (`a, b` lists), one answered
    /// without an upstream (`- - - -`), and 502s once the backend is gone.
    #[test]
    fn ingress_nginx_upstream_lists() {
        let p = clf_fixture("ingress-nginx.log");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (16, 0),
            "{:?}",
            p.report
        );
        let s = &p.records.server;
        assert_eq!(s[0].request_ms, Some(12.0));
        assert!((s[0].upstream_ms.unwrap() - 12.0).abs() < 1e-9); // 0.002 + 0.010
        assert_eq!(s[1].request_ms, Some(5.0));
        assert_eq!(s[1].upstream_ms, Some(5.0));
        assert_eq!(s[12].status, 404);
        assert_eq!(s[12].request_ms, Some(0.0));
        assert_eq!(s[12].upstream_ms, None);
        assert_eq!(s[14].status, 502);
        // the request length (79) is never read as Apache's %D
        assert!(s.iter().all(|r| r.request_ms.is_some_and(|ms| ms < 20.0)));
        assert!(p.report.warnings.is_empty());
    }

    #[test]
    fn line_cut_inside_the_user_agent_is_read_with_a_warning() {
        let p = clf_fixture("ingress-nginx-cut.log");
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (4, 0),
            "{:?}",
            p.report
        );
        assert_eq!(p.records.server[3].status, 200);
        assert_eq!(p.records.server[3].request_ms, None);
        assert!(p.report.warnings[0].contains("1 access-log line"));
        // a cut referer too; a cut request line is still rejected
        let text = "1.2.3.4 - - [02/Dec/2026:18:05:03 +0000] \"GET / HTTP/1.1\" 200 3 \"http://a/very/lo\n1.2.3.4 - - [02/Dec/2026:18:05:03 +0000] \"GET /very/lo\n";
        let p = parse_clf(&file(text), &IngestOptions::default());
        assert_eq!((p.report.records, p.report.bad_records), (1, 1));
    }

    #[test]
    fn w3c_cells_quotes() {
        assert_eq!(
            w3c_cells(r#"a "b c" d "" "e""#),
            vec!["a", "b c", "d", "", "e"]
        );
        assert_eq!(w3c_cells(r#"a "b c"#), vec!["a", "b c"]);
        assert_eq!(w3c_cells("a\t\"b c\"\t-"), vec!["a", "b c", "-"]);
    }

    #[test]
    fn w3c_local_time_and_blank_lines_between_directives() {
        let text = "#Software: IIS Advanced Logging Module\n\n#Version: 1.0\n\n#Fields: date-local time-local cs-method cs-uri-stem sc-status TimeTakenMS\n2017-09-23 00:03:11.235 GET / 200 15.5\n#Software: IIS Advanced Logging Module\n#Fields: date time cs-method cs-uri-stem sc-status\n2017-09-23 00:03:12 GET /x 503\n2017-09-23 00:03:13 GET /x 503 extra\n";
        let p = parse_w3c(&file(text), &IngestOptions::default());
        assert_eq!((p.report.records, p.report.bad_records), (2, 1));
        assert_eq!(p.report.rejections[0].at.n, 10);
        assert_eq!(p.records.server[0].request_ms, Some(15.5));
        assert_eq!(p.records.server[1].status, 503);
        assert!(p.report.warnings[0].contains("date-local"));
    }

    #[test]
    fn w3c_tabs_seconds() {
        let p = parse_w3c(&file(FORMAT_W3C.samples[1]), &IngestOptions::default());
        assert_eq!(p.report.records, 1);
        let r = &p.records.server[0];
        assert_eq!(r.request_ms, Some(2.0));
        assert_eq!(r.vhost.as_deref(), Some("d111111abcdef8.cloudfront.net"));
        assert_eq!(r.bytes, Some(5120));
    }

    #[test]
    fn sniffs() {
        for s in FORMAT_CLF.samples {
            assert!(sniff_clf(s.as_bytes()), "{s}");
            assert!(!sniff_w3c(s.as_bytes()));
        }
        assert!(!sniff_clf(b"dark beer\nlight wine\n"));
        assert!(!sniff_clf(b"121 321\n431 123\n"));
        assert!(sniff_w3c(FORMAT_W3C.samples[0].as_bytes()));
    }

    proptest! {
        #[test]
        fn plain_tails_read_as_the_general_path_reads_them(
            toks in proptest::collection::vec(
                prop_oneof![
                    Just("-".to_string()),
                    Just("1.2.3".to_string()),
                    Just("abc".to_string()),
                    Just("0.1, 0.2".to_string()),
                    Just("rt=0.5".to_string()),
                    Just("\u{a0}".to_string()),
                    (0u32..100_000).prop_map(|n| n.to_string()),
                    (0u32..100, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b:03}")),
                    "[0-9.]{1,8}",
                ],
                0..4,
            ),
        ) {
            let tail = toks.join(" ");
            prop_assert_eq!(tail_times(&tail), tail_times_general(&tail), "{}", tail);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse_clf(&f, &IngestOptions::default());
            let _ = parse_w3c(&f, &IngestOptions::default());
            let _ = sniff_clf(&f.bytes);
            let _ = sniff_w3c(&f.bytes);
        }

        #[test]
        fn never_panics_on_clfish(t in r#"[0-9/A-Za-z:+. -]{0,30}"#, tail in r#"[0-9.,: "=a-z-]{0,30}"#) {
            let line = format!("1.2.3.4 - - [{t}] \"GET / HTTP/1.1\" 200 12 \"-\" \"ua\" {tail}");
            let _ = parse_clf_line(&line);
        }
    }
}
