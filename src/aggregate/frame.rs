//! The polars part of the stage: grouped counts and quantiles. Two generic
//! group-bys (quantiles of numeric measures, and counts of a category) serve
//! every family, so the engine is confined to this file. An observation
//! counted under several groups is one row, grouped once per key position,
//! because exploding it into one row per group multiplied memory by eight
//! and cost a gigabyte per million records. Called from the main thread
//! only, never from inside a rayon closure (polars owns its own thread
//! pool).

use super::obs::{ALL, HTTP_DIMS, Names, Obs, PHASE_NAMES, own_key};
use super::{Dim, GroupStat, NetStat, PageStat, Quantiles, ServerStat, WindowName, Windows};
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};

const QS: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")];

fn w_idx(w: WindowName) -> u32 {
    match w {
        WindowName::Before => 0,
        WindowName::During => 1,
        WindowName::After => 2,
    }
}

fn w_from(i: u32) -> WindowName {
    match i {
        0 => WindowName::Before,
        1 => WindowName::During,
        _ => WindowName::After,
    }
}

/// (group id, window index).
type GroupKey = (u32, u32);

/// Per (group, window): row count, sums and quantiles of each measure.
#[derive(Default)]
struct Grouped {
    count: HashMap<GroupKey, u64>,
    sums: HashMap<(GroupKey, &'static str), f64>,
    quantiles: HashMap<(GroupKey, &'static str), Quantiles>,
}

impl Grouped {
    fn q(&self, gk: GroupKey, measure: &'static str) -> Option<Quantiles> {
        self.quantiles.get(&(gk, measure)).copied()
    }
}

/// One group-by over rows that share measure columns but are grouped by
/// one key column at a time: an observation counted under several groups
/// (host, endpoint, vantage, ...) is one row, not one row per group, and
/// the measure columns are shared between the passes (a `Column` clone is
/// a reference count).
struct Frame {
    height: usize,
    window: Column,
    measures: Vec<(&'static str, Column)>,
    sums: Vec<(&'static str, Column)>,
}

impl Frame {
    fn new(windows: Vec<u32>) -> Frame {
        Frame {
            height: windows.len(),
            window: Column::new("window".into(), windows),
            measures: Vec::new(),
            sums: Vec::new(),
        }
    }
    fn measure(&mut self, name: &'static str, vals: Vec<Option<f64>>) {
        self.measures.push((name, Column::new(name.into(), vals)));
    }
    fn sum(&mut self, name: &'static str, vals: Vec<f64>) {
        self.sums.push((name, Column::new(name.into(), vals)));
    }

    /// Counts, sums and quantiles per (key, window); rows whose key is null
    /// belong to no group of this pass.
    fn quantiles(&self, keys: Vec<Option<u32>>, into: &mut Grouped) -> PolarsResult<()> {
        let mut cols = vec![Column::new("key".into(), keys), self.window.clone()];
        let mut aggs = vec![len().cast(DataType::Int64).alias("n")];
        for (name, c) in &self.measures {
            cols.push(c.clone());
            aggs.push(
                col(*name)
                    .count()
                    .cast(DataType::Int64)
                    .alias(format!("{name}__n")),
            );
            for (q, qn) in QS {
                aggs.push(
                    col(*name)
                        .quantile(lit(q), QuantileMethod::Linear)
                        .cast(DataType::Float64)
                        .alias(format!("{name}__{qn}")),
                );
            }
        }
        for (name, c) in &self.sums {
            cols.push(c.clone());
            aggs.push(col(*name).sum().cast(DataType::Float64).alias(*name));
        }
        let out = DataFrame::new(self.height, cols)?
            .lazy()
            .filter(col("key").is_not_null())
            .group_by([col("key"), col("window")])
            .agg(aggs)
            .collect()?;
        let key = out.column("key")?.u32()?.clone();
        let win = out.column("window")?.u32()?.clone();
        let n = out.column("n")?.i64()?.clone();
        let mut mcols = Vec::new();
        for (name, _) in &self.measures {
            let cnt = out.column(&format!("{name}__n"))?.i64()?.clone();
            let qs: Vec<Float64Chunked> = QS
                .iter()
                .map(|(_, qn)| {
                    out.column(&format!("{name}__{qn}"))
                        .and_then(|c| c.f64().cloned())
                })
                .collect::<PolarsResult<_>>()?;
            mcols.push((*name, cnt, qs));
        }
        let scols: Vec<(&'static str, Float64Chunked)> = self
            .sums
            .iter()
            .map(|(name, _)| Ok((*name, out.column(name)?.f64()?.clone())))
            .collect::<PolarsResult<_>>()?;
        for i in 0..out.height() {
            let (Some(k), Some(w)) = (key.get(i), win.get(i)) else {
                continue;
            };
            let gk = (k, w);
            into.count.insert(gk, n.get(i).unwrap_or(0) as u64);
            for (name, c) in &scols {
                into.sums.insert((gk, *name), c.get(i).unwrap_or(0.0));
            }
            for (name, cnt, qs) in &mcols {
                let c = cnt.get(i).unwrap_or(0) as u64;
                if c == 0 {
                    continue;
                }
                let q = Quantiles {
                    n: c,
                    p50: qs[0].get(i).unwrap_or(f64::NAN),
                    p90: qs[1].get(i).unwrap_or(f64::NAN),
                    p95: qs[2].get(i).unwrap_or(f64::NAN),
                    p99: qs[3].get(i).unwrap_or(f64::NAN),
                };
                into.quantiles.insert((gk, *name), q);
            }
        }
        Ok(())
    }

    /// Row counts per (key, window, category); null categories are skipped.
    fn counts(
        &self,
        keys: Vec<Option<u32>>,
        cats: &Column,
        into: &mut HashMap<(GroupKey, i64), u64>,
    ) -> PolarsResult<()> {
        let df = DataFrame::new(
            self.height,
            vec![
                Column::new("key".into(), keys),
                self.window.clone(),
                cats.clone().with_name("cat".into()),
            ],
        )?;
        let out = df
            .lazy()
            .filter(col("key").is_not_null().and(col("cat").is_not_null()))
            .group_by([col("key"), col("window"), col("cat")])
            .agg([len().cast(DataType::Int64).alias("n")])
            .collect()?;
        let key = out.column("key")?.u32()?.clone();
        let win = out.column("window")?.u32()?.clone();
        let cat = out.column("cat")?.i64()?.clone();
        let n = out.column("n")?.i64()?.clone();
        for i in 0..out.height() {
            if let (Some(k), Some(w), Some(c), Some(n)) =
                (key.get(i), win.get(i), cat.get(i), n.get(i))
            {
                into.insert(((k, w), c), n as u64);
            }
        }
        Ok(())
    }
}

/// The observations that fall in a window, with the window's index.
fn windowed<'o, T>(obs: &'o [T], win: &[Option<WindowName>]) -> Vec<(&'o T, u32)> {
    obs.iter()
        .zip(win)
        .filter_map(|(o, w)| Some((o, w_idx((*w)?))))
        .collect()
}

fn report_err(what: &str, r: PolarsResult<()>) {
    if let Err(e) = r {
        eprintln!("faultlens: internal aggregation error in {what}: {e}");
    }
}

/// Keys of a small family (`all` plus one key per observation), interned
/// locally: the family's key id -> its name.
#[derive(Default)]
struct LocalKeys {
    names: Names,
}

impl LocalKeys {
    /// Two key columns: every row in `all`, and each row in its own key.
    fn all_and(&mut self, rows: impl Iterator<Item = String>) -> [Vec<Option<u32>>; 2] {
        let all = self.names.intern(ALL);
        let own: Vec<Option<u32>> = rows.map(|k| Some(self.names.intern(own_key(&k)))).collect();
        [vec![Some(all); own.len()], own]
    }
    fn name(&self, id: u32) -> String {
        self.names.get(id).to_string()
    }
}

pub fn http_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
) -> BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> {
    let rows = windowed(&obs.http, win);
    let mut f = Frame::new(rows.iter().map(|(_, w)| *w).collect());
    for (i, p) in PHASE_NAMES.iter().enumerate() {
        // phases of failed requests describe the failure, not the service
        f.measure(
            p,
            rows.iter()
                .map(|(o, _)| if o.status > 0 { o.phase_at(i) } else { None })
                .collect(),
        );
    }
    f.sum(
        "errors",
        rows.iter()
            .map(|(o, _)| if o.is_error { 1.0 } else { 0.0 })
            .collect(),
    );
    // status and error class in one category (one counting pass, not two):
    // status * CLASSES + class index, the last index meaning "no class";
    // room for far more classes than the model has
    const CLASSES: i64 = 1 << 16;
    let mut class_names: Vec<&'static str> = Vec::new();
    let status_class = Column::new(
        "status_class".into(),
        rows.iter()
            .map(|(o, _)| {
                let cls = match o.error_class {
                    Some(c) => {
                        let c = c.as_str();
                        class_names.iter().position(|x| *x == c).unwrap_or_else(|| {
                            class_names.push(c);
                            class_names.len() - 1
                        }) as i64
                    }
                    None => CLASSES - 1,
                };
                o.status as i64 * CLASSES + cls
            })
            .collect::<Vec<i64>>(),
    );
    let mut q = Grouped::default();
    let mut sc = HashMap::new();
    for pos in 0..HTTP_DIMS.len() {
        let keys: Vec<Option<u32>> = rows
            .iter()
            .map(|(o, _)| o.groups().get(pos).copied())
            .collect();
        report_err("http quantiles", f.quantiles(keys.clone(), &mut q));
        report_err(
            "http status and error classes",
            f.counts(keys, &status_class, &mut sc),
        );
    }

    let mut out: BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> = BTreeMap::new();
    let mut by_key: HashMap<GroupKey, GroupStat> = HashMap::new();
    for (gk, n) in &q.count {
        let g = by_key.entry(*gk).or_default();
        g.count = *n;
        g.errors = q.sums.get(&(*gk, "errors")).copied().unwrap_or(0.0) as u64;
        for p in PHASE_NAMES {
            if let Some(qq) = q.q(*gk, p) {
                g.phases.insert(p.to_string(), qq);
            }
        }
    }
    for ((gk, combo), n) in sc {
        let (code, cls) = (combo.div_euclid(CLASSES), combo.rem_euclid(CLASSES));
        let g = by_key.entry(gk).or_default();
        *g.status_mix.entry(code as i32).or_default() += n;
        if code >= 500 {
            g.status_5xx += n;
        }
        if let Some(name) = class_names.get(cls as usize) {
            *g.error_classes.entry(name.to_string()).or_default() += n;
        }
    }
    for (gk, g) in by_key {
        let (dim, key) = obs.group_key(gk.0);
        out.entry((dim, key.to_string()))
            .or_default()
            .insert(w_from(gk.1), g);
    }
    out
}

pub fn page_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
) -> BTreeMap<String, BTreeMap<WindowName, PageStat>> {
    let rows = windowed(&obs.pages, win);
    let mut f = Frame::new(rows.iter().map(|(_, w)| *w).collect());
    f.measure(
        "components",
        rows.iter().map(|(p, _)| p.components).collect(),
    );
    f.measure("load_ms", rows.iter().map(|(p, _)| p.load_ms).collect());
    f.measure(
        "content_load_ms",
        rows.iter().map(|(p, _)| p.content_load_ms).collect(),
    );
    let mut lk = LocalKeys::default();
    let key_cols = lk.all_and(
        rows.iter()
            .map(|(p, _)| format!("{}@{}", p.origin.as_str(), obs.names.get(p.vantage))),
    );
    // failed-component means are summed here, in row order, so the float
    // sum does not depend on how polars splits the work
    let mut failed: HashMap<GroupKey, (f64, u64)> = HashMap::new();
    for keys in &key_cols {
        for ((p, w), k) in rows.iter().zip(keys) {
            if let (Some(k), Some(f)) = (k, p.failed) {
                let e = failed.entry((*k, *w)).or_default();
                e.0 += f;
                e.1 += 1;
            }
        }
    }
    let mut q = Grouped::default();
    for keys in key_cols {
        report_err("page quantiles", f.quantiles(keys, &mut q));
    }
    let mut out: BTreeMap<String, BTreeMap<WindowName, PageStat>> = BTreeMap::new();
    for (gk, n) in &q.count {
        let s = PageStat {
            n: *n,
            components_p50: q.q(*gk, "components").map(|q| q.p50),
            failed_components_mean: failed
                .get(gk)
                .filter(|(_, c)| *c > 0)
                .map(|(s, c)| s / *c as f64),
            load_ms: q.q(*gk, "load_ms").unwrap_or_default(),
            content_load_ms: q.q(*gk, "content_load_ms").unwrap_or_default(),
        };
        out.entry(lk.name(gk.0))
            .or_default()
            .insert(w_from(gk.1), s);
    }
    out
}

pub fn net_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
) -> BTreeMap<String, BTreeMap<WindowName, NetStat>> {
    let rows = windowed(&obs.net, win);
    let mut f = Frame::new(rows.iter().map(|(_, w)| *w).collect());
    f.measure(
        "latency_ms",
        rows.iter().map(|(o, _)| o.latency_ms).collect(),
    );
    f.measure("jitter_ms", rows.iter().map(|(o, _)| o.jitter_ms).collect());
    f.measure(
        "resolve_ms",
        rows.iter().map(|(o, _)| o.resolve_ms).collect(),
    );
    let mut lk = LocalKeys::default();
    let key_cols = lk.all_and(
        rows.iter()
            .map(|(o, _)| obs.names.get(o.region).to_string()),
    );
    // means, availability and per-agent loss are simple sums: plain Rust
    #[derive(Default)]
    struct Acc {
        n: u64,
        loss_sum: f64,
        loss_n: u64,
        ok: u64,
        net_n: u64,
        dns_n: u64,
        dns_fail: u64,
        agents: HashMap<u32, (f64, u64)>,
    }
    let mut acc: HashMap<GroupKey, Acc> = HashMap::new();
    for keys in &key_cols {
        for ((o, w), k) in rows.iter().zip(keys) {
            let Some(k) = k else { continue };
            let a = acc.entry((*k, *w)).or_default();
            a.n += 1;
            if o.is_dns {
                a.dns_n += 1;
                if o.failed {
                    a.dns_fail += 1;
                }
            } else {
                a.net_n += 1;
                if !o.failed {
                    a.ok += 1;
                }
                if let Some(l) = o.loss_pct {
                    a.loss_sum += l;
                    a.loss_n += 1;
                    let e = a.agents.entry(o.agent).or_default();
                    e.0 += l;
                    e.1 += 1;
                }
            }
        }
    }
    let mut q = Grouped::default();
    for keys in key_cols {
        report_err("net quantiles", f.quantiles(keys, &mut q));
    }
    let mut out: BTreeMap<String, BTreeMap<WindowName, NetStat>> = BTreeMap::new();
    for (gk, a) in acc {
        // agents in name order so the float max is the same every run
        let mut agents: Vec<(&str, f64)> = a
            .agents
            .iter()
            .map(|(id, (s, n))| (obs.names.get(*id), s / *n as f64))
            .collect();
        agents.sort_by(|x, y| x.0.cmp(y.0));
        let s = NetStat {
            n: a.n,
            agents: a.agents.len() as u64,
            loss_pct_mean: (a.loss_n > 0).then(|| a.loss_sum / a.loss_n as f64),
            loss_pct_max_agent: agents
                .iter()
                .map(|(_, v)| *v)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
            latency_ms: q.q(gk, "latency_ms").unwrap_or_default(),
            jitter_ms_p50: q.q(gk, "jitter_ms").map(|q| q.p50),
            availability: (a.net_n > 0).then(|| a.ok as f64 / a.net_n as f64),
            dns_n: a.dns_n,
            dns_failures: a.dns_fail,
            resolve_ms: q.q(gk, "resolve_ms").unwrap_or_default(),
        };
        out.entry(lk.name(gk.0))
            .or_default()
            .insert(w_from(gk.1), s);
    }
    out
}

pub fn server_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
    windows: &Windows,
) -> BTreeMap<String, BTreeMap<WindowName, ServerStat>> {
    let rows = windowed(&obs.server, win);
    let mut f = Frame::new(rows.iter().map(|(_, w)| *w).collect());
    f.measure(
        "request_ms",
        rows.iter().map(|(o, _)| o.request_ms).collect(),
    );
    f.measure(
        "upstream_ms",
        rows.iter().map(|(o, _)| o.upstream_ms).collect(),
    );
    let status = Column::new(
        "status".into(),
        rows.iter()
            .map(|(o, _)| o.status as i64)
            .collect::<Vec<i64>>(),
    );
    let mut lk = LocalKeys::default();
    let mut q = Grouped::default();
    let mut st = HashMap::new();
    for keys in lk.all_and(
        rows.iter()
            .map(|(o, _)| obs.names.get(o.endpoint).to_string()),
    ) {
        report_err("server quantiles", f.quantiles(keys.clone(), &mut q));
        report_err("server status", f.counts(keys, &status, &mut st));
    }
    let mut out: BTreeMap<String, BTreeMap<WindowName, ServerStat>> = BTreeMap::new();
    for (gk, n) in &q.count {
        let minutes = windows
            .get(w_from(gk.1))
            .map(|x| x.minutes())
            .filter(|m| *m > 0.0);
        let s = ServerStat {
            n: *n,
            status_5xx: 0,
            status_mix: BTreeMap::new(),
            requests_per_min: minutes.map(|m| *n as f64 / m).unwrap_or(0.0),
            request_ms: q.q(*gk, "request_ms").unwrap_or_default(),
            upstream_ms: q.q(*gk, "upstream_ms").unwrap_or_default(),
        };
        out.entry(lk.name(gk.0))
            .or_default()
            .insert(w_from(gk.1), s);
    }
    for ((gk, code), n) in st {
        if let Some(x) = out
            .get_mut(&lk.name(gk.0))
            .and_then(|m| m.get_mut(&w_from(gk.1)))
        {
            x.status_mix.insert(code as i32, n);
            if code >= 500 {
                x.status_5xx += n;
            }
        }
    }
    out
}
