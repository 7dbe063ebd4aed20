//! ping output as people really save it: iputils `ping -D` (`[unix.usec]`
//! before each line), lines stamped by `ts` (moreutils), by a shell loop
//! (`echo "$(date ...) $line"`) or a wrapper (`[2024-05-01 10:00:01] ...`),
//! with or without a time zone, and macOS/BSD ping (`Request timeout for
//! icmp_seq N`, `--apple-time` clock times). Busybox's `seq=` is read too.
//!
//! Plain ping output with no time stamps at all is claimed (so the user is
//! told what to do, not that nothing matched) and read only with
//! `--start TIME`: replies are then placed one second apart from it by
//! sequence number, ping's default interval. Without it the file is
//! refused with a message saying how to record ping usefully. Stamps that
//! carry no year (`ts`'s default `Dec 02 17:44:05`) or no date
//! (`--apple-time`) take them from `--start` the same way.
//!
//! Single replies are too fine-grained for the per-minute model, so the
//! lines are summarised per target and minute: loss from lost sequence
//! numbers (`no answer yet` with `-O`, `From ... Destination Host
//! Unreachable`, `Request timeout`, and gaps in the sequence; a number
//! counted once however many lines mourn it, and not at all if its reply
//! turns up late), mean RTT, and jitter as the mean absolute difference of
//! consecutive RTTs (RFC 3550 style, unsmoothed). Each summary points at
//! the first line of its minute.
//!
//! `line` reads the ping text of each line (iputils, BSD / macOS, busybox)
//! into events; `stamp` reads the stamp before it and puts it on the time
//! line; this module sums the events per target and minute.

mod line;
mod stamp;

use super::lines::map_lines;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use chrono::{DateTime, Utc};
use line::{Event, is_reply, parse_line, split_line};
use stamp::{Clock, Stamp, parse_stamp};
use std::collections::BTreeSet;

pub static FORMAT: FormatSpec = FormatSpec {
    name: "ping",
    sniff,
    parse,
    samples: &[
        // fixtures/logs/ping-D-O-localhost.txt (iputils 20221126, `ping -D -O`)
        "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n\
         [1796233445.638994] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.019 ms\n\
         [1796233446.137984] 64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.016 ms\n",
        // fixtures/logs/ping-D-O-unreachable.txt
        "[1796233445.647465] From 21.4.1.139 icmp_seq=1 Destination Port Unreachable\n\
         [1796233446.135709] no answer yet for icmp_seq=1\n",
        // fixtures/logs/ping-ts-bracket.txt (`ping | ts '[%Y-%m-%d %H:%M:%S]'`)
        "[2026-12-02 17:44:05] PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n\
         [2026-12-02 17:44:05] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.011 ms\n",
        // fixtures/logs/ping-loop-date-default.txt (`echo "$(date): $line"`)
        "Wed Dec  2 17:44:05 UTC 2026: PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n\
         Wed Dec  2 17:44:05 UTC 2026: 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.008 ms\n",
        // fixtures/logs/ping-macos-plain.txt (macOS ping, no stamps)
        "PING ucdavis.edu (23.185.0.4): 56 data bytes\n\
         64 bytes from 23.185.0.4: icmp_seq=20 ttl=55 time=330.218 ms\n\
         Request timeout for icmp_seq 21\n\
         64 bytes from 23.185.0.4: icmp_seq=21 ttl=55 time=1142.089 ms\n",
    ],
};

/// Why a plain ping file is not read without `--start`.
pub const PLAIN_PING: &str = "plain ping output has no time stamps, so its replies cannot be placed in time: \
record with `ping -D HOST` (Linux) or `ping HOST | ts '%Y-%m-%d %H:%M:%S%z'` (moreutils), \
or give --start TIME (when the first ping was sent; one ping a second is assumed)";

/// Why stamps without a year or date are not read without `--start`.
const PARTIAL_STAMPS: &str = "ping time stamps carry no year (`ts`'s default) or no date (`--apple-time`): \
give --start TIME (any time on the first day) to supply them, \
or record with `ts '%Y-%m-%d %H:%M:%S%z'`";

fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(super::trimmed_head(head));
    let mut header = false;
    let mut replies = 0;
    for l in text.lines().take(60) {
        let Some((prefix, body)) = split_line(l) else {
            continue;
        };
        if prefix.len() > 64 || parse_stamp(prefix).is_err() {
            continue;
        }
        if body.starts_with("PING ")
            && (body.contains("bytes of data") || body.contains("data bytes"))
        {
            header = true;
        } else if is_reply(body)
            || body.starts_with("Request timeout for icmp_seq")
            || body.starts_with("no answer yet for icmp_seq")
            || (body.starts_with("From ") && body.contains("icmp_seq="))
        {
            replies += 1;
        }
    }
    replies >= 2 || (header && replies >= 1)
}

struct Bucket {
    target: String,
    minute: i64,
    first_line: u64,
    rtts: Vec<f64>,
    /// Sequence numbers lost (each once), and losses without a number.
    lost: BTreeSet<u32>,
    lost_anon: u64,
    why: Option<String>,
}

