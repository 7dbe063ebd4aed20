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

use super::lines::LineOutcome;
use super::lines::map_lines;
use super::probe::base_record;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{ErrorClass, ProbeKind, ProbeRecord, SourceRef};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
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

/// A line's time stamp, as far as it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    None,
    /// A full time; `zoned` = the stamp said which zone (else read as UTC).
    At {
        t: DateTime<Utc>,
        zoned: bool,
    },
    /// `Dec 02 17:44:05`: month, day, seconds into the day.
    NoYear {
        month: u32,
        day: u32,
        secs: f64,
    },
    /// `16:22:34.425612`: seconds into the day.
    TimeOfDay(f64),
}

/// Where the ping text starts in a line: the earliest marker, with the
/// digits before `bytes from` / `packets transmitted` belonging to it.
fn body_start(line: &str) -> Option<usize> {
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
fn split_line(line: &str) -> Option<(&str, &str)> {
    let i = body_start(line)?;
    Some((&line[..i], line[i..].trim_end()))
}

fn zone_hours(z: &str) -> Option<f64> {
    Some(match z {
        "UTC" | "GMT" | "Z" | "UT" | "WET" => 0.0,
        "BST" | "CET" | "WEST" => 1.0,
        "CEST" | "EET" | "SAST" => 2.0,
        "EEST" | "MSK" => 3.0,
        "SGT" | "HKT" | "AWST" => 8.0,
        "JST" | "KST" => 9.0,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        "EST" => -5.0,
        "EDT" => -4.0,
        "CDT" => -5.0,
        "CST" => -6.0,
        "MST" => -7.0,
        "MDT" => -6.0,
        "PST" => -8.0,
        "PDT" => -7.0,
        "AKST" => -9.0,
        "AKDT" => -8.0,
        "HST" => -10.0,
        _ => return None,
    })
}

fn month_of(m: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.get(..3)?.to_ascii_lowercase();
    M.iter().position(|x| *x == m).map(|i| i as u32 + 1)
}

/// `HH:MM:SS(.frac)` as seconds into the day.
fn time_of_day(s: &str) -> Option<f64> {
    let mut it = s.splitn(3, ':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let sec = it.next()?;
    if sec.is_empty() || !sec.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let sec: f64 = sec.parse().ok()?;
    (h < 24 && m < 60 && sec < 61.0).then(|| f64::from(h * 3600 + m * 60) + sec)
}

fn naive_to_utc(n: NaiveDateTime, offset_s: i32) -> Option<DateTime<Utc>> {
    let off = FixedOffset::east_opt(offset_s)?;
    off.from_local_datetime(&n)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A stamp in any of the ways people put one before a ping line.
fn parse_stamp(raw: &str) -> Result<Stamp, String> {
    let p = raw.trim().trim_end_matches(|c: char| {
        c == ':' || c == '-' || c == '|' || c == ',' || c == '>' || c.is_whitespace()
    });
    let p = p
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .or_else(|| p.strip_prefix('(').and_then(|x| x.strip_suffix(')')))
        .unwrap_or(p)
        .trim();
    if p.is_empty() {
        return Ok(Stamp::None);
    }
    let bad = || format!("time stamp {p:?} not understood");
    if p.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        let v: f64 = p.parse().map_err(|_| bad())?;
        let t = crate::classify::unix_to_utc(v)
            .ok_or_else(|| format!("time stamp {p} out of range"))?;
        return Ok(Stamp::At { t, zoned: true });
    }
    if p.len() >= 10 && p.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        // 2024-05-01 10:00:01[.frac][zone], ISO 8601 with T, or 2024/05/01
        let mut s = p.replacen('/', "-", 2);
        if s.as_bytes().get(10) == Some(&b'T') {
            s.replace_range(10..11, " ");
        }
        for fmt in ["%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"] {
            if let Ok(t) = DateTime::parse_from_str(&s, fmt) {
                return Ok(Stamp::At {
                    t: t.with_timezone(&Utc),
                    zoned: true,
                });
            }
        }
        let (naive, zone) = match s.rsplit_once(' ') {
            Some((a, z)) if z.bytes().all(|c| c.is_ascii_alphabetic()) => (a, Some(z)),
            _ => match s.strip_suffix('Z') {
                Some(a) => (a, Some("Z")),
                None => (s.as_str(), None),
            },
        };
        let offset = match zone {
            Some(z) => Some(zone_hours(z).ok_or_else(|| {
                format!("time zone {z:?} of stamp {p:?} unknown: use a numeric offset (+0200)")
            })?),
            None => None,
        };
        for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
            if let Ok(n) = NaiveDateTime::parse_from_str(naive, fmt) {
                let t = naive_to_utc(n, (offset.unwrap_or(0.0) * 3600.0) as i32).ok_or_else(bad)?;
                return Ok(Stamp::At {
                    t,
                    zoned: offset.is_some(),
                });
            }
        }
        return Err(bad());
    }
    let toks: Vec<&str> = p.split_whitespace().collect();
    // date(1): `Wed Dec  2 17:44:05 UTC 2026`, or without the zone
    if (toks.len() == 6 || toks.len() == 5) && month_of(toks[1]).is_some() {
        let month = month_of(toks[1]).ok_or_else(bad)?;
        let day: u32 = toks[2].parse().map_err(|_| bad())?;
        let secs = time_of_day(toks[3]).ok_or_else(bad)?;
        let year: i32 = toks[toks.len() - 1].parse().map_err(|_| bad())?;
        let offset = if toks.len() == 6 {
            Some(zone_hours(toks[4]).ok_or_else(|| {
                format!(
                    "time zone {:?} of stamp {p:?} unknown: stamp with `date -u` or `+%z`",
                    toks[4]
                )
            })?)
        } else {
            None
        };
        let d = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(bad)?;
        let n = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?
            + Duration::microseconds((secs * 1e6).round() as i64);
        let t = naive_to_utc(n, (offset.unwrap_or(0.0) * 3600.0) as i32).ok_or_else(bad)?;
        return Ok(Stamp::At {
            t,
            zoned: offset.is_some(),
        });
    }
    // ts default: `Dec 02 17:44:05`
    if toks.len() == 3
        && let Some(month) = month_of(toks[0])
        && toks[0].len() == 3
    {
        let day: u32 = toks[1].parse().map_err(|_| bad())?;
        let secs = time_of_day(toks[2]).ok_or_else(bad)?;
        if !(1..=31).contains(&day) {
            return Err(bad());
        }
        return Ok(Stamp::NoYear { month, day, secs });
    }
    if toks.len() == 1
        && let Some(secs) = time_of_day(toks[0])
    {
        return Ok(Stamp::TimeOfDay(secs));
    }
    Err(bad())
}

