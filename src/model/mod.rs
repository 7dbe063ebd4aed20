//! The normalized records every later stage reads.
//!
//! Every input format (HAR, probe logs, access logs, change logs, ...) is
//! reduced to these few plain types so that windows, detectors and the
//! verdict never need to know where a number came from, except through
//! [`SourceRef`], which lets every finding point back to a file and a line
//! or HAR entry. Units are carried in field names; times are UTC.
//!
//! The types live by what they are: `record` holds the records themselves,
//! `input` each file's account (what it yielded, rejected, warned about),
//! `finalize` the cross-file pass (party assignment, deterministic order),
//! `named` the names the exported tables store the enums by, `site` what
//! is inferred about the site under investigation.

pub use crate::sym::Sym;
pub mod bins;
mod finalize;
mod input;
mod named;
mod record;
pub mod site;

pub use finalize::{ModelOptions, finalize, sort_records};
pub use input::*;
pub use named::Named;
pub use record::*;

use serde::Serialize;

/// Index into [`Dataset::inputs`].
pub type FileId = u32;

/// Where a record came from: the file and the 1-based line (line-oriented
/// formats) or 0-based entry index (HAR, JSON arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRef {
    pub file: FileId,
    pub kind: LocKind,
    pub n: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocKind {
    Line,
    Entry,
    Byte,
}

impl LocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocKind::Line => "line",
            LocKind::Entry => "entry",
            LocKind::Byte => "byte",
        }
    }
}

impl SourceRef {
    pub fn line(file: FileId, line: u64) -> Self {
        Self {
            file,
            kind: LocKind::Line,
            n: line,
        }
    }
    pub fn entry(file: FileId, entry: u64) -> Self {
        Self {
            file,
            kind: LocKind::Entry,
            n: entry,
        }
    }
}

/// Every record of every input, merged in deterministic order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dataset {
    pub inputs: Vec<InputReport>,
    /// What [`finalize`] inferred about the site (first-party domains and
    /// why, page loads split or made).
    pub site: site::SiteFacts,
    pub requests: Vec<Request>,
    pub pages: Vec<Page>,
    pub probes: Vec<ProbeRecord>,
    pub server: Vec<ServerRequest>,
    pub changes: Vec<Change>,
}

/// Records of one file (or one chunk of one file).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub requests: Vec<Request>,
    pub pages: Vec<Page>,
    pub probes: Vec<ProbeRecord>,
    pub server: Vec<ServerRequest>,
    pub changes: Vec<Change>,
}

/// `into` followed by `from`: moved when `into` is empty.
fn take<T>(into: &mut Vec<T>, mut from: Vec<T>) {
    if into.is_empty() && into.capacity() <= from.capacity() {
        *into = from;
    } else {
        into.append(&mut from);
    }
}

impl Records {
    pub fn len(&self) -> usize {
        self.requests.len()
            + self.pages.len()
            + self.probes.len()
            + self.server.len()
            + self.changes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Add `other`'s records after these; a vector that is still empty
    /// takes `other`'s as it is (a large file's records are moved, not
    /// copied into fresh memory).
    pub fn append(&mut self, other: Records) {
        take(&mut self.requests, other.requests);
        take(&mut self.pages, other.pages);
        take(&mut self.probes, other.probes);
        take(&mut self.server, other.server);
        take(&mut self.changes, other.changes);
    }

    /// Concatenate parts in order with one copy: the vectors are sized once
    /// for all of them (the first part's is reused), instead of doubling.
    pub fn concat(parts: Vec<Records>) -> Records {
        let mut it = parts.into_iter();
        let Some(mut out) = it.next() else {
            return Records::default();
        };
        let rest: Vec<Records> = it.collect();
        out.requests
            .reserve_exact(rest.iter().map(|p| p.requests.len()).sum());
        out.pages
            .reserve_exact(rest.iter().map(|p| p.pages.len()).sum());
        out.probes
            .reserve_exact(rest.iter().map(|p| p.probes.len()).sum());
        out.server
            .reserve_exact(rest.iter().map(|p| p.server.len()).sum());
        out.changes
            .reserve_exact(rest.iter().map(|p| p.changes.len()).sum());
        for p in rest {
            out.append(p);
        }
        out
    }
}
