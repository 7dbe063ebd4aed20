//! How the writers put bytes down: instants in the offsets real tools
//! use, numbers without `-0`, JSON objects field by field in a fixed
//! order, and each file recorded with its truth.

use super::truth::FileTruth;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use std::path::Path;

/// Offsets (minutes east of UTC) files are written in; the instant is the same.
pub(crate) const OFFSETS: [i32; 7] = [0, 0, 60, -300, 330, 540, -480];

pub(crate) fn fixed(offset_min: i32) -> FixedOffset {
    FixedOffset::east_opt(offset_min * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// RFC 3339 in the given offset; `z` writes `Z` for UTC.
pub(crate) fn rfc3339(t: DateTime<Utc>, offset_min: i32, digits: SecondsFormat, z: bool) -> String {
    t.with_timezone(&fixed(offset_min))
        .to_rfc3339_opts(digits, z && offset_min == 0)
}

/// A number for JSON / CSV with a fixed number of decimals (no `-0`).
pub(crate) fn num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// The reason phrase a server sends with `status`; empty for the codes no
/// writer gives one (a CDN's 52x).
pub(crate) fn reason_phrase(status: i64) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A JSON object written field by field, in order.
pub(crate) struct Obj(String);
impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    pub fn new() -> Obj {
        Obj(String::from("{"))
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_str(k));
        self.0.push(':');
    }
    pub fn s(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(&json_str(v));
        self
    }
    pub fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(v);
        self
    }
    pub fn opt_num(self, k: &str, v: Option<f64>, d: usize) -> Obj {
        match v {
            Some(x) => self.raw(k, &num(x, d)),
            None => self,
        }
    }
    pub fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Where and how writers put files.
pub(crate) struct Out<'a> {
    pub dir: &'a Path,
    pub files: Vec<FileTruth>,
}

impl Out<'_> {
    pub fn write(
        &mut self,
        rel: &str,
        bytes: &[u8],
        format: &str,
        records: u64,
        bad_lines: u64,
    ) -> std::io::Result<()> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, bytes)?;
        let vantage = rel
            .split('/')
            .find_map(|c| c.strip_prefix("region="))
            .map(str::to_string);
        self.files.push(FileTruth {
            path: rel.to_string(),
            format: format.to_string(),
            vantage,
            records,
            bad_lines,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn offsets_keep_the_instant() {
        let t = Utc.timestamp_opt(1_738_764_000, 0).single().unwrap();
        for off in OFFSETS {
            let s = rfc3339(t, off, SecondsFormat::Secs, true);
            assert_eq!(
                DateTime::parse_from_rfc3339(&s)
                    .unwrap()
                    .with_timezone(&Utc),
                t,
                "{s}"
            );
        }
        assert_eq!(num(-0.0001, 1), "0.0");
        assert_eq!(num(12.345, 1), "12.3");
    }
}
