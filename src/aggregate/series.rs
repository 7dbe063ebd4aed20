//! Binned time series of the signals an SRE watches during an outage. They
//! feed the change-point detector (automatic incident window) and the
//! report's charts. Bins are one minute, or narrower for short captures so
//! that a 10-minute HAR still has enough points.

use super::obs::{HttpObs, NetObs, Origin, PageObs, ServerObs};
use crate::changepoint::{self, CpOptions, Direction, Signal};
use crate::model::Party;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct SeriesSignal {
    pub name: String,
    pub unit: String,
    pub values: Vec<Option<f64>>,
    #[serde(skip)]
    pub direction: Direction,
    /// Weight in incident detection (0 = chart only).
    #[serde(skip)]
    pub weight: f64,
    #[serde(skip)]
    pub min_scale: f64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SeriesSet {
    pub start: Option<DateTime<Utc>>,
    pub bin_ms: i64,
    pub bins: usize,
    pub signals: Vec<SeriesSignal>,
}

impl SeriesSet {
    pub fn bin_start(&self, i: usize) -> DateTime<Utc> {
        let s = self.start.map(|s| s.timestamp_millis()).unwrap_or(0);
        super::ms_to_dt(s + i as i64 * self.bin_ms)
    }
    pub fn get(&self, name: &str) -> Option<&SeriesSignal> {
        self.signals.iter().find(|s| s.name == name)
    }
    /// Find the incident window over the weighted signals.
    pub fn detect(&self) -> changepoint::Detection {
        let signals: Vec<Signal> = self
            .signals
            .iter()
            .filter(|s| s.weight > 0.0)
            .map(|s| Signal {
                name: s.name.clone(),
                values: median3(&s.values),
                direction: s.direction,
                weight: s.weight,
                min_scale: s.min_scale,
            })
            .collect();
        let minute_bins = |m: i64| {
            ((m * 60_000) as f64 / self.bin_ms.max(1) as f64)
                .round()
                .max(1.0) as usize
        };
        let opts = CpOptions {
            min_bins: minute_bins(3).max(2),
            merge_gap_bins: minute_bins(10),
            threshold: changepoint::SMOOTHED_THRESHOLD_SIGMAS,
        };
        changepoint::detect(&signals, &opts)
    }
}

/// Centred rolling median of three bins: keeps a step where it is, removes
/// single-bin noise, so a noisy minute does not split one incident into
/// blips (missing bins are skipped, not read as zero).
fn median3(v: &[Option<f64>]) -> Vec<Option<f64>> {
    (0..v.len())
        .map(|i| {
            v[i]?;
            let mut w: Vec<f64> = v[i.saturating_sub(1)..(i + 2).min(v.len())]
                .iter()
                .flatten()
                .copied()
                .collect();
            w.sort_by(|a, b| a.total_cmp(b));
            Some(w[w.len() / 2])
        })
        .collect()
}

/// One minute, or about 1/40 of a short capture (at least 5 s).
pub fn auto_bin_ms(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> i64 {
    let (Some(s), Some(e)) = (start, end) else {
        return 60_000;
    };
    let span = (e - s).num_milliseconds();
    if span >= 60 * 60_000 {
        // one minute, but never more than MAX_BINS bins (captures from
        // different years in one run would otherwise mean millions of bins)
        let per = span / MAX_BINS as i64 + 1;
        return ((per + 59_999) / 60_000 * 60_000).max(60_000);
    }
    let raw = span / 40;
    ((raw + 4_999) / 5_000 * 5_000).clamp(5_000, 60_000)
}

/// Upper bound on the number of bins of a series.
pub const MAX_BINS: usize = 2_000;

#[derive(Default)]
struct Bin {
    n: u64,
    err: u64,
    vals: Vec<f64>,
}

/// The accumulated signals, by index (a name lookup per observation was a
/// tenth of the step at ten million records).
mod k {
    pub const CLIENT_ERROR_RATE: usize = 0;
    pub const DNS_FAILURE_RATE: usize = 1;
    pub const TLS_FAILURE_RATE: usize = 2;
    pub const TP_ERROR_RATE: usize = 3;
    pub const FP_ERROR_RATE: usize = 4;
    pub const FP_WAIT_MS: usize = 5;
    pub const FP_CONNECT_MS: usize = 6;
    pub const PAGE_COMPONENTS: usize = 7;
    pub const PAGE_LOAD_MS: usize = 8;
    pub const NET_LOSS_PCT: usize = 9;
    pub const NET_LATENCY_MS: usize = 10;
    pub const SERVER_5XX_RATE: usize = 11;
    pub const SERVER_TIME_MS: usize = 12;
    pub const FP_API_WAIT_REL: usize = 13;
    pub const COUNT: usize = 14;
}

/// Per-signal bins; a signal nothing touched has none (and reads as absent,
/// not as zero).
struct Acc {
    bins: usize,
    data: Vec<Option<Vec<Bin>>>,
}

impl Acc {
    fn new(bins: usize) -> Acc {
        Acc {
            bins,
            data: (0..k::COUNT).map(|_| None).collect(),
        }
    }
    fn bin(&mut self, sig: usize, i: usize) -> &mut Bin {
        let bins = self.bins;
        let v = self.data[sig].get_or_insert_with(|| (0..bins).map(|_| Bin::default()).collect());
        &mut v[i]
    }
    /// Add a later part's bins after this one's (values keep their order).
    fn merge(&mut self, later: Acc) {
        for (mine, theirs) in self.data.iter_mut().zip(later.data) {
            let Some(theirs) = theirs else { continue };
            match mine {
                None => *mine = Some(theirs),
                Some(m) => {
                    for (a, b) in m.iter_mut().zip(theirs) {
                        a.n += b.n;
                        a.err += b.err;
                        if a.vals.is_empty() {
                            a.vals = b.vals;
                        } else {
                            a.vals.extend_from_slice(&b.vals);
                        }
                    }
                }
            }
        }
    }
    fn rate(&self, sig: usize, min_n: u64) -> Vec<Option<f64>> {
        self.data[sig]
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|b| (b.n >= min_n).then(|| b.err as f64 / b.n as f64))
                    .collect()
            })
            .unwrap_or_else(|| vec![None; self.bins])
    }
    /// Per-bin quantile by selection, not a sort: the same figure.
    fn quant(&mut self, sig: usize, q: f64) -> Vec<Option<f64>> {
        match self.data[sig].as_mut() {
            Some(v) => v
                .iter_mut()
                .map(|b| crate::stats::quantile_select(&mut b.vals, q))
                .collect(),
            None => vec![None; self.bins],
        }
    }
    fn mean(&self, sig: usize) -> Vec<Option<f64>> {
        self.data[sig]
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|b| {
                        (!b.vals.is_empty())
                            .then(|| b.vals.iter().sum::<f64>() / b.vals.len() as f64)
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![None; self.bins])
    }
}

