//! Model records <-> columns. Only types every engine reads the same way
//! (64-bit integers, doubles, UTF-8, booleans): Spark has no unsigned
//! integers, and times are UTC milliseconds so no engine applies a zone.

use crate::model::{
    Change, ChangeKind, Dataset, EdgeHints, ErrorClass, InputReport, LocKind, Named, Page, Party,
    Phases, ProbeKind, ProbeRecord, Rejection, Request, ResourceType, ServerRequest, SourceRef,
};
use crate::redact::Redactor;
use crate::sym::{Sym, intern};
use chrono::{DateTime, Utc};
use polars::prelude::*;
use std::collections::BTreeMap;

/// Version of the table layout (docs/data-model.md); bumped on any change
/// an engine's SQL or an importer would notice.
pub const SCHEMA_VERSION: i64 = 1;

/// Table names, in export order.
pub const TABLES: [&str; 7] = [
    "inputs",
    "first_party",
    "requests",
    "pages",
    "probes",
    "server",
    "changes",
];

pub struct Table {
    pub name: &'static str,
    /// Hive-partitioned by (day, source) or one file.
    pub partitioned: bool,
    pub partitions: BTreeMap<(String, String), DataFrame>,
}

/// A stable 32-bit hash of where a record came from: the sample key the
/// engine's SQL filters on, so every engine keeps the same rows.
pub fn sample_key(path: &str, at: SourceRef) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path
        .bytes()
        .chain([0, at.kind as u8])
        .chain(at.n.to_le_bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64 finaliser: FNV's low bits are weak
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 32) as i64
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Rows of one table split by (day, source kind), each part turned into a
/// frame by `frame`.
fn partitioned<'a, T>(
    ds: &Dataset,
    rows: &'a [T],
    at: impl Fn(&T) -> (SourceRef, DateTime<Utc>),
    frame: impl Fn(&[&'a T]) -> PolarsResult<DataFrame>,
) -> BTreeMap<(String, String), DataFrame> {
    let mut parts: BTreeMap<(String, String), Vec<&T>> = BTreeMap::new();
    if rows.is_empty() {
        // an empty table is one empty file, so engines still see its schema
        parts.insert((String::new(), String::new()), Vec::new());
    }
    for r in rows {
        let (src, t) = at(r);
        let kind = ds
            .inputs
            .get(src.file as usize)
            .map_or("unknown", |i| i.format.as_str());
        parts.entry((day(t), kind.to_string())).or_default().push(r);
    }
    parts
        .into_iter()
        .filter_map(|(k, v)| frame(&v).ok().map(|df| (k, df)))
        .collect()
}

fn col<T, N>(name: &str, v: Vec<T>) -> Column
where
    Series: NamedFrom<Vec<T>, N>,
    N: ?Sized,
{
    Series::new(name.into(), v).into()
}

fn frame(cols: Vec<Column>) -> PolarsResult<DataFrame> {
    let h = cols.first().map_or(0, |c| c.len());
    DataFrame::new(h, cols)
}

/// The columns every row table starts with: where it came from, when, and
/// the sample key.
fn source_cols<T>(
    ds: &Dataset,
    rows: &[&T],
    at: impl Fn(&T) -> (SourceRef, DateTime<Utc>),
) -> Vec<Column> {
    let path = |s: SourceRef| {
        ds.inputs
            .get(s.file as usize)
            .map_or("", |i| i.path.as_str())
    };
    vec![
        col(
            "file",
            rows.iter().map(|r| at(r).0.file as i64).collect::<Vec<_>>(),
        ),
        col(
            "loc_kind",
            rows.iter().map(|r| at(r).0.kind.name()).collect::<Vec<_>>(),
        ),
        col(
            "loc",
            rows.iter().map(|r| at(r).0.n as i64).collect::<Vec<_>>(),
        ),
        col(
            "ts_ms",
            rows.iter().map(|r| ms(at(r).1)).collect::<Vec<_>>(),
        ),
        col(
            "sample_key",
            rows.iter()
                .map(|r| sample_key(path(at(r).0), at(r).0))
                .collect::<Vec<_>>(),
        ),
    ]
}

fn phase_cols<T>(rows: &[&T], ph: impl Fn(&T) -> &Phases) -> Vec<Column> {
    Phases::NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| col(n, rows.iter().map(|r| ph(r).at(i)).collect::<Vec<_>>()))
        .collect()
}

