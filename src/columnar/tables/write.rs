//! Export: a `Dataset` as the tables' frames, redacted, each row table
//! split by (day, source kind) so engines can prune partitions.

use super::{SCHEMA_VERSION, Table, sample_key};
use crate::model::{
    Change, Dataset, Named, Page, Phases, ProbeRecord, Request, ServerRequest, SourceRef,
};
use crate::redact::Redactor;
use chrono::{DateTime, Utc};
use polars::prelude::*;
use std::collections::BTreeMap;

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