fn median_of(v: &[Option<f64>]) -> f64 {
    let mut x: Vec<f64> = v.iter().flatten().copied().collect();
    x.sort_by(|a, b| a.total_cmp(b));
    crate::stats::quantile(&x, 0.5).unwrap_or(0.0)
}

fn last_guess(http: &[HttpObs], pages: &[PageObs], net: &[NetObs], server: &[ServerObs]) -> i64 {
    http.iter()
        .map(|o| o.ts_ms)
        .chain(pages.iter().map(|o| o.ts_ms))
        .chain(net.iter().map(|o| o.ts_ms))
        .chain(server.iter().map(|o| o.ts_ms))
        .max()
        .unwrap_or(0)
}

/// Max over groups of a per-group per-bin rate: a regional problem is not
/// diluted by healthy regions.
fn max_group_rate(
    groups: &BTreeMap<u32, Vec<(u64, u64)>>,
    bins: usize,
    min_n: u64,
) -> Vec<Option<f64>> {
    (0..bins)
        .map(|i| {
            groups
                .values()
                .filter(|g| g[i].0 >= min_n)
                .map(|g| g[i].1 as f64 / g[i].0 as f64)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        })
        .collect()
}

/// Bin index of a time: `[s0 + i * bin_ms, s0 + (i + 1) * bin_ms)`, the
/// first and last bins taking what falls outside.
#[derive(Clone, Copy)]
struct BinAt {
    s0: i64,
    bin_ms: i64,
    bins: usize,
}

impl BinAt {
    fn idx(&self, t: i64) -> usize {
        (((t - self.s0) / self.bin_ms).max(0) as usize).min(self.bins - 1)
    }
}

/// What one chunk of HTTP observations adds to the series.
struct HttpPart {
    acc: Acc,
    /// keyed by `Names` ids: every use is order-free (max, median)
    probe_by_region: BTreeMap<u32, Vec<(u64, u64)>>,
    browser_by_vantage: BTreeMap<u32, Vec<(u64, u64)>>,
    api_waits: Vec<(usize, (Origin, u32, u32), f64)>,
}

