//! The time of a ping line: the stamp people put before it (`ping -D`'s
//! `[unix.usec]`, `ts`, `date(1)`, wrappers' brackets, `--apple-time`),
//! and the clock that completes a stamp without year or date from
//! `--start` and places unstamped lines.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A line's time stamp, as far as it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stamp {
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

pub(super) fn zone_hours(z: &str) -> Option<f64> {
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

pub(super) fn month_of(m: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.get(..3)?.to_ascii_lowercase();
    M.iter().position(|x| *x == m).map(|i| i as u32 + 1)
}

/// `HH:MM:SS(.frac)` as seconds into the day.
pub(super) fn time_of_day(s: &str) -> Option<f64> {
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

pub(super) fn naive_to_utc(n: NaiveDateTime, offset_s: i32) -> Option<DateTime<Utc>> {
    let off = FixedOffset::east_opt(offset_s)?;
    off.from_local_datetime(&n)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A stamp in any of the ways people put one before a ping line.
pub(super) fn parse_stamp(raw: &str) -> Result<Stamp, String> {
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

/// Puts stamps on the time line: fills in a year or a date from `--start`
/// (rolling over at the new year / midnight), and places unstamped lines.
pub(super) struct Clock {
    pub(super) start: Option<DateTime<Utc>>,
    pub(super) prev: Option<DateTime<Utc>>,
    /// No line of the file is stamped: place replies by sequence number.
    pub(super) plain: bool,
    pub(super) first_seq: Option<u32>,
    pub(super) borrowed: u64,
}

impl Clock {
    pub(super) fn at(&mut self, stamp: Stamp, seq: Option<u32>) -> Option<DateTime<Utc>> {
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
