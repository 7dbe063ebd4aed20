//! Command line: the only module that knows clap. It turns arguments into
//! library requests, calls the pipeline, and picks the renderer; exit codes
//! follow the contract (0 done, 1 usage / no usable input, 2 internal).

use crate::pipeline::{self, Request};
use crate::report::{json, markdown, table};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "faultlens",
    version,
    about = "Offline outage forensics: what changed, where the fault lies, what to tell people",
    long_about = "faultlens reads HAR captures, synthetic probe logs, server access logs and change logs, finds the incident window, compares it with the baseline, and names the fault domain (client, dns, network, tls, cdn, backend, third_party or none) with evidence and a confidence."
)]
pub struct Cli {
    /// Less output on stderr (no progress, no warnings summary).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More output on stderr: -v per-file details, -vv also each stage's wall time.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse inputs: find the incident window, name the fault domain.
    #[command(
        after_help = "Examples:\n  faultlens analyze fixtures/incidents/asana-global\n  faultlens analyze us-east=chrome.har region=eu-west/ probes.jsonl --changes deploys.csv\n  faultlens analyze logs/ --window during=10:44..11:10 --format json -o verdict.json\n  zcat probes.jsonl.gz | faultlens analyze -"
    )]
    Analyze(AnalyzeArgs),
    /// Compare a baseline capture with an incident capture.
    #[command(
        after_help = "Examples:\n  faultlens compare --baseline good.har --incident bad.har\n  faultlens compare --baseline monday/ --incident today/ --format markdown -o diff.md"
    )]
    Compare(CompareArgs),
    /// Write a markdown post-incident summary.
    #[command(
        after_help = "Examples:\n  faultlens report fixtures/incidents/asana-global -o summary.md\n  faultlens report captures/ --changes changes.jsonl -o summary.md --svg"
    )]
    Report(ReportArgs),
    /// Print a detector's documentation (code or name), or all of them.
    #[command(
        after_help = "Examples:\n  faultlens explain FL103\n  faultlens explain partial-load\n  faultlens explain --all --markdown > docs/detectors.md"
    )]
    Explain(ExplainArgs),
    /// Write a copy of a HAR with every secret replaced.
    #[command(
        after_help = "Examples:\n  faultlens sanitize capture.har -o capture.safe.har\n  faultlens sanitize big.har -o small.har --drop-bodies"
    )]
    Sanitize(SanitizeArgs),
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  faultlens completions bash > /etc/bash_completion.d/faultlens\n  faultlens completions zsh > ~/.zfunc/_faultlens"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    #[command(after_help = "Examples:\n  faultlens man > faultlens.1 && man ./faultlens.1")]
    Man,
    /// List the input formats faultlens recognises.
    Formats,
    /// Generate a labelled scenario (realistic inputs with a known answer).
    #[command(
        after_help = "Examples:\n  faultlens scenario asana-global --seed 7 --out /tmp/s\n  faultlens scenario --list"
    )]
    Scenario(ScenarioArgs),
    /// Write the normalized tables as Hive-partitioned Parquet (for Spark & co.).
    #[command(
        after_help = "Examples:\n  faultlens export fixtures/incidents/asana-global --parquet /tmp/asana-tables\n  faultlens sql > aggregates.sql   # run it on Spark over the tables\n  faultlens analyze --aggregates /tmp/asana-aggregates"
    )]
    Export(ExportArgs),
    /// Print the aggregation SQL (Spark SQL dialect) that reduces exported tables.
    #[command(
        after_help = "Examples:\n  faultlens sql\n  faultlens sql --sample-rate 0.01 > aggregates.sql"
    )]
    Sql(SqlArgs),
    /// Run the aggregation SQL locally (polars, streaming) over exported tables.
    #[command(
        after_help = "Examples:\n  faultlens aggregate /tmp/tables --out /tmp/aggregates --sample-rate 0.05\n  faultlens analyze --aggregates /tmp/aggregates"
    )]
    Aggregate(AggregateArgs),
    /// Run many generated scenarios and print the accuracy table.
    #[command(
        after_help = "Examples:\n  faultlens accuracy --seeds 5\n  faultlens accuracy --seeds 20 --markdown > docs/accuracy.md\n  faultlens accuracy --corpus fixtures/lab"
    )]
    Accuracy(AccuracyArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the output to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Explicit window, half-open: before|during|after=START..END (RFC 3339, unix seconds, or HH:MM on the data's day).
    #[arg(long = "window", value_name = "NAME=START..END")]
    pub windows: Vec<String>,
    /// A change log (deploys, config changes, rollbacks), whatever its name.
    #[arg(long, value_name = "FILE")]
    pub changes: Vec<String>,
    /// Registrable domain that is first party (repeatable); default: the pages' main documents and probe targets.
    #[arg(long = "first-party", value_name = "DOMAIN")]
    pub first_party: Vec<String>,
    /// CSV probe_id,region[,country,asn] for RIPE Atlas results.
    #[arg(long, value_name = "FILE")]
    pub vantage_map: Option<String>,
    /// Bin width for the time series, seconds (default: 60, narrower for short captures).
    #[arg(long, value_name = "SECONDS")]
    pub bin: Option<u64>,
    /// When a capture without full time stamps began (plain ping output; `ts` stamps without a year): RFC 3339 or unix seconds.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Reject any single line or JSON record larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::ingest::DEFAULT_MAX_RECORD_BYTES)]
    pub max_record_bytes: usize,
    /// Stamp the report with this time (RFC 3339 or `now`); without it output bytes never depend on the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print secrets as they are (cookies, tokens, Authorization). Never do this for output you share.
    #[arg(long)]
    pub unsafe_include_secrets: bool,
    /// Colour in the table output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// How many top changes to list.
    #[arg(long, default_value_t = 12)]
    pub top: usize,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Files, folders, `-` for stdin; `label=PATH` names the vantage.
    #[arg(required_unless_present = "aggregates", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Read the tables an engine wrote with `faultlens sql` (or `faultlens aggregate`) instead of PATHs.
    #[arg(long, value_name = "DIR", conflicts_with = "paths")]
    pub aggregates: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Files, folders, `-` for stdin; `label=PATH` names the vantage.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Directory to write the tables to (Hive-partitioned by day and source kind).
    #[arg(long, required = true, value_name = "DIR")]
    pub parquet: PathBuf,
    /// A change log (deploys, config changes, rollbacks), whatever its name.
    #[arg(long, value_name = "FILE")]
    pub changes: Vec<String>,
    /// Registrable domain that is first party (repeatable).
    #[arg(long = "first-party", value_name = "DOMAIN")]
    pub first_party: Vec<String>,
    /// CSV probe_id,region[,country,asn] for RIPE Atlas results.
    #[arg(long, value_name = "FILE")]
    pub vantage_map: Option<String>,
    /// Reject any single line or JSON record larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::ingest::DEFAULT_MAX_RECORD_BYTES)]
    pub max_record_bytes: usize,
    /// Write secrets as they are. Never do this for tables you share.
    #[arg(long)]
    pub unsafe_include_secrets: bool,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// Share of rows the row tables keep (0..1]; counts stay exact through the count bins.
    #[arg(long, default_value_t = 1.0, value_name = "RATE")]
    pub sample_rate: f64,
    /// Width of the count bins, seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub bin_seconds: u32,
}

#[derive(Args, Debug)]
pub struct AggregateArgs {
    /// A directory written by `faultlens export`.
    #[arg(value_name = "DIR")]
    pub tables: PathBuf,
    /// Directory to write the aggregates to (one subdirectory per statement).
    #[arg(long, required = true, value_name = "DIR")]
    pub out: PathBuf,
    /// Share of rows the row tables keep (0..1].
    #[arg(long, default_value_t = 1.0, value_name = "RATE")]
    pub sample_rate: f64,
    /// Width of the count bins, seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub bin_seconds: u32,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The healthy capture(s).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub baseline: Vec<String>,
    /// The capture(s) taken during the incident.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub incident: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Also write SVG charts beside the markdown file.
    #[arg(long)]
    pub svg: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Detector code (FL101) or name (api-5xx).
    pub code: Option<String>,
    /// Every detector.
    #[arg(long)]
    pub all: bool,
    /// Markdown (as in docs/detectors.md).
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args, Debug)]
pub struct SanitizeArgs {
    /// The HAR to sanitize (`-` for stdin).
    pub input: String,
    /// Where to write the sanitized HAR.
    #[arg(short, long, required = true)]
    pub output: PathBuf,
    /// Drop the bodies of HTML, JavaScript and CSS responses.
    #[arg(long)]
    pub drop_bodies: bool,
}

