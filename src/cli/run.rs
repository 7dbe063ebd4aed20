//! The runners: each command's arguments turned into a pipeline request,
//! the pipeline run, the report rendered and written. Plain Rust over the
//! argument types; clap stays in `args`.

use super::progress::Progress;
use super::{Cli, CliError, ColorChoice, Command, Common, Format};
use crate::pipeline::{self, Request};
use crate::report::{json, markdown, table};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

fn request(paths: Vec<String>, c: &Common) -> Result<Request, CliError> {
    let now =
        match c.now.as_deref() {
            None => None,
            Some("now") => Some(chrono::Utc::now()),
            Some(s) => Some(crate::classify::parse_ts(s).ok_or_else(|| {
                CliError::Usage(format!("--now {s:?}: expected RFC 3339 or `now`"))
            })?),
        };
    Ok(Request {
        paths,
        windows: c.windows.clone(),
        changes: c.changes.clone(),
        first_party: c.first_party.clone(),
        vantage_map: c.vantage_map.clone(),
        start: match c.start.as_deref() {
            None => None,
            Some(t) => Some(crate::classify::parse_ts(t).ok_or_else(|| {
                CliError::Usage(format!("--start {t:?}: expected RFC 3339 or unix seconds"))
            })?),
        },
        bin_seconds: c.bin,
        max_record_bytes: c.max_record_bytes,
        unsafe_include_secrets: c.unsafe_include_secrets,
        now,
        top: c.top,
        ..Default::default()
    })
}

fn params(rate: f64, bin_s: u32) -> Result<crate::columnar::engine::Params, CliError> {
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(CliError::Usage(format!(
            "--sample-rate {rate}: expected 0 < RATE <= 1"
        )));
    }
    if bin_s == 0 {
        return Err(CliError::Usage("--bin-seconds must be at least 1".into()));
    }
    Ok(crate::columnar::engine::Params {
        sample_rate: rate,
        bin_ms: bin_s as i64 * 1000,
    })
}

pub(super) fn read_stdin() -> Vec<u8> {
    let mut b = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut b);
    b
}

pub(super) fn write_out(path: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| CliError::Write(p.display().to_string(), e)),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .map_err(|e| CliError::Write("stdout".into(), e))
        }
    }
}

fn run_analysis(
    req: Request,
    c: &Common,
    quiet: bool,
    verbose: u8,
    force_format: Option<Format>,
) -> Result<(), CliError> {
    let progress = Progress::new(quiet);
    let cb = |d: usize, t: usize| progress.tick(d, t);
    let outcome = pipeline::run(&req, &mut read_stdin, &cb)?;
    progress.finish();
    let report = &outcome.report;
    if !quiet {
        let skipped = report.inputs.iter().filter(|i| i.skipped.is_some()).count();
        for i in &report.inputs {
            if let (Some(s), true) = (&i.skipped, verbose > 0) {
                eprintln!("faultlens: skipped {}: {s}", i.path);
            } else if i.bad_records > 0 && verbose > 0 {
                eprintln!(
                    "faultlens: {}: {} bad records (first: {})",
                    i.path,
                    i.bad_records,
                    i.rejected
                        .first()
                        .map(|r| format!("{}: {}", r.at, r.reason))
                        .unwrap_or_default()
                );
            }
            for w in &i.warnings {
                eprintln!("faultlens: {}: {w}", i.path);
            }
        }
        if verbose > 1 {
            for (stage, ms) in &outcome.stage_ms {
                eprintln!("faultlens: stage {stage}: {ms:.1} ms");
            }
        }
        if skipped > 0 && verbose == 0 {
            eprintln!(
                "faultlens: {skipped} file(s) not recognised and skipped (listed under data coverage; -v prints them)"
            );
        }
    }
    let format = force_format.unwrap_or(c.format);
    let text = match format {
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Table => {
            let color = match c.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    c.output.is_none()
                        && std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let width = if c.output.is_none() && std::io::stdout().is_terminal() {
                terminal_width()
            } else {
                None
            };
            table::render(report, &table::TableOptions { color, width })
        }
    };
    let written = write_out(c.output.as_ref(), &text);
    // Freeing a large dataset record by record takes longer than writing the
    // report (millions of strings): a thread does it while the process exits
    // (a library caller that stays up gets the memory back all the same; if
    // no thread can be had, the closure and the outcome drop right here).
    let _ = std::thread::Builder::new().spawn(move || drop(outcome));
    written
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(120))
}

