//! The command line as clap sees it: commands, flags, help text, and the
//! completions and man page generated from the same definition. The one
//! file that imports clap.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
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
    /// Seeds per source of the real-structure grid (with --all or
    /// --realcase-grid).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub realcase_seeds: u64,
    /// Build the real-structure grid from the real captures in DIR
    /// (fixtures/realcase/sources) and print its tables (markdown).
    #[arg(long, value_name = "DIR")]
    pub realcase_grid: Option<PathBuf>,
    /// With --realcase-grid: only this source (its short name, e.g.
    /// mitmproxy-safari).
    #[arg(long, value_name = "SHORT", requires = "realcase_grid")]
    pub source: Option<String>,
}

pub fn parse() -> Cli {
    Cli::parse()
}

/// Shell completions for `faultlens completions SHELL`.
pub(super) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "faultlens", &mut buf);
    buf
}

/// The man page for `faultlens man`.
pub(super) fn man_page() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    Ok(buf)
}
