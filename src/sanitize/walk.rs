//! The rewrite of a HAR as it streams past: the root and `log` objects
//! followed key by key here, the entries and pages handed to the HAR
//! walk the reader uses ([`crate::ingest::har::walk`]), every byte between
//! values written back as it came.
//!
//! Why the objects are followed here and not by the reader's layout scan
//! ([`crate::ingest::json_scan::scan_har`]): that scan holds its input in
//! memory and stops at what is not JSON, while the rewrite must stream,
//! redact the small values around the arrays (creator, comment, unknown
//! keys), take a missing or doubled comma in its stride and close a cut
//! document into valid JSON. Both share the map of the structure
//! ([`HarLevel`]: which keys lead to the entries and pages) and the byte
//! scanners; the arrays, where the bytes are, are walked once, by the
//! shared walk.

use super::values::{Redacted, Redacting, Work};
use super::{SanitizeError, SanitizeOptions, SanitizeReport};
use crate::ingest::har::walk::{ArrayEnd, Elements, Found, Input, walk_array};
use crate::ingest::json_scan::{HarLevel, Stop, is_ws, json_start, skip_string, skip_value};
use crate::redact::Redactor;
use serde_json::Value;
use std::io::{self, Read, Write};

/// Internal stop: end of input inside the document, or a real error.
pub(super) enum Halt {
    Eof,
    Fatal(SanitizeError),
}

impl From<SanitizeError> for Halt {
    fn from(e: SanitizeError) -> Self {
        Halt::Fatal(e)
    }
}
impl From<io::Error> for Halt {
    fn from(e: io::Error) -> Self {
        Halt::Fatal(SanitizeError::Io(e))
    }
}

pub(super) struct Sanitizer<R, W: Write> {
    pub(super) inp: Input<R>,
    pub(super) w: Output<W>,
    pub(super) redactor: Redactor,
    pub(super) opts: SanitizeOptions,
}

/// The output and what is held back from it.
pub(super) struct Output<W: Write> {
    pub(super) out: io::BufWriter<W>,
    /// Separators, whitespace and keys not yet written: they are written
    /// only once the value after them is complete, so a cut never leaves a
    /// dangling `,` or `"key":`.
    pub(super) pending: Vec<u8>,
    /// Where in `pending` the input's separator comma was.
    pub(super) comma_at: Option<usize>,
    pub(super) report: SanitizeReport,
}

impl<W: Write> Output<W> {
    /// Write the pending whitespace / key, then `bytes`. Separators are
    /// never copied from the input: `sep` writes a `,` first, so dropped or
    /// damaged elements cannot leave a missing or doubled comma.
    fn commit(&mut self, bytes: &[u8], sep: bool) -> io::Result<()> {
        // Put the comma where the input had it (keeps formatting byte-exact).
        if sep {
            let i = self.comma_at.unwrap_or(0).min(self.pending.len());
            self.out.write_all(&self.pending[..i])?;
            self.out.write_all(b",")?;
            self.out.write_all(&self.pending[i..])?;
        } else {
            self.out.write_all(&self.pending)?;
        }
        self.clear_pending();
        self.out.write_all(bytes)
    }

    fn clear_pending(&mut self) {
        self.pending.clear();
        self.comma_at = None;
    }

    /// Separator bytes from the input: whitespace to `pending`, the place
    /// of the first comma noted.
    fn separators(&mut self, gap: &[u8]) {
        for &c in gap {
            if c == b',' {
                self.comma_at.get_or_insert(self.pending.len());
            } else {
                self.pending.push(c);
            }
        }
    }

    /// One element of the entries or pages: written after the bytes
    /// before it, or left out with a warning.
    fn element(
        &mut self,
        level: HarLevel,
        f: Found<'_, Redacted>,
        first: &mut bool,
        limit: usize,
    ) -> Result<(), Halt> {
        match f.out {
            Redacted::Kept(out, dropped) => {
                self.report.bodies_dropped += dropped;
                if level == HarLevel::Entries {
                    self.report.entries_written += 1;
                } else {
                    self.report.pages_written += 1;
                }
                self.separators(f.gap);
                self.commit(&out, !*first)?;
                *first = false;
            }
            Redacted::Dropped => {
                self.report.entries_dropped += 1;
                let what = if level == HarLevel::Pages {
                    "page"
                } else {
                    "entry"
                };
                self.report
                    .warnings
                    .push(format!("dropped an invalid {what} at byte {}", f.at));
            }
            Redacted::TooLarge => {
                return Err(Halt::Fatal(SanitizeError::TooLarge {
                    offset: f.at as u64,
                    limit,
                }));
            }
        }
        Ok(())
    }
}

