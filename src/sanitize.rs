//! `faultlens sanitize`: rewrite a HAR with every secret replaced, so it
//! can be attached to a ticket.
//!
//! HAR files reach a gigabyte, so the document is never loaded whole: the
//! input is read in blocks, and only the structure down to `log.entries[i]`
//! and `log.pages[i]` is walked by hand (with the byte scanners of
//! [`crate::ingest::json_scan`]). Each entry, page and other leaf value is
//! parsed on its own, redacted through the shared [`Redactor`] and written
//! back; memory is bounded by the largest single entry (limited by
//! [`SanitizeOptions::max_value_bytes`]). Values with nothing to redact are
//! copied byte for byte, as is the whitespace between them, so a clean HAR
//! comes out identical. A truncated input yields every complete entry
//! before the cut, closed into a valid document, plus a warning.

use crate::ingest::json_scan::{Stop, json_start, skip_string, skip_value};
use crate::redact::{
    RedactionKind, RedactionStats, Redactor, b64_decode, b64_encode, is_secret_name,
};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Read, Write};

/// Options of `faultlens sanitize`.
#[derive(Debug, Clone, Default)]
pub struct SanitizeOptions {
    /// Replace the bodies of HTML, JavaScript and CSS responses with "".
    pub drop_bodies: bool,
    /// Reject one JSON value (an entry) larger than this; 0 = 64 MiB.
    pub max_value_bytes: usize,
}

impl SanitizeOptions {
    fn limit(&self) -> usize {
        if self.max_value_bytes == 0 {
            crate::ingest::DEFAULT_MAX_RECORD_BYTES
        } else {
            self.max_value_bytes
        }
    }
}

/// What sanitize did: counts only, never values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SanitizeReport {
    pub entries_written: u64,
    pub pages_written: u64,
    /// Entries left out because they were not valid JSON objects.
    pub entries_dropped: u64,
    /// Bodies emptied by `drop_bodies`.
    pub bodies_dropped: u64,
    pub redactions: RedactionStats,
    /// The input ended inside the document at this byte offset.
    pub truncated_at: Option<u64>,
    /// Human-readable notes (dropped entries with their byte offsets, ...).
    pub warnings: Vec<String>,
}

