//! The HAR reader of a large file on disk, through a memory map of one
//! window at a time: the crate's one `unsafe` block.

use super::in_memory::parse_har_bytes;
use super::stream::parse_har_reader_blocks;
use super::streamed::{Damage, Entries, Tail, corrupt, finish_stream, truncated};
use super::walk::BlockEnd;
use crate::ingest::json_scan;
use crate::ingest::{IngestOptions, Parsed};
use crate::model::FileId;

/// Bytes mapped at a time by [`parse_har_file`].
pub const MAP_WINDOW_BYTES: usize = 8 << 20;

/// Parse a HAR file through a memory map of one window of it at a time.
/// Why: `read` copies every byte from the page cache into a buffer, and
/// on the 2-core benchmark VM that copy was a fifth of a run's CPU time; a
/// map hands the parser the page cache's own pages. One window is mapped
/// at a time (the next one starts where the last complete entry ended),
/// so resident memory stays about a window, not the file. Results are
/// identical to [`parse_har_bytes`]. Where the file cannot be mapped, or
/// the entries array does not start in the first window, it is read by
/// [`parse_har_reader`] instead.
///
/// A file that grows meanwhile is read to the length it had when the read
/// began. One that shrinks is read to its new end, with a warning, when
/// the cut comes between two windows (the length is looked at again
/// before each window is mapped). Caveat, as for every reader that maps
/// files: a cut that lands while a window past the new end is being
/// parsed (a few milliseconds per 8 MiB window) ends the process with
/// SIGBUS.
pub fn parse_har_file(
    id: FileId,
    vantage: Option<String>,
    file: &std::fs::File,
    opts: &IngestOptions,
) -> Parsed {
    parse_har_file_windows(id, vantage, file, opts, MAP_WINDOW_BYTES)
}

/// [`parse_har_file`] with a chosen window (tests use tiny ones).
pub fn parse_har_file_windows(
    id: FileId,
    vantage: Option<String>,
    file: &std::fs::File,
    opts: &IngestOptions,
    window: usize,
) -> Parsed {
    use std::io::{Seek, SeekFrom};
    let window = window.max(1);
    let fallback = |vantage: Option<String>| {
        let mut f = file;
        match f.seek(SeekFrom::Start(0)) {
            Ok(_) => parse_har_reader_blocks(id, vantage, f, opts, window),
            Err(e) => {
                let mut p = parse_har_bytes(id, vantage, &[], opts);
                p.report.warnings.push(format!("read error: {e}"));
                p
            }
        }
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len() as usize,
        _ => return fallback(vantage),
    };
    // SAFETY: the map is read-only and lives only while its window is
    // parsed; the one hazard, the file shrinking meanwhile, is the caveat
    // in the doc comment.
    let map = |off: usize, n: usize| unsafe {
        memmap2::MmapOptions::new()
            .offset(off as u64)
            .len(n)
            .map(file)
    };
    // 1. The head, up to and including the `[` of log.entries.
    let head_len = len.min(window.max(64 << 10));
    let Ok(first) = map(0, head_len) else {
        return fallback(vantage);
    };
    let Some(open) = json_scan::scan_har(&first).entries_open else {
        drop(first);
        return fallback(vantage);
    };
    let head: Vec<u8> = first[..=open].to_vec();
    drop(first);
    let mut entries = Entries::new(id, &vantage, opts, window);
    let mut read_err: Option<String> = None;
    // The file's length is looked at again before each window is mapped:
    // one cut short meanwhile by another process is read to its new end
    // (a mapped page past the end would raise SIGBUS when touched). It
    // can still strike while a window is being parsed: the caveat above.
    let mut len = len;
    let shrank = |len: &mut usize, read_err: &mut Option<String>| {
        if let Ok(m) = file.metadata()
            && (m.len() as usize) < *len
        {
            *len = m.len() as usize;
            *read_err = Some(format!("the file shrank to {len} bytes while it was read"));
        }
    };
    // `off`: file offset of the unparsed input
    let mut off = open + 1;
    let mut win = window;
    // 2. Entries, window by window.
    let (damage, tail): (Damage, Tail) = loop {
        shrank(&mut len, &mut read_err);
        if off > len {
            break (truncated(off), None);
        }
        let n = win.min(len - off);
        let m = if n == 0 {
            Ok(None)
        } else {
            map(off, n).map(Some)
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                read_err = Some(e.to_string());
                break (truncated(off), None);
            }
        };
        let cur: &[u8] = m.as_deref().unwrap_or(&[]);
        let resume = match entries.block(cur, off) {
            BlockEnd::Resume(a) => a,
            BlockEnd::Closed(gap) => {
                let p = gap.end + 1;
                let mut tail = cur[p..].to_vec();
                let rest = off + n;
                shrank(&mut len, &mut read_err);
                if rest < len {
                    match map(rest, len - rest) {
                        Ok(r) => tail.extend_from_slice(&r),
                        Err(e) => read_err = Some(e.to_string()),
                    }
                }
                break (None, Some((off + p, tail)));
            }
            BlockEnd::Damage(at, why) => break (corrupt(at, why), None),
        };
        if off + n == len {
            break (truncated(off + n), None);
        }
        // an entry longer than the window: map more of the file next time
        win = if resume.pos == 0 {
            win.saturating_mul(2)
        } else {
            window
        };
        off += resume.pos;
        entries.resume(resume);
    };
    finish_stream(id, &vantage, &head, entries.outs, damage, tail, read_err)
}
