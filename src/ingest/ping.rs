//! `ping -D` output (iputils): every reply line carries a `[unix.usec]`
//! time stamp, which is what makes a ping log usable as a vantage point.
//! Plain `ping` output without `-D` has no times and is not claimed.
//!
//! Single replies are too fine-grained for the per-minute model, so the
//! lines are summarised per target and minute: loss from lost replies
//! (`no answer yet` with `-O`, `From ... Destination Host Unreachable`, and
//! gaps in `icmp_seq`), mean RTT, and jitter as the mean absolute difference
//! of consecutive RTTs (RFC 3550 style, unsmoothed). Each summary points at
//! the first line of its minute.

use super::lines::LineOutcome;
use super::lines::map_lines;
use super::probe::base_record;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::classify;
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use chrono::{DateTime, Utc};

pub static FORMAT: FormatSpec = FormatSpec {
    name: "ping",
    sniff,
    parse,
    samples: &[
        "PING example.com (93.184.215.14) 56(84) bytes of data.\n\
         [1738836000.120518] 64 bytes from 93.184.215.14: icmp_seq=1 ttl=56 time=11.6 ms\n\
         [1738836001.121934] 64 bytes from 93.184.215.14: icmp_seq=2 ttl=56 time=12.1 ms\n\
         [1738836003.124410] 64 bytes from 93.184.215.14: icmp_seq=4 ttl=56 time=11.4 ms\n\
         \n\
         --- example.com ping statistics ---\n\
         4 packets transmitted, 3 received, 25% packet loss, time 3004ms\n\
         rtt min/avg/max/mdev = 11.412/11.700/12.101/0.290 ms\n",
        "[1738836060.004113] 64 bytes from lhr25s34-in-f14.1e100.net (142.250.187.206): icmp_seq=61 ttl=117 time=8.92 ms\n\
         [1738836061.005820] no answer yet for icmp_seq=62\n\
         [1738836062.010022] From 10.20.0.1 icmp_seq=63 Destination Host Unreachable\n",
    ],
};

fn ts_prefix(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let end = rest.find(']')?;
    let num = &rest[..end];
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    Some((num.parse().ok()?, rest[end + 1..].trim()))
}

fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(super::trimmed_head(head));
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    let is_reply = |l: &str| ts_prefix(l).is_some_and(|(_, r)| r.contains("icmp_seq"));
    if first.starts_with("PING ")
        && (first.contains("bytes of data") || first.contains("data bytes"))
    {
        lines.take(50).any(is_reply)
    } else {
        is_reply(first)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Header {
        target: String,
    },
    Reply {
        ts: f64,
        seq: u32,
        rtt: f64,
        from: String,
        dup: bool,
        line: u64,
    },
    Lost {
        ts: f64,
        seq: Option<u32>,
        why: Option<String>,
        line: u64,
    },
}

fn num_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

fn parse_line(events: &mut Vec<Event>, raw: &[u8], at: SourceRef) -> LineOutcome {
    let Ok(line) = std::str::from_utf8(raw) else {
        return LineOutcome::Reject("not UTF-8".into());
    };
    let line = line.trim();
    if let Some((ts, rest)) = ts_prefix(line) {
        if classify::unix_to_utc(ts).is_none() {
            return LineOutcome::Reject(format!("time stamp {ts} out of range"));
        }
        if let Some(i) = rest.find("bytes from ") {
            let Some(seq) = num_after(rest, "icmp_seq=").and_then(|s| s.parse().ok()) else {
                return LineOutcome::Reject("reply without icmp_seq".into());
            };
            let Some(rtt) = num_after(rest, "time=").and_then(|s| s.parse::<f64>().ok()) else {
                return LineOutcome::Reject("reply without time=".into());
            };
            let who = &rest[i + "bytes from ".len()..];
            let who = who
                .split(" icmp_seq")
                .next()
                .unwrap_or(who)
                .trim_end_matches(':');
            let from = who.split(" (").next().unwrap_or(who).to_string();
            events.push(Event::Reply {
                ts,
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
                ts,
                seq,
                why: None,
                line: at.n,
            });
            return LineOutcome::Skip;
        }
        if rest.starts_with("From ") && rest.contains("icmp_seq") {
            let seq = num_after(rest, "icmp_seq=").and_then(|s| s.parse().ok());
            let why = rest.split_once("icmp_seq=").map(|(_, r)| {
                r.trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim()
                    .to_string()
            });
            events.push(Event::Lost {
                ts,
                seq,
                why: why.filter(|w| !w.is_empty()),
                line: at.n,
            });
            return LineOutcome::Skip;
        }
        return LineOutcome::Reject("time-stamped line that is not a ping reply".into());
    }
    if let Some(rest) = line.strip_prefix("PING ") {
        let target = rest.split_whitespace().next().unwrap_or("").to_string();
        events.push(Event::Header { target });
        return LineOutcome::Skip;
    }
    if (line.starts_with("--- ") && line.ends_with("ping statistics ---"))
        || line.contains("packets transmitted")
        || line.starts_with("rtt min/avg/max")
        || line.starts_with("round-trip")
    {
        return LineOutcome::Skip;
    }
    LineOutcome::Reject("not a ping -D line".into())
}

