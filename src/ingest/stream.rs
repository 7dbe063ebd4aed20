//! Large line-oriented logs read block by block instead of whole.
//!
//! Why: a probe or access log of a gigabyte read whole is a gigabyte of
//! fresh memory to fault in and zero before a line is parsed, on top of
//! the records it becomes; on the project's VMs that faulting costs about
//! as much as the parsing. Reading into two reused blocks keeps the file's
//! footprint at a few megabytes, and the next block is read while the
//! current one is parsed (the HAR reader does the same, `har.rs`).
//!
//! Only formats whose lines are independent stream: each block is handed
//! to the format's own reader as if it were a file, with the line numbers
//! it really has (`IngestOptions::line_base`), so records, rejections and
//! their line numbers are the same as a whole-file read. Formats that
//! carry state from one line to the next (a CSV header, IIS `#Fields:`
//! directives, k6 points joined into requests) are read whole.

use super::{FormatSpec, IngestOptions, InputFile, Parsed};
use crate::model::{FileId, InputReport, Records};
use std::io::Read;

/// Formats whose records each come from one line, with no state between
/// lines: safe to hand to their reader a block at a time.
pub const STREAMABLE: [&str; 2] = ["probe-jsonl", "access-log"];

/// Bytes read at a time (plus the partial line carried over).
pub const STREAM_BLOCK_BYTES: usize = 16 << 20;

/// Whether `spec` may be read with [`parse_lines_stream`].
pub fn streamable(spec: &FormatSpec) -> bool {
    STREAMABLE.contains(&spec.name)
}

/// Read a line-oriented file of format `spec` from `r` in blocks of about
/// `block` bytes; the result is what `(spec.parse)` gives on the whole file.
/// A read error keeps the records before it and becomes a warning.
pub fn parse_lines_stream<R: Read + Send>(
    file: InputFile,
    spec: &FormatSpec,
    mut r: R,
    opts: &IngestOptions,
    block: usize,
) -> Parsed {
    let block = block.max(1);
    // a few chunks per block, so that a block is parsed on all cores
    let chunk = (block / 4).clamp(1, super::lines::CHUNK_BYTES);
    let mut read_err: Option<(usize, String)> = None;
    let mut consumed = 0usize; // file offset of the block's first byte
    let mut fill = |buf: &mut Vec<u8>, at: usize, err: &mut Option<(usize, String)>| -> bool {
        // true at end of input; reads into spare capacity without zeroing
        if err.is_some() {
            return true;
        }
        buf.reserve(block);
        match (&mut r).take(block as u64).read_to_end(buf) {
            Ok(k) => k < block,
            Err(e) => {
                *err = Some((at + buf.len(), e.to_string()));
                true
            }
        }
    };
    let mut out = Parsed::default();
    // per-file summaries the reader words as "<count> <what>", summed
    let mut summaries: Vec<(String, u64)> = Vec::new();
    // the previous block's records, appended to `out.records` while the
    // next block is parsed
    let mut pending: Vec<Records> = Vec::new();
    let mut cur = file;
    let mut spare: Vec<u8> = Vec::new();
    let mut pieces: Vec<InputFile> = Vec::new();
    let mut eof = fill(&mut cur.bytes, 0, &mut read_err);
    let mut o = opts.clone();
    // bytes of the current buffer known to hold no newline (a line longer
    // than a block is searched once, not once per block read)
    let mut scanned = 0usize;
    let mut dropped: Option<usize> = None;
    loop {
        // complete lines only, unless this is the end of a good read
        let cut = match memchr::memrchr(b'\n', &cur.bytes[scanned..]) {
            _ if eof && read_err.is_none() => cur.bytes.len(),
            Some(i) => scanned + i + 1,
            None if eof => 0,
            None if cur.bytes.len() > o.max_record_bytes().saturating_add(4) => {
                // a line longer than any record may be (even without its
                // BOM and `\r`): measured, not kept, so a line of gigabytes
                // costs a block of memory, and rejected as the whole-file
                // reader rejects it
                let line = o.line_base + 1;
                let start = consumed;
                let bom = line == 1 && cur.bytes.starts_with(b"\xEF\xBB\xBF");
                let mut len = cur.bytes.len();
                let mut last_byte = cur.bytes[len - 1];
                let ended = loop {
                    cur.bytes.clear();
                    eof = fill(&mut cur.bytes, start + len, &mut read_err);
                    if let Some(k) = memchr::memchr(b'\n', &cur.bytes) {
                        if k > 0 {
                            last_byte = cur.bytes[k - 1];
                        }
                        len += k;
                        cur.bytes.drain(..=k);
                        break true;
                    }
                    if let Some(&b) = cur.bytes.last() {
                        last_byte = b;
                    }
                    len += cur.bytes.len();
                    if eof {
                        cur.bytes.clear();
                        break false;
                    }
                };
                if !ended && read_err.is_some() {
                    // cut short by a read error: not read as a line
                    dropped = Some(start);
                } else {
                    let shown = len - usize::from(last_byte == b'\r') - if bom { 3 } else { 0 };
                    out.report.reject(
                        crate::model::SourceRef::line(cur.id, line),
                        super::lines::too_long(shown, o.max_record_bytes()),
                    );
                }
                consumed = start + len + usize::from(ended);
                o.line_base += 1;
                scanned = 0;
                continue;
            }
            None => {
                // one line longer than the block: read on
                scanned = cur.bytes.len();
                eof = fill(&mut cur.bytes, consumed, &mut read_err);
                continue;
            }
        };
        scanned = 0;
        if eof && cut < cur.bytes.len() {
            // a read error cut the last line short: not parsed as a line
            dropped = Some(consumed + cut);
        }
        spare.clear();
        if !eof {
            spare.extend_from_slice(&cur.bytes[cut..]);
        }
        cur.bytes.truncate(cut);
        let next_at = consumed + cut;
        let last = eof;
        let records = &mut out.records;
        let (block_parts, (lines, next_eof)) = rayon::join(
            || parse_block(&cur, spec, &o, chunk, &mut pieces),
            || {
                for part in pending.drain(..) {
                    records.append(part);
                }
                let lines = memchr::memchr_iter(b'\n', &cur.bytes).count() as u64;
                let e = !last && fill(&mut spare, next_at, &mut read_err);
                (lines, e)
            },
        );
        for part in block_parts {
            pending.push(merge(&mut out.report, part, &mut summaries));
        }
        if last {
            break;
        }
        eof = next_eof;
        o.line_base += lines;
        consumed = next_at;
        std::mem::swap(&mut cur.bytes, &mut spare);
    }
    for part in pending {
        out.records.append(part);
    }
    for (what, n) in summaries {
        out.report.warnings.push(format!("{n} {what}"));
    }
    if let Some((at, e)) = read_err {
        let tail = dropped.map_or(String::new(), |d| {
            format!("; the unfinished line from byte {d} on is not read")
        });
        out.report
            .warnings
            .push(format!("read error at byte {at}: {e}{tail}"));
    }
    out.report.format = spec.name.to_string();
    out.report.path = cur.path;
    out.report.vantage = cur.vantage;
    out
}

