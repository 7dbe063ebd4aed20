//! The one streaming walk of a HAR's arrays (`log.entries`, `log.pages`),
//! shared by the reader (each entry into a record) and by `sanitize` (each
//! entry and page redacted and written back).
//!
//! Why this shape: a large HAR should be walked once, and a structural
//! scan that finds where each element ends costs about as much as parsing
//! it. So each block is cut into parts at guessed element starts and
//! serde_json itself finds where each element ends, part by part on all
//! cores; the merge keeps a part only where the part before it ended
//! exactly at its start ([`parse_block`]), so a wrong guess costs a parse,
//! never a wrong element. The structural scan measures only what serde_json
//! rejects, so damage is located where the in-memory scan locates it.
//!
//! Why one walk serves both: what becomes of an element is the caller's
//! ([`Element`]), and every element comes back with the bytes between it
//! and the one before ([`Found::gap`]), so the rewriter can copy them
//! verbatim while the reader ignores them. The two differ in one rule
//! only: the reader holds separators to JSON (its streamed result must be
//! the in-memory reader's), the rewriter takes missing or doubled commas
//! in its stride, as it writes the commas itself ([`Elements::new`]).
//!
//! [`walk_array`] feeds blocks from a stream ([`Input`]), reading block
//! k+1 while block k is parsed; the mapped reader feeds windows of a map to
//! [`Elements::block`] itself.

use crate::ingest::json_scan::{self, Stop};
use rayon::prelude::*;
use serde::Deserialize;
use std::io::{self, Read};
use std::ops::Range;

/// What is done with each element of an array, on any core.
pub(crate) trait Element: Send + Sync {
    /// What one element becomes.
    type Out: Send;
    /// What serde_json reads an element into, straight from the buffer.
    type View<'a>: Deserialize<'a>;
    /// An element serde_json read; `raw` is exactly its bytes.
    fn parsed(&self, view: Self::View<'_>, raw: &[u8]) -> Self::Out;
    /// An element serde_json rejected, measured by the structural scan:
    /// read again from exactly its bytes (read from the rest of the buffer,
    /// serde_json would word the same damage differently).
    fn rejected(&self, raw: &[u8]) -> Self::Out;
}

/// One element as the merge hands it over, in document order.
pub(crate) struct Found<'b, O> {
    /// The bytes between the element before it (or the `[`) and it:
    /// whitespace and commas.
    pub(crate) gap: &'b [u8],
    /// File offset of its first byte.
    pub(crate) at: usize,
    pub(crate) out: O,
}

/// Where the parse of an array stands in a buffer: at `pos`, expecting a
/// value (after `[` or `,`) or else a separator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub(crate) pos: usize,
    expect_value: bool,
    /// No element yet: `]` may close the array at once.
    first: bool,
}

impl At {
    /// Just after the `[` of an array.
    const OPEN: At = At {
        pos: 0,
        expect_value: true,
        first: true,
    };

    /// Just after an element that ends at `pos`.
    fn after(pos: usize) -> At {
        At {
            pos,
            expect_value: false,
            first: false,
        }
    }
}

