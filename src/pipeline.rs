//! The whole pipeline behind one call, for the CLI and the tests:
//! discover -> ingest -> model -> aggregate -> detect -> verdict -> report.
//! Per-file problems are data inside the result; only "nothing usable at
//! all" and bad arguments are errors.

use crate::aggregate::{self, AggOptions, Analysis, Window, WindowSpec};
use crate::detect::{self, Finding};
use crate::discover::{self, Source};
use crate::ingest::{self, IngestOptions};
use crate::model::{self, Dataset, FileId, ModelOptions};
use crate::redact::Redactor;
use crate::report::{self, Report, ReportOptions};
use crate::verdict::{self, Verdict, VerdictInput};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use rayon::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no usable input: {0}")]
    NoUsableInput(String),
    #[error("bad --window {0:?}: {1}")]
    BadWindow(String, String),
    #[error("bad --vantage-map {0}: {1}")]
    BadVantageMap(String, String),
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error(transparent)]
    Columnar(#[from] crate::columnar::Error),
}

impl Error {
    /// Exit status per the contract: 1 for usage / input problems.
    pub fn exit_code(&self) -> i32 {
        1
    }
}

/// Everything `analyze`, `compare` and `report` take.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub paths: Vec<String>,
    /// Compare mode: the baseline paths (`paths` are then the incident).
    pub baseline: Vec<String>,
    pub compare: bool,
    /// `NAME=START..END`, as typed.
    pub windows: Vec<String>,
    /// Change logs given with `--changes` (read as change logs whatever they look like).
    pub changes: Vec<String>,
    pub first_party: Vec<String>,
    pub vantage_map: Option<String>,
    /// `--start`: when a capture without full time stamps began.
    pub start: Option<DateTime<Utc>>,
    pub bin_seconds: Option<u64>,
    pub max_record_bytes: usize,
    pub unsafe_include_secrets: bool,
    pub now: Option<DateTime<Utc>>,
    pub top: usize,
    /// Read the tables an engine wrote (`analyze --aggregates DIR`)
    /// instead of `paths`.
    pub aggregates: Option<std::path::PathBuf>,
    /// Leave the verdict's confidence raw (the accuracy harness calibrates
    /// it itself, to fit and evaluate maps without rebuilding).
    pub uncalibrated: bool,
}

