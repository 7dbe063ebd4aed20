//! The ping text of one line, after its stamp: headers, replies, losses
//! (`no answer yet`, `Request timeout`, `From ... Unreachable`), notes,
//! and the summary lines that are skipped.

use super::stamp::{Stamp, parse_stamp};
use crate::ingest::lines::LineOutcome;
use crate::model::SourceRef;

/// Where the ping text starts in a line: the earliest marker, with the
/// digits before `bytes from` / `packets transmitted` belonging to it.
pub(super) fn body_start(line: &str) -> Option<usize> {
    const MARKERS: [(&str, bool); 10] = [
        ("PING ", false),
        (" bytes from ", true),
        ("no answer yet for", false),
        ("Request timeout for", false),
        ("From ", false),
        ("--- ", false),
        ("rtt min/avg", false),
        ("round-trip", false),
        (" packets transmitted", true),
        ("ping: ", false),
    ];
    let b = line.as_bytes();
    let mut best: Option<usize> = None;
    for (m, digits_before) in MARKERS {
        let Some(i) = line.find(m) else { continue };
        let at = if digits_before {
            let mut j = i;
            while j > 0 && b[j - 1].is_ascii_digit() {
                j -= 1;
            }
            if j == i {
                continue;
            }
            j
        } else {
            i
        };
        if best.is_none_or(|x| at < x) {
            best = Some(at);
        }
    }
    best
}

/// Split a line into its stamp text and the ping text.
pub(super) fn split_line(line: &str) -> Option<(&str, &str)> {
    let i = body_start(line)?;
    Some((&line[..i], line[i..].trim_end()))
}

/// The ping text of a reply (`64 bytes from H: icmp_seq=1 ttl=64 time=0.1 ms`).
pub(super) fn is_reply(body: &str) -> bool {
    body.contains(" bytes from ")
        && body.contains("seq=")
        && body.contains("time")
        && body.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Event {
    Header {
        target: String,
    },
    Reply {
        stamp: Stamp,
        seq: u32,
        rtt: f64,
        from: String,
        dup: bool,
        line: u64,
    },
    Lost {
        stamp: Stamp,
        seq: Option<u32>,
        why: Option<String>,
        line: u64,
    },
    /// `ping: sendto: No route to host`: why the next loss happened.
    Note(String),
}

pub(super) fn num_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

pub(super) fn parse_line(events: &mut Vec<Event>, raw: &[u8], at: SourceRef) -> LineOutcome {
    let Ok(line) = std::str::from_utf8(raw) else {
        return LineOutcome::Reject("not UTF-8".into());
    };
    let line = line.trim();
    let Some((prefix, rest)) = split_line(line) else {
        // a wrapper's stamp on an empty line (`[2026-09-04 00:49:30]`)
        if parse_stamp(line).is_ok() {
            return LineOutcome::Skip;
        }
        return LineOutcome::Reject("not a ping line".into());
    };
    let stamp = match parse_stamp(prefix) {
        Ok(s) => s,
        Err(e) => return LineOutcome::Reject(e),
    };
    if let Some(h) = rest.strip_prefix("PING ") {
        let target = h.split_whitespace().next().unwrap_or("").to_string();
        events.push(Event::Header { target });
        return LineOutcome::Skip;
    }
    if let Some(i) = rest.find(" bytes from ").filter(|_| is_reply(rest)) {
        let Some(seq) = num_after(rest, "seq=").and_then(|s| s.parse().ok()) else {
            return LineOutcome::Reject("reply without icmp_seq".into());
        };
        let Some(rtt) = num_after(rest, "time=")
            .or_else(|| num_after(rest, "time<"))
            .and_then(|s| s.parse::<f64>().ok())
        else {
            return LineOutcome::Reject("reply without time=".into());
        };
        let who = &rest[i + " bytes from ".len()..];
        let who = who
            .split(" icmp_seq")
            .next()
            .unwrap_or(who)
            .split(" seq=")
            .next()
            .unwrap_or(who)
            .trim_end_matches(':');
        let from = who.split(" (").next().unwrap_or(who).to_string();
        events.push(Event::Reply {
            stamp,
            seq,
            rtt,
            from,
            dup: rest.contains("DUP!"),
            line: at.n,
        });
        return LineOutcome::Skip;
    }
    if rest.starts_with("no answer yet for") || rest.starts_with("Request timeout") {
        let seq = num_after(rest, "icmp_seq=")
            .or_else(|| num_after(rest, "icmp_seq "))
            .and_then(|s| s.parse().ok());
        events.push(Event::Lost {
            stamp,
            seq,
            why: None,
            line: at.n,
        });
        return LineOutcome::Skip;
    }
    if rest.starts_with("From ") && rest.contains("seq") {
        let seq = num_after(rest, "icmp_seq=")
            .or_else(|| num_after(rest, "seq="))
            .and_then(|s| s.parse().ok());
        let why = rest.split_once("seq=").map(|(_, r)| {
            r.trim_start_matches(|c: char| c.is_ascii_digit())
                .trim()
                .to_string()
        });
        events.push(Event::Lost {
            stamp,
            seq,
            why: why.filter(|w| !w.is_empty()),
            line: at.n,
        });
        return LineOutcome::Skip;
    }
    if let Some(e) = rest.strip_prefix("ping: ") {
        events.push(Event::Note(e.trim().to_string()));
        return LineOutcome::Skip;
    }
    if (rest.starts_with("--- ") && rest.ends_with("ping statistics ---"))
        || rest.contains("packets transmitted")
        || rest.starts_with("rtt min/avg")
        || rest.starts_with("round-trip")
    {
        return LineOutcome::Skip;
    }
    LineOutcome::Reject("not a ping line".into())
}