/// How a [`parse_run`] ended (positions in the buffer).
enum RunEnd {
    /// At a value that starts at or past the run's limit.
    Limit(usize),
    /// The buffer ran out inside an element or between two.
    More,
    /// The array closed; the position of its `]`.
    Closed(usize),
    /// Structural damage: position and why.
    Damage(usize, &'static str),
}

/// How the parse of a whole block ended.
pub(crate) enum BlockEnd {
    /// The block ran out: the next block starts with its bytes from here
    /// (the end of the last element, so the gap before the next one is
    /// carried along with it).
    Resume(At),
    /// The array closed: the bytes between the last element and the `]`,
    /// which is at `range.end`.
    Closed(Range<usize>),
    /// Structural damage: file offset and why.
    Damage(usize, &'static str),
}

/// Elements as a run leaves them: buffer range and outcome.
struct Run<O> {
    outs: Vec<(Range<usize>, O)>,
    end: RunEnd,
}

struct Ctx<P> {
    el: P,
    lenient: bool,
}

/// Elements from `at` on, each read by serde_json straight from the
/// buffer, so no separate scan walks the bytes (bodies included) a second
/// time. Stops at the first value that starts at or past `limit`.
fn parse_run<P: Element>(ctx: &Ctx<P>, buf: &[u8], mut at: At, limit: usize) -> Run<P::Out> {
    let mut outs = Vec::new();
    let mut stack = Vec::new();
    // The run's own part is checked as UTF-8 in one SIMD pass: elements
    // wholly inside it are parsed from `&str`, and serde_json checks no
    // string again. The element that runs past the part, and any element
    // after invalid UTF-8, are parsed from bytes (same result, same errors).
    let text_base = at.pos.min(buf.len());
    let part = &buf[text_base..limit.min(buf.len()).max(text_base)];
    let text: &str = match simdutf8::basic::from_utf8(part) {
        Ok(t) => t,
        Err(_) => {
            let valid =
                simdutf8::compat::from_utf8(part).map_or_else(|e| e.valid_up_to(), str::len);
            std::str::from_utf8(&part[..valid]).unwrap_or_default()
        }
    };
    let end = loop {
        let i = json_scan::skip_ws(buf, at.pos);
        let Some(&c) = buf.get(i) else {
            break RunEnd::More;
        };
        if ctx.lenient {
            match c {
                b',' => {
                    at.pos = i + 1;
                    continue;
                }
                b']' => break RunEnd::Closed(i),
                _ => {}
            }
        } else if !at.expect_value {
            match c {
                b',' => {
                    at.pos = i + 1;
                    at.expect_value = true;
                    continue;
                }
                b']' => break RunEnd::Closed(i),
                _ => break RunEnd::Damage(i, "expected ',' or ']' in an array"),
            }
        } else if at.first && c == b']' {
            break RunEnd::Closed(i);
        }
        if i >= limit {
            break RunEnd::Limit(i);
        }
        // An object, array or string ends with its own closing byte; a
        // number or literal at the end of the buffer may go on in the next
        // block, so scalars are measured by the scan.
        let view = if matches!(c, b'{' | b'[' | b'"') {
            read_view::<P>(text.get(i - text_base..), &buf[i..])
        } else {
            None
        };
        let (end, out) = match view {
            Some((n, v)) => (i + n, ctx.el.parsed(v, &buf[i..i + n])),
            // serde's reason read from the rest of the buffer is not kept:
            // the element is measured and read again from its own bytes
            None => match json_scan::skip_value(buf, i, &mut stack) {
                Ok(end) => (end, ctx.el.rejected(&buf[i..end])),
                Err(Stop::Eof) => break RunEnd::More,
                Err(Stop::Bad(b, why)) => break RunEnd::Damage(b, why),
            },
        };
        outs.push((i..end, out));
        at = At::after(end);
    };
    Run { outs, end }
}

/// The element at the start of `bytes` (or of `text`, the same bytes
/// checked as UTF-8 up to some point) and its length; `None` when
/// serde_json rejects it.
fn read_view<'b, P: Element>(
    text: Option<&'b str>,
    bytes: &'b [u8],
) -> Option<(usize, P::View<'b>)> {
    if let Some(t) = text {
        let mut it = serde_json::Deserializer::from_str(t).into_iter::<P::View<'b>>();
        if let Some(Ok(v)) = it.next() {
            return Some((it.byte_offset(), v));
        }
    }
    let mut it = serde_json::Deserializer::from_slice(bytes).into_iter::<P::View<'b>>();
    match it.next() {
        Some(Ok(v)) => Some((it.byte_offset(), v)),
        _ => None,
    }
}

/// The bytes an element starts with, from the first element: its `{`, the
/// whitespace after it and its first key, quoted. Later elements are
/// guessed where these bytes occur: a `"` right after `{` and whitespace
/// cannot be inside a string in valid JSON, so a match is an object that
/// starts with that key (an element, or now and then an object nested in
/// one, which the merge in [`parse_block`] catches).
fn signature(buf: &[u8], pos: usize) -> Option<memchr::memmem::Finder<'static>> {
    let i = json_scan::skip_ws(buf, pos);
    if buf.get(i) != Some(&b'{') {
        return None;
    }
    let k = json_scan::skip_ws(buf, i + 1);
    if buf.get(k) != Some(&b'"') {
        return None;
    }
    let end = json_scan::skip_string(buf, k).ok()?;
    Some(memchr::memmem::Finder::new(&buf[i..end]).into_owned())
}

