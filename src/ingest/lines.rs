//! Line-oriented files, parsed on all cores: the buffer is cut into chunks
//! on line boundaries, each chunk parsed by rayon with its true starting
//! line number, and partial results concatenated in chunk order so the
//! output is identical whatever the thread count.

use super::{IngestOptions, InputFile, Parsed};
use crate::model::{InputReport, Records, SourceRef};
use rayon::prelude::*;

/// What one line gave.
#[derive(Debug, Clone, PartialEq)]
pub enum LineOutcome {
    /// A record was pushed into the output.
    Record,
    /// Not a record and not an error (blank line, comment, directive, header).
    Skip,
    /// A bad line, with the reason.
    Reject(String),
}

impl LineOutcome {
    /// A line's record pushed into `into`, or the reason there is none.
    pub fn push<T>(built: Result<T, String>, into: &mut Vec<T>) -> LineOutcome {
        match built {
            Ok(r) => {
                into.push(r);
                LineOutcome::Record
            }
            Err(e) => LineOutcome::Reject(e),
        }
    }
}

/// A slice of the file starting at a line boundary.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    pub offset: usize,
    /// 1-based number of the chunk's first line.
    pub first_line: u64,
    pub data: &'a [u8],
}

/// Target chunk size: big enough to amortise task overhead.
pub const CHUNK_BYTES: usize = 4 << 20;

/// Cut `bytes` into chunks of about `target` bytes on `\n` boundaries.
pub fn split_chunks(bytes: &[u8], target: usize) -> Vec<Chunk<'_>> {
    let target = target.max(1);
    let mut bounds = vec![0usize];
    let mut pos = 0;
    while pos + target < bytes.len() {
        match memchr::memchr(b'\n', &bytes[pos + target..]) {
            Some(i) => {
                pos = pos + target + i + 1;
                if pos < bytes.len() {
                    bounds.push(pos);
                }
            }
            None => break,
        }
    }
    bounds.push(bytes.len());
    // line numbers: count newlines per chunk in parallel, then prefix-sum
    let counts: Vec<u64> = bounds
        .par_windows(2)
        .map(|w| memchr::memchr_iter(b'\n', &bytes[w[0]..w[1]]).count() as u64)
        .collect();
    let mut line = 1u64;
    let mut out = Vec::with_capacity(counts.len());
    for (i, w) in bounds.windows(2).enumerate() {
        out.push(Chunk {
            offset: w[0],
            first_line: line,
            data: &bytes[w[0]..w[1]],
        });
        line += counts[i];
    }
    out
}

/// Iterate the lines of a chunk as (line number, line without `\r\n`).
pub fn chunk_lines<'a>(c: &Chunk<'a>) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
    let data = c.data.strip_suffix(b"\n").unwrap_or(c.data);
    let first = c.first_line;
    data.split(|&b| b == b'\n')
        .enumerate()
        .map(move |(i, l)| (first + i as u64, l.strip_suffix(b"\r").unwrap_or(l)))
}

/// Parse a line-oriented file in parallel chunks. `parse` gets the line
/// (BOM stripped on line 1, `\r` stripped), where it is, and the output.
/// Lines over the configured size limit are rejected without being parsed;
/// blank lines are skipped.
pub fn parse_lines<F>(file: &InputFile, opts: &IngestOptions, parse: F) -> Parsed
where
    F: Fn(&[u8], SourceRef, &mut Records) -> LineOutcome + Sync,
{
    let parts = map_lines(
        file,
        opts,
        |_| Records::default(),
        |rec, line, at| parse(line, at, rec),
    );
    let mut out = Parsed::default();
    let mut records = Vec::with_capacity(parts.len());
    for (rec, rep) in parts {
        records.push(rec);
        merge_report(&mut out.report, rep);
    }
    // one allocation per vector instead of repeated doubling: readers of
    // large files produce millions of records
    out.records = Records::concat(records);
    out
}

/// Like [`parse_lines`] but each chunk carries its own state (a partial
/// join, the `#Fields:` in force, ...): `init` builds the state for a
/// chunk, `f` feeds it one line. Same size limit, BOM and blank-line rules;
/// returns the states and accounts in chunk (= line) order.
pub fn map_lines<S, I, F>(
    file: &InputFile,
    opts: &IngestOptions,
    init: I,
    f: F,
) -> Vec<(S, InputReport)>
where
    S: Send,
    I: Fn(&Chunk<'_>) -> S + Sync,
    F: Fn(&mut S, &[u8], SourceRef) -> LineOutcome + Sync,
{
    let limit = opts.max_record_bytes();
    let chunks = split_chunks(&file.bytes, CHUNK_BYTES);
    chunks
        .par_iter()
        .map(|c| {
            let mut state = init(c);
            let mut rep = InputReport::default();
            for (n, line) in chunk_lines(c) {
                let n = n + opts.line_base;
                let line = if n == 1 { super::strip_bom(line) } else { line };
                let at = SourceRef::line(file.id, n);
                if line.len() > limit {
                    rep.reject(at, too_long(line.len(), limit));
                    continue;
                }
                if line.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                match f(&mut state, line, at) {
                    LineOutcome::Record => rep.records += 1,
                    LineOutcome::Skip => {}
                    LineOutcome::Reject(why) => rep.reject(at, why),
                }
            }
            (state, rep)
        })
        .collect()
}

/// Why a line is rejected unread (one wording for the whole-file and the
/// streamed readers).
pub fn too_long(len: usize, limit: usize) -> String {
    format!("line of {len} bytes exceeds the {limit} byte limit")
}

/// Merge a chunk's account into the file's (rejections stay in line order).
pub fn merge_report(into: &mut InputReport, from: InputReport) {
    into.records += from.records;
    into.bad_records += from.bad_records;
    for r in from.rejections {
        if into.rejections.len() < crate::model::MAX_REJECTIONS_KEPT {
            into.rejections.push(r);
        }
    }
    into.warnings.extend(from.warnings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_with_right_line_numbers() {
        let text: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
        for target in [1, 7, 100, 5000, 1 << 20] {
            let chunks = split_chunks(text.as_bytes(), target);
            let mut seen = Vec::new();
            for c in &chunks {
                for (n, l) in chunk_lines(c) {
                    seen.push((n, String::from_utf8(l.to_vec()).unwrap()));
                }
            }
            assert_eq!(seen.len(), 1000, "target {target}");
            for (n, l) in seen {
                assert_eq!(l, format!("line {n}"));
            }
        }
    }

    #[test]
    fn no_trailing_newline_and_crlf() {
        let chunks = split_chunks(b"a\r\nb\r\nc", 2);
        let lines: Vec<(u64, Vec<u8>)> = chunks
            .iter()
            .flat_map(|c| {
                chunk_lines(c)
                    .map(|(n, l)| (n, l.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            lines,
            vec![(1, b"a".to_vec()), (2, b"b".to_vec()), (3, b"c".to_vec())]
        );
    }
}
