//! The streaming walk of a HAR: the structure down to `log.entries[i]`
//! and `log.pages[i]` followed by hand, block by block, so memory is
//! bounded by the largest single value, not the file.
//!
//! Why its own walker and not [`crate::ingest::json_scan`]'s layout scan:
//! that one needs the whole document in memory and rejects what it cannot
//! read, while this one must resume a value cut at a block's end, write
//! every byte between values back exactly as it came, and close a cut
//! document into valid JSON. It shares with it the map of the structure
//! ([`HarLevel`]: which keys lead to the entries and pages) and the byte
//! scanners (strings, values, whitespace, the JSONP prefix).

use super::values::{Work, process};
use super::{SanitizeError, SanitizeOptions, SanitizeReport};
use crate::ingest::json_scan::{HarLevel, Stop, is_ws, json_start, skip_string, skip_value};
use crate::redact::Redactor;
use rayon::prelude::*;
use serde_json::Value;
use std::io::{self, Read, Write};

pub(super) const BLOCK: usize = 1 << 20;

pub(super) struct Input<R> {
    pub(super) r: R,
    pub(super) buf: Vec<u8>,
    /// Read position in `buf`; bytes before it are done with.
    pub(super) pos: usize,
    /// Offset in the input of `buf[0]`.
    pub(super) base: u64,
    pub(super) eof: bool,
    /// Minimum read size.
    pub(super) block: usize,
}

impl<R: Read> Input<R> {
    /// Read more bytes (at least as many as are buffered, so re-scanning a
    /// growing value stays linear). False at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let want = self.block.max(self.buf.len());
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            match self.r.read(&mut self.buf[old + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old + got);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(old + got);
        Ok(got > 0)
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
}

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
    pub(super) out: io::BufWriter<W>,
    /// Separators, whitespace and keys not yet written: they are written
    /// only once the value after them is complete, so a cut never leaves a
    /// dangling `,` or `"key":`.
    pub(super) pending: Vec<u8>,
    /// Where in `pending` the input's separator comma was.
    pub(super) comma_at: Option<usize>,
    pub(super) redactor: Redactor,
    pub(super) opts: SanitizeOptions,
    pub(super) report: SanitizeReport,
}

