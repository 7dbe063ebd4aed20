//! W3C extended logs (IIS, CloudFront-style): the `#Fields:` directive in
//! force at each line names its columns.

use super::endpoint_of;
use crate::ingest::lines::{LineOutcome, map_lines};
use crate::ingest::{IngestOptions, InputFile, Parsed};
use crate::model::{ServerRequest, SourceRef};
use crate::sym::intern;
use chrono::{NaiveDateTime, TimeZone, Utc};
use std::sync::Arc;

/// Column positions named by one `#Fields:` directive.
#[derive(Debug, Default)]
pub(super) struct Fields {
    n: usize,
    date: Option<usize>,
    time: Option<usize>,
    method: Option<usize>,
    stem: Option<usize>,
    status: Option<usize>,
    bytes: Option<usize>,
    taken: Option<usize>,
    /// `TimeTakenMS` (Advanced Logging): always milliseconds.
    taken_ms: bool,
    host: Option<usize>,
    /// `date-local` / `time-local`: the server's clock, zone unknown.
    local: bool,
}

pub(super) fn fields_of(directive: &str) -> Fields {
    let names: Vec<String> = directive
        .split_whitespace()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let pos = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let date = pos(&["date", "date-utc"]);
    let time = pos(&["time", "time-utc"]);
    let local_date = pos(&["date-local"]);
    let local_time = pos(&["time-local"]);
    let ms = pos(&["timetakenms", "time-taken-ms"]);
    Fields {
        n: names.len(),
        local: date.is_none() && local_date.is_some() || time.is_none() && local_time.is_some(),
        date: date.or(local_date),
        time: time.or(local_time),
        method: pos(&["cs-method"]),
        stem: pos(&["cs-uri-stem", "cs-uri"]),
        status: pos(&["sc-status"]),
        bytes: pos(&["sc-bytes"]),
        taken_ms: ms.is_some(),
        taken: ms.or(pos(&["time-taken"])),
        host: pos(&["cs-host", "cs(host)", "s-sitename"]),
    }
}

pub(super) fn sniff_w3c(head: &[u8]) -> bool {
    let first = crate::ingest::first_line(head);
    (first.starts_with("#Software:")
        || first.starts_with("#Version:")
        || first.starts_with("#Fields:")
        || first.starts_with("#Date:"))
        && (first.starts_with("#Fields:") || memchr::memmem::find(head, b"\n#Fields:").is_some())
}