struct Bucket {
    target: String,
    minute: i64,
    first_line: u64,
    rtts: Vec<f64>,
    lost: u64,
    why: Option<String>,
}

fn flush(b: Bucket, file: &InputFile, out: &mut Parsed) {
    let Some(ts) = DateTime::<Utc>::from_timestamp(b.minute * 60, 0) else {
        return;
    };
    let who = file.vantage.as_deref().unwrap_or("ping");
    let mut r: ProbeRecord = base_record(
        SourceRef::line(file.id, b.first_line),
        ts,
        who,
        who,
        &format!("ping {}", b.target),
        ProbeKind::Network,
        &b.target,
    );
    let sent = b.rtts.len() as u64 + b.lost;
    if sent > 0 {
        r.loss_pct = Some(b.lost as f64 / sent as f64 * 100.0);
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
    let mut target = String::new();
    let mut last_seq: Option<u32> = None;
    let mut cur: Option<Bucket> = None;
    for (events, rep) in chunks {
        super::lines::merge_report(&mut out.report, rep);
        for e in events {
            let (ts, line, seq, lost, rtt, why) = match e {
                Event::Header { target: t } => {
                    if let Some(b) = cur.take() {
                        flush(b, file, &mut out);
                    }
                    target = t;
                    last_seq = None;
                    continue;
                }
                Event::Reply { dup: true, .. } => continue,
                Event::Reply {
                    ts,
                    seq,
                    rtt,
                    from,
                    line,
                    ..
                } => {
                    if target.is_empty() {
                        target = from;
                    }
                    (ts, line, Some(seq), 0u64, Some(rtt), None)
                }
                Event::Lost { ts, seq, why, line } => (ts, line, seq, 1u64, None, why),
            };
            let minute = (ts / 60.0).floor() as i64;
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
                lost: 0,
                why: None,
            });
            // sequence numbers skipped without a line were lost silently
            if let (Some(s), Some(p)) = (seq, last_seq)
                && let Some(gap) = s.checked_sub(p).filter(|d| (2..=1000).contains(d))
            {
                b.lost += (gap - 1) as u64;
            }
            if seq.is_some() {
                last_seq = seq.max(last_seq);
            }
            b.lost += lost;
            if let Some(r) = rtt {
                b.rtts.push(r);
            }
            if why.is_some() {
                b.why = why;
            }
        }
    }
    if let Some(b) = cur.take() {
        flush(b, file, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> InputFile {
        InputFile {
            id: 6,
            path: "p".into(),
            vantage: Some("home".into()),
            bytes: text.as_bytes().to_vec(),
            read_error: None,
        }
    }

    #[test]
    fn per_minute_summary_with_gaps() {
        let p = parse(&file(FORMAT.samples[0]), &IngestOptions::default());
        assert_eq!(p.report.records, 1);
        assert_eq!(p.report.bad_records, 0);
        let r = &p.records.probes[0];
        assert_eq!(r.target, "example.com");
        assert_eq!(r.source.n, 2);
        assert_eq!(r.ts.timestamp(), 1738836000);
        assert_eq!(r.loss_pct, Some(25.0)); // seq 3 missing
        assert!((r.latency_ms.unwrap() - 11.7).abs() < 1e-9);
        assert!((r.jitter_ms.unwrap() - 0.6).abs() < 1e-9);
        assert_eq!(r.region, "home");
    }

    #[test]
    fn minutes_split_and_failures_counted() {
        let text = format!(
            "{}junk here\n[1738836119.5] 64 bytes from 1.1.1.1: icmp_seq=64 ttl=5 time=9 ms\n[1738836121.0] no answer yet for icmp_seq=65\n",
            FORMAT.samples[1]
        );
        let p = parse(&file(&text), &IngestOptions::default());
        assert_eq!(p.report.bad_records, 1);
        assert_eq!(p.report.rejections[0].at.n, 4);
        assert_eq!(p.report.records, 2);
        let a = &p.records.probes[0];
        assert_eq!(a.target, "lhr25s34-in-f14.1e100.net");
        assert_eq!(a.source.n, 1);
        assert!((a.loss_pct.unwrap() - 50.0).abs() < 1e-9);
        let b = &p.records.probes[1];
        assert_eq!(b.source.n, 6);
        assert_eq!(b.loss_pct, Some(100.0));
        assert_eq!(b.error_class, Some(ErrorClass::Timeout));
    }

    #[test]
    fn sniffs() {
        assert!(sniff(FORMAT.samples[0].as_bytes()));
        assert!(sniff(FORMAT.samples[1].as_bytes()));
        assert!(!sniff(b"PING example.com (93.184.215.14) 56(84) bytes of data.\n64 bytes from 93.184.215.14: icmp_seq=1 ttl=56 time=11.6 ms\n"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn never_panics_on_replies(ts in "[0-9.]{0,20}", seq in "[0-9]{0,12}", t in "[0-9.]{0,10}") {
            let text = format!("[{ts}] 64 bytes from h: icmp_seq={seq} ttl=1 time={t} ms\n[{ts}] From x icmp_seq={seq} Unreachable\n");
            let _ = parse(&file(&text), &IngestOptions::default());
        }
    }
}