#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// Scenario kind (see --list).
    pub kind: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List the kinds.
    #[arg(long)]
    pub list: bool,
}

#[derive(Args, Debug)]
pub struct AccuracyArgs {
    /// Seeds per scenario kind.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1000)]
    pub first_seed: u64,
    /// Print markdown (docs/accuracy.md).
    #[arg(long)]
    pub markdown: bool,
    /// Score a folder of labelled cases (folders with a truth.json: the
    /// lab corpus, real-structure cases) instead of generating scenarios.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// The difficulty sweep: accuracy against intensity (error share,
    /// slowdown, loss), regions hit and confounders, per kind.
    #[arg(long)]
    pub sweep: bool,
    /// With --sweep: only these kinds (comma separated; see `scenario --list`).
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub kinds: Vec<String>,
    /// With --sweep: only these knobs (error-share, latency, loss,
    /// regions, confounder; comma separated).
    #[arg(long, value_delimiter = ',', value_name = "AXIS,...")]
    pub axes: Vec<String>,
    /// Everything at once (generator, sweep, fixtures/lab,
    /// fixtures/realcase): calibration measured on held-out cases and
    /// every table; with --markdown, docs/accuracy.md. Run from the
    /// repository root.
    #[arg(long)]
    pub all: bool,
    /// With --all: refit the calibration map on the cases not held out,
    /// write it to FILE (src/calibration.json, compiled in at the next
    /// build) and report with the new map.
    #[arg(long, value_name = "FILE", requires = "all")]
    pub fit_calibration: Option<PathBuf>,
    /// With --all: also write every case (truth, raw and calibrated
    /// verdict) to FILE, tab-separated.
    #[arg(long, value_name = "FILE", requires = "all")]
    pub cases: Option<PathBuf>,
}

