//! The aggregation SQL (`sql/aggregates.sql`) and the local engine that
//! runs it. The same text runs unchanged on Spark (`sql/spark_run.py`);
//! locally polars runs it over lazy Parquet scans with its streaming
//! engine, so an export larger than memory still reduces on one machine.

use super::tables::Reader;
use super::{Error, io, parquet_files, pl, write_parquet};
use polars::prelude::*;
use polars::sql::SQLContext;
use std::path::Path;

/// The SQL text as shipped, with `{sample_below}` unexpanded.
pub const SQL: &str = include_str!("../../sql/aggregates.sql");

/// Sample keys are 32-bit: `sample_key < KEY_SPACE` keeps every row.
pub const KEY_SPACE: i64 = 1 << 32;

/// One named statement of `SQL`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub name: String,
    pub sql: String,
}

/// The threshold that keeps `rate` of the rows (0..=1).
pub fn sample_below(rate: f64) -> i64 {
    let r = if rate.is_finite() {
        rate.clamp(0.0, 1.0)
    } else {
        1.0
    };
    (r * KEY_SPACE as f64).round() as i64
}

/// The SQL's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Share of rows the row tables keep (0..=1).
    pub sample_rate: f64,
    /// Width of the count bins, ms (UTC-aligned).
    pub bin_ms: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            sample_rate: 1.0,
            bin_ms: 60_000,
        }
    }
}

/// `SQL` with its parameters filled in: what `faultlens sql` prints.
pub fn render(p: Params) -> String {
    SQL.replace("{sample_below}", &sample_below(p.sample_rate).to_string())
        .replace("{bin_ms}", &p.bin_ms.max(1).to_string())
}

/// The statements of `render(p)`, split on their `-- name:` lines.
pub fn queries(p: Params) -> Vec<Query> {
    let text = render(p);
    let mut out: Vec<Query> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- name:") {
            out.push(Query {
                name: name.trim().to_string(),
                sql: String::new(),
            });
        } else if let Some(q) = out.last_mut()
            && !line.trim_start().starts_with("--")
        {
            q.sql.push_str(line);
            q.sql.push('\n');
        }
    }
    for q in &mut out {
        q.sql = q.sql.trim().trim_end_matches(';').trim().to_string();
    }
    out
}

/// What a local engine run wrote: query -> rows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunSummary {
    pub rows: Vec<(String, u64)>,
}

/// Run every statement over the export in `export_dir` with polars (lazy
/// scans, streaming engine) and write each result to `out_dir/<name>/`,
/// as an engine would. The scans and the bins stream; each statement's
/// result is held in memory before it is written, so the row statements
/// need room for rate x rows.
pub fn run_local(export_dir: &Path, out_dir: &Path, p: Params) -> Result<RunSummary, Error> {
    let mut ctx = SQLContext::new();
    for t in super::TABLES {
        let files = parquet_files(&export_dir.join(t));
        if files.is_empty() {
            return Err(Error::Schema(
                export_dir.join(t).display().to_string(),
                "table missing: not a faultlens export".into(),
            ));
        }
        let paths: Vec<PlRefPath> = files
            .iter()
            .map(|p| PlRefPath::new(p.display().to_string()))
            .collect();
        let lf = LazyFrame::scan_parquet_files(
            paths.into_iter().collect(),
            ScanArgsParquet {
                allow_missing_columns: true,
                // the partition values are in the rows already (ts_ms, and
                // file -> inputs.format); inferring their types would need
                // polars' date features
                hive_options: HiveOptions::new_disabled(),
                ..Default::default()
            },
        )
        .map_err(pl(&export_dir.join(t)))?;
        ctx.register(t, lf);
    }
    let mut summary = RunSummary::default();
    for q in queries(p) {
        let dir = out_dir.join(&q.name);
        let lf = ctx.execute(&q.sql).map_err(pl(&dir))?;
        let mut df = lf
            .collect_with_engine(Engine::Streaming)
            .map_err(pl(&dir))?
            .unwrap_single();
        // a previous run's files would be read back with this one's
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        write_parquet(&mut df, &dir.join("part-0.parquet"))?;
        summary.rows.push((q.name, df.height() as u64));
    }
    Ok(summary)
}