impl std::fmt::Display for SanitizeReport {
    /// One line for the terminal: what was written and what was redacted,
    /// counts per kind, never a value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.redactions;
        write!(
            f,
            "{} entries, {} pages; redacted {} headers, {} cookies, {} query parameters, {} JWTs, {} path segments, {} body values, {} userinfo, {} tokens in text",
            self.entries_written,
            self.pages_written,
            r.header,
            r.cookie,
            r.query,
            r.jwt,
            r.path,
            r.body,
            r.userinfo,
            r.token
        )?;
        if self.bodies_dropped > 0 {
            write!(f, "; {} bodies dropped", self.bodies_dropped)?;
        }
        if self.entries_dropped > 0 {
            write!(f, "; {} invalid entries left out", self.entries_dropped)?;
        }
        if let Some(t) = self.truncated_at {
            write!(f, "; input truncated at byte {t}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SanitizeError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("not a HAR document (byte {offset}): {reason}")]
    NotHar { offset: u64, reason: String },
    #[error("malformed JSON at byte {offset}: {reason}")]
    Malformed { offset: u64, reason: String },
    #[error("JSON value starting at byte {offset} exceeds the {limit}-byte limit")]
    TooLarge { offset: u64, limit: usize },
}

/// Copy a HAR from `input` to `output` with every secret redacted.
/// On error the output is incomplete and should be discarded.
pub fn sanitize_har<R: Read, W: Write>(
    input: R,
    output: W,
    opts: &SanitizeOptions,
) -> Result<SanitizeReport, SanitizeError> {
    sanitize_blocks(input, output, opts, BLOCK)
}

fn sanitize_blocks<R: Read, W: Write>(
    input: R,
    output: W,
    opts: &SanitizeOptions,
    block: usize,
) -> Result<SanitizeReport, SanitizeError> {
    let mut s = Sanitizer {
        inp: Input {
            r: input,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            block,
        },
        out: io::BufWriter::with_capacity(1 << 20, output),
        pending: Vec::new(),
        comma_at: None,
        redactor: Redactor::new(true),
        opts: opts.clone(),
        report: SanitizeReport::default(),
    };
    s.document()?;
    s.out.flush()?;
    s.report.redactions = s.redactor.stats();
    Ok(s.report)
}

const BLOCK: usize = 1 << 20;

struct Input<R> {
    r: R,
    buf: Vec<u8>,
    /// Read position in `buf`; bytes before it are done with.
    pos: usize,
    /// Offset in the input of `buf[0]`.
    base: u64,
    eof: bool,
    /// Minimum read size.
    block: usize,
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
enum Halt {
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Log,
    Entries,
    Pages,
    Other,
}

struct Sanitizer<R, W: Write> {
    inp: Input<R>,
    out: io::BufWriter<W>,
    /// Separators, whitespace and keys not yet written: they are written
    /// only once the value after them is complete, so a cut never leaves a
    /// dangling `,` or `"key":`.
    pending: Vec<u8>,
    /// Where in `pending` the input's separator comma was.
    comma_at: Option<usize>,
    redactor: Redactor,
    opts: SanitizeOptions,
    report: SanitizeReport,
}

impl<R: Read, W: Write> Sanitizer<R, W> {
    fn document(&mut self) -> Result<(), SanitizeError> {
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
        match self.object(Level::Root) {
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
                    if !matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b')' | b';') {
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
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
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

    fn object(&mut self, level: Level) -> Result<(), Halt> {
        self.inp.pos += 1; // '{'
        self.commit(b"{", false)?;
        let r = self.object_members(level);
        if matches!(r, Err(Halt::Eof)) {
            self.clear_pending();
            self.out.write_all(b"}")?;
        }
        r
    }

    fn object_members(&mut self, level: Level) -> Result<(), Halt> {
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
                    let child = match (level, key.as_str()) {
                        (Level::Root, "log") => Level::Log,
                        (Level::Log, "entries") => Level::Entries,
                        (Level::Log, "pages") => Level::Pages,
                        _ => Level::Other,
                    };
                    let c = self.peek()?;
                    match (child, c) {
                        (Level::Log, b'{') => {
                            self.commit(b"", !first)?;
                            self.object(Level::Log)?;
                        }
                        (Level::Entries | Level::Pages, b'[') => {
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

    fn array(&mut self, level: Level) -> Result<(), Halt> {
        self.inp.pos += 1; // '['
        self.commit(b"[", false)?;
        let r = self.array_elements(level);
        if matches!(r, Err(Halt::Eof)) {
            self.clear_pending();
            self.out.write_all(b"]")?;
        }
        r
    }

    fn array_elements(&mut self, level: Level) -> Result<(), Halt> {
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
        level: Level,
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
    fn outcome(&mut self, level: Level, res: Option<(Vec<u8>, u64)>, at: u64) -> Option<Vec<u8>> {
        match res {
            Some((out, dropped)) => {
                self.report.bodies_dropped += dropped;
                if level == Level::Entries {
                    self.report.entries_written += 1;
                } else {
                    self.report.pages_written += 1;
                }
                Some(out)
            }
            None => {
                self.report.entries_dropped += 1;
                let what = if level == Level::Pages {
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
        level: Level,
        batch: &mut Vec<Batched>,
        first: &mut bool,
    ) -> Result<(), Halt> {
        if batch.is_empty() {
            return Ok(());
        }
        let (r, drop_bodies) = (&self.redactor, self.opts.drop_bodies);
        let results: Vec<Option<(Vec<u8>, u64)>> = batch
            .par_iter()
            .map(|(_, _, raw, _)| process(r, drop_bodies, level, raw))
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

/// Redaction of one parsed value; no shared state but the redactor, so
/// entries can be processed on several threads.
struct Work<'a> {
    r: &'a Redactor,
    drop_bodies: bool,
    bodies_dropped: u64,
}

impl Work<'_> {
    fn entry(&mut self, e: &mut Value) -> bool {
        let Some(obj) = e.as_object_mut() else {
            return false;
        };
        let mut changed = false;
        for (k, x) in obj.iter_mut() {
            changed |= match k.as_str() {
                "request" | "response" => self.message(x),
                _ => self.generic(k, x),
            };
        }
        changed
    }

    fn message(&mut self, m: &mut Value) -> bool {
        let Some(obj) = m.as_object_mut() else {
            return self.generic("", m);
        };
        let mut changed = false;
        for (k, x) in obj.iter_mut() {
            changed |= match k.as_str() {
                "url" | "redirectURL" => self.map_str(x, |r, s| r.url(s)),
                "headers" => self.pairs(x, |r, n, v| r.header_value(n, v).into_owned()),
                "queryString" => self.pairs(x, |r, n, v| r.query_param(n, v)),
                "cookies" => self.pairs(x, |r, _, v| r.cookie_value(v)),
                "postData" => self.post_data(x),
                "content" => self.content(x),
                _ => self.generic(k, x),
            };
        }
        changed
    }

    fn map_str(&mut self, x: &mut Value, f: impl Fn(&Redactor, &str) -> String) -> bool {
        match x {
            Value::String(s) => {
                let t = f(self.r, s);
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            _ => self.generic("", x),
        }
    }

    /// Arrays of `{name, value, ...}`: `value` through `f`, the name kept,
    /// any other field generic.
    fn pairs(&mut self, x: &mut Value, f: impl Fn(&Redactor, &str, &str) -> String) -> bool {
        let Value::Array(items) = x else {
            return self.generic("", x);
        };
        let mut changed = false;
        for item in items.iter_mut() {
            let Some(o) = item.as_object_mut() else {
                changed |= self.generic("", item);
                continue;
            };
            let name = o
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            for (k, v) in o.iter_mut() {
                changed |= match (k.as_str(), &mut *v) {
                    ("name", Value::String(_)) => false,
                    ("value", Value::String(s)) => {
                        let t = f(self.r, &name, s);
                        if t != *s {
                            *s = t;
                            true
                        } else {
                            false
                        }
                    }
                    _ => self.generic(k, v),
                };
            }
        }
        changed
    }

    fn post_data(&mut self, x: &mut Value) -> bool {
        let Some(o) = x.as_object_mut() else {
            return self.generic("", x);
        };
        let mime = o
            .get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut changed = false;
        for (k, v) in o.iter_mut() {
            changed |= match k.as_str() {
                "text" => self.map_str(v, |r, s| r.body(&mime, s)),
                "params" => self.pairs(v, |r, n, val| r.form_param(n, val)),
                "mimeType" => false,
                _ => self.generic(k, v),
            };
        }
        changed
    }

    fn content(&mut self, x: &mut Value) -> bool {
        let Some(o) = x.as_object_mut() else {
            return self.generic("", x);
        };
        let mime = o
            .get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let base64 = o.get("encoding").and_then(Value::as_str) == Some("base64");
        let droppable = ["html", "javascript", "ecmascript", "css"]
            .iter()
            .any(|m| mime.contains(m));
        let mut changed = false;
        if self.drop_bodies
            && droppable
            && o.get("text")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
        {
            o.insert("text".into(), Value::String(String::new()));
            o.insert(
                "comment".into(),
                Value::String("body dropped by faultlens sanitize --drop-bodies".into()),
            );
            self.bodies_dropped += 1;
            changed = true;
        }
        let textual = mime.is_empty()
            || [
                "json",
                "text",
                "javascript",
                "ecmascript",
                "xml",
                "x-www-form-urlencoded",
                "html",
                "css",
            ]
            .iter()
            .any(|m| mime.contains(m));
        for (k, v) in o.iter_mut() {
            changed |= match (k.as_str(), &mut *v) {
                ("text", Value::String(s)) if base64 => {
                    // Decode textual bodies, redact, re-encode; binary stays.
                    match b64_decode(s).map(String::from_utf8) {
                        Some(Ok(plain)) if textual => {
                            let red = self.r.body(&mime, &plain);
                            if red != plain {
                                *s = b64_encode(red.as_bytes());
                                true
                            } else {
                                false
                            }
                        }
                        _ => false,
                    }
                }
                ("text", Value::String(s)) => {
                    let red = self.r.body(&mime, s);
                    if red != *s {
                        *s = red;
                        true
                    } else {
                        false
                    }
                }
                ("mimeType" | "encoding" | "comment", _) => false,
                _ => self.generic(k, v),
            };
        }
        changed
    }

    /// Any other JSON: secret-named keys redacted whole, URL-ish keys as
    /// URLs, `text`/`data` as bodies, other strings as text.
    fn generic(&mut self, key: &str, x: &mut Value) -> bool {
        let r = self.r;
        match x {
            Value::String(s) => {
                let lk = key.to_ascii_lowercase();
                let t = if !key.is_empty() && is_secret_name(key) {
                    r.value(RedactionKind::Body, s)
                } else if lk == "url" || lk.ends_with("url") || lk == "href" {
                    r.url(s)
                } else if lk == "data" || lk == "text" {
                    r.body("", s)
                } else {
                    r.text(s)
                };
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            Value::Number(_) if !key.is_empty() && is_secret_name(key) => {
                let mut wrapped =
                    Value::Object(serde_json::Map::from_iter([(key.to_string(), x.clone())]));
                if r.json_value(&mut wrapped) {
                    *x = wrapped[key].take();
                    true
                } else {
                    false
                }
            }
            Value::Array(a) => {
                let mut changed = false;
                for y in a.iter_mut() {
                    changed |= self.generic(key, y);
                }
                changed
            }
            Value::Object(o) => {
                let mut changed = false;
                for (k, y) in o.iter_mut() {
                    changed |= self.generic(k, y);
                }
                changed
            }
            _ => false,
        }
    }
}

/// Parse, redact and re-serialize one element (copied verbatim when nothing
/// changed). `None` when it is not a JSON object. Also returns the number
/// of bodies dropped.
fn process(r: &Redactor, drop_bodies: bool, level: Level, raw: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut v: Value = match serde_json::from_slice(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => return None,
    };
    let mut w = Work {
        r,
        drop_bodies,
        bodies_dropped: 0,
    };
    let changed = if level == Level::Entries {
        w.entry(&mut v)
    } else {
        w.generic("", &mut v)
    };
    let out = if changed {
        serde_json::to_vec(&v).unwrap_or_else(|_| raw.to_vec())
    } else {
        raw.to_vec()
    };
    Some((out, w.bodies_dropped))
}

/// Entries are redacted in parallel batches of at most this many entries
/// or bytes (memory stays bounded; output order is input order).
/// An entry read but not yet written: pending bytes before it, where its
/// comma was, its raw bytes and its input offset.
type Batched = (Vec<u8>, Option<usize>, Vec<u8>, u64);

const BATCH_ENTRIES: usize = 256;
const BATCH_BYTES: usize = 32 << 20;

fn skip_json_value(b: &[u8], pos: usize) -> Result<usize, Stop> {
    let mut stack = Vec::new();
    skip_value(b, pos, &mut stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, opts: &SanitizeOptions) -> (String, SanitizeReport) {
        let mut out = Vec::new();
        let rep = sanitize_har(input.as_bytes(), &mut out, opts).unwrap();
        (String::from_utf8(out).unwrap(), rep)
    }

    const HAR: &str = r#"{"log":{"version":"1.2","creator":{"name":"t","version":"1","comment":"token=c0mmentSecret1"},
 "pages":[{"id":"p","title":"https://x.example/?session=pageSecret1","startedDateTime":"2026-11-24T14:00:00Z","pageTimings":{}}],
 "entries":[
  {"startedDateTime":"2026-11-24T14:00:01Z","time":1,"request":{"method":"GET","url":"https://x.example/a?access_token=qSecret1&q=1",
   "headers":[{"name":"Cookie","value":"a.b*c[1]=ckSecret1"},{"name":"Accept","value":"*/*"}],"cookies":[{"name":"a.b*c[1]","value":"ckSecret1"}],
   "queryString":[{"name":"access_token","value":"qSecret1"},{"name":"q","value":"1"}],"headersSize":-1,"bodySize":0},
   "response":{"status":200,"statusText":"OK","httpVersion":"h2","headers":[],"cookies":[],"content":{"size":2,"mimeType":"text/html","text":"<p>hi</p>"},"redirectURL":"","headersSize":-1,"bodySize":2},
   "cache":{},"timings":{"send":0,"wait":1,"receive":0}},
  {"startedDateTime":"2026-11-24T14:00:02Z","time":1,"request":{"method":"GET","url":"https://x.example/clean","headers":[],"cookies":[],"queryString":[],"headersSize":-1,"bodySize":0},
   "response":{"status":200,"statusText":"OK","httpVersion":"h2","headers":[],"cookies":[],"content":{"size":0,"mimeType":"application/json","text":"{\"ok\": true}"},"redirectURL":"","headersSize":-1,"bodySize":0},
   "cache":{},"timings":{"send":0,"wait":1,"receive":0}}
 ]}}"#;

    #[test]
    fn redacts_and_keeps_structure() {
        let (out, rep) = run(HAR, &SanitizeOptions::default());
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
        for s in ["c0mmentSecret1", "pageSecret1", "qSecret1", "ckSecret1"] {
            assert!(!out.contains(s), "{s} leaked: {out}");
        }
        assert_eq!(rep.entries_written, 2);
        assert_eq!(rep.pages_written, 1);
        assert!(
            rep.redactions.cookie >= 2 && rep.redactions.query >= 2,
            "{rep:?}"
        );
        // clean entry copied byte for byte
        assert!(out.contains(r#""text":"{\"ok\": true}""#));
        assert_eq!(
            v["log"]["entries"][0]["response"]["content"]["text"],
            "<p>hi</p>"
        );
        assert_eq!(
            v["log"]["entries"][0]["request"]["cookies"][0]["name"],
            "a.b*c[1]"
        );
    }

    #[test]
    fn drop_bodies_only_html_js_css() {
        let (out, rep) = run(
            HAR,
            &SanitizeOptions {
                drop_bodies: true,
                ..Default::default()
            },
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["log"]["entries"][0]["response"]["content"]["text"], "");
        assert!(v["log"]["entries"][0]["response"]["content"]["comment"].is_string());
        assert_eq!(
            v["log"]["entries"][1]["response"]["content"]["text"],
            "{\"ok\": true}"
        );
        assert_eq!(rep.bodies_dropped, 1);
    }

    #[test]
    fn clean_har_is_byte_identical() {
        let clean = "{\n  \"log\": {\"version\": \"1.2\", \"creator\": {\"name\": \"x\", \"version\": \"1\"},\n  \"entries\": [ {\"request\": {\"url\": \"https://a.example/\"}} ,\n {\"request\": {\"url\": \"https://b.example/\"}} ]}\n}";
        let (out, _) = run(clean, &SanitizeOptions::default());
        assert_eq!(out.trim_end(), clean);
    }

    #[test]
    fn truncated_input_keeps_complete_entries() {
        let cut = &HAR[..HAR.find("\"https://x.example/clean\"").unwrap()];
        let (out, rep) = run(cut, &SanitizeOptions::default());
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 1);
        assert!(rep.truncated_at.is_some() && !rep.warnings.is_empty());
        assert!(!out.contains("qSecret1"));
    }

    #[test]
    fn bom_jsonp_and_invalid_entry() {
        let wrapped = format!(
            "\u{feff}onInputData({});",
            HAR.replacen("\"entries\":[", "\"entries\":[ [1,2], ", 1)
        );
        let (out, rep) = run(&wrapped, &SanitizeOptions::default());
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
        assert_eq!(rep.entries_dropped, 1);
    }

    #[test]
    fn errors_are_clear() {
        let mut out = Vec::new();
        assert!(matches!(
            sanitize_har(&b"[1,2]"[..], &mut out, &SanitizeOptions::default()),
            Err(SanitizeError::NotHar { .. })
        ));
        let big = format!(
            "{{\"log\":{{\"entries\":[{{\"x\":\"{}\"}}]}}}}",
            "a".repeat(5000)
        );
        let opts = SanitizeOptions {
            max_value_bytes: 1000,
            ..Default::default()
        };
        let mut out = Vec::new();
        assert!(matches!(
            sanitize_har(big.as_bytes(), &mut out, &opts),
            Err(SanitizeError::TooLarge { .. })
        ));
        let mut out = Vec::new();
        assert!(matches!(
            sanitize_har(
                &b"{\"log\":{\"entries\":[{\"a\":1}} ]}}"[..],
                &mut out,
                &SanitizeOptions::default()
            ),
            Err(SanitizeError::Malformed { .. })
        ));
    }

    /// Tiny reads exercise the refill path at every byte boundary.
    #[test]
    fn one_byte_reads() {
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let (b, _) = run(HAR, &SanitizeOptions::default());
        for block in [1, 7, 64] {
            let mut a = Vec::new();
            sanitize_blocks(
                Slow(HAR.as_bytes()),
                &mut a,
                &SanitizeOptions::default(),
                block,
            )
            .unwrap();
            assert_eq!(String::from_utf8(a).unwrap(), b, "block {block}");
        }
    }

    /// A cut anywhere gives either a clear error or a valid JSON document
    /// holding a prefix of the entries, never a panic and never a secret.
    #[test]
    fn cut_at_every_byte() {
        let full: Value = serde_json::from_str(HAR).unwrap();
        let n = full["log"]["entries"].as_array().unwrap().len();
        for cut in 0..HAR.len() {
            if !HAR.is_char_boundary(cut) {
                continue;
            }
            let mut out = Vec::new();
            if sanitize_har(
                &HAR.as_bytes()[..cut],
                &mut out,
                &SanitizeOptions::default(),
            )
            .is_ok()
            {
                let text = String::from_utf8(out).unwrap();
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("cut {cut}: {e}: {text}"));
                let got = v["log"]["entries"].as_array().map_or(0, Vec::len);
                assert!(got <= n);
                for s in ["qSecret1", "ckSecret1", "pageSecret1"] {
                    assert!(!text.contains(s), "cut {cut}: {s} in {text}");
                }
            }
        }
    }

    /// Several parallel batches, invalid entries at batch edges, a cut at
    /// the end: order kept, counts right, output valid.
    #[test]
    fn many_entries_across_batches() {
        let mut doc = String::from("{\"log\":{\"version\":\"1.2\",\"entries\":[");
        let n = 2 * BATCH_ENTRIES + 37;
        let bad = [0, BATCH_ENTRIES - 1, BATCH_ENTRIES, n - 1];
        for i in 0..n {
            if i > 0 {
                doc.push_str(",\n");
            }
            if bad.contains(&i) {
                doc.push_str("[1]");
            } else {
                doc.push_str(&format!(
                    "{{\"i\":{i},\"request\":{{\"url\":\"https://a.example/?token=t{i}x\"}}}}"
                ));
            }
        }
        let full = format!("{doc}]}}}}");
        for (input, complete) in [(full.as_str(), true), (doc.as_str(), false)] {
            let (out, rep) = run(input, &SanitizeOptions::default());
            let v: Value = serde_json::from_str(&out).unwrap();
            let got: Vec<u64> = v["log"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["i"].as_u64().unwrap())
                .collect();
            let want: Vec<u64> = (0..n as u64)
                .filter(|i| !bad.contains(&(*i as usize)))
                .collect();
            assert_eq!(got, want);
            assert_eq!(rep.entries_written as usize, want.len());
            assert_eq!(rep.entries_dropped as usize, bad.len());
            assert_eq!(rep.truncated_at.is_some(), !complete);
            assert!(!out.contains("token=t1x"));
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]
            #[test]
            fn arbitrary_and_mutated_input_never_panics(
                bytes in proptest::collection::vec(any::<u8>(), 0..400),
                flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..6),
            ) {
                let mut out = Vec::new();
                let _ = sanitize_har(&bytes[..], &mut out, &SanitizeOptions::default());
                let mut har = HAR.as_bytes().to_vec();
                for (i, b) in flips {
                    let at = i.index(har.len());
                    har[at] = b;
                }
                let mut out = Vec::new();
                if sanitize_har(&har[..], &mut out, &SanitizeOptions::default()).is_ok() {
                    prop_assert!(serde_json::from_slice::<Value>(&out).is_ok() || std::str::from_utf8(&har).is_err(),
                        "invalid output: {}", String::from_utf8_lossy(&out));
                }
            }
        }
    }
}
