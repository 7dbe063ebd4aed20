//! curl reader (stub: owned by the log ingest work).
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
pub static FORMAT: FormatSpec = FormatSpec { name: "curl", sniff: |_| false, parse, samples: &[] };
fn parse(_f: &InputFile, _o: &IngestOptions) -> Parsed { Parsed::default() }