pub fn execute(cli: Cli) -> Result<(), CliError> {
    let (q, v) = (cli.quiet, cli.verbose);
    match cli.command {
        Command::Analyze(a) => {
            if a.aggregates.is_some()
                && (!a.common.changes.is_empty()
                    || !a.common.first_party.is_empty()
                    || a.common.vantage_map.is_some())
            {
                return Err(CliError::Usage(
                    "--aggregates reads what export fixed: give --changes, --first-party and --vantage-map to `faultlens export`".into(),
                ));
            }
            let mut req = request(a.paths, &a.common)?;
            req.aggregates = a.aggregates;
            run_analysis(req, &a.common, q, v, None)
        }
        Command::Export(a) => {
            let req = Request {
                paths: a.paths,
                changes: a.changes,
                first_party: a.first_party,
                vantage_map: a.vantage_map,
                max_record_bytes: a.max_record_bytes,
                unsafe_include_secrets: a.unsafe_include_secrets,
                ..Default::default()
            };
            let progress = Progress::new(q);
            let cb = |d: usize, t: usize| progress.tick(d, t);
            let summary = pipeline::export(&req, &a.parquet, &mut read_stdin, &cb)?;
            progress.finish();
            if !q {
                for (t, (rows, files)) in &summary.tables {
                    eprintln!("faultlens: {t}: {rows} rows in {files} file(s)");
                }
                eprintln!("faultlens: wrote {}", a.parquet.display());
            }
            Ok(())
        }
        Command::Sql(a) => write_out(
            None,
            &crate::columnar::engine::render(params(a.sample_rate, a.bin_seconds)?),
        ),
        Command::Aggregate(a) => {
            let p = params(a.sample_rate, a.bin_seconds)?;
            let s = crate::columnar::engine::run_local(&a.tables, &a.out, p)
                .map_err(pipeline::Error::from)?;
            if !q {
                for (name, rows) in &s.rows {
                    eprintln!("faultlens: {name}: {rows} rows");
                }
                eprintln!("faultlens: wrote {}", a.out.display());
            }
            Ok(())
        }
        Command::Compare(a) => {
            let mut req = request(a.incident, &a.common)?;
            req.baseline = a.baseline;
            req.compare = true;
            // k6 end-of-test summaries on both sides: their statistics side by side
            if let Some(text) =
                pipeline::compare_run_summaries(&req, matches!(a.common.format, Format::Json))
            {
                return write_out(a.common.output.as_ref(), &text);
            }
            run_analysis(req, &a.common, q, v, None)
        }
        Command::Report(a) => {
            let Some(out) = a.common.output.clone() else {
                return Err(CliError::Usage(
                    "report needs -o FILE (the markdown summary to write)".into(),
                ));
            };
            let req = request(a.paths, &a.common)?;
            let progress = Progress::new(q);
            let cb = |d: usize, t: usize| progress.tick(d, t);
            let outcome = pipeline::run(&req, &mut read_stdin, &cb)?;
            progress.finish();
            let md = markdown::render(&outcome.report);
            write_out(Some(&out), &md)?;
            if a.svg {
                for (name, svg) in markdown::svg_charts(&outcome.report) {
                    let p = out.with_file_name(format!(
                        "{}-{name}.svg",
                        out.file_stem()
                            .and_then(|s| s.to_str())
                            .unwrap_or("summary")
                    ));
                    std::fs::write(&p, svg)
                        .map_err(|e| CliError::Write(p.display().to_string(), e))?;
                }
            }
            if !q {
                eprintln!(
                    "faultlens: wrote {} ({})",
                    out.display(),
                    outcome.report.verdict.summary
                );
            }
            Ok(())
        }
        Command::Explain(a) => {
            if a.all {
                let text = if a.markdown {
                    crate::detect::docs_markdown()
                } else {
                    crate::detect::registry()
                        .iter()
                        .map(|d| format!("{}\n", d.explain()))
                        .collect()
                };
                return write_out(None, &text);
            }
            let Some(code) = a.code else {
                let list: String = crate::detect::registry()
                    .iter()
                    .map(|d| format!("{}  {}\n", d.code, d.name))
                    .collect();
                return write_out(None, &list);
            };
            match crate::detect::find(&code) {
                Some(d) => write_out(None, &d.explain()),
                None => Err(CliError::Usage(format!(
                    "no detector {code:?}; `faultlens explain` lists them"
                ))),
            }
        }
        Command::Sanitize(a) => super::tools::sanitize(a, q),
        Command::Completions { shell } => write_out(
            None,
            &String::from_utf8_lossy(&super::args::completions(shell)),
        ),
        Command::Man => {
            let buf = super::args::man_page().map_err(|e| CliError::Internal(e.to_string()))?;
            write_out(None, &String::from_utf8_lossy(&buf))
        }
        Command::Formats => {
            let list: String = crate::ingest::registry()
                .iter()
                .map(|f| {
                    format!(
                        "{}\n  sample: {}\n  feeds:  {}\n",
                        f.name,
                        crate::ingest::sample_line(f, 100),
                        crate::ingest::feeds(f.name)
                    )
                })
                .collect();
            write_out(None, &list)
        }
        Command::Scenario(a) => super::tools::scenario(a),
        Command::Accuracy(a) => super::tools::accuracy(a),
    }
}
