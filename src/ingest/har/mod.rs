//! HAR reader.
//!
//! Why it is shaped like this: a HAR is one JSON document, but its entries
//! are independent, and most of its bytes are response bodies nobody here
//! needs. A document held in memory is first cut into entry ranges by the
//! byte-level [`json_scan`] (cheap: it only follows strings and brackets),
//! then the entries are deserialized on all cores into borrowed, typed
//! structs that skip the body. A large file is not walked twice: each
//! block is cut at guessed entry starts and serde_json itself finds where
//! each entry ends, part by part on all cores; the merge keeps a part only
//! where the part before it ended exactly at its start ([`walk`], the one
//! streaming walk of a HAR, which `sanitize` rewrites HARs with too).
//! Either way salvage comes free: a truncated or corrupt file yields every
//! complete entry before the damage, and a warning with the byte offset.
//!
//! Producer quirks are absorbed here, not later: numbers written as strings
//! (WebPageTest), `-1` for "not measured", statuses `0`, `-1`, `-2` for "no
//! response", Chrome `_error` texts, and the two ways of counting TLS time
//! (see [`normalize_phases`]).
//!
//! Where each job lives: [`schema`] the typed, borrowed view of an entry;
//! [`entry`] one entry into one request (failures, sizes, cache);
//! [`edge`] the CDN headers; [`phases`] the timings; [`in_memory`],
//! [`stream`] and [`mmap`] the three readers; [`walk`] the block-wise
//! walk the last two share with `sanitize`, [`streamed`] their side of it
//! (entries into records, the end of a streamed read); [`assemble`] the
//! pages and report all three end with.

mod assemble;
mod edge;
mod entry;
mod in_memory;
mod mmap;
mod phases;
mod schema;
mod stream;
mod streamed;
#[cfg(test)]
mod tests;
pub(crate) mod walk;

pub use in_memory::parse_har_bytes;
pub use mmap::{MAP_WINDOW_BYTES, parse_har_file, parse_har_file_windows};
pub use phases::{HarTimings, SslStyle, normalize_phases};
pub use stream::{STREAM_BLOCK_BYTES, parse_har_reader, parse_har_reader_blocks};

use super::json_scan;
use super::{FormatSpec, IngestOptions, InputFile, Parsed};

pub static FORMAT: FormatSpec = FormatSpec {
    name: "har",
    sniff,
    parse,
    samples: SAMPLES,
};

/// Real snippets: a HAR 1.2 export with no pages (haralyzer), the same
/// with a BOM (Chrome), a WebPageTest JSONP wrapper, the corrupted
/// mitmproxy test file, and a bare entry object (claimed, then reported as
/// not a HAR).
static SAMPLES: &[&str] = &[
    r#"{"log": {"entries": [{"serverIPAddress": "1.1.1.1", "timings": {"blocked": 1.0414959522313407, "send": 0.08300004992634014, "ssl": -1, "connect": -1, "dns": -1, "receive": 1.6290000057779253, "wait": 307.708999956958}, "response": {"redirectURL": "", "bodySize": 44, "statusText": "OK", "_transferSize": 726, "cookies": [], "content": {"mimeType": "application/json", "size": 44, "compression": 0}, "headersSize": 682, "httpVersion": "HTTP/1.1", "status": 200, "headers": [{"value": "nginx", "name": "Server"}]}, "request": {"headersSize": 522, "bodySize": 59, "url": "https://test.com/stuff", "method": "POST", "httpVersion": "HTTP/1.1", "headers": []}, "cache": {}, "connection": "117799", "time": 308.4624959648936, "startedDateTime": "2018-03-20T23:47:30.357Z"}]}}"#,
    "\u{feff}{\n    \"log\": {\n        \"version\": \"1.2\",\n        \"creator\": {\n            \"name\": \"WebInspector\",\n            \"version\": \"537.36\"\n        },\n        \"pages\": [],\n        \"entries\": []\n    }\n}\n",
    r#"onInputData({"log":{"version":"1.1","creator":{"name":"WebPagetest","version":"2.17"},"pages":[{"startedDateTime":"2015-08-29T14:43:42.000+00:00","title":"Run 1, First View for http://www.nytimes.com/","id":"page_1_0","pageTimings":{"onLoad":2797,"onContentLoad":-1}}],"entries":[]}});"#,
    "{\"log\":\n[\n    2,1,3\n]\n\"request:\"}",
    r#"{"pageref": "page_1", "startedDateTime": "2018-03-20T23:47:30.357Z", "request": {"method": "GET", "url": "https://test.com/"}, "response": {"status": 200}, "time": 12}"#,
];

/// Claims JSON objects (after a BOM / JSONP prefix) whose top-level keys
/// look like a HAR (`log`) or a bare HAR entry (`request` with `response`
/// or `startedDateTime`); the latter is parsed and reported as "not a HAR"
/// rather than left unrecognised.
fn sniff(head: &[u8]) -> bool {
    let (start, _) = json_scan::json_start(head);
    if head.get(start) != Some(&b'{') {
        return false;
    }
    let l = json_scan::scan_har(head);
    if l.has_top_key(head, b"log") {
        return true;
    }
    l.has_top_key(head, b"request")
        && (l.has_top_key(head, b"response")
            || l.has_top_key(head, b"startedDateTime")
            || l.truncated_at.is_some())
}

fn parse(f: &InputFile, opts: &IngestOptions) -> Parsed {
    parse_har_bytes(f.id, f.vantage.clone(), &f.bytes, opts)
}