/// The ping text of a reply (`64 bytes from H: icmp_seq=1 ttl=64 time=0.1 ms`).
fn is_reply(body: &str) -> bool {
    body.contains(" bytes from ")
        && body.contains("seq=")
        && body.contains("time")
        && body.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

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

#[derive(Debug, Clone, PartialEq)]
enum Event {
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
    let mut r: ProbeRecord = base_record(
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

/// Puts stamps on the time line: fills in a year or a date from `--start`
/// (rolling over at the new year / midnight), and places unstamped lines.
struct Clock {
    start: Option<DateTime<Utc>>,
    prev: Option<DateTime<Utc>>,
    /// No line of the file is stamped: place replies by sequence number.
    plain: bool,
    first_seq: Option<u32>,
    borrowed: u64,
}

impl Clock {
    fn at(&mut self, stamp: Stamp, seq: Option<u32>) -> Option<DateTime<Utc>> {
        let t = match stamp {
            Stamp::At { t, .. } => t,
            Stamp::NoYear { month, day, secs } => {
                let start = self.start?;
                let mut year = self.prev.map_or(start.year(), |p| p.year());
                let mk = |y: i32| {
                    NaiveDate::from_ymd_opt(y, month, day)
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|n| {
                            Utc.from_utc_datetime(&n)
                                + Duration::microseconds((secs * 1e6).round() as i64)
                        })
                };
                let mut t = mk(year)?;
                if self.prev.is_some_and(|p| t < p - Duration::days(180)) {
                    year += 1;
                    t = mk(year)?;
                }
                t
            }
            Stamp::TimeOfDay(secs) => {
                let base = self.prev.or(self.start)?;
                let day = Utc.from_utc_datetime(&base.date_naive().and_hms_opt(0, 0, 0)?);
                let mut t = day + Duration::microseconds((secs * 1e6).round() as i64);
                if self.prev.is_some_and(|p| t < p - Duration::hours(12)) {
                    t += Duration::days(1);
                }
                t
            }
            Stamp::None if self.plain => {
                let start = self.start?;
                let seq = seq?;
                let first = *self.first_seq.get_or_insert(seq);
                start + Duration::seconds(i64::from(seq) - i64::from(first))
            }
            Stamp::None => {
                self.borrowed += 1;
                self.prev?
            }
        };
        self.prev = Some(t);
        Some(t)
    }
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

    fn fixture(name: &str) -> InputFile {
        let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        InputFile::from_bytes(1, name, std::fs::read(path).unwrap())
    }

    fn start(s: &str) -> IngestOptions {
        IngestOptions {
            start: crate::classify::parse_ts(s),
            ..Default::default()
        }
    }

    const OLD_SAMPLE: &str = "PING example.com (93.184.215.14) 56(84) bytes of data.\n\
         [1738836000.120518] 64 bytes from 93.184.215.14: icmp_seq=1 ttl=56 time=11.6 ms\n\
         [1738836001.121934] 64 bytes from 93.184.215.14: icmp_seq=2 ttl=56 time=12.1 ms\n\
         [1738836003.124410] 64 bytes from 93.184.215.14: icmp_seq=4 ttl=56 time=11.4 ms\n\
         \n\
         --- example.com ping statistics ---\n\
         4 packets transmitted, 3 received, 25% packet loss, time 3004ms\n\
         rtt min/avg/max/mdev = 11.412/11.700/12.101/0.290 ms\n";

    #[test]
    fn per_minute_summary_with_gaps() {
        let p = parse(&file(OLD_SAMPLE), &IngestOptions::default());
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
        let text = "[1738836060.004113] 64 bytes from lhr25s34-in-f14.1e100.net (142.250.187.206): icmp_seq=61 ttl=117 time=8.92 ms\n\
         [1738836061.005820] no answer yet for icmp_seq=62\n\
         [1738836062.010022] From 10.20.0.1 icmp_seq=63 Destination Host Unreachable\n\
         junk here\n[1738836119.5] 64 bytes from 1.1.1.1: icmp_seq=64 ttl=5 time=9 ms\n[1738836121.0] no answer yet for icmp_seq=65\n";
        let p = parse(&file(text), &IngestOptions::default());
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
    fn stamps_people_use() {
        let at = |s: &str| match parse_stamp(s).unwrap() {
            Stamp::At { t, zoned } => (t.to_rfc3339(), zoned),
            other => panic!("{other:?}"),
        };
        let want = "2026-12-02T17:44:05+00:00".to_string();
        assert_eq!(at("[2026-12-02 17:44:05] "), (want.clone(), false));
        assert_eq!(at("2026-12-02 17:44:05 "), (want.clone(), false));
        assert_eq!(at("2026-12-02 17:44:05 - "), (want.clone(), false));
        assert_eq!(at("Wed Dec  2 17:44:05 UTC 2026: "), (want.clone(), true));
        assert_eq!(at("Wed Dec  2 18:44:05 CET 2026: "), (want.clone(), true));
        assert_eq!(at("2026-12-02T19:44:05+0200 "), (want.clone(), true));
        assert_eq!(at("2026-12-02T17:44:05Z "), (want.clone(), true));
        assert_eq!(at("[2026-12-02 12:44:05 EST]"), (want.clone(), true));
        assert_eq!(
            at("2026-12-02T17:44:05.708149+0000 ").0,
            "2026-12-02T17:44:05.708149+00:00"
        );
        assert_eq!(
            parse_stamp("Dec 02 17:44:05 ").unwrap(),
            Stamp::NoYear {
                month: 12,
                day: 2,
                secs: 63845.0
            }
        );
        assert_eq!(
            parse_stamp("16:22:34.5 ").unwrap(),
            Stamp::TimeOfDay(58954.5)
        );
        assert_eq!(parse_stamp("").unwrap(), Stamp::None);
        assert!(
            parse_stamp("Wed Dec  2 17:44:05 XYZ 2026")
                .unwrap_err()
                .contains("XYZ")
        );
        assert!(parse_stamp("[check-ping]").is_err());
    }

    /// Every recorded variant of the same localhost run reads the same way.
    #[test]
    fn recorded_variants() {
        let o = start("2026-12-02T17:00:00Z");
        // (fixture, records, bad, sent, lost)
        for (name, records, bad, replies) in [
            ("ping-D-O-localhost.txt", 1, 0, 20),
            ("ping-ts-bracket.txt", 1, 0, 12),
            ("ping-ts-iso-tz.txt", 1, 0, 12),
            ("ping-loop-date.txt", 1, 0, 12),
            ("ping-loop-date-default.txt", 1, 0, 8),
            ("ping-ts-default.txt", 1, 0, 12),
            ("ping-plain.txt", 1, 0, 8),
        ] {
            let p = parse(&fixture(name), &o);
            assert_eq!(
                (p.report.records, p.report.bad_records),
                (records, bad),
                "{name}: {:?}",
                p.report
            );
            assert!(sniff(&fixture(name).bytes), "{name}");
            let r = &p.records.probes[0];
            assert_eq!(r.target, "127.0.0.1", "{name}");
            assert_eq!(r.loss_pct, Some(0.0), "{name}");
            assert!(r.latency_ms.unwrap() < 1.0, "{name}");
            assert_eq!(r.source.n, 2, "{name}");
            let _ = replies;
        }
        // the stamped ones are placed at the real minute
        for name in [
            "ping-D-O-localhost.txt",
            "ping-ts-bracket.txt",
            "ping-ts-default.txt",
        ] {
            let p = parse(&fixture(name), &o);
            assert_eq!(
                p.records.probes[0].ts.to_rfc3339(),
                "2026-12-02T17:44:00+00:00",
                "{name}"
            );
        }
    }

    #[test]
    fn unreachable_counts_each_number_once() {
        let p = parse(
            &fixture("ping-D-O-unreachable.txt"),
            &IngestOptions::default(),
        );
        assert_eq!((p.report.records, p.report.bad_records), (1, 0));
        let r = &p.records.probes[0];
        assert_eq!(r.target, "10.255.255.1");
        assert_eq!(r.loss_pct, Some(100.0));
        assert_eq!(r.latency_ms, None);
        assert_eq!(r.error.as_deref(), Some("Destination Port Unreachable"));
        assert!(r.is_error());
    }

    #[test]
    fn plain_refused_without_start_read_with_it() {
        for name in [
            "ping-plain.txt",
            "ping-macos-plain.txt",
            "ping-ts-default.txt",
        ] {
            let f = fixture(name);
            assert!(sniff(&f.bytes), "{name}");
            let p = parse(&f, &IngestOptions::default());
            assert_eq!(p.report.records, 0);
            let why = p.report.skipped.unwrap();
            assert!(why.contains("--start"), "{why}");
            assert!(why.contains("ts '%Y-%m-%d"), "{why}");
        }
        // macOS, a real terminal capture: prompt lines rejected, the late
        // reply to seq 21 not counted lost
        let p = parse(
            &fixture("ping-macos-plain.txt"),
            &start("2023-11-20T21:35:00Z"),
        );
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (3, 2),
            "{:?}",
            p.report
        );
        assert_eq!(p.report.rejections[0].at.n, 1);
        assert_eq!(p.report.rejections[1].at.n, 2);
        let rs = &p.records.probes;
        assert_eq!(rs[0].target, "ucdavis.edu");
        assert_eq!(rs[0].ts.to_rfc3339(), "2023-11-20T21:35:00+00:00");
        let replies: usize = 126;
        let lost: f64 = rs.iter().map(|r| r.loss_pct.unwrap()).sum();
        assert_eq!(lost, 0.0);
        assert!(rs.iter().all(|r| r.latency_ms.is_some()));
        let _ = replies;
    }

    #[test]
    fn apple_time_takes_the_date_from_start() {
        let text = "PING 112.80.248.75 (112.80.248.75): 56 data bytes\n\
            23:59:59.425612 64 bytes from 112.80.248.75: icmp_seq=0 ttl=54 time=22.271 ms\n\
            Request timeout for icmp_seq 1\n\
            00:00:01.424474 64 bytes from 112.80.248.75: icmp_seq=2 ttl=54 time=21.0 ms\n";
        assert!(sniff(text.as_bytes()));
        let p = parse(&file(text), &start("2024-05-01T08:00:00Z"));
        assert_eq!(p.report.records, 2, "{:?}", p.report);
        assert_eq!(
            p.records.probes[0].ts.to_rfc3339(),
            "2024-05-01T23:59:00+00:00"
        );
        assert_eq!(p.records.probes[0].loss_pct, Some(50.0));
        assert_eq!(
            p.records.probes[1].ts.to_rfc3339(),
            "2024-05-02T00:00:00+00:00"
        );
        assert!(
            p.report
                .warnings
                .iter()
                .any(|w| w.contains("without a time stamp"))
        );
    }

    #[test]
    fn sniffs() {
        for s in FORMAT.samples {
            assert!(sniff(s.as_bytes()), "{s}");
        }
        assert!(sniff(OLD_SAMPLE.as_bytes()));
        assert!(!sniff(
            b"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n"
        ));
        assert!(!sniff(b"[check-ping] 64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.251 ms\n[check-ping] 64 bytes from 127.0.0.1: seq=1 ttl=64 time=0.111 ms\n"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
            let _ = parse(&f, &IngestOptions::default());
            let _ = parse(&f, &start("2024-01-01T00:00:00Z"));
            let _ = sniff(&f.bytes);
        }

        #[test]
        fn never_panics_on_replies(ts in "[0-9.]{0,20}", seq in "[0-9]{0,12}", t in "[0-9.]{0,10}") {
            let text = format!("[{ts}] 64 bytes from h: icmp_seq={seq} ttl=1 time={t} ms\n[{ts}] From x icmp_seq={seq} Unreachable\n");
            let _ = parse(&file(&text), &IngestOptions::default());
        }

        #[test]
        fn never_panics_on_stamps(stamp in "[A-Za-z0-9 :.+\\-\\[\\]/TZ]{0,40}", seq in "[0-9]{0,12}") {
            let text = format!("{stamp} 64 bytes from h: icmp_seq={seq} ttl=1 time=1 ms\n{stamp} Request timeout for icmp_seq {seq}\n");
            let _ = parse_stamp(&stamp);
            let _ = parse(&file(&text), &start("2024-12-31T23:00:00Z"));
        }
    }
}