/// The elements of `buf` from `at` on, on all cores, handed to `sink` in
/// document order. The buffer is cut into parts of about `part_bytes` at
/// guessed element starts (`sig`), each part is parsed by its own
/// [`parse_run`], and the runs are merged in order: a run counts only when
/// the run before it stopped exactly where it starts, so a wrong guess
/// costs a parse, never a wrong element. `base` is the file offset of
/// `buf[0]`.
fn parse_block<'b, P: Element>(
    ctx: &Ctx<P>,
    buf: &'b [u8],
    base: usize,
    at: At,
    sig: Option<&memchr::memmem::Finder>,
    part_bytes: usize,
    sink: &mut impl FnMut(Found<'b, P::Out>),
) -> BlockEnd {
    let mut starts = vec![at.pos];
    if let Some(f) = sig {
        loop {
            let from = starts[starts.len() - 1] + part_bytes.max(1);
            match buf.get(from..).and_then(|rest| f.find(rest)) {
                Some(k) => starts.push(from + k),
                None => break,
            }
        }
    }
    let limit = |k: usize| starts.get(k + 1).copied().unwrap_or(usize::MAX);
    let guessed = |pos: usize| At {
        pos,
        expect_value: true,
        first: false,
    };
    let runs: Vec<Run<P::Out>> = (0..starts.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|k| {
            let from = if k == 0 { at } else { guessed(starts[k]) };
            parse_run(ctx, buf, from, limit(k))
        })
        .collect();
    let mut runs = runs.into_iter();
    let mut run = runs.next().expect("a block has one run at least");
    // the state just after the last element merged
    let mut last = at;
    let mut k = 0;
    loop {
        for (r, out) in run.outs {
            sink(Found {
                gap: &buf[last.pos..r.start],
                at: base + r.start,
                out,
            });
            last = At::after(r.end);
        }
        let p = match run.end {
            RunEnd::Limit(p) => p,
            RunEnd::More => return BlockEnd::Resume(last),
            RunEnd::Closed(i) => return BlockEnd::Closed(last.pos..i),
            RunEnd::Damage(b, why) => return BlockEnd::Damage(base + b, why),
        };
        k += 1;
        run = match runs.next() {
            Some(r) if starts[k] == p => r,
            // a wrong guess: parse on from where the last run stopped
            _ => parse_run(ctx, buf, guessed(p), limit(k)),
        };
    }
}

/// The parse of one array from one block (or window) to the next.
pub(crate) struct Elements<P> {
    ctx: Ctx<P>,
    part_bytes: usize,
    /// The parse state at the start of the next block.
    at: At,
    /// Guessed element starts (from the first element, once it is seen).
    sig: Option<memchr::memmem::Finder<'static>>,
}

impl<P: Element> Elements<P> {
    /// Just after the `[` of an array; blocks of about `block` bytes.
    /// `lenient`: a separator is any run of commas, or none (sanitize
    /// writes its own commas); otherwise exactly one comma, as JSON has it.
    pub(crate) fn new(el: P, block: usize, lenient: bool) -> Self {
        Elements {
            ctx: Ctx { el, lenient },
            part_bytes: (block / 16).max(1),
            at: At::OPEN,
            sig: None,
        }
    }

    /// Parse `cur` (file offset `base`) from the current state on; each
    /// element goes to `sink`, in order.
    pub(crate) fn block<'b>(
        &mut self,
        cur: &'b [u8],
        base: usize,
        sink: &mut impl FnMut(Found<'b, P::Out>),
    ) -> BlockEnd {
        if self.sig.is_none() && self.at.first {
            self.sig = signature(cur, self.at.pos);
        }
        let sig = self.sig.as_ref();
        parse_block(&self.ctx, cur, base, self.at, sig, self.part_bytes, sink)
    }

    /// The next block starts with the bytes from `a`.
    pub(crate) fn resume(&mut self, a: At) {
        self.at = At { pos: 0, ..a };
    }
}

/// A byte stream read a block at a time: `buf[pos..]` is unread,
/// `buf[origin]` is at file offset `base`.
pub(crate) struct Input<R> {
    r: R,
    pub(crate) buf: Vec<u8>,
    pub(crate) pos: usize,
    origin: usize,
    base: usize,
    pub(crate) eof: bool,
    /// The read error the input ended with, if any.
    pub(crate) error: Option<io::Error>,
    /// Bytes read at a time.
    pub(crate) block: usize,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(r: R, block: usize) -> Self {
        let block = block.max(1);
        Input {
            r,
            buf: Vec::with_capacity(block),
            pos: 0,
            origin: 0,
            base: 0,
            eof: false,
            error: None,
            block,
        }
    }

    /// Read `want` more bytes (fewer at the end of the input), dropping
    /// the bytes before the read position first. False when none came.
    pub(crate) fn fill(&mut self, want: usize) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.base = self.offset();
            self.buf.drain(..self.pos);
            (self.pos, self.origin) = (0, 0);
        }
        let old = self.buf.len();
        read_block(
            &mut self.r,
            &mut self.buf,
            want,
            &mut self.eof,
            &mut self.error,
        );
        self.buf.len() > old
    }

    /// File offset of the read position.
    pub(crate) fn offset(&self) -> usize {
        self.offset_of(self.pos)
    }

    /// File offset of `buf[i]`.
    pub(crate) fn offset_of(&self, i: usize) -> usize {
        self.base + i - self.origin
    }
}

