//! `faultlens sanitize`: rewrite a HAR with every secret replaced, so it
//! can be attached to a ticket.
//!
//! HAR files reach a gigabyte, so the document is never loaded whole: the
//! entries and pages go through the same block-wise walk as the HAR
//! reader's ([`crate::ingest::har::walk`]: one walk to maintain, and the
//! reader's speed), each one parsed on any core, redacted through the
//! shared [`Redactor`] and written back in order; memory is about two
//! blocks plus the largest single entry (limited by
//! [`SanitizeOptions::max_value_bytes`]). Values with nothing to redact are
//! copied byte for byte, as is the whitespace between them, so a clean HAR
//! comes out identical. A truncated input yields every complete entry
//! before the cut, closed into a valid document, plus a warning.
//!
//! Where each job lives: [`walk`] follows the root and `log` objects and
//! hands their arrays to the shared walk, copying separators and
//! whitespace verbatim; [`values`] redacts one parsed entry, page or other
//! value.

#[cfg(test)]
mod tests;
mod values;
mod walk;

use crate::ingest::har::walk::Input;
use crate::redact::{RedactionStats, Redactor};
use serde::Serialize;
use std::io::{self, Read, Write};
use walk::{Output, Sanitizer};

/// Options of `faultlens sanitize`.
#[derive(Debug, Clone, Default)]
pub struct SanitizeOptions {
    /// Replace the bodies of HTML, JavaScript and CSS responses with "".
    pub drop_bodies: bool,
    /// Reject one JSON value (an entry) larger than this; 0 = 64 MiB.
    pub max_value_bytes: usize,
}

impl SanitizeOptions {
    pub(super) fn limit(&self) -> usize {
        if self.max_value_bytes == 0 {
            crate::ingest::DEFAULT_MAX_RECORD_BYTES
        } else {
            self.max_value_bytes
        }
    }
}

/// What sanitize did: counts only, never values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SanitizeReport {
    pub entries_written: u64,
    pub pages_written: u64,
    /// Entries left out because they were not valid JSON objects.
    pub entries_dropped: u64,
    /// Bodies emptied by `drop_bodies`.
    pub bodies_dropped: u64,
    pub redactions: RedactionStats,
    /// The input ended inside the document at this byte offset.
    pub truncated_at: Option<u64>,
    /// Human-readable notes (dropped entries with their byte offsets, ...).
    pub warnings: Vec<String>,
}

impl std::fmt::Display for SanitizeReport {
    /// One line for the terminal: what was written and what was redacted,
    /// counts per kind, never a value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.redactions;
        write!(
            f,
            "{} entries, {} pages; redacted {} headers, {} cookies, {} query parameters, {} JWTs, {} path segments, {} body values, {} userinfo, {} tokens in text",
            self.entries_written,
            self.pages_written,
            r.header,
            r.cookie,
            r.query,
            r.jwt,
            r.path,
            r.body,
            r.userinfo,
            r.token
        )?;
        if self.bodies_dropped > 0 {
            write!(f, "; {} bodies dropped", self.bodies_dropped)?;
        }
        if self.entries_dropped > 0 {
            write!(f, "; {} invalid entries left out", self.entries_dropped)?;
        }
        if let Some(t) = self.truncated_at {
            write!(f, "; input truncated at byte {t}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SanitizeError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("not a HAR document (byte {offset}): {reason}")]
    NotHar { offset: u64, reason: String },
    #[error("malformed JSON at byte {offset}: {reason}")]
    Malformed { offset: u64, reason: String },
    #[error("JSON value starting at byte {offset} exceeds the {limit}-byte limit")]
    TooLarge { offset: u64, limit: usize },
}

/// Bytes read at a time. Smaller than the reader's blocks: redaction, not
/// reading, is what takes the time, and each block's rewritten elements
/// are held until written, so a smaller block keeps the memory down at no
/// cost in speed.
const BLOCK: usize = 1 << 20;

/// Copy a HAR from `input` to `output` with every secret redacted.
/// On error the output is incomplete and should be discarded.
pub fn sanitize_har<R: Read, W: Write>(
    input: R,
    output: W,
    opts: &SanitizeOptions,
) -> Result<SanitizeReport, SanitizeError> {
    sanitize_blocks(input, output, opts, BLOCK)
}

fn sanitize_blocks<R: Read, W: Write>(
    input: R,
    output: W,
    opts: &SanitizeOptions,
    block: usize,
) -> Result<SanitizeReport, SanitizeError> {
    let mut s = Sanitizer {
        inp: Input::new(input, block),
        w: Output {
            out: io::BufWriter::with_capacity(1 << 20, output),
            pending: Vec::new(),
            comma_at: None,
            report: SanitizeReport::default(),
        },
        redactor: Redactor::new(true),
        opts: opts.clone(),
    };
    s.document()?;
    s.w.out.flush()?;
    s.w.report.redactions = s.redactor.stats();
    Ok(s.w.report)
}