fn flush(b: Bucket, file: &InputFile, out: &mut Parsed) {
    let Some(ts) = DateTime::<Utc>::from_timestamp(b.minute * 60, 0) else {
        return;
    };
    let who = file.vantage.as_deref().unwrap_or("ping");
    let mut r: ProbeRecord = ProbeRecord::identity(
        SourceRef::line(file.id, b.first_line),
        ts,
        who,
        who,
        &format!("ping {}", b.target),
        ProbeKind::Network,
        &b.target,
    );
    let lost = b.lost.len() as u64 + b.lost_anon;
    let sent = b.rtts.len() as u64 + lost;
    if sent > 0 {
        r.loss_pct = Some(lost as f64 / sent as f64 * 100.0);
    }
    if !b.rtts.is_empty() {
        r.latency_ms = Some(b.rtts.iter().sum::<f64>() / b.rtts.len() as f64);
    }
    r.jitter_ms = super::atlas::jitter(&b.rtts);
    if b.rtts.is_empty() {
        match b.why {
            Some(w) => super::probe::set_error(&mut r, Some(&w)),
            None => {
                r.error = Some("no reply".into());
                r.error_class = Some(ErrorClass::Timeout);
            }
        }
    }
    out.report.records += 1;
    out.report.see_ts(r.ts);
    out.records.probes.push(r);
}

fn parse(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let chunks = map_lines(file, opts, |_| Vec::new(), parse_line);
    let mut out = Parsed::default();
    let mut all = Vec::new();
    for (events, rep) in chunks {
        super::lines::merge_report(&mut out.report, rep);
        all.extend(events);
    }
    let stamp_of = |e: &Event| match e {
        Event::Reply { stamp, .. } | Event::Lost { stamp, .. } => Some(*stamp),
        _ => None,
    };
    let stamps: Vec<Stamp> = all.iter().filter_map(stamp_of).collect();
    let plain = !stamps.is_empty() && stamps.iter().all(|s| *s == Stamp::None);
    let partial = stamps
        .iter()
        .any(|s| matches!(s, Stamp::NoYear { .. } | Stamp::TimeOfDay(_)));
    if opts.start.is_none() && (plain || partial) {
        out.report.skipped = Some(if plain { PLAIN_PING } else { PARTIAL_STAMPS }.to_string());
        return out;
    }
    if plain {
        out.report.warnings.push(format!(
            "ping lines carry no time stamps: placed one second apart by icmp_seq from --start {}",
            opts.start.map(|s| s.to_rfc3339()).unwrap_or_default()
        ));
    }
    if stamps
        .iter()
        .any(|s| matches!(s, Stamp::At { zoned: false, .. }))
    {
        out.report
            .warnings
            .push("ping time stamps name no time zone: read as UTC".into());
    }
    let mut clock = Clock {
        start: opts.start,
        prev: None,
        plain,
        first_seq: None,
        borrowed: 0,
    };
    let mut target = String::new();
    let mut last_seq: Option<u32> = None;
    let mut cur: Option<Bucket> = None;
    let mut note: Option<String> = None;
    for e in all {
        let (stamp, line, seq, rtt, why) = match e {
            Event::Header { target: t } => {
                if let Some(b) = cur.take() {
                    flush(b, file, &mut out);
                }
                target = t;
                last_seq = None;
                continue;
            }
            Event::Note(n) => {
                note = Some(n);
                continue;
            }
            Event::Reply { dup: true, .. } => continue,
            Event::Reply {
                stamp,
                seq,
                rtt,
                from,
                line,
                ..
            } => {
                if target.is_empty() {
                    target = from;
                }
                (stamp, line, Some(seq), Some(rtt), None)
            }
            Event::Lost {
                stamp,
                seq,
                why,
                line,
            } => (stamp, line, seq, None, why.or_else(|| note.take())),
        };
        let Some(ts) = clock.at(stamp, seq) else {
            out.report.reject(
                SourceRef::line(file.id, line),
                "no time for this line: it has no stamp and no stamped line comes before it",
            );
            continue;
        };
        let minute = ts.timestamp().div_euclid(60);
        if cur
            .as_ref()
            .is_some_and(|b| b.minute != minute || b.target != target)
        {
            flush(cur.take().unwrap(), file, &mut out);
        }
        let b = cur.get_or_insert_with(|| Bucket {
            target: target.clone(),
            minute,
            first_line: line,
            rtts: Vec::new(),
            lost: BTreeSet::new(),
            lost_anon: 0,
            why: None,
        });
        // sequence numbers skipped without a line were lost silently
        if let (Some(s), Some(p)) = (seq, last_seq)
            && s.checked_sub(p).is_some_and(|d| (2..=1000).contains(&d))
        {
            b.lost.extend(p + 1..s);
        }
        if seq.is_some() {
            last_seq = seq.max(last_seq);
        }
        match (rtt, seq) {
            // a late reply: its number was not lost after all
            (Some(r), Some(s)) => {
                b.lost.remove(&s);
                b.rtts.push(r);
            }
            (Some(r), None) => b.rtts.push(r),
            (None, Some(s)) => {
                b.lost.insert(s);
            }
            (None, None) => b.lost_anon += 1,
        }
        if why.is_some() {
            b.why = why;
        }
    }
    if let Some(b) = cur.take() {
        flush(b, file, &mut out);
    }
    if clock.borrowed > 0 && !plain {
        out.report.warnings.push(format!(
            "{} ping lines without a time stamp took the time of the line before",
            clock.borrowed
        ));
    }
    out
}

#[cfg(test)]
mod tests;
