//! The normalized tables as Parquet, for engines bigger than one machine.
//! A fleet's month of probe rows or a CDN's access logs do not go through
//! one laptop: `faultlens export` writes the model's tables once, a
//! distributed engine (Spark, or polars locally) runs `sql/` over them, and
//! `analyze --aggregates` reads what the engine wrote back into the same
//! model, so detectors, verdict and reports stay the same code.
//!
//! This is the second (and last) module that imports polars: Parquet is
//! polars' to write and read. Layout and columns: docs/data-model.md.

pub mod engine;
mod tables;

pub use tables::{SCHEMA_VERSION, TABLES};

use crate::model::{Dataset, InputReport};
use crate::redact::Redactor;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: {1}")]
    Polars(String, PolarsError),
    #[error("{0}: {1}")]
    Schema(String, String),
}

fn pl(ctx: &Path) -> impl FnOnce(PolarsError) -> Error + '_ {
    move |e| Error::Polars(ctx.display().to_string(), e)
}

fn io(ctx: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Io(ctx.display().to_string(), e)
}

/// What `export` wrote: table -> (rows, files).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExportSummary {
    pub tables: BTreeMap<&'static str, (u64, u64)>,
}

/// Write every table of `ds` under `dir`, Hive-partitioned by day (UTC)
/// and source kind (the input's format): `dir/probes/day=2025-02-06/
/// source=probe-jsonl/part-0.parquet`. Strings that can carry secrets go
/// through `redactor` first.
pub fn export(
    ds: &Dataset,
    first_party: &[String],
    dir: &Path,
    redactor: &Redactor,
) -> Result<ExportSummary, Error> {
    export_part(ds, first_party, dir, redactor, 0)
}

/// `export` of one slice of a dataset too big to hold at once: slice
/// `part` writes `part-<part>.parquet` files beside the other slices'
/// (the `inputs` and `first_party` tables, the same in every slice, are
/// rewritten; empty tables are written by slice 0 only).
pub fn export_part(
    ds: &Dataset,
    first_party: &[String],
    dir: &Path,
    redactor: &Redactor,
    part: usize,
) -> Result<ExportSummary, Error> {
    if part == 0 && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        // old partitions would be read back as part of this export
        return Err(Error::Schema(
            dir.display().to_string(),
            "directory exists and is not empty".into(),
        ));
    }
    let mut summary = ExportSummary::default();
    for t in tables::build(ds, first_party, redactor) {
        let (mut rows, mut files) = (0u64, 0u64);
        let file_name = if t.partitioned {
            format!("part-{part}.parquet")
        } else {
            "part-0.parquet".to_string()
        };
        for ((day, source), mut df) in t.partitions {
            if t.partitioned && df.height() == 0 && part > 0 {
                continue;
            }
            let mut sub = dir.join(t.name);
            if t.partitioned && !day.is_empty() {
                sub = sub
                    .join(format!("day={day}"))
                    .join(format!("source={}", partition_value(&source)));
            }
            std::fs::create_dir_all(&sub).map_err(io(&sub))?;
            let path = sub.join(&file_name);
            rows += df.height() as u64;
            write_parquet(&mut df, &path)?;
            files += 1;
        }
        summary.tables.insert(t.name, (rows, files));
    }
    Ok(summary)
}

pub(crate) fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<(), Error> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)
        .map_err(pl(path))?;
    Ok(())
}

