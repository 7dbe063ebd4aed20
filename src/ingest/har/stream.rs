//! The HAR reader of a byte stream (stdin, a gunzipped file, a file that
//! cannot be mapped): bounded memory, block k parsed while block k+1 is
//! read.

use super::blocks::{BlockEnd, Damage, Entries, Tail, finish_stream, truncated};
use super::in_memory::parse_har_bytes;
use crate::ingest::json_scan;
use crate::ingest::{IngestOptions, Parsed};
use crate::model::FileId;
use std::io::Read;

/// Bytes read from the input at a time by [`parse_har_reader`].
pub const STREAM_BLOCK_BYTES: usize = 8 << 20;

/// Parse a HAR from a reader without holding the whole file: the head up
/// to `log.entries` is kept, then complete entries are cut from each block
/// read, parsed in parallel and their bytes dropped; what follows the
/// entries array (usually `pages` in some exporters) is kept and scanned
/// with the head. Peak memory is about one block plus the largest entry
/// plus the records, instead of the whole file. Results are identical to
/// [`parse_har_bytes`] (same records, warnings and offsets).
pub fn parse_har_reader<R: Read + Send>(
    id: FileId,
    vantage: Option<String>,
    r: R,
    opts: &IngestOptions,
) -> Parsed {
    parse_har_reader_blocks(id, vantage, r, opts, STREAM_BLOCK_BYTES)
}

/// [`parse_har_reader`] with a chosen block size (tests use tiny blocks to
/// exercise entries that straddle blocks).
pub fn parse_har_reader_blocks<R: Read + Send>(
    id: FileId,
    vantage: Option<String>,
    mut r: R,
    opts: &IngestOptions,
    block: usize,
) -> Parsed {
    let block = block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut eof = false;
    let mut read_err: Option<String> = None;
    let mut fill = |buf: &mut Vec<u8>, eof: &mut bool, read_err: &mut Option<String>| {
        // `read_to_end` on a `Take` reads into spare capacity without
        // zeroing it first (zeroing 8 MiB per block was 4 % of a run)
        let want = block as u64;
        buf.reserve(block);
        match (&mut r).take(want).read_to_end(buf) {
            Ok(k) if (k as u64) < want => *eof = true,
            Ok(_) => {}
            Err(e) => {
                *read_err = Some(e.to_string());
                *eof = true;
            }
        }
    };
    // 1. The head, up to and including the `[` of log.entries.
    let open = loop {
        fill(&mut buf, &mut eof, &mut read_err);
        let l = json_scan::scan_har(&buf);
        if let Some(o) = l.entries_open {
            break o;
        }
        // A verdict on the head is final once the BOM / JSONP prefix can no
        // longer be cut (4 KiB in); before that, read on.
        if eof || (l.truncated_at.is_none() && buf.len() >= 4096) {
            // Whole document in memory (or no entries array): plain path.
            let mut p = parse_har_bytes(id, vantage, &buf, opts);
            if let Some(e) = read_err {
                p.report
                    .warnings
                    .push(format!("read error at byte {}: {e}", buf.len()));
            }
            return p;
        }
    };
    let head: Vec<u8> = buf[..=open].to_vec();
    let mut entries = Entries::new(id, &vantage, opts, block);
    // the entries start after the `[`: `buf[start..]` is the unparsed
    // input, `base` its file offset
    let mut start = open + 1;
    let mut base = open + 1;
    // Room kept in front of the next block for the entry cut at the end of
    // this one: the block is read while this one is parsed, before the
    // cut is known; an entry longer than the room is copied the slow way.
    let mut pad = block.min(64 << 10);
    let mut spare: Vec<u8> = Vec::new();
    // 2. Entries, block by block: block k is parsed while block k+1 is read.
    let (damage, tail): (Damage, Tail) = loop {
        let cur = &buf[start..];
        let last = eof;
        let end = if last {
            entries.block(cur, base)
        } else {
            spare.clear();
            spare.resize(pad, 0);
            rayon::join(
                || entries.block(cur, base),
                || fill(&mut spare, &mut eof, &mut read_err),
            )
            .0
        };
        let read_ahead = if last { &[][..] } else { &spare[pad..] };
        let resume = match end {
            BlockEnd::Resume(a) => a,
            BlockEnd::Closed(p) => {
                let mut tail = cur[p..].to_vec();
                tail.extend_from_slice(read_ahead);
                break (None, Some((base + p, tail)));
            }
            BlockEnd::Damage(off, why) => break (Some((off, why)), None),
        };
        if last {
            break (truncated(base + cur.len()), None);
        }
        // the cut entry goes in front of the block just read
        let carry = &cur[resume.pos..];
        base += resume.pos;
        entries.resume(resume);
        if carry.len() <= pad {
            start = pad - carry.len();
            spare[start..pad].copy_from_slice(carry);
        } else {
            let mut joined = Vec::with_capacity(carry.len() + read_ahead.len());
            joined.extend_from_slice(carry);
            joined.extend_from_slice(read_ahead);
            pad = carry.len().saturating_mul(2).min(block).max(pad);
            spare = joined;
            start = 0;
        }
        std::mem::swap(&mut buf, &mut spare);
    };
    drop(spare);
    let tail = tail.map(|(tail_start, mut tail)| {
        drop(buf);
        while !eof {
            let mut more = Vec::new();
            fill(&mut more, &mut eof, &mut read_err);
            tail.extend_from_slice(&more);
        }
        (tail_start, tail)
    });
    finish_stream(id, &vantage, &head, entries.outs, damage, tail, read_err)
}
