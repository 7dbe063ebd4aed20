//! The reader of a HAR held whole in memory.
//!
//! The document is cut into entry ranges by the byte-level
//! [`json_scan`] (cheap: it only follows strings and brackets), then the
//! entries are deserialized on all cores. It is the reference the
//! streaming and mapped readers are held to.

use super::assemble::{EntriesState, assemble, damage_account};
use super::entry::{EntryOut, read_entry};
use crate::ingest::json_scan::{self, HarLayout};
use crate::ingest::{IngestOptions, Parsed};
use crate::model::{FileId, InputReport, LocKind, Records, SourceRef};
use rayon::prelude::*;
use std::ops::Range;

/// Parse a whole HAR held in memory: entries on all cores, pages after.
pub fn parse_har_bytes(
    id: FileId,
    vantage: Option<String>,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Parsed {
    let l = json_scan::scan_har(bytes);
    let mut report = InputReport {
        format: "har".to_string(),
        ..Default::default()
    };
    if l.log_open.is_none() {
        return not_a_har(id, &l, report);
    }
    let outs = parse_entries(
        id,
        &vantage,
        bytes,
        &l.entries,
        0,
        0,
        opts.max_record_bytes(),
    );
    let pages: Vec<(usize, &[u8])> = l
        .pages
        .iter()
        .map(|r| (r.start, &bytes[r.clone()]))
        .collect();
    let records = assemble(id, &vantage, &mut report, &pages, outs);
    let state = EntriesState {
        count: l.entries.len(),
        opened: l.entries_open.is_some(),
        closed: l.entries_array.is_some(),
    };
    damage_account(id, &mut report, damage_of(&l), state);
    Parsed { records, report }
}

/// (offset, message) of the first damage in a layout.
pub(super) fn damage_of(l: &HarLayout) -> Option<(usize, String)> {
    if let Some((at, msg)) = &l.error {
        Some((*at, format!("corrupt JSON at byte {at}: {msg}")))
    } else {
        l.truncated_at
            .map(|at| (at, format!("truncated at byte {at}")))
    }
}

/// A document with no `log` object: rejected as a whole, with the reason.
pub(super) fn not_a_har(id: FileId, l: &HarLayout, mut report: InputReport) -> Parsed {
    let reason = match damage_of(l) {
        Some((at, why)) => {
            report.reject(
                SourceRef {
                    file: id,
                    kind: LocKind::Byte,
                    n: at as u64,
                },
                why.clone(),
            );
            format!("{why}: no HAR log object before the damage")
        }
        None if l.root_not_object => {
            "valid JSON but not a HAR document (root is not an object)".to_string()
        }
        None => "valid JSON but not a HAR document (no log object)".to_string(),
    };
    report.skipped = Some(reason);
    Parsed {
        records: Records::default(),
        report,
    }
}

/// Deserialize entries on all cores; results in document order. `first`
/// is the index of the first range in the file, `base` the file offset of
/// `bytes[0]`.
pub(super) fn parse_entries(
    id: FileId,
    vantage: &Option<String>,
    bytes: &[u8],
    ranges: &[Range<usize>],
    first: usize,
    base: usize,
    max: usize,
) -> Vec<Result<EntryOut, String>> {
    ranges
        .par_iter()
        .enumerate()
        .with_min_len(8)
        .map(|(k, r)| {
            let i = first + k;
            let at = base + r.start;
            read_entry(
                &bytes[r.clone()],
                SourceRef::entry(id, i as u64),
                vantage,
                max,
            )
            .map_err(|why| format!("entry {i} at byte {at}: {why}"))
        })
        .collect()
}
