//! The entries array parsed a block at a time, on all cores, without a
//! separate structural scan.
//!
//! Why: a large HAR should be walked once. Each block is cut into parts at
//! guessed entry starts and serde_json itself finds where each entry ends,
//! part by part; the merge keeps a part only where the part before it ended
//! exactly at its start ([`parse_block`]), so a wrong guess costs a parse,
//! never a wrong record. Both the streaming reader ([`super::stream`]) and
//! the mapped one ([`super::mmap`]) feed blocks here and end in
//! [`finish_stream`].

use super::assemble::{EntriesState, assemble, damage_account};
use super::entry::{EntryOut, convert_entry, read_entry, too_big};
use super::schema::Entry;
use crate::ingest::json_scan;
use crate::ingest::{IngestOptions, Parsed};
use crate::model::{FileId, InputReport, SourceRef};
use rayon::prelude::*;

/// Where the parse of the entries array stands in a buffer: at `pos`,
/// expecting a value (after `[` or `,`) or else a separator.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    pub(super) pos: usize,
    expect_value: bool,
    /// No entry yet: `]` may close the array at once.
    first: bool,
}

/// How a [`parse_run`] ended.
pub(super) enum RunEnd {
    /// At a value that starts at or past the run's limit.
    Limit(usize),
    /// The buffer ran out: the parse resumes here once more bytes are in.
    More(At),
    /// The entries array closed; the offset just after its `]`.
    Closed(usize),
    /// Structural damage: file offset and message.
    Damage(usize, String),
}

/// How the parse of a whole block ended, for the loop that feeds blocks.
pub(super) enum BlockEnd {
    /// The block ran out: the next block starts with the bytes from here.
    Resume(At),
    /// The entries array closed; the offset just after its `]`.
    Closed(usize),
    /// Structural damage: file offset and message.
    Damage(usize, String),
}

/// The damage of input that ends at file offset `at` inside the entries.
pub(super) fn truncated(at: usize) -> Damage {
    Some((at, format!("truncated at byte {at}")))
}

/// An entry as a run leaves it: the record with a provisional index, or
/// (file offset, why); both are numbered when the runs are merged.
pub(super) type RunOut = Result<EntryOut, (usize, String)>;

pub(super) struct Run {
    outs: Vec<RunOut>,
    end: RunEnd,
}

/// What every run over one file shares.
pub(super) struct RunCtx<'v> {
    id: FileId,
    vantage: &'v Option<String>,
    max: usize,
}

/// Entries from `at` on, each deserialized straight from the buffer:
/// serde_json finds where an entry ends, so no separate scan walks the
/// bytes (bodies included) a second time. An entry serde rejects is
/// measured by the structural scan instead and rejected with serde's
/// reason, as [`parse_entries`] does. Stops at the first value that starts
/// at or past `limit`, `base` is the file offset of `buf[0]`.
pub(super) fn parse_run(ctx: &RunCtx, buf: &[u8], base: usize, mut at: At, limit: usize) -> Run {
    let mut outs = Vec::new();
    let mut stack = Vec::new();
    // The run's own part is checked as UTF-8 in one SIMD pass: entries
    // wholly inside it are parsed from `&str`, and serde_json checks no
    // string again. The entry that runs past the part, and any entry after
    // invalid UTF-8, are parsed from bytes (same records, same errors).
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
        if i >= buf.len() {
            break RunEnd::More(at);
        }
        if !at.expect_value {
            match buf[i] {
                b',' => {
                    at.pos = i + 1;
                    at.expect_value = true;
                    continue;
                }
                b']' => break RunEnd::Closed(i + 1),
                _ => {
                    let off = base + i;
                    break RunEnd::Damage(
                        off,
                        format!("corrupt JSON at byte {off}: expected ',' or ']' in an array"),
                    );
                }
            }
        }
        if at.first && buf[i] == b']' {
            break RunEnd::Closed(i + 1);
        }
        if i >= limit {
            break RunEnd::Limit(i);
        }
        let mut whole: Option<(usize, Entry)> = None;
        if let Some(t) = text.get(i - text_base..) {
            let mut it = serde_json::Deserializer::from_str(t).into_iter::<Entry>();
            if let Some(Ok(e)) = it.next() {
                whole = Some((i + it.byte_offset(), e));
            }
        }
        let mut it = serde_json::Deserializer::from_slice(&buf[i..]).into_iter::<Entry>();
        let parsed = match whole {
            Some((end, e)) => Some(Ok((end, e))),
            None => it.next().map(|r| r.map(|e| (i + it.byte_offset(), e))),
        };
        let (end, out) = match parsed {
            Some(Ok((end, e))) => {
                let raw = &buf[i..end];
                let out = if raw.len() > ctx.max {
                    Err((base + i, too_big(raw.len())))
                } else {
                    convert_entry(e, raw, SourceRef::entry(ctx.id, 0), ctx.vantage)
                        .map_err(|why| (base + i, why))
                };
                (end, out)
            }
            // serde's reason read from the rest of the buffer is not
            // kept: the entry is measured and read again from its own
            // bytes, as the in-memory reader reads it
            Some(Err(_)) => match json_scan::skip_value(buf, i, &mut stack) {
                Ok(end) => {
                    let src = SourceRef::entry(ctx.id, 0);
                    let out = read_entry(&buf[i..end], src, ctx.vantage, ctx.max)
                        .map_err(|why| (base + i, why));
                    (end, out)
                }
                Err(json_scan::Stop::Eof) => break RunEnd::More(At { pos: i, ..at }),
                Err(json_scan::Stop::Bad(b, msg)) => {
                    let off = base + b;
                    break RunEnd::Damage(off, format!("corrupt JSON at byte {off}: {msg}"));
                }
            },
            None => break RunEnd::More(At { pos: i, ..at }),
        };
        outs.push(out);
        at = At {
            pos: end,
            expect_value: false,
            first: false,
        };
    };
    Run { outs, end }
}