pub use crate::model::bins::{Bins, ProbeBin, RequestBin};

pub(super) fn request_bins_from(df: &DataFrame) -> PolarsResult<Vec<RequestBin>> {
    let r = Reader::new(df);
    let (sec, file, vantage, host) = (
        r.i64("bin_start_ms")?,
        r.i64("file")?,
        r.str("vantage")?,
        r.str("host")?,
    );
    let (endpoint, party, rtype, edge) = (
        r.str("endpoint")?,
        r.str("party")?,
        r.str("resource_type")?,
        r.bool("edge")?,
    );
    let (status, class, err, n) = (
        r.i64("status")?,
        r.str("error_class")?,
        r.bool("is_error")?,
        r.i64("n")?,
    );
    let mut out: Vec<RequestBin> = (0..df.height())
        .map(|i| RequestBin {
            bin_start_ms: sec[i].unwrap_or(0),
            file: file[i].unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            vantage: vantage[i].clone(),
            host: host[i].clone().unwrap_or_default(),
            endpoint: endpoint[i].clone().unwrap_or_default(),
            party: party[i].clone().unwrap_or_default(),
            resource_type: rtype[i].clone().unwrap_or_default(),
            edge: edge[i].unwrap_or(false),
            status: status[i].unwrap_or(0) as i32,
            error_class: class[i].clone(),
            is_error: err[i].unwrap_or(false),
            n: n[i].unwrap_or(0).max(0) as u64,
        })
        .collect();
    out.sort();
    Ok(out)
}

pub(super) fn probe_bins_from(df: &DataFrame) -> PolarsResult<Vec<ProbeBin>> {
    let r = Reader::new(df);
    let (sec, region, target) = (r.i64("bin_start_ms")?, r.str("region")?, r.str("target")?);
    let (status, class, err, n) = (
        r.i64("status")?,
        r.str("error_class")?,
        r.bool("is_error")?,
        r.i64("n")?,
    );
    let mut out: Vec<ProbeBin> = (0..df.height())
        .map(|i| ProbeBin {
            bin_start_ms: sec[i].unwrap_or(0),
            region: region[i].clone().unwrap_or_default(),
            target: target[i].clone().unwrap_or_default(),
            status: status[i].map(|s| s as i32),
            error_class: class[i].clone(),
            is_error: err[i].unwrap_or(false),
            n: n[i].unwrap_or(0).max(0) as u64,
        })
        .collect();
    out.sort();
    Ok(out)
}

/// (sample rate, bin width in ms) from the one-row `sample` table.
pub(super) fn sample_from(df: &DataFrame) -> PolarsResult<(f64, i64)> {
    let r = Reader::new(df);
    let first = |v: Vec<Option<i64>>| v.first().copied().flatten();
    let below = first(r.i64("sample_below")?).unwrap_or(KEY_SPACE);
    let bin_ms = first(r.i64("bin_ms")?).unwrap_or(0).max(0);
    Ok(((below as f64 / KEY_SPACE as f64).clamp(0.0, 1.0), bin_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_on_name_lines() {
        let q = queries(Params::default());
        let names: Vec<&str> = q.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "inputs",
                "first_party",
                "changes",
                "sample",
                "requests",
                "pages",
                "probes",
                "server",
                "request_bins",
                "probe_bins"
            ]
        );
        for q in &q {
            assert!(q.sql.starts_with("SELECT"), "{}: {}", q.name, q.sql);
            assert!(!q.sql.contains(';'), "{}", q.name);
            assert!(!q.sql.contains('{'), "{}: unfilled parameter", q.name);
        }
    }

    #[test]
    fn sample_threshold_keeps_the_asked_share() {
        assert_eq!(sample_below(1.0), KEY_SPACE);
        assert_eq!(sample_below(0.0), 0);
        assert_eq!(sample_below(0.25), KEY_SPACE / 4);
        assert_eq!(sample_below(f64::NAN), KEY_SPACE);
        let p = Params {
            sample_rate: 0.5,
            bin_ms: 5_000,
        };
        assert!(render(p).contains(&format!("sample_key < {}", KEY_SPACE / 2)));
        assert!(render(p).contains("ts_ms - (ts_ms % 5000)"));
    }
}
