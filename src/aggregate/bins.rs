//! Exact HTTP counts from an engine's count bins. When the engine
//! kept only a sample of the rows, the distributions (quantiles, rank
//! tests) come from the sample, but counts, error rates, status and error
//! class mixes must not: a 0.3 % error rate is not a sample's business.
//! The bins carry every attribute the HTTP groups are built from, so each
//! bin goes through the same keyer as a raw record and lands in the same
//! groups and windows.

use super::compare::{adjust_q_values, http_proportions};
use super::obs::Obs;
use super::{Analysis, Axis, Dim, GroupStat, Signal, WindowName, ms_to_dt};
use crate::model::bins::Bins;
use crate::model::{
    Dataset, EdgeHints, ErrorClass, Named, Party, Phases, ProbeKind, ProbeRecord, Request,
    ResourceType, SourceRef,
};
use std::collections::BTreeMap;

/// Replace the HTTP groups' counts with the bins' and redo the proportion
/// tests (and the q-values, which depend on every p-value of a signal).
pub fn apply(an: &mut Analysis, bins: &Bins) {
    let counts = count(an, bins);
    // every cell's counts come from the bins, including cells no bin
    // reached (their sample counts would mix two scales)
    for g in an.http.values_mut().flat_map(|w| w.values_mut()) {
        g.count = 0;
        g.errors = 0;
        g.status_5xx = 0;
        g.status_mix.clear();
        g.error_classes.clear();
    }
    for ((dim, key), by_w) in &counts {
        let entry = an.http.entry((*dim, key.clone())).or_default();
        for (w, c) in by_w {
            let g = entry.entry(*w).or_default();
            g.count = c.count;
            g.errors = c.errors;
            g.status_5xx = c.status_5xx;
            g.status_mix = c.status_mix.clone();
            g.error_classes = c.error_classes.clone();
        }
    }
    let mut cmps = Vec::new();
    http_proportions(an.baseline, &an.http, &mut cmps);
    cmps.extend(an.comparisons.drain(..).filter(|c| {
        !(matches!(c.axis, Axis::Http(_))
            && matches!(c.signal, Signal::ErrorRate | Signal::Rate5xx))
    }));
    an.comparisons = cmps;
    adjust_q_values(&mut an.comparisons);
}

/// (dim, key) -> window -> counts of every bin.
fn count(an: &Analysis, bins: &Bins) -> BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> {
    let ds = records(bins);
    let obs = Obs::build(&ds);
    let weights = bins
        .requests
        .iter()
        .map(|b| (b.n, b.is_error))
        .chain(bins.probes.iter().map(|b| (b.n, b.is_error)));
    let mut out: BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> = BTreeMap::new();
    for (o, (n, is_error)) in obs.http.iter().zip(weights) {
        let Some(w) = an.windows.assign(o.source.file, ms_to_dt(o.ts_ms)) else {
            continue;
        };
        for &gid in o.groups() {
            let (dim, key) = obs.group_key(gid);
            let g = out
                .entry((dim, key.to_string()))
                .or_default()
                .entry(w)
                .or_default();
            g.count += n;
            if is_error {
                g.errors += n;
            }
            *g.status_mix.entry(o.status).or_default() += n;
            if o.status >= 500 {
                g.status_5xx += n;
            }
            if let Some(c) = o.error_class {
                *g.error_classes.entry(c.as_str().to_string()).or_default() += n;
            }
        }
    }
    out
}

/// One stand-in record per bin, in bin order (requests, then probes), so
/// the observation builder keys them exactly as it keys raw records.
fn records(bins: &Bins) -> Dataset {
    let class = |c: &Option<String>| c.as_deref().and_then(ErrorClass::from_name);
    let mut ds = Dataset::default();
    for b in &bins.requests {
        ds.requests.push(Request {
            source: SourceRef::line(b.file, 0),
            start: ms_to_dt(b.bin_start_ms),
            vantage: b.vantage.clone(),
            page_id: None,
            method: String::new(),
            scheme: String::new(),
            host: b.host.clone(),
            registrable_domain: String::new(),
            party: Party::from_name(&b.party).unwrap_or_default(),
            endpoint: b.endpoint.clone(),
            status: b.status,
            error_class: class(&b.error_class),
            error: None,
            resource_type: ResourceType::from_name(&b.resource_type).unwrap_or_default(),
            phases: Phases::default(),
            transfer_bytes: None,
            body_bytes: None,
            from_cache: false,
            server_ip: None,
            edge: EdgeHints {
                provider: b.edge.then(|| "edge".to_string()),
                cache: None,
            },
        });
    }
    for b in &bins.probes {
        let mut p = ProbeRecord::identity(
            SourceRef::line(0, 0),
            ms_to_dt(b.bin_start_ms),
            "",
            &b.region,
            "",
            ProbeKind::Http,
            &b.target,
        );
        p.status = b.status;
        p.error_class = class(&b.error_class);
        ds.probes.push(p);
    }
    ds
}
