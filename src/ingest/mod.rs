//! Ingest: bytes of one input file in, normalized [`Records`] and an
//! [`InputReport`] out. A registry of formats, each one module that declares
//! how it recognises a file from its content (never its name) and carries
//! real sample lines; the registry test checks every sample is claimed by
//! exactly one format. Files are parsed in parallel (rayon) and merged in
//! input order, so output never depends on thread count.

pub mod access;
pub mod atlas;
pub mod changes;
pub mod curl;
pub mod flat_json;
pub mod har;
pub mod json_scan;
pub mod k6;
pub mod k6summary;
pub mod lenient;
pub mod lines;
pub mod mtr;
pub mod netlog;
pub mod ping;
pub mod probe;
pub mod prometheus;
pub mod stream;

/// Discovery hands the readers whole files; the type is discovery's.
pub use crate::discover::InputFile;
use crate::model::{Dataset, InputReport, Records};
use rayon::prelude::*;
use std::collections::HashMap;

/// Record a probe failure: the tool's error text when it has one (classified
/// from its words), else its numeric code as text; when the words say
/// nothing specific, the code's own class (`class_of_code`) wins.
pub fn apply_probe_error(
    r: &mut crate::model::ProbeRecord,
    text: Option<&str>,
    code: Option<i64>,
    tool: &str,
    class_of_code: impl Fn(i64) -> crate::model::ErrorClass,
) {
    use crate::model::ErrorClass;
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = text {
        r.error = Some(crate::sym::intern(t));
        r.error_class = crate::classify::classify_error(t);
    } else if let Some(c) = code {
        r.error = Some(crate::sym::intern(&format!("{tool} {c}")));
    }
    if let Some(c) = code
        && r.error_class.is_none_or(|e| e == ErrorClass::Other)
    {
        r.error_class = Some(class_of_code(c));
    }
}

/// Options readers need from the command line.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// RIPE Atlas probe id -> region (from `--vantage-map`).
    pub vantage_map: HashMap<String, String>,
    /// Reject a single line / JSON value larger than this many bytes.
    pub max_record_bytes: usize,
    /// Lines before the bytes being parsed: a block of a streamed file
    /// (`stream.rs`) gets the line numbers it has in the whole file.
    pub line_base: u64,
    /// `--start TIME`: when a capture without full time stamps began (plain
    /// ping; `ts` stamps without a year; `--apple-time` clock times).
    pub start: Option<chrono::DateTime<chrono::Utc>>,
}

impl IngestOptions {
    pub fn max_record_bytes(&self) -> usize {
        if self.max_record_bytes == 0 {
            DEFAULT_MAX_RECORD_BYTES
        } else {
            self.max_record_bytes
        }
    }
}

/// Default limit on one line / one JSON record (64 MiB: a HAR entry with a
/// large base64 body still fits).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// What a reader returns.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub records: Records,
    pub report: InputReport,
}

/// A reader: recognise, then parse.
pub struct FormatSpec {
    /// Stable format name shown in reports and JSON (`har`, `probe-jsonl`, ...).
    pub name: &'static str,
    /// Does this content look like this format? Gets the first bytes of the
    /// file (at most [`SNIFF_BYTES`]), BOM and leading whitespace included.
    pub sniff: fn(&[u8]) -> bool,
    pub parse: fn(&InputFile, &IngestOptions) -> Parsed,
    /// Real sample content of this format (whole small files or lines).
    pub samples: &'static [&'static str],
}

pub const SNIFF_BYTES: usize = 64 * 1024;

/// Every format, most specific first: the first whose sniff says yes wins.
pub fn registry() -> Vec<&'static FormatSpec> {
    vec![
        &netlog::FORMAT,
        &har::FORMAT,
        &k6::FORMAT,
        &k6summary::FORMAT,
        &prometheus::FORMAT,
        &curl::FORMAT,
        &atlas::FORMAT,
        &mtr::FORMAT,
        &changes::FORMAT_JSONL,
        &changes::FORMAT_CSV,
        &probe::FORMAT_JSONL,
        &probe::FORMAT_CSV,
        &ping::FORMAT,
        &access::FORMAT_W3C,
        &access::FORMAT_CLF,
    ]
}

/// What of a format feeds the verdict, for `faultlens formats`.
pub fn feeds(name: &str) -> &'static str {
    match name {
        "chrome-netlog" => {
            "requests: URL, status, net error (dns / connect / tls / reset / ...), dns, connect, tls, send, wait, receive ms"
        }
        "har" => {
            "pages and requests: status, _error, timings (blocked, dns, connect, ssl, send, wait, receive), CDN headers, page load"
        }
        "k6-json" => "http probe records: status, error code, http_req_* phases, per request",
        "k6-summary" => {
            "no records: whole-run statistics (http_req_duration percentiles, http_req_failed and checks rates, phase means) listed as run evidence by `analyze`, read against another run by `compare`"
        }
        "prometheus" => {
            "probe records per target and time: probe_success, duration, http phases, dns lookup, status, cert expiry, icmp rtt; vantage from labels"
        }
        "curl-json" => {
            "http probe records: status, curl error, time_namelookup / connect / appconnect / starttransfer / total"
        }
        "ripe-atlas" => {
            "probe records per result: ping loss and rtt, traceroute last hop, http status and timings, sslcert, dns rcode and time, ntp; vantage from --vantage-map"
        }
        "mtr-json" => "network probe records: loss and latency of the last hop",
        "changes-jsonl" | "changes-csv" => {
            "changes: time, service, kind (deploy, config, rollback, maintenance)"
        }
        "probe-jsonl" | "probe-csv" => {
            "probe records: status, error, phases, loss, latency, jitter, region"
        }
        "ping" => {
            "network probe records per target and minute: loss, mean rtt, jitter, unreachable errors"
        }
        "iis-w3c" => {
            "server requests: time, method, endpoint, status, bytes, time-taken / TimeTakenMS"
        }
        "access-log" => {
            "server requests: time, vhost, method, endpoint, status, bytes, request and upstream times"
        }
        _ => "",
    }
}