/// Errors the CLI reports; the exit code is part of each.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {0}: {1}")]
    Write(String, std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Pipeline(e) => e.exit_code(),
            CliError::Usage(_) => 1,
            CliError::Write(..) => 1,
            CliError::Internal(_) => 2,
        }
    }
}

pub fn parse() -> Cli {
    Cli::parse()
}

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

fn read_stdin() -> Vec<u8> {
    let mut b = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut b);
    b
}

fn write_out(path: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| CliError::Write(p.display().to_string(), e)),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .map_err(|e| CliError::Write("stdout".into(), e))
        }
    }
}

struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    enabled: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = indicatif::ProgressBar::hidden();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} reading {pos}/{len} files {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: std::time::Instant::now(),
            enabled,
        }
    }
    fn tick(&self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        // only runs that take over a second get a bar
        if self.bar.is_hidden() && self.start.elapsed().as_millis() > 1000 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
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
        Command::Sanitize(a) => sanitize(a, q),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "faultlens", &mut buf);
            write_out(None, &String::from_utf8_lossy(&buf))
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| CliError::Internal(e.to_string()))?;
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
        Command::Scenario(a) => scenario(a),
        Command::Accuracy(a) => accuracy(a),
    }
}

fn accuracy(a: AccuracyArgs) -> Result<(), CliError> {
    let internal = |e: std::io::Error| CliError::Internal(e.to_string());
    if a.all {
        let plan = crate::accuracy::StudyPlan::standard(a.first_seed, a.seeds);
        let mut study = crate::accuracy::Study::run(plan).map_err(internal)?;
        let cal = match &a.fit_calibration {
            Some(out) => {
                let cal = study.fit();
                let mut json = serde_json::to_string_pretty(&cal)
                    .map_err(|e| CliError::Internal(e.to_string()))?;
                json.push('\n');
                std::fs::write(out, json)
                    .map_err(|e| CliError::Write(out.display().to_string(), e))?;
                study.settle(&cal);
                cal
            }
            None => crate::calibration::Calibration::current().clone(),
        };
        if let Some(out) = &a.cases {
            std::fs::write(out, study.cases_tsv())
                .map_err(|e| CliError::Write(out.display().to_string(), e))?;
        }
        let text = if a.markdown {
            study.markdown(&cal)
        } else {
            let mut s = String::new();
            for (name, r) in study.held_out() {
                s.push_str(&format!(
                    "held out, {name}: {} cases, ECE {:.3}, Brier {:.3}\n",
                    r.cases, r.ece, r.brier
                ));
            }
            s.push_str(&study.generated.text());
            s.push_str(&crate::accuracy::sweep_markdown(&study.sweep));
            s
        };
        return write_out(None, &text);
    }
    if a.sweep {
        let kinds = if a.kinds.is_empty() {
            crate::scenario::ScenarioKind::all().to_vec()
        } else {
            a.kinds
                .iter()
                .map(|k| {
                    crate::scenario::ScenarioKind::from_name(k).ok_or_else(|| {
                        CliError::Usage(format!(
                            "unknown kind {k:?} (see `faultlens scenario --list`)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let axes = a
            .axes
            .iter()
            .map(|x| {
                crate::accuracy::Axis::from_name(x).ok_or_else(|| {
                    CliError::Usage(format!(
                        "unknown axis {x:?} (error-share, latency, loss, regions, confounder)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let table =
            crate::accuracy::run_sweep(a.first_seed, a.seeds, &kinds, &axes).map_err(internal)?;
        return write_out(None, &crate::accuracy::sweep_markdown(&table));
    }
    let table = match &a.corpus {
        Some(dir) => {
            crate::accuracy::run_corpus(dir).map_err(|e| CliError::Usage(e.to_string()))?
        }
        None => crate::accuracy::run(a.first_seed, a.seeds).map_err(internal)?,
    };
    write_out(
        None,
        &if a.markdown {
            table.markdown()
        } else {
            table.text()
        },
    )
}

fn sanitize(a: SanitizeArgs, quiet: bool) -> Result<(), CliError> {
    let opts = crate::sanitize::SanitizeOptions {
        drop_bodies: a.drop_bodies,
        ..Default::default()
    };
    let out = std::fs::File::create(&a.output)
        .map_err(|e| CliError::Write(a.output.display().to_string(), e))?;
    let out = std::io::BufWriter::new(out);
    let rep = if a.input == "-" {
        crate::sanitize::sanitize_har(std::io::stdin().lock(), out, &opts)
    } else {
        let f = std::fs::File::open(&a.input)
            .map_err(|e| CliError::Usage(format!("cannot open {}: {e}", a.input)))?;
        crate::sanitize::sanitize_har(std::io::BufReader::new(f), out, &opts)
    }
    .map_err(|e| CliError::Usage(format!("{}: {e}", a.input)))?;
    if !quiet {
        eprintln!("faultlens: wrote {}: {rep}", a.output.display());
    }
    Ok(())
}

fn scenario(a: ScenarioArgs) -> Result<(), CliError> {
    use crate::scenario::ScenarioKind;
    if a.list || a.kind.is_none() {
        let list: String = ScenarioKind::all()
            .iter()
            .map(|k| format!("{}\n", k.name()))
            .collect();
        return write_out(None, &list);
    }
    let name = a.kind.unwrap_or_default();
    let kind = ScenarioKind::from_name(&name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown scenario {name:?}; `faultlens scenario --list`"
        ))
    })?;
    let out = a
        .out
        .ok_or_else(|| CliError::Usage("scenario needs --out DIR".into()))?;
    let truth = crate::scenario::generate(kind, a.seed, &out)
        .map_err(|e| CliError::Write(out.display().to_string(), e))?;
    write_out(
        None,
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&truth).unwrap_or_default()
        ),
    )
}
