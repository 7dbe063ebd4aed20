//! atlas reader (stub: owned by the log ingest work).
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
pub static FORMAT: FormatSpec = FormatSpec { name: "atlas", sniff: |_| false, parse, samples: &[] };
fn parse(_f: &InputFile, _o: &IngestOptions) -> Parsed { Parsed::default() }
/// TEMPORARY until the logs branch merges.
pub fn load_vantage_map(_t: &str) -> Result<std::collections::HashMap<String, String>, String> { Ok(Default::default()) }