impl<R: Read, W: Write> Sanitizer<R, W> {
    pub(super) fn document(&mut self) -> Result<(), SanitizeError> {
        while self.inp.buf.len() < 4096 && self.more()? {}
        // (a JSONP prefix longer than that is not recognised)
        let (start, _jsonp) = json_start(&self.inp.buf);
        self.inp.pos = start;
        match self.inp.buf.get(start) {
            Some(b'{') => {}
            Some(_) => {
                return Err(SanitizeError::NotHar {
                    offset: start as u64,
                    reason: "the document is not a JSON object".into(),
                });
            }
            None => {
                return Err(SanitizeError::NotHar {
                    offset: 0,
                    reason: "empty input".into(),
                });
            }
        }
        match self.object(HarLevel::Root) {
            Ok(()) => {}
            Err(Halt::Eof) => {
                let at = self.inp.offset_of(self.inp.buf.len());
                self.w.report.truncated_at = Some(at as u64);
                self.w.report.warnings.push(format!(
                    "input ends inside the HAR at byte {at}: the {} complete entries before the cut were written",
                    self.w.report.entries_written
                ));
            }
            Err(Halt::Fatal(e)) => return Err(e),
        }
        if self.w.report.truncated_at.is_none() {
            // Anything after the root (JSONP `)`, `;`, whitespace) is dropped.
            loop {
                while self.inp.pos < self.inp.buf.len() {
                    let c = self.inp.buf[self.inp.pos];
                    if !(is_ws(c) || matches!(c, b')' | b';')) {
                        self.w.report.warnings.push(format!(
                            "ignored trailing data after the HAR document at byte {}",
                            self.inp.offset()
                        ));
                        return self.finish();
                    }
                    self.inp.pos += 1;
                }
                if !self.more()? {
                    break;
                }
            }
        }
        self.finish()
    }

    fn finish(&mut self) -> Result<(), SanitizeError> {
        self.w.out.write_all(b"\n")?;
        Ok(())
    }

    /// Read more input (at least as much as is buffered, so re-scanning a
    /// growing value stays linear); false at its end.
    fn more(&mut self) -> Result<bool, SanitizeError> {
        let want = self.inp.block.max(self.inp.buf.len() - self.inp.pos);
        let got = self.inp.fill(want);
        self.read_error()?;
        Ok(got)
    }

    /// A read error ends the sanitize (the reader would read on without
    /// the rest; a rewrite without it is not the file).
    fn read_error(&mut self) -> Result<(), SanitizeError> {
        match self.inp.error.take() {
            Some(e) => Err(SanitizeError::Io(e)),
            None => Ok(()),
        }
    }

    /// Next byte, reading more input when needed; `Eof` at end of input.
    fn peek(&mut self) -> Result<u8, Halt> {
        while self.inp.pos >= self.inp.buf.len() {
            if !self.more()? {
                return Err(Halt::Eof);
            }
        }
        Ok(self.inp.buf[self.inp.pos])
    }