/// A partition value safe as one path segment.
fn partition_value(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What `import` read back.
#[derive(Debug, Default)]
pub struct Imported {
    pub dataset: Dataset,
    pub first_party: Vec<String>,
    /// The site facts the exporting run inferred (first party with reasons).
    pub site: crate::model::site::SiteFacts,
    /// HTTP counts per bin, when the directory has them (engine output).
    pub bins: engine::Bins,
    /// Share of rows the engine kept in the row tables (1.0 = all).
    pub sample_rate: f64,
    /// Width of the count bins, ms (0 when there are none).
    pub bin_ms: i64,
}

/// Read an export directory, or an engine's output directory (same table
/// names, any number of `*.parquet` files per table, partitioned or not),
/// back into a dataset. Records come back in the model's order.
pub fn import(dir: &Path) -> Result<Imported, Error> {
    let read = |name: &str| -> Result<Option<DataFrame>, Error> { read_table(&dir.join(name)) };
    let mut out = Imported {
        sample_rate: 1.0,
        ..Default::default()
    };
    let Some(inputs) = read("inputs")? else {
        return Err(Error::Schema(
            dir.display().to_string(),
            "no inputs table: not a faultlens export or aggregates directory".into(),
        ));
    };
    out.dataset.inputs = tables::inputs_from(&inputs).map_err(|e| schema(dir, "inputs", e))?;
    if let Some(df) = read("first_party")? {
        out.site = tables::site_from(&df).map_err(|e| schema(dir, "first_party", e))?;
        out.first_party = out
            .site
            .first_party
            .iter()
            .map(|f| f.domain.clone())
            .collect();
    }
    let ds = &mut out.dataset;
    if let Some(df) = read("requests")? {
        ds.requests = tables::requests_from(&df).map_err(|e| schema(dir, "requests", e))?;
    }
    if let Some(df) = read("pages")? {
        ds.pages = tables::pages_from(&df).map_err(|e| schema(dir, "pages", e))?;
    }
    if let Some(df) = read("probes")? {
        ds.probes = tables::probes_from(&df).map_err(|e| schema(dir, "probes", e))?;
    }
    if let Some(df) = read("server")? {
        ds.server = tables::server_from(&df).map_err(|e| schema(dir, "server", e))?;
    }
    if let Some(df) = read("changes")? {
        ds.changes = tables::changes_from(&df).map_err(|e| schema(dir, "changes", e))?;
    }
    if let Some(df) = read("request_bins")? {
        out.bins.requests =
            engine::request_bins_from(&df).map_err(|e| schema(dir, "request_bins", e))?;
    }
    if let Some(df) = read("probe_bins")? {
        out.bins.probes = engine::probe_bins_from(&df).map_err(|e| schema(dir, "probe_bins", e))?;
    }
    if let Some(df) = read("sample")? {
        (out.sample_rate, out.bin_ms) =
            engine::sample_from(&df).map_err(|e| schema(dir, "sample", e))?;
    }
    crate::model::finalize(
        ds,
        &crate::model::ModelOptions {
            first_party: out.first_party.clone(),
            site: Some(out.site.clone()),
        },
    );
    Ok(out)
}

fn schema(dir: &Path, table: &str, e: PolarsError) -> Error {
    Error::Schema(dir.join(table).display().to_string(), e.to_string())
}

/// Every `*.parquet` file under `dir`, sorted by path (engines write
/// `part-*` files in any order; sorting keeps the import deterministic).
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if name.ends_with(".parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One table: all its files stacked, or `None` when the table is absent.
fn read_table(dir: &Path) -> Result<Option<DataFrame>, Error> {
    let files = parquet_files(dir);
    if files.is_empty() {
        return Ok(None);
    }
    let mut all: Option<DataFrame> = None;
    for p in files {
        let f = std::fs::File::open(&p).map_err(io(&p))?;
        let df = ParquetReader::new(f).finish().map_err(pl(&p))?;
        all = Some(match all {
            None => df,
            Some(mut a) => {
                // engines may order columns differently per file
                let df = df.select(a.get_column_names_owned()).map_err(pl(&p))?;
                a.vstack_mut(&df).map_err(pl(&p))?;
                a
            }
        });
    }
    Ok(all.map(|mut df| {
        df.rechunk_mut();
        df
    }))
}

/// The inputs table alone (for `export`'s summary and tests).
pub fn input_reports(dir: &Path) -> Result<Vec<InputReport>, Error> {
    match read_table(&dir.join("inputs"))? {
        Some(df) => tables::inputs_from(&df).map_err(|e| schema(dir, "inputs", e)),
        None => Ok(Vec::new()),
    }
}