pub struct Outcome {
    pub dataset: Dataset,
    pub analysis: Analysis,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// What the verdict was told besides the findings (the accuracy
    /// harness calibrates raw verdicts with it).
    pub verdict_input: VerdictInput,
    pub report: Report,
    /// Wall time of each stage, in order (`faultlens -vv` prints them):
    /// where a slow run spends its time, without a profiler.
    pub stage_ms: Vec<(&'static str, f64)>,
}

use crate::laps::Laps;

/// Progress callback: (files done, files total).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Ingest the sources in parallel, in deterministic order.
pub fn ingest_sources(
    sources: &[(Source, Option<&'static str>)],
    opts: &IngestOptions,
    progress: Progress,
) -> Dataset {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = sources.len();
    let max = if opts.max_record_bytes == 0 {
        8u64 << 30
    } else {
        (opts.max_record_bytes as u64).max(8 << 30)
    };
    let parsed: Vec<ingest::Parsed> = sources
        .par_iter()
        .enumerate()
        .map(|(i, (src, forced))| {
            let p = read_source(i as FileId, src, *forced, opts, max);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            p
        })
        .collect();
    ingest::dataset_of(parsed)
}

/// One source as its format's reader reads it: a large plain HAR or
/// line-oriented log streams in blocks (memory stays a fraction of the
/// file), anything else is read whole.
fn read_source(
    id: FileId,
    src: &Source,
    forced: Option<&'static str>,
    opts: &IngestOptions,
    max: u64,
) -> ingest::Parsed {
    if let Some(name) = forced {
        return ingest::parse_file_as(&discover::load(id, src, max), opts, name);
    }
    if let Some((f, spec)) = stream_lines(src) {
        let file = ingest::stream::empty_file(id, src.display.clone(), src.vantage.clone());
        return ingest::stream::parse_lines_stream(
            file,
            spec,
            f,
            opts,
            ingest::stream::STREAM_BLOCK_BYTES,
        );
    }
    if let Some(f) = stream_har(src) {
        let mut p = ingest::har::parse_har_file(id, src.vantage.clone(), &f, opts);
        p.report.format = ingest::har::FORMAT.name.to_string();
        p.report.path = src.display.clone();
        p.report.vantage = src.vantage.clone();
        return p;
    }
    ingest::parse_file(&discover::load(id, src, max), opts)
}

/// Files at least this big that look like a plain (not gzipped) HAR are
/// streamed instead of read whole.
pub const STREAM_HAR_BYTES: u64 = 64 << 20;

fn stream_har(src: &Source) -> Option<std::fs::File> {
    let (path, head) = plain_head(src, STREAM_HAR_BYTES)?;
    if !(ingest::har::FORMAT.sniff)(&head) {
        return None;
    }
    std::fs::File::open(path).ok()
}

/// The path and first bytes of a file of at least `min` bytes that is not
/// gzipped (a stream reader reads it from the start, unpacked).
fn plain_head(src: &Source, min: u64) -> Option<(&std::path::Path, Vec<u8>)> {
    use std::io::Read;
    let discover::Origin::File(path) = &src.origin else {
        return None;
    };
    if std::fs::metadata(path).ok()?.len() < min {
        return None;
    }
    let mut head = vec![0u8; ingest::SNIFF_BYTES];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    head.truncate(n);
    (!discover::is_gzip(&head)).then_some((path.as_path(), head))
}

/// Plain (not gzipped) files at least this big whose lines are
/// independent records are read in blocks (`ingest::stream`).
pub const STREAM_LINES_BYTES: u64 = 32 << 20;

fn stream_lines(src: &Source) -> Option<(std::fs::File, &'static ingest::FormatSpec)> {
    let (path, head) = plain_head(src, STREAM_LINES_BYTES)?;
    let spec = ingest::detect(&head).filter(|s| ingest::stream::streamable(s))?;
    Some((std::fs::File::open(path).ok()?, spec))
}

/// A dataset ready for the aggregate stage, from raw inputs or from an
/// engine's aggregates.
pub struct Loaded {
    pub dataset: Dataset,
    /// The first-party domains the model used (exported with the tables).
    pub first_party: Vec<String>,
    /// Compare mode: (baseline, incident) file ids.
    pub compare: Option<(Vec<FileId>, Vec<FileId>)>,
    /// Exact HTTP counts per bin from an engine (empty for raw inputs).
    pub bins: crate::columnar::engine::Bins,
    /// Share of rows the engine kept (1.0 for raw inputs).
    pub sample_rate: f64,
    /// Width of the engine's count bins, ms (0 without bins).
    pub bin_ms: i64,
}

/// Discover, ingest and model the request's inputs (or import the
/// engine's tables named by `req.aggregates`).
pub fn load(
    req: &Request,
    stdin: &mut dyn FnMut() -> Vec<u8>,
    progress: Progress,
) -> Result<Loaded, Error> {
    load_timed(req, stdin, progress, &mut Laps::start())
}

fn load_timed(
    req: &Request,
    stdin: &mut dyn FnMut() -> Vec<u8>,
    progress: Progress,
    laps: &mut Laps,
) -> Result<Loaded, Error> {
    if let Some(dir) = &req.aggregates {
        let imp = crate::columnar::import(dir)?;
        laps.lap("import");
        let usable: u64 = imp.dataset.inputs.iter().map(|i| i.records).sum();
        if usable == 0 {
            return Err(Error::NoUsableInput(format!(
                "{}: the aggregates hold no records",
                dir.display()
            )));
        }
        return Ok(Loaded {
            dataset: imp.dataset,
            first_party: imp.first_party,
            compare: None,
            bins: imp.bins,
            sample_rate: imp.sample_rate,
            bin_ms: imp.bin_ms,
        });
    }
    let mut ingest_opts = IngestOptions {
        max_record_bytes: req.max_record_bytes,
        start: req.start,
        ..Default::default()
    };
    if let Some(path) = &req.vantage_map {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io(path.clone(), e))?;
        ingest_opts.vantage_map = ingest::atlas::load_vantage_map(&text)
            .map_err(|e| Error::BadVantageMap(path.clone(), e))?;
    }
    // sources: incident (or plain) paths, baseline paths, forced change logs
    let mut tagged: Vec<(Source, Option<&'static str>, u8)> = Vec::new();
    let mut incident = discover::discover(&req.paths, stdin);
    let mut baseline = discover::discover(&req.baseline, &mut Vec::new);
    if req.compare {
        pair_unlabelled_captures(&mut baseline);
        pair_unlabelled_captures(&mut incident);
    }
    for s in incident {
        tagged.push((s, None, 1));
    }
    for s in baseline {
        tagged.push((s, None, 0));
    }
    for s in discover::discover(&req.changes, &mut Vec::new) {
        tagged.push((s, Some("changes"), 2));
    }
    // one global order, whatever the argument order
    tagged.sort_by(|a, b| {
        a.0.display
            .cmp(&b.0.display)
            .then(a.2.cmp(&b.2))
            .then(a.0.vantage.cmp(&b.0.vantage))
    });
    tagged.dedup_by(|a, b| a.0.display == b.0.display && a.0.vantage == b.0.vantage && a.2 == b.2);
    if tagged.is_empty() {
        return Err(Error::NoUsableInput("no input paths given".into()));
    }
    let sources: Vec<(Source, Option<&'static str>)> =
        tagged.iter().map(|(s, f, _)| (s.clone(), *f)).collect();
    let mut ds = ingest_sources(&sources, &ingest_opts, progress);
    laps.lap("discover+ingest");
    // a HAR whose producer dropped every failed request keeps its pages:
    // page loads that recorded nothing are evidence, not an empty input
    let usable: u64 = ds.inputs.iter().map(|i| i.records).sum::<u64>() + ds.pages.len() as u64;
    if usable == 0 {
        let why: Vec<String> = ds
            .inputs
            .iter()
            .map(|i| {
                format!(
                    "{}: {}",
                    i.path,
                    i.skipped.clone().unwrap_or_else(|| format!(
                        "{} ({} records, {} rejected)",
                        i.format, i.records, i.bad_records
                    ))
                )
            })
            .collect();
        let empty_har = ds
            .inputs
            .iter()
            .any(|i| i.skipped.is_none() && i.format == "har" && i.bad_records == 0);
        let hint = if empty_har {
            ". A HAR with no page and no request: some producers (chrome-har, Browsertime) keep no request that got no response, so a capture saved while the page could not load at all is empty: the name, the certificate, the path or this machine's connection failed before HTTP (a capture from before the outage, or a probe, would tell which)"
        } else {
            ""
        };
        return Err(Error::NoUsableInput(format!("{}{hint}", why.join("; "))));
    }
    fill_spans(&mut ds);
    let first_party = model::finalize(
        &mut ds,
        &ModelOptions {
            first_party: req.first_party.clone(),
            site: None,
        },
    );
    laps.lap("model");
    let compare = req.compare.then(|| {
        let ids = |tag: u8| -> Vec<FileId> {
            tagged
                .iter()
                .enumerate()
                .filter(|(_, t)| t.2 == tag)
                .map(|(i, _)| i as FileId)
                .collect()
        };
        (ids(0), ids(1))
    });
    Ok(Loaded {
        dataset: ds,
        first_party,
        compare,
        bins: Default::default(),
        sample_rate: 1.0,
        bin_ms: 0,
    })
}

/// Compare mode: the browser captures of one side that no folder or label
/// places (`region=NAME/`, `label=PATH`) are named `capture-N` by their
/// order on that side, so the baseline's first capture and the incident's
/// first are one vantage seen twice, not two vantages (which made one
/// machine's before and after look like two regions, and the fault
/// "global").
fn pair_unlabelled_captures(side: &mut [discover::Source]) {
    side.sort_by(|a, b| a.display.cmp(&b.display));
    let mut n = 0;
    for s in side.iter_mut() {
        let har = [".har", ".har.gz"].iter().any(|e| s.display.ends_with(e));
        if s.vantage.is_none() && har {
            s.vantage = Some(format!("capture-{n}"));
            n += 1;
        }
    }
}

/// `compare` when every input on both sides is a whole-run summary (k6
/// end-of-test summaries): nothing to analyse record by record, so the
/// runs' statistics side by side. `None` when any input is something else
/// (or stdin): the usual analysis runs. `json`: the comparison as JSON
/// (`report::runs::CompareOut`) instead of text.
pub fn compare_run_summaries(req: &Request, json: bool) -> Option<String> {
    let sides = [&req.baseline, &req.paths];
    let mut found: Vec<Vec<(String, model::RunSummary)>> = Vec::new();
    for paths in sides {
        let sources = discover::discover(paths, &mut Vec::new);
        if sources.is_empty() {
            return None;
        }
        let mut runs = Vec::new();
        for (i, src) in sources.iter().enumerate() {
            let discover::Origin::File(p) = &src.origin else {
                return None;
            };
            // a look at the head first: large captures are not read twice
            let mut head = vec![0u8; ingest::SNIFF_BYTES];
            let n = std::fs::File::open(p)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .ok()?;
            head.truncate(n);
            if !discover::is_gzip(&head)
                && ingest::detect(&head).map(|f| f.name) != Some(ingest::k6summary::FORMAT.name)
            {
                return None;
            }
            let file = discover::load(i as FileId, src, 1 << 30);
            let parsed = ingest::parse_file(&file, &IngestOptions::default());
            runs.push((src.display.clone(), parsed.report.run_summary?));
        }
        found.push(runs);
    }
    Some(if json {
        report::runs::compare_json(&found[0], &found[1])
    } else {
        report::runs::compare_text(&found[0], &found[1])
    })
}

/// Ingest and model the inputs, then write the tables as Parquet.
pub fn export(
    req: &Request,
    dir: &std::path::Path,
    stdin: &mut dyn FnMut() -> Vec<u8>,
    progress: Progress,
) -> Result<crate::columnar::ExportSummary, Error> {
    let l = load(req, stdin, progress)?;
    let redactor = Redactor::new(!req.unsafe_include_secrets);
    Ok(crate::columnar::export(
        &l.dataset,
        &l.first_party,
        dir,
        &redactor,
    )?)
}

pub fn run(
    req: &Request,
    stdin: &mut dyn FnMut() -> Vec<u8>,
    progress: Progress,
) -> Result<Outcome, Error> {
    let mut laps = Laps::start();
    let loaded = load_timed(req, stdin, progress, &mut laps)?;
    let ds = loaded.dataset;
    let usable: u64 = ds.inputs.iter().map(|i| i.records).sum();
    let mut agg = AggOptions {
        bin_ms: req.bin_seconds.map(|s| s as i64 * 1000),
        ..Default::default()
    };
    agg.compare = loaded.compare;
    agg.windows = parse_windows(&req.windows, &ds)?;
    // a sample: counts come from the engine's bins, so window edges must
    // fall on bin edges
    let use_bins = loaded.sample_rate < 1.0 && !loaded.bins.is_empty();
    if use_bins {
        agg.align_ms = Some(loaded.bin_ms).filter(|b| *b > 0);
        // change logs are not measurements: they do not widen the span
        let measured = || {
            ds.inputs
                .iter()
                .filter(|i| !i.format.starts_with("changes"))
        };
        let first = measured().filter_map(|i| i.first_ts).min();
        let last = measured().filter_map(|i| i.last_ts).max();
        if let (Some(a), Some(b)) = (first, last) {
            // the span is exclusive at the end, as for raw records
            agg.span_hint = Some((a, b + chrono::Duration::milliseconds(1)));
        }
    }
    let mut analysis = aggregate::analyze(&ds, &agg);
    if use_bins {
        aggregate::bins::apply(&mut analysis, &loaded.bins);
    }
    laps.lap("aggregate");
    laps.laps.extend(analysis.step_ms.iter().copied());
    let findings = detect::run_all(&ds, &analysis);
    laps.lap("detect");
    let records_during = analysis
        .http
        .get(&(aggregate::Dim::Party, "first".to_string()))
        .and_then(|m| m.get(&aggregate::WindowName::During))
        .map_or(0, |g| g.count)
        + analysis
            .net
            .get("all")
            .and_then(|m| m.get(&aggregate::WindowName::During))
            .map_or(0, |s| s.n)
        + analysis
            .pages
            .get("all")
            .and_then(|m| m.get(&aggregate::WindowName::During))
            .map_or(0, |s| s.n);
    let vin = VerdictInput {
        incident: analysis.windows.during.is_some(),
        regions: analysis.regions.clone(),
        records_during,
        records_total: usable,
        no_baseline: analysis.windows.during.is_some()
            && analysis.windows.get(analysis.baseline).is_none(),
        failed_requests: analysis
            .loads
            .loads
            .iter()
            .map(|l| l.failures.len() as u64)
            .sum(),
        short_capture_loads: short_capture_loads(&ds, &analysis.loads),
        browser_only: ds.probes.is_empty()
            && ds.server.is_empty()
            && !analysis.loads.loads.is_empty(),
    };
    let verdict = if req.uncalibrated {
        verdict::decide_uncalibrated(&findings, &vin)
    } else {
        verdict::decide(&findings, &vin)
    };
    laps.lap("verdict");
    let redactor = Redactor::new(!req.unsafe_include_secrets);
    let report = report::build(
        &ds,
        &analysis,
        &findings,
        &verdict,
        &ReportOptions {
            now: req.now,
            top: req.top,
        },
        &redactor,
    );
    laps.lap("report");
    Ok(Outcome {
        dataset: ds,
        analysis,
        findings,
        verdict,
        verdict_input: vin,
        report,
        stage_ms: laps.laps,
    })
}

/// Time span per input from its records, for readers that did not set it.
fn fill_spans(ds: &mut Dataset) {
    // file ids are dense (the inputs' indexes): a slot each, no hashing
    // per record
    let mut spans: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> = vec![None; ds.inputs.len()];
    let mut see = |f: FileId, t: DateTime<Utc>| {
        if let Some(slot) = spans.get_mut(f as usize) {
            let e = slot.get_or_insert((t, t));
            e.0 = e.0.min(t);
            e.1 = e.1.max(t);
        }
    };
    for r in &ds.requests {
        see(r.source.file, r.start);
    }
    for p in &ds.pages {
        see(p.source.file, p.start);
    }
    for p in &ds.probes {
        see(p.source.file, p.ts);
    }
    for s in &ds.server {
        see(s.source.file, s.ts);
    }
    for c in &ds.changes {
        see(c.source.file, c.ts);
    }
    for (inp, span) in ds.inputs.iter_mut().zip(spans) {
        if let Some((a, b)) = span {
            inp.first_ts = Some(a);
            inp.last_ts = Some(b);
        }
    }
}

/// Parse `NAME=START..END` windows. Times: RFC 3339, unix seconds, or
/// `HH:MM[:SS]` on the (UTC) day the data starts.
pub fn parse_windows(specs: &[String], ds: &Dataset) -> Result<WindowSpec, Error> {
    let mut out = WindowSpec::default();
    let day = ds.inputs.iter().filter_map(|i| i.first_ts).min();
    for spec in specs {
        let bad = |why: &str| Error::BadWindow(spec.clone(), why.to_string());
        let (name, range) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=START..END"))?;
        let (a, b) = range
            .split_once("..")
            .ok_or_else(|| bad("expected START..END"))?;
        let start = parse_time(a, day).ok_or_else(|| {
            bad(&format!(
                "cannot read time {a:?} (RFC 3339, unix seconds or HH:MM)"
            ))
        })?;
        let end = parse_time(b, day).ok_or_else(|| {
            bad(&format!(
                "cannot read time {b:?} (RFC 3339, unix seconds or HH:MM)"
            ))
        })?;
        if end <= start {
            return Err(bad(
                "END must be after START (windows are half-open [START, END))",
            ));
        }
        let w = Some(Window { start, end });
        match name.trim() {
            "before" => out.before = w,
            "during" => out.during = w,
            "after" => out.after = w,
            other => {
                return Err(bad(&format!(
                    "unknown window name {other:?} (before, during, after)"
                )));
            }
        }
    }
    Ok(out)
}

pub fn parse_time(s: &str, day: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = crate::classify::parse_ts(s) {
        return Some(t);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()?;
    let d = day?.date_naive();
    Some(Utc.from_utc_datetime(&d.and_time(t)))
}

/// Browser captures alone, the longest vantage's page loads under
/// [`verdict::QUIET_MIN_LOADS`]: that count (see
/// `VerdictInput::short_capture_loads`).
fn short_capture_loads(ds: &Dataset, census: &aggregate::loads::LoadCensus) -> Option<usize> {
    if !ds.probes.is_empty() || !ds.server.is_empty() || census.loads.is_empty() {
        return None;
    }
    let mut per_vantage: std::collections::BTreeMap<&str, usize> = Default::default();
    for l in &census.loads {
        *per_vantage.entry(l.vantage.as_str()).or_default() += 1;
    }
    let most = per_vantage.values().copied().max().unwrap_or(0);
    (most < verdict::QUIET_MIN_LOADS).then_some(most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse() {
        let mut ds = Dataset::default();
        ds.inputs.push(crate::model::InputReport {
            first_ts: crate::classify::parse_ts("2025-02-06T09:00:00Z"),
            ..Default::default()
        });
        let w = parse_windows(
            &[
                "during=10:00..10:30".into(),
                "before=2025-02-06T09:00:00Z..1738836000".into(),
            ],
            &ds,
        )
        .unwrap();
        assert_eq!(
            report::ts(w.during.unwrap().start),
            "2025-02-06T10:00:00.000Z"
        );
        assert_eq!(
            report::ts(w.before.unwrap().end),
            "2025-02-06T10:00:00.000Z"
        );
        assert!(parse_windows(&["during=10:30..10:00".into()], &ds).is_err());
        assert!(parse_windows(&["middle=10:00..10:30".into()], &ds).is_err());
        assert!(parse_windows(&["during=x..y".into()], &ds).is_err());
    }
}