    /// Move whitespace to `pending`.
    fn ws(&mut self) -> Result<(), Halt> {
        loop {
            let c = self.peek()?;
            if is_ws(c) {
                self.w.pending.push(c);
                self.inp.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    /// Bytes of the complete JSON value at the read position (consumed).
    fn value_bytes(
        &mut self,
        skip: fn(&[u8], usize) -> Result<usize, Stop>,
    ) -> Result<Vec<u8>, Halt> {
        let limit = self.opts.limit();
        let too_large = |inp: &Input<R>| {
            Halt::Fatal(SanitizeError::TooLarge {
                offset: inp.offset() as u64,
                limit,
            })
        };
        loop {
            match skip(&self.inp.buf, self.inp.pos) {
                Ok(end) => {
                    if end - self.inp.pos > limit {
                        return Err(too_large(&self.inp));
                    }
                    let v = self.inp.buf[self.inp.pos..end].to_vec();
                    self.inp.pos = end;
                    return Ok(v);
                }
                Err(Stop::Eof) => {
                    if self.inp.buf.len() - self.inp.pos > limit {
                        return Err(too_large(&self.inp));
                    }
                    if !self.more()? {
                        return Err(Halt::Eof);
                    }
                }
                Err(Stop::Bad(at, why)) => {
                    return Err(Halt::Fatal(SanitizeError::Malformed {
                        offset: self.inp.offset_of(at) as u64,
                        reason: why.to_string(),
                    }));
                }
            }
        }
    }

    fn object(&mut self, level: HarLevel) -> Result<(), Halt> {
        self.inp.pos += 1; // '{'
        self.w.commit(b"{", false)?;
        let r = self.object_members(level);
        if matches!(r, Err(Halt::Eof)) {
            self.w.clear_pending();
            self.w.out.write_all(b"}")?;
        }
        r
    }

    fn object_members(&mut self, level: HarLevel) -> Result<(), Halt> {
        let mut first = true;
        loop {
            self.ws()?;
            match self.peek()? {
                b'}' => {
                    self.inp.pos += 1;
                    return Ok(self.w.commit(b"}", false)?);
                }
                b',' => {
                    self.inp.pos += 1;
                    self.w.comma_at.get_or_insert(self.w.pending.len());
                }
                b'"' => {
                    let key_raw = self.value_bytes(skip_string)?;
                    // A key that is not valid JSON (control bytes, bad escapes)
                    // is written back re-encoded, so the output stays JSON.
                    let (key, key_out) = match serde_json::from_slice::<String>(&key_raw) {
                        Ok(k) => (k, key_raw),
                        Err(_) => {
                            let k = String::from_utf8_lossy(&key_raw[1..key_raw.len() - 1])
                                .into_owned();
                            let out = serde_json::to_vec(&k).unwrap_or_else(|_| b"\"\"".to_vec());
                            (k, out)
                        }
                    };
                    self.w.pending.extend_from_slice(&key_out);
                    self.ws()?;
                    if self.peek()? != b':' {
                        return Err(self.malformed("expected ':' after an object key"));
                    }
                    self.inp.pos += 1;
                    self.w.pending.push(b':');
                    self.ws()?;
                    let child = level.child(key.as_bytes());
                    let c = self.peek()?;
                    match (child, c) {
                        (HarLevel::Log, b'{') => {
                            self.w.commit(b"", !first)?;
                            self.object(HarLevel::Log)?;
                        }
                        (HarLevel::Entries | HarLevel::Pages, b'[') => {
                            self.w.commit(b"", !first)?;
                            self.array(child)?;
                        }
                        _ => {
                            let at = self.inp.offset() as u64;
                            let raw = self.value_bytes(skip_json_value)?;
                            let out = self.leaf(&key, &raw, at)?;
                            self.w.commit(&out, !first)?;
                        }
                    }
                    first = false;
                }
                _ => return Err(self.malformed("expected an object key")),
            }
        }
    }

    /// The entries or pages: the shared walk, each element redacted on
    /// all cores and written in order with the bytes before it.
    fn array(&mut self, level: HarLevel) -> Result<(), Halt> {
        self.inp.pos += 1; // '['
        self.w.commit(b"[", false)?;
        let limit = self.opts.limit();
        let el = Redacting {
            r: &self.redactor,
            drop_bodies: self.opts.drop_bodies,
            entry: level == HarLevel::Entries,
            limit,
        };
        let mut elems = Elements::new(el, self.inp.block, true);
        let (w, mut first) = (&mut self.w, true);
        let end = walk_array(&mut self.inp, &mut elems, Some(limit), |found| {
            found
                .into_iter()
                .try_for_each(|f| w.element(level, f, &mut first, limit))
        });
        self.read_error()?;
        match end? {
            ArrayEnd::Closed(gap) => {
                self.w.separators(&gap);
                Ok(self.w.commit(b"]", false)?)
            }
            ArrayEnd::Damage(at, why) => Err(Halt::Fatal(SanitizeError::Malformed {
                offset: at as u64,
                reason: why.to_string(),
            })),
            ArrayEnd::TooLarge(at) => Err(Halt::Fatal(SanitizeError::TooLarge {
                offset: at as u64,
                limit,
            })),
            ArrayEnd::Eof(_) => {
                self.w.clear_pending();
                self.w.out.write_all(b"]")?;
                Err(Halt::Eof)
            }
        }
    }

    fn malformed(&self, reason: &str) -> Halt {
        Halt::Fatal(SanitizeError::Malformed {
            offset: self.inp.offset() as u64,
            reason: reason.to_string(),
        })
    }

    /// Any other value (creator, browser, comment, unknown keys).
    fn leaf(&mut self, key: &str, raw: &[u8], at: u64) -> Result<Vec<u8>, Halt> {
        let mut v: Value = serde_json::from_slice(raw).map_err(|e| {
            Halt::Fatal(SanitizeError::Malformed {
                offset: at,
                reason: format!("invalid JSON value: {e}"),
            })
        })?;
        let mut w = Work {
            r: &self.redactor,
            drop_bodies: self.opts.drop_bodies,
            bodies_dropped: 0,
        };
        Ok(if w.generic(key, &mut v) {
            serde_json::to_vec(&v).unwrap_or_else(|_| raw.to_vec())
        } else {
            raw.to_vec()
        })
    }
}

pub(super) fn skip_json_value(b: &[u8], pos: usize) -> Result<usize, Stop> {
    let mut stack = Vec::new();
    skip_value(b, pos, &mut stack)
}
