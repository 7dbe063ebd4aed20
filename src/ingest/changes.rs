//! change log reader (stub: owned by the log ingest work).
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
pub static FORMAT_JSONL: FormatSpec = FormatSpec { name: "changes-jsonl", sniff: |_| false, parse, samples: &[] };
pub static FORMAT_CSV: FormatSpec = FormatSpec { name: "changes-csv", sniff: |_| false, parse, samples: &[] };
fn parse(_f: &InputFile, _o: &IngestOptions) -> Parsed { Parsed::default() }
