//! Import: exported or engine-sampled frames back into model records.
//! Columns are read by name and type, so a missing column or an unknown
//! enum name is an error naming the row, never a silent default.

use super::SCHEMA_VERSION;
use crate::model::{
    Change, ChangeKind, EdgeHints, ErrorClass, InputReport, LocKind, Named, Page, Party, Phases,
    ProbeKind, ProbeRecord, Rejection, Request, ResourceType, ServerRequest, SourceRef,
};
use crate::sym::{Sym, intern};
use chrono::{DateTime, Utc};
use polars::prelude::*;

/// Typed column access by name (a missing column is an error).
pub(in crate::columnar) struct Reader<'a> {
    df: &'a DataFrame,
}

impl<'a> Reader<'a> {
    pub(in crate::columnar) fn new(df: &'a DataFrame) -> Self {
        Reader { df }
    }
    fn cast(&self, name: &str, t: DataType) -> PolarsResult<Series> {
        self.df.column(name)?.as_materialized_series().cast(&t)
    }
    pub(in crate::columnar) fn i64(&self, name: &str) -> PolarsResult<Vec<Option<i64>>> {
        let s = self.cast(name, DataType::Int64)?;
        let ca = s.i64()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(in crate::columnar) fn f64(&self, name: &str) -> PolarsResult<Vec<Option<f64>>> {
        let s = self.cast(name, DataType::Float64)?;
        let ca = s.f64()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(in crate::columnar) fn bool(&self, name: &str) -> PolarsResult<Vec<Option<bool>>> {
        let s = self.cast(name, DataType::Boolean)?;
        let ca = s.bool()?;
        Ok((0..ca.len()).map(|i| ca.get(i)).collect())
    }
    pub(in crate::columnar) fn str(&self, name: &str) -> PolarsResult<Vec<Option<String>>> {
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

/// A string column's value as a shared record string ("" for null).
fn sym_of(v: &Option<String>) -> Sym {
    v.as_deref().map(intern).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_survive_the_round_trip_text() {
        let r = rejections_from(3, "line 95\tnot an access log line\nentry 2\tbad\nnonsense");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].at, SourceRef::line(3, 95));
        assert_eq!(r[1].at, SourceRef::entry(3, 2));
        assert_eq!(r[1].reason, "bad");
    }
}