/// The bytes an entry starts with, from the first entry: its `{`, the
/// whitespace after it and its first key, quoted. Later entries are
/// guessed where these bytes occur: a `"` right after `{` and whitespace
/// cannot be inside a string in valid JSON, so a match is an object that
/// starts with that key (an entry, or now and then an object nested in
/// one, which the merge in [`parse_block`] catches).
pub(super) fn signature(buf: &[u8], pos: usize) -> Option<memchr::memmem::Finder<'static>> {
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

/// The entries of `buf` from `at` on, on all cores. The buffer is cut
/// into parts of about `part_bytes` at guessed entry starts (`sig`), each
/// part is parsed by its own [`parse_run`], and the runs are merged in
/// order: a run counts only when the run before it stopped exactly where
/// it starts, so a wrong guess costs a parse, never a wrong record.
/// Records and rejections are appended to `outs`, numbered in file order.
pub(super) fn parse_block(
    ctx: &RunCtx,
    buf: &[u8],
    base: usize,
    at: At,
    sig: Option<&memchr::memmem::Finder>,
    part_bytes: usize,
    outs: &mut Vec<Result<EntryOut, String>>,
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
    let guessed = |k: usize| At {
        pos: starts[k],
        expect_value: true,
        first: false,
    };
    let runs: Vec<Run> = (0..starts.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|k| {
            parse_run(
                ctx,
                buf,
                base,
                if k == 0 { at } else { guessed(k) },
                limit(k),
            )
        })
        .collect();
    let mut runs = runs.into_iter();
    let mut run = runs.next().expect("a block has one run at least");
    let mut k = 0;
    loop {
        for o in run.outs {
            let i = outs.len();
            outs.push(match o {
                Ok(mut e) => {
                    e.request.source.n = i as u64;
                    Ok(e)
                }
                Err((off, why)) => Err(format!("entry {i} at byte {off}: {why}")),
            });
        }
        let p = match run.end {
            RunEnd::Limit(p) => p,
            RunEnd::More(a) => return BlockEnd::Resume(a),
            RunEnd::Closed(p) => return BlockEnd::Closed(p),
            RunEnd::Damage(off, why) => return BlockEnd::Damage(off, why),
        };
        k += 1;
        run = match runs.next() {
            Some(r) if starts[k] == p => r,
            // a wrong guess: parse on from where the last run stopped
            _ => parse_run(
                ctx,
                buf,
                base,
                At {
                    pos: p,
                    expect_value: true,
                    first: false,
                },
                limit(k),
            ),
        };
    }
}

