//! access log reader (stub: owned by the log ingest work).
use super::{FormatSpec, IngestOptions, InputFile, Parsed};
pub static FORMAT_CLF: FormatSpec = FormatSpec { name: "access-log", sniff: |_| false, parse, samples: &[] };
pub static FORMAT_W3C: FormatSpec = FormatSpec { name: "iis-w3c", sniff: |_| false, parse, samples: &[] };
fn parse(_f: &InputFile, _o: &IngestOptions) -> Parsed { Parsed::default() }