impl<R: Read, W: Write> Sanitizer<R, W> {
    pub(super) fn document(&mut self) -> Result<(), SanitizeError> {
        while self.inp.buf.len() < 4096 && self.inp.fill()? {}
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
                let at = self.inp.base + self.inp.buf.len() as u64;
                self.report.truncated_at = Some(at);
                self.report.warnings.push(format!(
                    "input ends inside the HAR at byte {at}: the {} complete entries before the cut were written",
                    self.report.entries_written
                ));
            }
            Err(Halt::Fatal(e)) => return Err(e),
        }
        if self.report.truncated_at.is_none() {
            // Anything after the root (JSONP `)`, `;`, whitespace) is dropped.
            loop {
                while self.inp.pos < self.inp.buf.len() {
                    let c = self.inp.buf[self.inp.pos];
                    if !(is_ws(c) || matches!(c, b')' | b';')) {
                        self.report.warnings.push(format!(
                            "ignored trailing data after the HAR document at byte {}",
                            self.inp.offset()
                        ));
                        return self.finish();
                    }
                    self.inp.pos += 1;
                }
                if !self.inp.fill()? {
                    break;
                }
            }
        }
        self.finish()
    }

    fn finish(&mut self) -> Result<(), SanitizeError> {
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Next byte, reading more input when needed; `Eof` at end of input.
    fn peek(&mut self) -> Result<u8, Halt> {
        while self.inp.pos >= self.inp.buf.len() {
            if !self.inp.fill()? {
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
                self.pending.push(c);
                self.inp.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    /// Write the pending whitespace / key, then `bytes`. Separators are
    /// never copied from the input: `sep` writes a `,` first, so dropped or
    /// damaged elements cannot leave a missing or doubled comma.
    fn commit(&mut self, bytes: &[u8], sep: bool) -> Result<(), Halt> {
        // Put the comma where the input had it (keeps formatting byte-exact).
        let at = if sep {
            Some(self.comma_at.unwrap_or(0).min(self.pending.len()))
        } else {
            None
        };
        match at {
            Some(i) => {
                self.out.write_all(&self.pending[..i])?;
                self.out.write_all(b",")?;
                self.out.write_all(&self.pending[i..])?;
            }
            None => self.out.write_all(&self.pending)?,
        }
        self.clear_pending();
        self.out.write_all(bytes)?;
        Ok(())
    }

    fn clear_pending(&mut self) {
        self.pending.clear();
        self.comma_at = None;
    }

    /// Bytes of the complete JSON value at the read position (consumed).
    fn value_bytes(
        &mut self,
        skip: fn(&[u8], usize) -> Result<usize, Stop>,
    ) -> Result<Vec<u8>, Halt> {
        let limit = self.opts.limit();
        loop {
            match skip(&self.inp.buf, self.inp.pos) {
                Ok(end) => {
                    if end - self.inp.pos > limit {
                        return Err(Halt::Fatal(SanitizeError::TooLarge {
                            offset: self.inp.offset(),
                            limit,
                        }));
                    }
                    let v = self.inp.buf[self.inp.pos..end].to_vec();
                    self.inp.pos = end;
                    return Ok(v);
                }
                Err(Stop::Eof) => {
                    if self.inp.buf.len() - self.inp.pos > limit {
                        return Err(Halt::Fatal(SanitizeError::TooLarge {
                            offset: self.inp.offset(),
                            limit,
                        }));
                    }
                    if !self.inp.fill()? {
                        return Err(Halt::Eof);
                    }
                }
                Err(Stop::Bad(at, why)) => {
                    return Err(Halt::Fatal(SanitizeError::Malformed {
                        offset: self.inp.base + at as u64,
                        reason: why.to_string(),
                    }));
                }
            }
        }
    }

    fn object(&mut self, level: HarLevel) -> Result<(), Halt> {
        self.inp.pos += 1; // '{'
        self.commit(b"{", false)?;
        let r = self.object_members(level);
        if matches!(r, Err(Halt::Eof)) {
            self.clear_pending();
            self.out.write_all(b"}")?;
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
                    return self.commit(b"}", false);
                }
                b',' => {
                    self.inp.pos += 1;
                    self.comma_at.get_or_insert(self.pending.len());
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
                    self.pending.extend_from_slice(&key_out);
                    self.ws()?;
                    if self.peek()? != b':' {
                        return Err(self.malformed("expected ':' after an object key"));
                    }
                    self.inp.pos += 1;
                    self.pending.push(b':');
                    self.ws()?;
                    let child = level.child(key.as_bytes());
                    let c = self.peek()?;
                    match (child, c) {
                        (HarLevel::Log, b'{') => {
                            self.commit(b"", !first)?;
                            self.object(HarLevel::Log)?;
                        }
                        (HarLevel::Entries | HarLevel::Pages, b'[') => {
                            self.commit(b"", !first)?;
                            self.array(child)?;
                        }
                        _ => {
                            let at = self.inp.offset();
                            let raw = self.value_bytes(skip_json_value)?;
                            let out = self.leaf(&key, &raw, at)?;
                            self.commit(&out, !first)?;
                        }
                    }
                    first = false;
                }
                _ => return Err(self.malformed("expected an object key")),
            }
        }
    }

    fn array(&mut self, level: HarLevel) -> Result<(), Halt> {
        self.inp.pos += 1; // '['
        self.commit(b"[", false)?;
        let r = self.array_elements(level);
        if matches!(r, Err(Halt::Eof)) {
            self.clear_pending();
            self.out.write_all(b"]")?;
        }
        r
    }

    fn array_elements(&mut self, level: HarLevel) -> Result<(), Halt> {
        let mut first = true;
        let mut batch = Vec::new();
        let r = self.array_loop(level, &mut batch, &mut first);
        if matches!(r, Err(Halt::Eof)) {
            // write the complete entries read before the cut
            self.flush_batch(level, &mut batch, &mut first)?;
        }
        r
    }

    fn array_loop(
        &mut self,
        level: HarLevel,
        batch: &mut Vec<Batched>,
        first: &mut bool,
    ) -> Result<(), Halt> {
        let mut batch_bytes = 0;
        loop {
            self.ws()?;
            match self.peek()? {
                b']' => {
                    self.inp.pos += 1;
                    self.flush_batch(level, batch, first)?;
                    return self.commit(b"]", false);
                }
                b',' => {
                    self.inp.pos += 1;
                    self.comma_at.get_or_insert(self.pending.len());
                }
                _ => {
                    let at = self.inp.offset();
                    let raw = self.value_bytes(skip_json_value)?;
                    batch_bytes += raw.len();
                    batch.push((
                        std::mem::take(&mut self.pending),
                        self.comma_at.take(),
                        raw,
                        at,
                    ));
                    if batch.len() >= BATCH_ENTRIES || batch_bytes >= BATCH_BYTES {
                        self.flush_batch(level, batch, first)?;
                        batch_bytes = 0;
                    }
                }
            }
        }
    }

    fn malformed(&self, reason: &str) -> Halt {
        Halt::Fatal(SanitizeError::Malformed {
            offset: self.inp.offset(),
            reason: reason.to_string(),
        })
    }

    /// Bookkeeping for one processed element; `Some(bytes)` to write.
    fn outcome(
        &mut self,
        level: HarLevel,
        res: Option<(Vec<u8>, u64)>,
        at: u64,
    ) -> Option<Vec<u8>> {
        match res {
            Some((out, dropped)) => {
                self.report.bodies_dropped += dropped;
                if level == HarLevel::Entries {
                    self.report.entries_written += 1;
                } else {
                    self.report.pages_written += 1;
                }
                Some(out)
            }
            None => {
                self.report.entries_dropped += 1;
                let what = if level == HarLevel::Pages {
                    "page"
                } else {
                    "entry"
                };
                self.report
                    .warnings
                    .push(format!("dropped an invalid {what} at byte {at}"));
                None
            }
        }
    }

    /// Redact the batched entries on all cores, then write them in order.
    fn flush_batch(
        &mut self,
        level: HarLevel,
        batch: &mut Vec<Batched>,
        first: &mut bool,
    ) -> Result<(), Halt> {
        if batch.is_empty() {
            return Ok(());
        }
        let (r, drop_bodies) = (&self.redactor, self.opts.drop_bodies);
        let results: Vec<Option<(Vec<u8>, u64)>> = batch
            .par_iter()
            .map(|(_, _, raw, _)| process(r, drop_bodies, level == HarLevel::Entries, raw))
            .collect();
        let tail = (std::mem::take(&mut self.pending), self.comma_at.take());
        for ((pend, comma, _, at), res) in batch.drain(..).zip(results) {
            if let Some(out) = self.outcome(level, res, at) {
                self.pending = pend;
                self.comma_at = comma;
                self.commit(&out, !*first)?;
                *first = false;
            }
        }
        (self.pending, self.comma_at) = tail;
        Ok(())
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

/// Entries are redacted in parallel batches of at most this many entries
/// or bytes (memory stays bounded; output order is input order).
/// An entry read but not yet written: pending bytes before it, where its
/// comma was, its raw bytes and its input offset.
pub(super) type Batched = (Vec<u8>, Option<usize>, Vec<u8>, u64);

pub(super) const BATCH_ENTRIES: usize = 256;
pub(super) const BATCH_BYTES: usize = 32 << 20;

pub(super) fn skip_json_value(b: &[u8], pos: usize) -> Result<usize, Stop> {
    let mut stack = Vec::new();
    skip_value(b, pos, &mut stack)
}