/// The cells of a W3C line: tab-separated, or space-separated where a
/// value in double quotes (IIS Advanced Logging) may hold spaces; the
/// quotes are dropped. An unterminated quote runs to the end of the line.
pub(super) fn w3c_cells(line: &str) -> Vec<&str> {
    fn unquote(c: &str) -> &str {
        let c = c.trim();
        c.strip_prefix('"')
            .map(|x| x.strip_suffix('"').unwrap_or(x))
            .unwrap_or(c)
    }
    if line.contains('\t') {
        return line.split('\t').map(unquote).collect();
    }
    if !line.contains('"') {
        return line.split(' ').filter(|c| !c.is_empty()).collect();
    }
    let mut out = Vec::new();
    let mut rest = line.trim_start_matches(' ');
    while !rest.is_empty() {
        let end = if let Some(q) = rest.strip_prefix('"') {
            // a quoted value ends at a quote followed by a space or the end
            let mut from = 0;
            loop {
                match q[from..].find('"') {
                    Some(i)
                        if q[from + i + 1..].is_empty() || q[from + i + 1..].starts_with(' ') =>
                    {
                        break from + i + 2;
                    }
                    Some(i) => from += i + 1,
                    None => break rest.len(),
                }
            }
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        out.push(unquote(&rest[..end]));
        rest = rest[end..].trim_start_matches(' ');
    }
    out
}

pub(super) fn w3c_line(f: &Fields, line: &str, at: SourceRef) -> Result<ServerRequest, String> {
    let cells = w3c_cells(line);
    if cells.len() != f.n {
        return Err(format!("{} fields, #Fields names {}", cells.len(), f.n));
    }
    let get = |i: Option<usize>| {
        i.map(|i| cells[i].trim())
            .filter(|v| !v.is_empty() && *v != "-")
    };
    let date = get(f.date).ok_or("no date")?;
    let time = get(f.time).ok_or("no time")?;
    let naive = NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S%.f")
        .map_err(|_| format!("invalid date/time {date} {time}"))?;
    let status: i32 = get(f.status)
        .ok_or("no sc-status")?
        .parse()
        .map_err(|_| "invalid sc-status")?;
    if !(0..=999).contains(&status) {
        return Err("invalid sc-status".into());
    }
    let taken = match get(f.taken) {
        None => None,
        // IIS writes integer milliseconds; CloudFront-style logs seconds with a fraction
        Some(t) if t.contains('.') && !f.taken_ms => {
            Some(t.parse::<f64>().map_err(|_| "invalid time-taken")? * 1000.0)
        }
        Some(t) => Some(t.parse::<f64>().map_err(|_| "invalid time-taken")?),
    };
    Ok(ServerRequest {
        source: at,
        ts: Utc.from_utc_datetime(&naive),
        vhost: get(f.host).map(intern),
        method: intern(get(f.method).unwrap_or("-")),
        endpoint: get(f.stem).map_or_else(|| intern("-"), endpoint_of),
        status,
        bytes: get(f.bytes).and_then(|b| b.parse().ok()),
        request_ms: taken,
        upstream_ms: None,
    })
}

pub(super) fn parse_w3c(file: &InputFile, opts: &IngestOptions) -> Parsed {
    // every #Fields: directive with its byte offset, so that each chunk
    // starts with the columns in force where it begins
    let bytes = &file.bytes;
    let mut directives: Vec<(usize, Arc<Fields>)> = Vec::new();
    for pos in memchr::memmem::find_iter(bytes, b"#Fields:") {
        let at_line_start =
            pos == 0 || bytes[pos - 1] == b'\n' || (pos == 3 && bytes.starts_with(b"\xEF\xBB\xBF"));
        if at_line_start {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let text = String::from_utf8_lossy(&bytes[pos + 8..end]);
            directives.push((pos, Arc::new(fields_of(&text))));
        }
    }
    type State = (Option<Arc<Fields>>, Vec<ServerRequest>);
    let chunks = map_lines(
        file,
        opts,
        |c| {
            (
                directives
                    .iter()
                    .take_while(|(p, _)| *p < c.offset)
                    .last()
                    .map(|(_, f)| f.clone()),
                Vec::new(),
            )
        },
        |state: &mut State, line, at| {
            if let Some(d) = line.strip_prefix(b"#Fields:") {
                state.0 = Some(Arc::new(fields_of(&String::from_utf8_lossy(d))));
                return LineOutcome::Skip;
            }
            if line.starts_with(b"#") {
                return LineOutcome::Skip;
            }
            let Some(f) = state.0.as_deref() else {
                return LineOutcome::Reject("data line before any #Fields: directive".into());
            };
            let Ok(text) = std::str::from_utf8(line) else {
                return LineOutcome::Reject("not UTF-8".into());
            };
            crate::ingest::probe::reserve_chunk(&mut state.1, line.len(), bytes.len());
            LineOutcome::push(w3c_line(f, text, at), &mut state.1)
        },
    );
    let mut out = Parsed::default();
    for ((_, recs), rep) in chunks {
        crate::ingest::lines::merge_report(&mut out.report, rep);
        out.records.server.extend(recs);
    }
    if directives.iter().any(|(_, f)| f.local) {
        out.report.warnings.push(
            "W3C log times are in date-local/time-local columns (the server's clock, zone not written): read as UTC".into(),
        );
    }
    out
}