/// The first line of a format's first sample, cut to `max` characters.
pub fn sample_line(f: &FormatSpec, max: usize) -> String {
    let line = f
        .samples
        .first()
        .and_then(|s| {
            s.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && *l != "{")
        })
        .unwrap_or("");
    let mut out: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        out.push_str("...");
    }
    out
}

/// The format that claims this content, if any.
pub fn detect(bytes: &[u8]) -> Option<&'static FormatSpec> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    registry().into_iter().find(|f| (f.sniff)(head))
}

/// Parse one file: detect, then read; unrecognised files are reported as
/// skipped, never fatal.
pub fn parse_file(file: &InputFile, opts: &IngestOptions) -> Parsed {
    let mut parsed = if let Some(err) = &file.read_error {
        Parsed {
            records: Records::default(),
            report: InputReport {
                format: "unreadable".into(),
                skipped: Some(err.clone()),
                ..Default::default()
            },
        }
    } else {
        match detect(&file.bytes) {
            Some(f) => {
                let mut p = (f.parse)(file, opts);
                p.report.format = f.name.to_string();
                p
            }
            None => Parsed {
                records: Records::default(),
                report: InputReport {
                    format: "unrecognised".into(),
                    skipped: Some(unrecognised_reason(&file.bytes)),
                    ..Default::default()
                },
            },
        }
    };
    parsed.report.path = file.path.clone();
    parsed.report.vantage = file.vantage.clone();
    parsed
}

/// Parse one file as a named format (`--changes FILE`), whatever it looks
/// like. `changes` picks the JSONL or CSV change-log reader by content.
pub fn parse_file_as(file: &InputFile, opts: &IngestOptions, name: &str) -> Parsed {
    let reg = registry();
    let spec = if name == "changes" {
        if trimmed_head(&file.bytes).starts_with(b"{") {
            Some(&changes::FORMAT_JSONL)
        } else {
            Some(&changes::FORMAT_CSV)
        }
    } else {
        reg.iter().copied().find(|f| f.name == name)
    };
    match (spec, &file.read_error) {
        (Some(f), None) => {
            let mut p = (f.parse)(file, opts);
            p.report.format = f.name.to_string();
            p.report.path = file.path.clone();
            p.report.vantage = file.vantage.clone();
            p
        }
        _ => parse_file(file, opts),
    }
}

fn unrecognised_reason(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty file".into();
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.contains(&0) {
        return "binary content (NUL bytes): not a supported format".into();
    }
    if std::str::from_utf8(head).is_err()
        && std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_err()
    {
        return "not UTF-8 text: not a supported format".into();
    }
    "content matches no supported format (HAR, probe/change log, k6, curl, RIPE Atlas, ping, mtr, access log)".into()
}

/// Parse every file in parallel and merge in input order.
pub fn ingest(files: &[InputFile], opts: &IngestOptions) -> Dataset {
    let parsed: Vec<Parsed> = files.par_iter().map(|f| parse_file(f, opts)).collect();
    dataset_of(parsed)
}

/// The files' results, in order, as one dataset (one copy of the records at
/// most; a single large file's vectors are moved).
pub fn dataset_of(parsed: Vec<Parsed>) -> Dataset {
    let mut inputs = Vec::with_capacity(parsed.len());
    let mut parts = Vec::with_capacity(parsed.len());
    for p in parsed {
        inputs.push(p.report);
        parts.push(p.records);
    }
    let r = Records::concat(parts);
    Dataset {
        inputs,
        requests: r.requests,
        pages: r.pages,
        probes: r.probes,
        server: r.server,
        changes: r.changes,
        site: Default::default(),
    }
}

/// Strip a UTF-8 BOM.
pub fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// First non-whitespace bytes after a BOM.
pub fn trimmed_head(b: &[u8]) -> &[u8] {
    let b = strip_bom(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// First non-empty line of the content (BOM stripped), lossily decoded.
pub fn first_line(b: &[u8]) -> String {
    let b = trimmed_head(b);
    let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end])
        .trim_end_matches('\r')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sample is claimed by its own format and by no other.
    #[test]
    fn registry_samples_claimed_exactly_once() {
        let reg = registry();
        for f in &reg {
            assert!(!f.samples.is_empty(), "{} has no samples", f.name);
            for s in f.samples {
                let claimers: Vec<&str> = reg
                    .iter()
                    .filter(|g| (g.sniff)(s.as_bytes()))
                    .map(|g| g.name)
                    .collect();
                assert_eq!(
                    claimers,
                    vec![f.name],
                    "sample of {} claimed by {:?}:\n{}",
                    f.name,
                    claimers,
                    s
                );
            }
        }
    }

    #[test]
    fn formats_say_what_feeds_the_verdict() {
        for f in registry() {
            assert!(!feeds(f.name).is_empty(), "{}", f.name);
            assert!(!sample_line(f, 100).is_empty(), "{}", f.name);
        }
    }

    #[test]
    fn format_names_unique() {
        let mut names: Vec<&str> = registry().iter().map(|f| f.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
