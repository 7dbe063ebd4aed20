//! The HAR reader of a byte stream (stdin, a gunzipped file, a file that
//! cannot be mapped): bounded memory, block k parsed while block k+1 is
//! read.

use super::in_memory::parse_har_bytes;
use super::streamed::{Damage, Entries, Tail, finish_stream};
use super::walk::Input;
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
    r: R,
    opts: &IngestOptions,
    block: usize,
) -> Parsed {
    let block = block.max(1);
    let mut inp = Input::new(r, block);
    // 1. The head, up to and including the `[` of log.entries.
    let open = loop {
        inp.fill(block);
        let l = json_scan::scan_har(&inp.buf);
        if let Some(o) = l.entries_open {
            break o;
        }
        // A verdict on the head is final once the BOM / JSONP prefix can no
        // longer be cut (4 KiB in); before that, read on.
        if inp.eof || (l.truncated_at.is_none() && inp.buf.len() >= 4096) {
            // Whole document in memory (or no entries array): plain path.
            let mut p = parse_har_bytes(id, vantage, &inp.buf, opts);
            if let Some(e) = inp.error {
                p.report
                    .warnings
                    .push(format!("read error at byte {}: {e}", inp.buf.len()));
            }
            return p;
        }
    };
    let head: Vec<u8> = inp.buf[..=open].to_vec();
    inp.pos = open + 1;
    // 2. Entries, block by block: block k is parsed while block k+1 is read.
    let mut entries = Entries::new(id, &vantage, opts, block);
    let (damage, tail): (Damage, Tail) = match entries.stream(&mut inp) {
        Err(damage) => (damage, None),
        Ok(()) => {
            // 3. What follows the entries array, kept whole.
            let at = inp.offset();
            while inp.fill(block) {}
            inp.buf.drain(..inp.pos);
            (None, Some((at, std::mem::take(&mut inp.buf))))
        }
    };
    let read_err = inp.error.map(|e| e.to_string());
    finish_stream(id, &vantage, &head, entries.outs, damage, tail, read_err)
}
