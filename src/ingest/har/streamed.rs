//! What the two streamed readers ([`super::stream`], [`super::mmap`])
//! share: the reader's side of the one HAR walk ([`super::walk`]), each
//! entry into a record, and the end of a streamed read.
//!
//! Why apart from the walk: the walk knows arrays and bytes, and serves
//! `sanitize` too; numbering entries, wording their rejections and
//! resolving pages from the head and tail are the reader's, and must come
//! out exactly as the in-memory reader's.

use super::assemble::{EntriesState, assemble, damage_account};
use super::entry::{EntryOut, convert_entry, read_entry, too_big};
use super::schema::Entry;
use super::walk::{ArrayEnd, BlockEnd, Element, Elements, Found, Input, walk_array};
use crate::ingest::json_scan;
use crate::ingest::{IngestOptions, Parsed};
use crate::model::{FileId, InputReport, SourceRef};
use std::io::Read;

/// An entry into a record: the reader's action in the walk.
struct Reading<'v> {
    id: FileId,
    vantage: &'v Option<String>,
    max: usize,
}

impl Element for Reading<'_> {
    /// The record with a provisional index, or why it is rejected; both
    /// are numbered in file order by [`Entries::push`].
    type Out = Result<EntryOut, String>;
    type View<'a> = Entry<'a>;

    fn parsed(&self, e: Entry<'_>, raw: &[u8]) -> Self::Out {
        if raw.len() > self.max {
            Err(too_big(raw.len()))
        } else {
            convert_entry(e, raw, SourceRef::entry(self.id, 0), self.vantage)
        }
    }

    fn rejected(&self, raw: &[u8]) -> Self::Out {
        read_entry(raw, SourceRef::entry(self.id, 0), self.vantage, self.max)
    }
}

/// The message of structural damage at file offset `at`.
pub(super) fn corrupt(at: usize, why: &str) -> Damage {
    Some((at, format!("corrupt JSON at byte {at}: {why}")))
}

/// The damage of input that ends at file offset `at` inside the entries.
pub(super) fn truncated(at: usize) -> Damage {
    Some((at, format!("truncated at byte {at}")))
}

/// The entries array of one file, read block by block (or window by
/// window): the walk's state and the records so far.
pub(super) struct Entries<'v> {
    walk: Elements<Reading<'v>>,
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
        let el = Reading {
            id,
            vantage,
            max: opts.max_record_bytes(),
        };
        Entries {
            walk: Elements::new(el, block, false),
            outs: Vec::new(),
        }
    }

    /// Parse `cur` (file offset `base`) from the current state on.
    pub(super) fn block(&mut self, cur: &[u8], base: usize) -> BlockEnd {
        let outs = &mut self.outs;
        self.walk.block(cur, base, &mut |f| push(outs, f))
    }

    /// The next block starts with the bytes from `a`.
    pub(super) fn resume(&mut self, a: super::walk::At) {
        self.walk.resume(a);
    }

    /// The rest of the entries array, from `inp` (just after its `[`):
    /// the damage, or where the array closed.
    pub(super) fn stream<R: Read>(&mut self, inp: &mut Input<R>) -> Result<(), Damage> {
        let outs = &mut self.outs;
        let end = walk_array(inp, &mut self.walk, None, |found| {
            found.into_iter().for_each(|f| push(outs, f));
            Ok::<(), std::convert::Infallible>(())
        });
        match end {
            Ok(ArrayEnd::Closed(_)) => Ok(()),
            Ok(ArrayEnd::Damage(at, why)) => Err(corrupt(at, why)),
            // (no limit is held, so no `TooLarge`)
            Ok(ArrayEnd::Eof(at) | ArrayEnd::TooLarge(at)) => Err(truncated(at)),
            Err(never) => match never {},
        }
    }
}

/// Number an entry in file order; a rejection is worded with its index
/// and offset.
fn push(outs: &mut Vec<Result<EntryOut, String>>, f: Found<'_, Result<EntryOut, String>>) {
    let i = outs.len();
    outs.push(match f.out {
        Ok(mut e) => {
            e.request.source.n = i as u64;
            Ok(e)
        }
        Err(why) => Err(format!("entry {i} at byte {}: {why}", f.at)),
    });
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