/// The parse of the entries array from one block (or window) to the
/// next: the state both streaming readers carry across blocks.
pub(super) struct Entries<'v> {
    ctx: RunCtx<'v>,
    part_bytes: usize,
    /// The parse state at the start of the next block.
    at: At,
    /// Guessed entry starts (from the first entry, once it is seen).
    sig: Option<memchr::memmem::Finder<'static>>,
    pub(super) outs: Vec<Result<EntryOut, String>>,
}

impl<'v> Entries<'v> {
    /// Just after the `[` of the entries array; blocks of `block` bytes.
    pub(super) fn new(
        id: FileId,
        vantage: &'v Option<String>,
        opts: &IngestOptions,
        block: usize,
    ) -> Self {
        Entries {
            ctx: RunCtx {
                id,
                vantage,
                max: opts.max_record_bytes(),
            },
            part_bytes: (block / 16).max(1),
            at: At {
                pos: 0,
                expect_value: true,
                first: true,
            },
            sig: None,
            outs: Vec::new(),
        }
    }

    /// Parse `cur` (file offset `base`) from the current state on.
    pub(super) fn block(&mut self, cur: &[u8], base: usize) -> BlockEnd {
        if self.sig.is_none() && self.at.first {
            self.sig = signature(cur, self.at.pos);
        }
        let (ctx, sig) = (&self.ctx, self.sig.as_ref());
        parse_block(
            ctx,
            cur,
            base,
            self.at,
            sig,
            self.part_bytes,
            &mut self.outs,
        )
    }

    /// The next block starts with the bytes from `a`.
    pub(super) fn resume(&mut self, a: At) {
        self.at = At { pos: 0, ..a };
    }
}

/// The first damage in a file: offset and message.
pub(super) type Damage = Option<(usize, String)>;
/// What follows the entries array once it closed: file offset and bytes.
pub(super) type Tail = Option<(usize, Vec<u8>)>;

/// The end of a streamed read: the pages, from the head and the bytes
/// after the entries array (scanned together), then records and report.
/// `tail` is the file offset and bytes of everything after the array's
/// `]`, when it closed.
pub(super) fn finish_stream(
    id: FileId,
    vantage: &Option<String>,
    head: &[u8],
    outs: Vec<Result<EntryOut, String>>,
    mut damage: Damage,
    tail: Tail,
    read_err: Option<String>,
) -> Parsed {
    let closed = tail.is_some();
    let count = outs.len();
    // 3. The tail after the entries array: scanned with the head.
    let pages_owned: Vec<(usize, Vec<u8>)>;
    if let Some((tail_start, tail)) = tail {
        let mut skel = head.to_vec();
        skel.push(b']');
        let tail_in_skel = skel.len();
        skel.extend_from_slice(&tail);
        let to_file = |o: usize| {
            if o >= tail_in_skel {
                o - tail_in_skel + tail_start
            } else {
                o
            }
        };
        let l = json_scan::scan_har(&skel);
        pages_owned = l
            .pages
            .iter()
            .map(|r| (to_file(r.start), skel[r.clone()].to_vec()))
            .collect();
        damage = match (&l.error, l.truncated_at) {
            (Some((at, msg)), _) => {
                let at = to_file(*at);
                Some((at, format!("corrupt JSON at byte {at}: {msg}")))
            }
            (None, Some(_)) => {
                let at = tail_start + tail.len();
                Some((at, format!("truncated at byte {at}")))
            }
            _ => None,
        };
    } else {
        // Damaged inside the entries: pages can only come from the head.
        let l = json_scan::scan_har(head);
        pages_owned = l
            .pages
            .iter()
            .map(|r| (r.start, head[r.clone()].to_vec()))
            .collect();
    }
    let mut report = InputReport {
        format: "har".to_string(),
        ..Default::default()
    };
    let pages: Vec<(usize, &[u8])> = pages_owned.iter().map(|(a, b)| (*a, &b[..])).collect();
    let records = assemble(id, vantage, &mut report, &pages, outs);
    damage_account(
        id,
        &mut report,
        damage,
        EntriesState {
            count,
            opened: true,
            closed,
        },
    );
    if let Some(e) = read_err {
        report.warnings.push(format!("read error: {e}"));
    }
    Parsed { records, report }
}
