//! Model records <-> columns. Only types every engine reads the same way
//! (64-bit integers, doubles, UTF-8, booleans): Spark has no unsigned
//! integers, and times are UTC milliseconds so no engine applies a zone.
//!
//! The layout is one contract read from two sides: `write` turns a
//! `Dataset` into the exported frames, `read` turns exported (or
//! engine-sampled) frames back into records. What both sides must agree
//! on, the table names, the schema version and the sample key, is here.

mod read;
mod write;

pub(super) use read::Reader;
pub use read::{
    changes_from, inputs_from, pages_from, probes_from, requests_from, server_from, site_from,
};
pub use write::build;

use crate::model::SourceRef;
use polars::prelude::DataFrame;
use std::collections::BTreeMap;

/// Version of the table layout (docs/data-model.md); bumped on any change
/// an engine's SQL or an importer would notice.
pub const SCHEMA_VERSION: i64 = 1;

/// Table names, in export order.
pub const TABLES: [&str; 7] = [
    "inputs",
    "first_party",
    "requests",
    "pages",
    "probes",
    "server",
    "changes",
];

pub struct Table {
    pub name: &'static str,
    /// Hive-partitioned by (day, source) or one file.
    pub partitioned: bool,
    pub partitions: BTreeMap<(String, String), DataFrame>,
}

/// A stable 32-bit hash of where a record came from: the sample key the
/// engine's SQL filters on, so every engine keeps the same rows.
pub fn sample_key(path: &str, at: SourceRef) -> i64 {
    let h = crate::rng::fnv1a(
        path.bytes()
            .chain([0, at.kind as u8])
            .chain(at.n.to_le_bytes()),
    );
    // the splitmix64 finaliser: FNV's low bits are weak
    (crate::rng::mix64(h) >> 32) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_OF_FIRST_LINE: i64 = 2_366_815_366;

    #[test]
    fn sample_key_is_stable_and_uniform() {
        // the key is part of the table schema: engines filter on stored
        // values, so a change here is a schema version bump
        let k = sample_key("fleet/us-east.jsonl", SourceRef::line(0, 1));
        assert_eq!(k, sample_key("fleet/us-east.jsonl", SourceRef::line(7, 1)));
        assert_ne!(k, sample_key("fleet/us-east.jsonl", SourceRef::line(0, 2)));
        assert_ne!(k, sample_key("fleet/us-east.jsonl", SourceRef::entry(0, 1)));
        // stored in exported tables: the value itself is the schema
        assert_eq!(k, KEY_OF_FIRST_LINE);
        let n = 20_000u64;
        let below_quarter = (1..=n)
            .map(|i| sample_key("x.har", SourceRef::entry(0, i)))
            .inspect(|k| assert!((0..1i64 << 32).contains(k)))
            .filter(|k| *k < 1i64 << 30)
            .count() as f64;
        let share = below_quarter / n as f64;
        assert!((share - 0.25).abs() < 0.02, "{share}");
    }
}