/// One block, cut into the line reader's chunks, each parsed on its own
/// (on all cores) as a file of one chunk with its true line numbers. Each
/// chunk's records stay in the vectors they were built in until they are
/// appended to the file's, while the next block is parsed: handing the
/// reader the whole block would merge its chunks into one more copy of
/// every record first, and keeping every block's vectors to the end made
/// the final concatenation a second copy of all records into fresh memory.
/// `pieces` are the chunk buffers, reused from block to block.
fn parse_block(
    cur: &InputFile,
    spec: &FormatSpec,
    opts: &IngestOptions,
    chunk: usize,
    pieces: &mut Vec<InputFile>,
) -> Vec<Parsed> {
    use rayon::prelude::*;
    let chunks = super::lines::split_chunks(&cur.bytes, chunk);
    while pieces.len() < chunks.len() {
        pieces.push(empty_file(cur.id, cur.path.clone(), cur.vantage.clone()));
    }
    pieces[..chunks.len()]
        .par_iter_mut()
        .zip(chunks.par_iter())
        .map(|(f, c)| {
            f.bytes.clear();
            f.bytes.extend_from_slice(c.data);
            let o = IngestOptions {
                line_base: opts.line_base + c.first_line - 1,
                ..opts.clone()
            };
            (spec.parse)(f, &o)
        })
        .collect()
}

/// Add one block's account to the file's; its records are returned.
///
/// A warning that starts with a count ("2 access-log line(s) end inside
/// a quoted field ...") is the reader's summary of the file it was given:
/// read a chunk at a time, each chunk gives its own. Those are summed into
/// `summaries` and put last, where the whole-file reader puts its one
/// summary, so the streamed report is the whole-file report (found by the
/// `log_stream` fuzz target: "1 ..." twice where the whole file said
/// "2 ...").
fn merge(into: &mut InputReport, mut part: Parsed, summaries: &mut Vec<(String, u64)>) -> Records {
    let (first, last) = (part.report.first_ts, part.report.last_ts);
    part.report.warnings.retain(|w| {
        let Some((n, what)) = count_prefixed(w) else {
            return true;
        };
        match summaries.iter_mut().find(|(s, _)| s == what) {
            Some((_, total)) => *total += n,
            None => summaries.push((what.to_string(), n)),
        }
        false
    });
    super::lines::merge_report(into, part.report);
    for t in [first, last].into_iter().flatten() {
        into.see_ts(t);
    }
    part.records
}

/// `"12 lines were ..."` -> `(12, "lines were ...")`.
fn count_prefixed(w: &str) -> Option<(u64, &str)> {
    let (n, what) = w.split_once(' ')?;
    Some((n.parse().ok()?, what))
}