impl HttpPart {
    fn new(bins: usize) -> HttpPart {
        HttpPart {
            acc: Acc::new(bins),
            probe_by_region: BTreeMap::new(),
            browser_by_vantage: BTreeMap::new(),
            api_waits: Vec::new(),
        }
    }
}

fn add_counts(into: &mut BTreeMap<u32, Vec<(u64, u64)>>, from: BTreeMap<u32, Vec<(u64, u64)>>) {
    for (key, v) in from {
        match into.get_mut(&key) {
            None => {
                into.insert(key, v);
            }
            Some(m) => {
                for (a, b) in m.iter_mut().zip(v) {
                    a.0 += b.0;
                    a.1 += b.1;
                }
            }
        }
    }
}

fn http_part(http: &[HttpObs], at: &BinAt) -> HttpPart {
    let bins = at.bins;
    let idx = |t: i64| at.idx(t);
    let mut part = HttpPart::new(bins);
    let HttpPart {
        acc,
        probe_by_region,
        browser_by_vantage,
        api_waits,
    } = &mut part;
    for o in http {
        let i = idx(o.ts_ms);
        let client_side = o.error_class.is_some_and(|c| c.is_client_side());
        if o.origin == Origin::Browser {
            let b = acc.bin(k::CLIENT_ERROR_RATE, i);
            b.n += 1;
            b.err += client_side as u64;
        }
        let dns_fail = o.error_class.is_some_and(|c| c.is_dns());
        let b = acc.bin(k::DNS_FAILURE_RATE, i);
        b.n += 1;
        b.err += dns_fail as u64;
        let tls_fail = o.error_class.is_some_and(|c| c.is_tls());
        let b = acc.bin(k::TLS_FAILURE_RATE, i);
        b.n += 1;
        b.err += tls_fail as u64;
        match o.party {
            Party::Third => {
                let b = acc.bin(k::TP_ERROR_RATE, i);
                b.n += 1;
                b.err += o.is_error as u64;
            }
            _ => {
                if client_side {
                    continue; // counted as client errors, not service errors
                }
                let b = acc.bin(k::FP_ERROR_RATE, i);
                b.n += 1;
                b.err += o.is_error as u64;
                let groups = if o.origin == Origin::Probe {
                    &mut *probe_by_region
                } else {
                    &mut *browser_by_vantage
                };
                let g = groups
                    .entry(o.vantage)
                    .or_insert_with(|| vec![(0, 0); bins]);
                g[i].0 += 1;
                g[i].1 += o.is_error as u64;
                if o.status > 0 {
                    if let Some(w) = o.phase_at(super::obs::WAIT) {
                        acc.bin(k::FP_WAIT_MS, i).vals.push(w);
                        if o.api {
                            api_waits.push((i, (o.origin, o.vantage, o.endpoint), w));
                        }
                    }
                    if let Some(c) = o.phase_at(super::obs::CONNECT) {
                        acc.bin(k::FP_CONNECT_MS, i).vals.push(c);
                    }
                }
            }
        }
    }
    part
}