/// A string column's value as a shared record string ("" for null).
fn sym_of(v: &Option<String>) -> Sym {
    v.as_deref().map(intern).unwrap_or_default()
}

fn opt_u64(v: Option<u64>) -> Option<i64> {
    v.map(|b| b.min(i64::MAX as u64) as i64)
}

pub fn build(ds: &Dataset, first_party: &[String], red: &Redactor) -> Vec<Table> {
    let txt = |s: Option<&str>| s.map(|v| red.text(v));
    let one = |df: PolarsResult<DataFrame>| -> BTreeMap<(String, String), DataFrame> {
        df.ok()
            .map(|d| ((String::new(), String::new()), d))
            .into_iter()
            .collect()
    };
    let inputs = frame(vec![
        col("file", (0..ds.inputs.len() as i64).collect::<Vec<_>>()),
        col(
            "path",
            ds.inputs
                .iter()
                .map(|i| red.text(&i.path))
                .collect::<Vec<_>>(),
        ),
        col(
            "format",
            ds.inputs
                .iter()
                .map(|i| i.format.clone())
                .collect::<Vec<_>>(),
        ),
        col(
            "vantage",
            ds.inputs
                .iter()
                .map(|i| txt(i.vantage.as_deref()))
                .collect::<Vec<_>>(),
        ),
        col(
            "records",
            ds.inputs
                .iter()
                .map(|i| i.records as i64)
                .collect::<Vec<_>>(),
        ),
        col(
            "bad_records",
            ds.inputs
                .iter()
                .map(|i| i.bad_records as i64)
                .collect::<Vec<_>>(),
        ),
        col(
            "warnings",
            ds.inputs
                .iter()
                .map(|i| red.text(&i.warnings.join("\n")))
                .collect::<Vec<_>>(),
        ),
        col(
            "rejections",
            ds.inputs
                .iter()
                .map(|i| {
                    i.rejections
                        .iter()
                        .map(|r| {
                            let why = red.text(&r.reason).replace(['\n', '\t'], " ");
                            format!("{} {}\t{why}", r.at.kind.name(), r.at.n)
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>(),
        ),
        col(
            "skipped",
            ds.inputs
                .iter()
                .map(|i| txt(i.skipped.as_deref()))
                .collect::<Vec<_>>(),
        ),
        col(
            "first_ts_ms",
            ds.inputs
                .iter()
                .map(|i| i.first_ts.map(ms))
                .collect::<Vec<_>>(),
        ),
        col(
            "last_ts_ms",
            ds.inputs
                .iter()
                .map(|i| i.last_ts.map(ms))
                .collect::<Vec<_>>(),
        ),
        col("schema_version", vec![SCHEMA_VERSION; ds.inputs.len()]),
    ]);
    // the site as the model inferred it, reasons and split counts included,
    // so the aggregates path reports the same site as a direct run
    let facts: Vec<(String, String)> = if ds.site.first_party.is_empty() {
        first_party
            .iter()
            .map(|d| (d.to_string(), "--first-party".to_string()))
            .collect()
    } else {
        ds.site
            .first_party
            .iter()
            .map(|f| (f.domain.clone(), f.reason.clone()))
            .collect()
    };
    let fp = frame(vec![
        col(
            "domain",
            facts.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
        ),
        col(
            "reason",
            facts.iter().map(|f| f.1.clone()).collect::<Vec<_>>(),
        ),
        col("pages_split", vec![ds.site.pages_split as i64; facts.len()]),
        col("loads_made", vec![ds.site.loads_made as i64; facts.len()]),
    ]);
    let req_at = |r: &Request| (r.source, r.start);
    let requests = partitioned(ds, &ds.requests, req_at, |rows| {
        let mut c = source_cols(ds, rows, req_at);
        c.extend([
            col(
                "vantage",
                rows.iter()
                    .map(|r| txt(r.vantage.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "page_id",
                rows.iter()
                    .map(|r| txt(r.page_id.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "method",
                rows.iter().map(|r| r.method.clone()).collect::<Vec<_>>(),
            ),
            col(
                "scheme",
                rows.iter().map(|r| r.scheme.clone()).collect::<Vec<_>>(),
            ),
            col(
                "host",
                rows.iter().map(|r| r.host.clone()).collect::<Vec<_>>(),
            ),
            col(
                "registrable_domain",
                rows.iter()
                    .map(|r| r.registrable_domain.clone())
                    .collect::<Vec<_>>(),
            ),
            col(
                "party",
                rows.iter().map(|r| r.party.name()).collect::<Vec<_>>(),
            ),
            col(
                "endpoint",
                rows.iter()
                    .map(|r| red.url(&r.endpoint))
                    .collect::<Vec<_>>(),
            ),
            col(
                "status",
                rows.iter().map(|r| r.status as i64).collect::<Vec<_>>(),
            ),
            col(
                "error_class",
                rows.iter()
                    .map(|r| r.error_class.map(|c| c.name()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "error",
                rows.iter()
                    .map(|r| txt(r.error.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "resource_type",
                rows.iter()
                    .map(|r| r.resource_type.name())
                    .collect::<Vec<_>>(),
            ),
            col(
                "is_error",
                rows.iter().map(|r| r.is_error()).collect::<Vec<_>>(),
            ),
        ]);
        c.extend(phase_cols(rows, |r: &Request| &r.phases));
        c.extend([
            col(
                "transfer_bytes",
                rows.iter()
                    .map(|r| opt_u64(r.transfer_bytes))
                    .collect::<Vec<_>>(),
            ),
            col(
                "body_bytes",
                rows.iter()
                    .map(|r| opt_u64(r.body_bytes))
                    .collect::<Vec<_>>(),
            ),
            col(
                "from_cache",
                rows.iter().map(|r| r.from_cache).collect::<Vec<_>>(),
            ),
            col(
                "server_ip",
                rows.iter().map(|r| r.server_ip.clone()).collect::<Vec<_>>(),
            ),
            col(
                "edge_provider",
                rows.iter()
                    .map(|r| r.edge.provider.clone())
                    .collect::<Vec<_>>(),
            ),
            col(
                "edge_cache",
                rows.iter()
                    .map(|r| r.edge.cache.clone())
                    .collect::<Vec<_>>(),
            ),
        ]);
        frame(c)
    });
    let page_at = |p: &Page| (p.source, p.start);
    let pages = partitioned(ds, &ds.pages, page_at, |rows| {
        let mut c = source_cols(ds, rows, page_at);
        c.extend([
            col(
                "id",
                rows.iter().map(|p| red.text(&p.id)).collect::<Vec<_>>(),
            ),
            col(
                "vantage",
                rows.iter()
                    .map(|p| txt(p.vantage.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "title",
                rows.iter()
                    .map(|p| txt(p.title.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "on_content_load_ms",
                rows.iter()
                    .map(|p| p.on_content_load_ms)
                    .collect::<Vec<_>>(),
            ),
            col(
                "on_load_ms",
                rows.iter().map(|p| p.on_load_ms).collect::<Vec<_>>(),
            ),
            col(
                "components",
                rows.iter().map(|p| p.components as i64).collect::<Vec<_>>(),
            ),
            col(
                "failed_components",
                rows.iter()
                    .map(|p| p.failed_components as i64)
                    .collect::<Vec<_>>(),
            ),
            col(
                "bytes",
                rows.iter()
                    .map(|p| opt_u64(Some(p.bytes)))
                    .collect::<Vec<_>>(),
            ),
            col(
                "main_domain",
                rows.iter()
                    .map(|p| p.main_domain.clone())
                    .collect::<Vec<_>>(),
            ),
        ]);
        frame(c)
    });
    let probe_at = |p: &ProbeRecord| (p.source, p.ts);
    let probes = partitioned(ds, &ds.probes, probe_at, |rows| {
        let mut c = source_cols(ds, rows, probe_at);
        c.extend([
            col(
                "agent",
                rows.iter().map(|p| red.text(&p.agent)).collect::<Vec<_>>(),
            ),
            col(
                "region",
                rows.iter().map(|p| red.text(&p.region)).collect::<Vec<_>>(),
            ),
            // readers name an unnamed test after its target URL
            col(
                "test",
                rows.iter().map(|p| red.text(&p.test)).collect::<Vec<_>>(),
            ),
            col(
                "kind",
                rows.iter().map(|p| p.kind.name()).collect::<Vec<_>>(),
            ),
            col(
                "target",
                rows.iter().map(|p| red.url(&p.target)).collect::<Vec<_>>(),
            ),
            col(
                "registrable_domain",
                rows.iter()
                    .map(|p| p.registrable_domain.to_string())
                    .collect::<Vec<_>>(),
            ),
            col(
                "status",
                rows.iter()
                    .map(|p| p.status.map(|s| s as i64))
                    .collect::<Vec<_>>(),
            ),
            col(
                "error",
                rows.iter()
                    .map(|p| txt(p.error.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "error_class",
                rows.iter()
                    .map(|p| p.error_class.map(|c| c.name()))
                    .collect::<Vec<_>>(),
            ),
            col(
                "is_error",
                rows.iter().map(|p| p.is_error()).collect::<Vec<_>>(),
            ),
        ]);
        c.extend(phase_cols(rows, |p: &ProbeRecord| &p.phases));
        c.extend([
            col(
                "loss_pct",
                rows.iter().map(|p| p.loss_pct).collect::<Vec<_>>(),
            ),
            col(
                "latency_ms",
                rows.iter().map(|p| p.latency_ms).collect::<Vec<_>>(),
            ),
            col(
                "jitter_ms",
                rows.iter().map(|p| p.jitter_ms).collect::<Vec<_>>(),
            ),
            col(
                "page_load_ms",
                rows.iter().map(|p| p.page_load_ms).collect::<Vec<_>>(),
            ),
            col(
                "components",
                rows.iter().map(|p| p.components).collect::<Vec<_>>(),
            ),
            col(
                "component_errors",
                rows.iter().map(|p| p.component_errors).collect::<Vec<_>>(),
            ),
            col(
                "resolve_ms",
                rows.iter().map(|p| p.resolve_ms).collect::<Vec<_>>(),
            ),
        ]);
        frame(c)
    });
    let srv_at = |s: &ServerRequest| (s.source, s.ts);
    let server = partitioned(ds, &ds.server, srv_at, |rows| {
        let mut c = source_cols(ds, rows, srv_at);
        c.extend([
            col(
                "vhost",
                rows.iter()
                    .map(|s| s.vhost.as_deref().map(str::to_string))
                    .collect::<Vec<_>>(),
            ),
            col(
                "method",
                rows.iter()
                    .map(|s| s.method.to_string())
                    .collect::<Vec<_>>(),
            ),
            col(
                "endpoint",
                rows.iter()
                    .map(|s| red.url(&s.endpoint))
                    .collect::<Vec<_>>(),
            ),
            col(
                "status",
                rows.iter().map(|s| s.status as i64).collect::<Vec<_>>(),
            ),
            col(
                "bytes",
                rows.iter().map(|s| opt_u64(s.bytes)).collect::<Vec<_>>(),
            ),
            col(
                "request_ms",
                rows.iter().map(|s| s.request_ms).collect::<Vec<_>>(),
            ),
            col(
                "upstream_ms",
                rows.iter().map(|s| s.upstream_ms).collect::<Vec<_>>(),
            ),
        ]);
        frame(c)
    });
    let chg_at = |c: &Change| (c.source, c.ts);
    let changes = partitioned(ds, &ds.changes, chg_at, |rows| {
        let mut c = source_cols(ds, rows, chg_at);
        c.extend([
            col(
                "service",
                rows.iter()
                    .map(|c| red.text(&c.service))
                    .collect::<Vec<_>>(),
            ),
            col(
                "kind",
                rows.iter().map(|c| c.kind.name()).collect::<Vec<_>>(),
            ),
            col(
                "summary",
                rows.iter()
                    .map(|c| red.text(&c.summary))
                    .collect::<Vec<_>>(),
            ),
        ]);
        frame(c)
    });
    vec![
        Table {
            name: "inputs",
            partitioned: false,
            partitions: one(inputs),
        },
        Table {
            name: "first_party",
            partitioned: false,
            partitions: one(fp),
        },
        Table {
            name: "requests",
            partitioned: true,
            partitions: requests,
        },
        Table {
            name: "pages",
            partitioned: true,
            partitions: pages,
        },
        Table {
            name: "probes",
            partitioned: true,
            partitions: probes,
        },
        Table {
            name: "server",
            partitioned: true,
            partitions: server,
        },
        Table {
            name: "changes",
            partitioned: true,
            partitions: changes,
        },
    ]
}

// ---- reading back -------------------------------------------------------

/// Typed column access by name (a missing column is an error).
pub(super) struct Reader<'a> {
    df: &'a DataFrame,
}

impl<'a> Reader<'a> {
    pub(super) fn new(df: &'a DataFrame) -> Self {
        Reader { df }
    }
    fn cast(&self, name: &str, t: DataType) -> PolarsResult<Series> {
        self.df.column(name)?.as_materialized_series().cast(&t)
    }
    pub(super) fn i64(&self, name: &str) -> PolarsResult<Vec<Option<i64>>> {
        let s = self.cast(name, DataType::Int64)?;
        let ca = s.i64()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(super) fn f64(&self, name: &str) -> PolarsResult<Vec<Option<f64>>> {
        let s = self.cast(name, DataType::Float64)?;
        let ca = s.f64()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(super) fn bool(&self, name: &str) -> PolarsResult<Vec<Option<bool>>> {
        let s = self.cast(name, DataType::Boolean)?;
        let ca = s.bool()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(super) fn str(&self, name: &str) -> PolarsResult<Vec<Option<String>>> {
        let s = self.cast(name, DataType::String)?;
        let ca = s.str()?;
        Ok((0..ca.len())
            .map(|i| ca.get(i).map(str::to_string))
            .collect())
    }
    fn source(&self) -> PolarsResult<Vec<(SourceRef, DateTime<Utc>)>> {
        let (file, kind, loc, ts) = (
            self.i64("file")?,
            self.str("loc_kind")?,
            self.i64("loc")?,
            self.i64("ts_ms")?,
        );
        let mut out = Vec::with_capacity(file.len());
        for i in 0..file.len() {
            let kind = kind[i].as_deref().and_then(LocKind::from_name);
            let (Some(f), Some(k), Some(n), Some(t)) = (file[i], kind, loc[i], ts[i]) else {
                return Err(bad_row(i, "file, loc_kind, loc and ts_ms are required"));
            };
            let t = DateTime::from_timestamp_millis(t)
                .ok_or_else(|| bad_row(i, "ts_ms out of range"))?;
            out.push((
                SourceRef {
                    file: f.clamp(0, u32::MAX as i64) as u32,
                    kind: k,
                    n: n.max(0) as u64,
                },
                t,
            ));
        }
        Ok(out)
    }
    fn phases(&self) -> PolarsResult<Vec<Phases>> {
        let cols: Vec<Vec<Option<f64>>> = Phases::NAMES
            .iter()
            .map(|n| self.f64(n))
            .collect::<PolarsResult<_>>()?;
        Ok((0..self.df.height())
            .map(|i| Phases {
                blocked_ms: cols[0][i],
                dns_ms: cols[1][i],
                connect_ms: cols[2][i],
                tls_ms: cols[3][i],
                send_ms: cols[4][i],
                wait_ms: cols[5][i],
                receive_ms: cols[6][i],
                total_ms: cols[7][i],
            })
            .collect())
    }
}

fn bad_row(i: usize, why: &str) -> PolarsError {
    PolarsError::ComputeError(format!("row {i}: {why}").into())
}

fn named<T: Named>(i: usize, col: &str, v: Option<&str>) -> PolarsResult<T> {
    v.and_then(T::from_name)
        .ok_or_else(|| bad_row(i, &format!("unknown {col} {v:?}")))
}

fn opt_named<T: Named>(i: usize, col: &str, v: Option<&str>) -> PolarsResult<Option<T>> {
    v.map(|s| named(i, col, Some(s))).transpose()
}

fn u64_of(v: Option<i64>) -> Option<u64> {
    v.map(|b| b.max(0) as u64)
}

pub fn inputs_from(df: &DataFrame) -> PolarsResult<Vec<InputReport>> {
    let r = Reader::new(df);
    if let Some(v) = r.i64("schema_version")?.into_iter().flatten().max()
        && v > SCHEMA_VERSION
    {
        return Err(PolarsError::ComputeError(
            format!("table schema {v} is newer than this faultlens reads ({SCHEMA_VERSION})")
                .into(),
        ));
    }
    let (file, path, format, vantage) = (
        r.i64("file")?,
        r.str("path")?,
        r.str("format")?,
        r.str("vantage")?,
    );
    let (records, bad, warnings, skipped) = (
        r.i64("records")?,
        r.i64("bad_records")?,
        r.str("warnings")?,
        r.str("skipped")?,
    );
    let (first, last) = (r.i64("first_ts_ms")?, r.i64("last_ts_ms")?);
    let rejections = r.str("rejections")?;
    let mut rows: Vec<(i64, InputReport)> = (0..df.height())
        .map(|i| {
            (
                file[i].unwrap_or(i as i64),
                InputReport {
                    path: path[i].clone().unwrap_or_default(),
                    format: format[i].clone().unwrap_or_default(),
                    vantage: vantage[i].clone(),
                    records: u64_of(records[i]).unwrap_or(0),
                    bad_records: u64_of(bad[i]).unwrap_or(0),
                    rejections: rejections[i]
                        .as_deref()
                        .map(|t| rejections_from(file[i].unwrap_or(i as i64), t))
                        .unwrap_or_default(),
                    warnings: warnings[i]
                        .as_deref()
                        .filter(|w| !w.is_empty())
                        .map(|w| w.split('\n').map(str::to_string).collect())
                        .unwrap_or_default(),
                    skipped: skipped[i].clone(),
                    first_ts: first[i].and_then(DateTime::from_timestamp_millis),
                    last_ts: last[i].and_then(DateTime::from_timestamp_millis),
                    run_summary: None,
                },
            )
        })
        .collect();
    // file ids are positions: the records point into this order, so the
    // ids must be exactly 0..n (copies of the same table are folded)
    rows.sort_by_key(|r| r.0);
    rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    for (i, (f, _)) in rows.iter().enumerate() {
        if *f != i as i64 {
            return Err(PolarsError::ComputeError(
                format!(
                    "file ids must run 0..{} without gaps or conflicting rows; found {f} at {i}",
                    rows.len()
                )
                .into(),
            ));
        }
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// `kind n<TAB>reason` lines back into rejections of file `file`.
fn rejections_from(file: i64, text: &str) -> Vec<Rejection> {
    text.lines()
        .filter_map(|l| {
            let (at, reason) = l.split_once('\t')?;
            let (kind, n) = at.split_once(' ')?;
            Some(Rejection {
                at: SourceRef {
                    file: file.clamp(0, u32::MAX as i64) as u32,
                    kind: LocKind::from_name(kind)?,
                    n: n.parse().ok()?,
                },
                reason: reason.to_string(),
            })
        })
        .collect()
}

pub fn site_from(df: &DataFrame) -> PolarsResult<crate::model::site::SiteFacts> {
    let r = Reader::new(df);
    let domains = r.str("domain")?;
    let reasons = r.str("reason")?;
    let split = r.i64("pages_split")?;
    let made = r.i64("loads_made")?;
    let mut first_party: Vec<crate::model::site::FirstPartyDomain> = domains
        .into_iter()
        .zip(reasons)
        .filter_map(|(d, why)| {
            Some(crate::model::site::FirstPartyDomain {
                domain: d?,
                reason: why.unwrap_or_default(),
            })
        })
        .collect();
    first_party.sort_by(|a, b| a.domain.cmp(&b.domain));
    first_party.dedup_by(|a, b| a.domain == b.domain);
    let count = |v: Vec<Option<i64>>| v.into_iter().flatten().next().unwrap_or(0).max(0) as usize;
    Ok(crate::model::site::SiteFacts {
        first_party,
        pages_split: count(split),
        loads_made: count(made),
    })
}

pub fn requests_from(df: &DataFrame) -> PolarsResult<Vec<Request>> {
    let r = Reader::new(df);
    let src = r.source()?;
    let ph = r.phases()?;
    let (vantage, page_id, method, scheme) = (
        r.str("vantage")?,
        r.str("page_id")?,
        r.str("method")?,
        r.str("scheme")?,
    );
    let (host, domain, party, endpoint) = (
        r.str("host")?,
        r.str("registrable_domain")?,
        r.str("party")?,
        r.str("endpoint")?,
    );
    let (status, class, error, rtype) = (
        r.i64("status")?,
        r.str("error_class")?,
        r.str("error")?,
        r.str("resource_type")?,
    );
    let (transfer, body, cache, ip) = (
        r.i64("transfer_bytes")?,
        r.i64("body_bytes")?,
        r.bool("from_cache")?,
        r.str("server_ip")?,
    );
    let (provider, ecache) = (r.str("edge_provider")?, r.str("edge_cache")?);
    (0..df.height())
        .map(|i| {
            Ok(Request {
                source: src[i].0,
                start: src[i].1,
                vantage: vantage[i].clone(),
                page_id: page_id[i].clone(),
                method: method[i].clone().unwrap_or_default(),
                scheme: scheme[i].clone().unwrap_or_default(),
                host: host[i].clone().unwrap_or_default(),
                registrable_domain: domain[i].clone().unwrap_or_default(),
                party: named::<Party>(i, "party", party[i].as_deref())?,
                endpoint: endpoint[i].clone().unwrap_or_default(),
                status: status[i].unwrap_or(0) as i32,
                error_class: opt_named::<ErrorClass>(i, "error_class", class[i].as_deref())?,
                error: error[i].clone(),
                resource_type: named::<ResourceType>(i, "resource_type", rtype[i].as_deref())?,
                phases: ph[i],
                transfer_bytes: u64_of(transfer[i]),
                body_bytes: u64_of(body[i]),
                from_cache: cache[i].unwrap_or(false),
                server_ip: ip[i].clone(),
                edge: EdgeHints {
                    provider: provider[i].clone(),
                    cache: ecache[i].clone(),
                },
            })
        })
        .collect()
}

pub fn pages_from(df: &DataFrame) -> PolarsResult<Vec<Page>> {
    let r = Reader::new(df);
    let src = r.source()?;
    let (id, vantage, title) = (r.str("id")?, r.str("vantage")?, r.str("title")?);
    let (ocl, ol) = (r.f64("on_content_load_ms")?, r.f64("on_load_ms")?);
    let (comp, failed, bytes, main) = (
        r.i64("components")?,
        r.i64("failed_components")?,
        r.i64("bytes")?,
        r.str("main_domain")?,
    );
    Ok((0..df.height())
        .map(|i| Page {
            source: src[i].0,
            start: src[i].1,
            id: id[i].clone().unwrap_or_default(),
            vantage: vantage[i].clone(),
            title: title[i].clone(),
            on_content_load_ms: ocl[i],
            on_load_ms: ol[i],
            components: comp[i].unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            failed_components: failed[i].unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            bytes: u64_of(bytes[i]).unwrap_or(0),
            main_domain: main[i].clone(),
        })
        .collect())
}

pub fn probes_from(df: &DataFrame) -> PolarsResult<Vec<ProbeRecord>> {
    let r = Reader::new(df);
    let src = r.source()?;
    let ph = r.phases()?;
    let (agent, region, test, kind) = (
        r.str("agent")?,
        r.str("region")?,
        r.str("test")?,
        r.str("kind")?,
    );
    let (target, domain, status, error, class) = (
        r.str("target")?,
        r.str("registrable_domain")?,
        r.i64("status")?,
        r.str("error")?,
        r.str("error_class")?,
    );
    let (loss, lat, jit, load) = (
        r.f64("loss_pct")?,
        r.f64("latency_ms")?,
        r.f64("jitter_ms")?,
        r.f64("page_load_ms")?,
    );
    let (comp, cerr, resolve) = (
        r.f64("components")?,
        r.f64("component_errors")?,
        r.f64("resolve_ms")?,
    );
    (0..df.height())
        .map(|i| {
            Ok(ProbeRecord {
                source: src[i].0,
                ts: src[i].1,
                agent: sym_of(&agent[i]),
                region: sym_of(&region[i]),
                test: sym_of(&test[i]),
                kind: named::<ProbeKind>(i, "kind", kind[i].as_deref())?,
                target: sym_of(&target[i]),
                registrable_domain: sym_of(&domain[i]),
                status: status[i].map(|s| s as i32),
                error: error[i].as_deref().map(intern),
                error_class: opt_named::<ErrorClass>(i, "error_class", class[i].as_deref())?,
                phases: ph[i],
                loss_pct: loss[i],
                latency_ms: lat[i],
                jitter_ms: jit[i],
                page_load_ms: load[i],
                components: comp[i],
                component_errors: cerr[i],
                resolve_ms: resolve[i],
            })
        })
        .collect()
}

pub fn server_from(df: &DataFrame) -> PolarsResult<Vec<ServerRequest>> {
    let r = Reader::new(df);
    let src = r.source()?;
    let (vhost, method, endpoint, status) = (
        r.str("vhost")?,
        r.str("method")?,
        r.str("endpoint")?,
        r.i64("status")?,
    );
    let (bytes, req, up) = (r.i64("bytes")?, r.f64("request_ms")?, r.f64("upstream_ms")?);
    Ok((0..df.height())
        .map(|i| ServerRequest {
            source: src[i].0,
            ts: src[i].1,
            vhost: vhost[i].as_deref().map(intern),
            method: sym_of(&method[i]),
            endpoint: sym_of(&endpoint[i]),
            status: status[i].unwrap_or(0) as i32,
            bytes: u64_of(bytes[i]),
            request_ms: req[i],
            upstream_ms: up[i],
        })
        .collect())
}

pub fn changes_from(df: &DataFrame) -> PolarsResult<Vec<Change>> {
    let r = Reader::new(df);
    let src = r.source()?;
    let (service, kind, summary) = (r.str("service")?, r.str("kind")?, r.str("summary")?);
    (0..df.height())
        .map(|i| {
            Ok(Change {
                source: src[i].0,
                ts: src[i].1,
                service: service[i].clone().unwrap_or_default(),
                kind: named::<ChangeKind>(i, "kind", kind[i].as_deref())?,
                summary: summary[i].clone().unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_key_is_stable_and_uniform() {
        // the key is part of the table schema: engines filter on stored
        // values, so a change here is a schema version bump
        let k = sample_key("fleet/us-east.jsonl", SourceRef::line(0, 1));
        assert_eq!(k, sample_key("fleet/us-east.jsonl", SourceRef::line(7, 1)));
        assert_ne!(k, sample_key("fleet/us-east.jsonl", SourceRef::line(0, 2)));
        assert_ne!(k, sample_key("fleet/us-east.jsonl", SourceRef::entry(0, 1)));
        let n = 20_000u64;
        let below_quarter = (1..=n)
            .map(|i| sample_key("x.har", SourceRef::entry(0, i)))
            .inspect(|k| assert!((0..1i64 << 32).contains(k)))
            .filter(|k| *k < 1i64 << 30)
            .count() as f64;
        let share = below_quarter / n as f64;
        assert!((share - 0.25).abs() < 0.02, "{share}");
    }

    #[test]
    fn rejections_survive_the_round_trip_text() {
        let r = rejections_from(3, "line 95\tnot an access log line\nentry 2\tbad\nnonsense");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].at, SourceRef::line(3, 95));
        assert_eq!(r[1].at, SourceRef::entry(3, 2));
        assert_eq!(r[1].reason, "bad");
    }
}