/// Append up to `want` bytes of `r` to `buf`; a short read is the end.
fn read_block<R: Read>(
    r: &mut R,
    buf: &mut Vec<u8>,
    want: usize,
    eof: &mut bool,
    error: &mut Option<io::Error>,
) {
    // `read_to_end` on a `Take` reads into spare capacity without zeroing
    // it first (zeroing 8 MiB per block was 4 % of a run)
    buf.reserve(want);
    match r.by_ref().take(want as u64).read_to_end(buf) {
        Ok(k) if k < want => *eof = true,
        Ok(_) => {}
        Err(e) => {
            *error = Some(e);
            *eof = true;
        }
    }
}

/// How [`walk_array`] ended.
pub(crate) enum ArrayEnd {
    /// The `]` was read (the input goes on just after it); the bytes
    /// between the last element and it.
    Closed(Vec<u8>),
    /// Structural damage: file offset and why.
    Damage(usize, &'static str),
    /// The input ended inside the array, at this file offset.
    Eof(usize),
    /// An element not yet complete already held more than the limit
    /// given: its file offset.
    TooLarge(usize),
}

/// Walk the array whose `[` was just read from `inp`, handing the elements
/// of each block, in order, to `each`. Block k is parsed while block k+1
/// is read, so memory is about two blocks plus the longest element; with
/// `hold`, an element still incomplete past that many bytes ends the walk.
pub(crate) fn walk_array<R: Read, P: Element, E>(
    inp: &mut Input<R>,
    elems: &mut Elements<P>,
    hold: Option<usize>,
    mut each: impl FnMut(Vec<Found<'_, P::Out>>) -> Result<(), E>,
) -> Result<ArrayEnd, E> {
    let block = inp.block;
    // Room kept in front of the next block for the element cut at the end
    // of this one: the block is read while this one is parsed, before the
    // cut is known; an element longer than the room is copied the slow way.
    let mut pad = block.min(64 << 10);
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let cur_base = inp.offset();
        let Input {
            r,
            buf,
            pos,
            origin,
            base,
            eof,
            error,
            ..
        } = &mut *inp;
        let cur = &buf[*pos..];
        let last = *eof;
        let mut found = Vec::new();
        let end = if last {
            elems.block(cur, cur_base, &mut |f| found.push(f))
        } else {
            spare.clear();
            spare.resize(pad, 0);
            let mut parsed = None;
            // the reader stays on this thread (it need not be `Send`)
            rayon::in_place_scope(|s| {
                s.spawn(|_| parsed = Some(elems.block(cur, cur_base, &mut |f| found.push(f))));
                read_block(r, &mut spare, block, eof, error);
            });
            parsed.expect("the parse ran in the scope")
        };
        each(found)?;
        let read_ahead = if last { &[][..] } else { &spare[pad..] };
        let resume = match end {
            BlockEnd::Resume(a) => a,
            BlockEnd::Closed(gap) => {
                let gap_bytes = cur[gap.clone()].to_vec();
                let after = gap.end + 1;
                let mut rest = cur[after..].to_vec();
                rest.extend_from_slice(read_ahead);
                *buf = rest;
                (*pos, *origin, *base) = (0, 0, cur_base + after);
                return Ok(ArrayEnd::Closed(gap_bytes));
            }
            BlockEnd::Damage(at, why) => return Ok(ArrayEnd::Damage(at, why)),
        };
        if let Some(max) = hold {
            let v = skip_separators(cur, resume.pos);
            if cur.len() - v > max {
                return Ok(ArrayEnd::TooLarge(cur_base + v));
            }
        }
        if last {
            let at = cur_base + cur.len();
            *pos = buf.len();
            return Ok(ArrayEnd::Eof(at));
        }
        // the cut element goes in front of the block just read
        let carry = &cur[resume.pos..];
        let carry_base = cur_base + resume.pos;
        elems.resume(resume);
        let start = if carry.len() <= pad {
            let start = pad - carry.len();
            spare[start..pad].copy_from_slice(carry);
            start
        } else {
            let mut joined = Vec::with_capacity(carry.len() + read_ahead.len());
            joined.extend_from_slice(carry);
            joined.extend_from_slice(read_ahead);
            pad = carry.len().saturating_mul(2).min(block).max(pad);
            spare = joined;
            0
        };
        std::mem::swap(buf, &mut spare);
        (*pos, *origin, *base) = (start, start, carry_base);
    }
}

/// The first byte at or after `pos` that is neither whitespace nor a comma.
fn skip_separators(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && (json_scan::is_ws(b[pos]) || b[pos] == b',') {
        pos += 1;
    }
    pos
}