pub fn build(
    http: &[HttpObs],
    pages: &[PageObs],
    net: &[NetObs],
    server: &[ServerObs],
    start: Option<DateTime<Utc>>,
    bin_ms: i64,
) -> SeriesSet {
    let Some(start) = start else {
        return SeriesSet {
            bin_ms,
            ..Default::default()
        };
    };
    let bin_ms = bin_ms.max(1000);
    // an explicit --bin that would make millions of bins is widened too
    let bin_ms = bin_ms.max(
        (last_guess(http, pages, net, server) - start.timestamp_millis()) / MAX_BINS as i64 + 1,
    );
    let s0 = start.timestamp_millis().div_euclid(bin_ms) * bin_ms;
    let last = http
        .iter()
        .map(|o| o.ts_ms)
        .chain(pages.iter().map(|o| o.ts_ms))
        .chain(net.iter().map(|o| o.ts_ms))
        .chain(server.iter().map(|o| o.ts_ms))
        .max()
        .unwrap_or(s0);
    let bins = ((last - s0) / bin_ms + 1).max(1) as usize;
    let at = BinAt { s0, bin_ms, bins };
    let idx = |t: i64| at.idx(t);
    // map then merge: chunks of observations in parallel, merged in order
    // (values keep the order a single pass would give them)
    let chunk = (http.len() / (rayon::current_num_threads() * 4)).max(50_000);
    let parts: Vec<HttpPart> = {
        use rayon::prelude::*;
        http.par_chunks(chunk).map(|c| http_part(c, &at)).collect()
    };
    let mut parts = parts.into_iter();
    let HttpPart {
        mut acc,
        mut probe_by_region,
        mut browser_by_vantage,
        mut api_waits,
    } = parts.next().unwrap_or_else(|| HttpPart::new(bins));
    for p in parts {
        acc.merge(p.acc);
        add_counts(&mut probe_by_region, p.probe_by_region);
        add_counts(&mut browser_by_vantage, p.browser_by_vantage);
        api_waits.extend(p.api_waits);
    }
    let mut loss_by_region: BTreeMap<u32, Vec<(f64, u64)>> = BTreeMap::new();

    for p in pages {
        let i = idx(p.ts_ms);
        if let Some(c) = p.components {
            acc.bin(k::PAGE_COMPONENTS, i).vals.push(c);
        }
        if let Some(l) = p.load_ms {
            acc.bin(k::PAGE_LOAD_MS, i).vals.push(l);
        }
    }
    for o in net {
        let i = idx(o.ts_ms);
        if o.is_dns {
            let b = acc.bin(k::DNS_FAILURE_RATE, i);
            b.n += 1;
            b.err += o.failed as u64;
            continue;
        }
        if let Some(l) = o.loss_pct {
            acc.bin(k::NET_LOSS_PCT, i).vals.push(l);
            let g = loss_by_region
                .entry(o.region)
                .or_insert_with(|| vec![(0.0, 0); bins]);
            g[i].0 += l;
            g[i].1 += 1;
        }
        if let Some(l) = o.latency_ms {
            acc.bin(k::NET_LATENCY_MS, i).vals.push(l);
        }
    }
    for s in server {
        let i = idx(s.ts_ms);
        let b = acc.bin(k::SERVER_5XX_RATE, i);
        b.n += 1;
        b.err += (s.status >= 500) as u64;
        if let Some(u) = s.upstream_ms.or(s.request_ms) {
            acc.bin(k::SERVER_TIME_MS, i).vals.push(u);
        }
    }

    let mut signals = Vec::new();
    let mut push = |name: &str,
                    unit: &str,
                    values: Vec<Option<f64>>,
                    direction: Direction,
                    weight: f64,
                    min_scale: f64| {
        if values.iter().any(|v| v.is_some()) {
            signals.push(SeriesSignal {
                name: name.into(),
                unit: unit.into(),
                values,
                direction,
                weight,
                min_scale,
            });
        }
    };
    push(
        "fp_error_rate",
        "ratio",
        acc.rate(k::FP_ERROR_RATE, 1),
        Direction::HigherIsWorse,
        0.0,
        0.03,
    );
    push(
        "probe_error_rate_max_region",
        "ratio",
        max_group_rate(&probe_by_region, bins, 2),
        Direction::HigherIsWorse,
        1.0,
        0.04,
    );
    push(
        "browser_error_rate_max_vantage",
        "ratio",
        max_group_rate(&browser_by_vantage, bins, 2),
        Direction::HigherIsWorse,
        1.0,
        0.05,
    );
    push(
        "tp_error_rate",
        "ratio",
        acc.rate(k::TP_ERROR_RATE, 1),
        Direction::HigherIsWorse,
        0.8,
        0.05,
    );
    push(
        "client_error_rate",
        "ratio",
        acc.rate(k::CLIENT_ERROR_RATE, 1),
        Direction::HigherIsWorse,
        1.0,
        0.05,
    );
    push(
        "dns_failure_rate",
        "ratio",
        acc.rate(k::DNS_FAILURE_RATE, 1),
        Direction::HigherIsWorse,
        1.0,
        0.05,
    );
    push(
        "tls_failure_rate",
        "ratio",
        acc.rate(k::TLS_FAILURE_RATE, 1),
        Direction::HigherIsWorse,
        1.0,
        0.05,
    );
    let wait50 = acc.quant(k::FP_WAIT_MS, 0.5);
    let m = median_of(&wait50);
    push(
        "fp_wait_p50_ms",
        "ms",
        wait50,
        Direction::HigherIsWorse,
        1.0,
        (0.25 * m).max(5.0),
    );
    // API wait relative to each (vantage, endpoint)'s own typical wait, so
    // that a bin's mix of fast and slow regions does not read as a change
    let mut by_group: BTreeMap<(Origin, u32, u32), Vec<f64>> = BTreeMap::new();
    for (_, g, w) in &api_waits {
        by_group.entry(*g).or_default().push(*w);
    }
    let med: BTreeMap<(Origin, u32, u32), f64> = by_group
        .into_iter()
        .map(|(g, mut v)| (g, crate::stats::quantile_select(&mut v, 0.5).unwrap_or(0.0)))
        .collect();
    for (i, g, w) in &api_waits {
        if let Some(m) = med.get(g).filter(|m| **m > 0.0) {
            acc.bin(k::FP_API_WAIT_REL, *i).vals.push(w / m);
        }
    }
    push(
        "fp_api_wait_ratio",
        "ratio",
        acc.quant(k::FP_API_WAIT_REL, 0.5),
        Direction::HigherIsWorse,
        1.0,
        0.1,
    );
    let wait95 = acc.quant(k::FP_WAIT_MS, 0.95);
    let m = median_of(&wait95);
    push(
        "fp_wait_p95_ms",
        "ms",
        wait95,
        Direction::HigherIsWorse,
        0.0,
        (0.3 * m).max(5.0),
    );
    let conn = acc.quant(k::FP_CONNECT_MS, 0.5);
    let m = median_of(&conn);
    push(
        "fp_connect_p50_ms",
        "ms",
        conn,
        Direction::HigherIsWorse,
        0.5,
        (0.5 * m).max(10.0),
    );
    let comp = acc.quant(k::PAGE_COMPONENTS, 0.5);
    let m = median_of(&comp);
    push(
        "page_components",
        "count",
        comp,
        Direction::LowerIsWorse,
        1.0,
        (0.1 * m).max(1.0),
    );
    let load = acc.quant(k::PAGE_LOAD_MS, 0.5);
    let m = median_of(&load);
    push(
        "page_load_ms",
        "ms",
        load,
        Direction::Both,
        0.3,
        (0.3 * m).max(50.0),
    );
    push(
        "net_loss_pct",
        "pct",
        acc.mean(k::NET_LOSS_PCT),
        Direction::HigherIsWorse,
        0.0,
        2.0,
    );
    let loss_max: Vec<Option<f64>> = (0..bins)
        .map(|i| {
            loss_by_region
                .values()
                .filter(|g| g[i].1 > 0)
                .map(|g| g[i].0 / g[i].1 as f64)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        })
        .collect();
    push(
        "net_loss_pct_max_region",
        "pct",
        loss_max,
        Direction::HigherIsWorse,
        1.0,
        2.0,
    );
    let lat = acc.quant(k::NET_LATENCY_MS, 0.5);
    let m = median_of(&lat);
    push(
        "net_latency_ms",
        "ms",
        lat,
        Direction::HigherIsWorse,
        0.7,
        (0.3 * m).max(5.0),
    );
    push(
        "server_5xx_rate",
        "ratio",
        acc.rate(k::SERVER_5XX_RATE, 1),
        Direction::HigherIsWorse,
        1.0,
        0.02,
    );
    let st = acc.quant(k::SERVER_TIME_MS, 0.5);
    let m = median_of(&st);
    push(
        "server_time_p50_ms",
        "ms",
        st,
        Direction::HigherIsWorse,
        0.7,
        (0.15 * m).max(5.0),
    );

    for sig in &mut signals {
        fill_sparse(&mut sig.values);
    }
    SeriesSet {
        start: Some(super::ms_to_dt(s0)),
        bin_ms,
        bins,
        signals,
    }
}

/// A sparse signal (a HAR page load every few minutes) describes the state
/// until its next observation: carry each value forward over the typical
/// gap, so that three failed page loads ten minutes apart read as one
/// thirty-minute span and not as three one-bin blips.
fn fill_sparse(values: &mut [Option<f64>]) {
    let seen: Vec<usize> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .map(|(i, _)| i)
        .collect();
    if seen.len() < 3 {
        return;
    }
    let mut gaps: Vec<usize> = seen.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let typical = gaps[gaps.len() / 2];
    if typical <= 1 {
        return;
    }
    for w in seen.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b - a <= typical * 2 {
            let v = values[a];
            for x in values.iter_mut().take(b).skip(a + 1) {
                *x = v;
            }
        }
    }
}