/// An empty input file for [`parse_lines_stream`] to fill.
pub fn empty_file(id: FileId, path: String, vantage: Option<String>) -> InputFile {
    InputFile {
        id,
        path,
        vantage,
        bytes: Vec::new(),
        read_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest;

    fn whole_and_streamed(text: &str, block: usize) -> (Parsed, Parsed) {
        let f = InputFile::from_bytes(3, "log", text);
        let whole = ingest::parse_file(&f, &IngestOptions::default());
        let spec = ingest::detect(text.as_bytes()).expect("detected");
        let s = parse_lines_stream(
            empty_file(3, "log".into(), None),
            spec,
            text.as_bytes(),
            &IngestOptions::default(),
            block,
        );
        (whole, s)
    }

    fn same(a: &Parsed, b: &Parsed) {
        assert_eq!(format!("{:?}", a.records), format!("{:?}", b.records));
        assert_eq!(format!("{:?}", a.report), format!("{:?}", b.report));
    }

    #[test]
    fn probe_and_access_logs_stream_to_the_whole_file_result() {
        let mut probe = String::from("\u{feff}");
        let mut access = String::new();
        for i in 0..300 {
            if i % 37 == 5 {
                probe.push_str("{not json\n");
                access.push_str("garbage line\n");
            }
            if i % 50 == 7 {
                probe.push('\n');
            }
            probe.push_str(&format!(
                "{{\"ts\":{},\"agent\":\"a{}\",\"region\":\"eu\",\"type\":\"http\",\"target\":\"https://x.example.com/api/{i}\",\"status\":{},\"total_ms\":{}.5}}\r\n",
                1_738_836_000 + i,
                i % 3,
                if i % 11 == 0 { 503 } else { 200 },
                i
            ));
            access.push_str(&format!(
                "10.0.0.{} - - [06/Feb/2025:10:{:02}:{:02} +0000] \"GET /api/v1/items/{i}?t=1 HTTP/1.1\" {} 512 \"-\" \"curl/8\" 0.{:03} 0.{:03}\n",
                i % 250,
                i / 60,
                i % 60,
                if i % 13 == 0 { 502 } else { 200 },
                i,
                i
            ));
        }
        // no newline at the end of the probe log
        probe.pop();
        probe.pop();
        for text in [&probe, &access] {
            for block in [1, 7, 64, 1000, 1 << 20] {
                let (w, s) = whole_and_streamed(text, block);
                assert!(w.report.records > 250, "{:?}", w.report);
                assert!(w.report.bad_records > 0);
                same(&w, &s);
            }
        }
    }

    /// A line longer than the record limit is measured, not held, and
    /// rejected as the whole-file reader rejects it: same line number,
    /// same length (without BOM and `\r`), wherever the blocks fall.
    #[test]
    fn a_line_over_the_limit_is_rejected_as_the_whole_file_reader_does() {
        let opts = IngestOptions {
            max_record_bytes: 100,
            ..Default::default()
        };
        let ok = "{\"ts\":1738836000,\"type\":\"http\",\"target\":\"https://x.example.com/\",\"status\":200}";
        let long = format!("{{\"ts\":1738836000,\"target\":\"{}\"}}", "x".repeat(300));
        let texts = [
            format!("{ok}\n{long}\n{ok}\n"),
            format!("\u{feff}{long}\r\n{ok}\n{long}"),
            format!("{ok}\n{long}\r"),
            format!("{long}\n\n{long}\n{ok}"),
        ];
        for text in &texts {
            let f = InputFile::from_bytes(3, "log", text.as_str());
            let spec = ingest::detect(ok.as_bytes()).expect("detected");
            let whole = ingest::parse_file_as(&f, &opts, spec.name);
            assert!(whole.report.bad_records >= 1, "{:?}", whole.report);
            for block in [1, 7, 64, 99, 100, 101, 104, 105, 300, 1 << 20] {
                let mut s = parse_lines_stream(
                    empty_file(3, "log".into(), None),
                    spec,
                    text.as_bytes(),
                    &opts,
                    block,
                );
                s.report.path = whole.report.path.clone();
                same(&whole, &s);
            }
        }
    }

    #[test]
    fn a_read_error_keeps_what_came_before() {
        struct Failing<'a>(&'a [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "{\"ts\":1738836000,\"type\":\"http\",\"target\":\"https://x.example.com/\",\"status\":200}\n".repeat(10);
        let spec = ingest::detect(text.as_bytes()).unwrap();
        let p = parse_lines_stream(
            empty_file(0, "f".into(), None),
            spec,
            Failing(text.as_bytes()),
            &IngestOptions::default(),
            100,
        );
        assert_eq!(p.report.records, 10);
        assert_eq!(p.records.probes.len(), 10);
        assert_eq!(p.report.bad_records, 0);
        // the error in the middle of a line: that line is not read
        let cut = &text.as_bytes()[..text.len() - 20];
        let p = parse_lines_stream(
            empty_file(0, "f".into(), None),
            spec,
            Failing(cut),
            &IngestOptions::default(),
            100,
        );
        assert_eq!((p.report.records, p.report.bad_records), (9, 0));
        assert!(
            p.report.warnings[0].contains("unfinished line"),
            "{:?}",
            p.report.warnings
        );
        assert!(
            p.report.warnings.iter().any(|w| w.contains("disk gone")),
            "{:?}",
            p.report.warnings
        );
    }
}
