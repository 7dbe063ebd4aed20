//! The polars part of the stage: grouped counts and quantiles. Two generic
//! group-bys (quantiles of numeric measures, and counts of a category) serve
//! every family, so the engine is confined to this file. Called from the
//! main thread only, never from inside a rayon closure (polars owns its
//! own thread pool).

use super::obs::{HttpObs, NetObs, PageObs, ServerObs};
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

type GroupKey = (String, u32);

/// Per (key, window): row count and quantiles of each measure.
#[derive(Default)]
struct QuantileResult {
    count: HashMap<GroupKey, u64>,
    quantiles: HashMap<(GroupKey, String), Quantiles>,
}

fn grouped_quantiles(
    keys: Vec<String>,
    windows: Vec<u32>,
    measures: Vec<(&'static str, Vec<Option<f64>>)>,
) -> PolarsResult<QuantileResult> {
    let height = keys.len();
    let mut cols = vec![
        Column::new("key".into(), keys),
        Column::new("window".into(), windows),
    ];
    let mut aggs = vec![len().cast(DataType::Int64).alias("n")];
    for (name, vals) in &measures {
        cols.push(Column::new((*name).into(), vals.clone()));
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
    let df = DataFrame::new(height, cols)?;
    let out = df
        .lazy()
        .group_by([col("key"), col("window")])
        .agg(aggs)
        .collect()?;
    let key = out.column("key")?.str()?.clone();
    let win = out.column("window")?.u32()?.clone();
    let n = out.column("n")?.i64()?.clone();
    let mut res = QuantileResult {
        count: HashMap::new(),
        quantiles: HashMap::new(),
    };
    let mut mcols = Vec::new();
    for (name, _) in &measures {
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
    for i in 0..out.height() {
        let (Some(k), Some(w)) = (key.get(i), win.get(i)) else {
            continue;
        };
        let gk = (k.to_string(), w);
        res.count.insert(gk.clone(), n.get(i).unwrap_or(0) as u64);
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
            res.quantiles.insert((gk.clone(), name.to_string()), q);
        }
    }
    Ok(res)
}

/// Per (key, window, category): count.
fn grouped_counts(
    keys: Vec<String>,
    windows: Vec<u32>,
    cats: Vec<String>,
) -> PolarsResult<HashMap<(GroupKey, String), u64>> {
    let height = keys.len();
    let df = DataFrame::new(
        height,
        vec![
            Column::new("key".into(), keys),
            Column::new("window".into(), windows),
            Column::new("cat".into(), cats),
        ],
    )?;
    let out = df
        .lazy()
        .group_by([col("key"), col("window"), col("cat")])
        .agg([len().cast(DataType::Int64).alias("n")])
        .collect()?;
    let key = out.column("key")?.str()?.clone();
    let win = out.column("window")?.u32()?.clone();
    let cat = out.column("cat")?.str()?.clone();
    let n = out.column("n")?.i64()?.clone();
    let mut m = HashMap::new();
    for i in 0..out.height() {
        if let (Some(k), Some(w), Some(c), Some(n)) = (key.get(i), win.get(i), cat.get(i), n.get(i))
        {
            m.insert(((k.to_string(), w), c.to_string()), n as u64);
        }
    }
    Ok(m)
}

fn report_err<T: Default>(what: &str, r: PolarsResult<T>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("faultlens: internal aggregation error in {what}: {e}");
        T::default()
    })
}

fn dim_key(dim: Dim, key: &str) -> String {
    format!("{}\u{1}{}", dim.as_str(), key)
}

fn split_dim_key(s: &str) -> Option<(Dim, String)> {
    let (d, k) = s.split_once('\u{1}')?;
    let dim = Dim::ALL.into_iter().find(|x| x.as_str() == d)?;
    Some((dim, k.to_string()))
}

const HTTP_PHASES: [&str; 8] = [
    "blocked_ms",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "send_ms",
    "wait_ms",
    "receive_ms",
    "total_ms",
];

pub fn http_stats(
    http: &[HttpObs],
    win: &[Option<WindowName>],
) -> BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> {
    let mut keys = Vec::new();
    let mut wins = Vec::new();
    let mut phase_vals: Vec<Vec<Option<f64>>> = vec![Vec::new(); HTTP_PHASES.len()];
    let mut err_flags = Vec::new();
    let mut status = Vec::new();
    let mut classes = Vec::new();
    for (o, w) in http.iter().zip(win) {
        let Some(w) = w else { continue };
        for (dim, key) in o.keys() {
            keys.push(dim_key(dim, &key));
            wins.push(w_idx(*w));
            for (i, p) in HTTP_PHASES.iter().enumerate() {
                // phases of failed requests describe the failure, not the service
                phase_vals[i].push(if o.status > 0 { o.phase(p) } else { None });
            }
            err_flags.push(if o.is_error { "1" } else { "0" }.to_string());
            status.push(o.status.to_string());
            classes.push(o.error_class.map(|c| c.as_str()).unwrap_or("").to_string());
        }
    }
    let measures: Vec<(&'static str, Vec<Option<f64>>)> =
        HTTP_PHASES.iter().copied().zip(phase_vals).collect();
    let q = report_err(
        "http quantiles",
        grouped_quantiles(keys.clone(), wins.clone(), measures),
    );
    let errs = report_err(
        "http errors",
        grouped_counts(keys.clone(), wins.clone(), err_flags),
    );
    let st = report_err(
        "http status",
        grouped_counts(keys.clone(), wins.clone(), status),
    );
    let cl = report_err("http error classes", grouped_counts(keys, wins, classes));

    let mut out: BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>> = BTreeMap::new();
    for ((k, w), n) in &q.count {
        let Some(dk) = split_dim_key(k) else { continue };
        let g = out.entry(dk).or_default().entry(w_from(*w)).or_default();
        g.count = *n;
        g.errors = errs
            .get(&((k.clone(), *w), "1".into()))
            .copied()
            .unwrap_or(0);
        for p in HTTP_PHASES {
            if let Some(qq) = q.quantiles.get(&((k.clone(), *w), p.to_string())) {
                g.phases.insert(p.to_string(), *qq);
            }
        }
    }
    for (((k, w), s), n) in st {
        let (Some(dk), Ok(code)) = (split_dim_key(&k), s.parse::<i32>()) else {
            continue;
        };
        let g = out.entry(dk).or_default().entry(w_from(w)).or_default();
        g.status_mix.insert(code, n);
        if code >= 500 {
            g.status_5xx += n;
        }
    }
    for (((k, w), c), n) in cl {
        if c.is_empty() {
            continue;
        }
        let Some(dk) = split_dim_key(&k) else {
            continue;
        };
        out.entry(dk)
            .or_default()
            .entry(w_from(w))
            .or_default()
            .error_classes
            .insert(c, n);
    }
    out
}

pub fn page_stats(
    pages: &[PageObs],
    win: &[Option<WindowName>],
) -> BTreeMap<String, BTreeMap<WindowName, PageStat>> {
    let mut keys = Vec::new();
    let mut wins = Vec::new();
    let (mut comp, mut failed, mut load, mut cl) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (p, w) in pages.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in [
            "all".to_string(),
            format!("{}@{}", p.origin.as_str(), p.vantage),
        ] {
            keys.push(key);
            wins.push(w_idx(*w));
            comp.push(p.components);
            failed.push(p.failed);
            load.push(p.load_ms);
            cl.push(p.content_load_ms);
        }
    }
    let failed_sum: HashMap<GroupKey, (f64, u64)> = {
        let mut m: HashMap<GroupKey, (f64, u64)> = HashMap::new();
        for ((k, w), f) in keys.iter().zip(&wins).zip(&failed) {
            if let Some(f) = f {
                let e = m.entry((k.clone(), *w)).or_default();
                e.0 += f;
                e.1 += 1;
            }
        }
        m
    };
    let q = report_err(
        "page quantiles",
        grouped_quantiles(
            keys,
            wins,
            vec![
                ("components", comp),
                ("load_ms", load),
                ("content_load_ms", cl),
            ],
        ),
    );
    let mut out: BTreeMap<String, BTreeMap<WindowName, PageStat>> = BTreeMap::new();
    for ((k, w), n) in &q.count {
        let gk = (k.clone(), *w);
        let get = |m: &str| q.quantiles.get(&(gk.clone(), m.to_string())).copied();
        let s = PageStat {
            n: *n,
            components_p50: get("components").map(|q| q.p50),
            failed_components_mean: failed_sum
                .get(&gk)
                .filter(|(_, c)| *c > 0)
                .map(|(s, c)| s / *c as f64),
            load_ms: get("load_ms").unwrap_or_default(),
            content_load_ms: get("content_load_ms").unwrap_or_default(),
        };
        out.entry(k.clone()).or_default().insert(w_from(*w), s);
    }
    out
}

pub fn net_stats(
    net: &[NetObs],
    win: &[Option<WindowName>],
) -> BTreeMap<String, BTreeMap<WindowName, NetStat>> {
    let mut keys = Vec::new();
    let mut wins = Vec::new();
    let (mut lat, mut jit, mut res) = (Vec::new(), Vec::new(), Vec::new());
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
        agents: BTreeMap<String, (f64, u64)>,
    }
    let mut acc: HashMap<GroupKey, Acc> = HashMap::new();
    for (o, w) in net.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in ["all".to_string(), o.region.clone()] {
            keys.push(key.clone());
            wins.push(w_idx(*w));
            lat.push(o.latency_ms);
            jit.push(o.jitter_ms);
            res.push(o.resolve_ms);
            let a = acc.entry((key, w_idx(*w))).or_default();
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
                    let e = a.agents.entry(o.agent.clone()).or_default();
                    e.0 += l;
                    e.1 += 1;
                }
            }
        }
    }
    let q = report_err(
        "net quantiles",
        grouped_quantiles(
            keys,
            wins,
            vec![("latency_ms", lat), ("jitter_ms", jit), ("resolve_ms", res)],
        ),
    );
    let mut out: BTreeMap<String, BTreeMap<WindowName, NetStat>> = BTreeMap::new();
    for (gk, a) in acc {
        let get = |m: &str| q.quantiles.get(&(gk.clone(), m.to_string())).copied();
        let s = NetStat {
            n: a.n,
            agents: a.agents.len() as u64,
            loss_pct_mean: (a.loss_n > 0).then(|| a.loss_sum / a.loss_n as f64),
            loss_pct_max_agent: a
                .agents
                .values()
                .map(|(s, n)| s / *n as f64)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
            latency_ms: get("latency_ms").unwrap_or_default(),
            jitter_ms_p50: get("jitter_ms").map(|q| q.p50),
            availability: (a.net_n > 0).then(|| a.ok as f64 / a.net_n as f64),
            dns_n: a.dns_n,
            dns_failures: a.dns_fail,
            resolve_ms: get("resolve_ms").unwrap_or_default(),
        };
        out.entry(gk.0).or_default().insert(w_from(gk.1), s);
    }
    out
}

pub fn server_stats(
    server: &[ServerObs],
    win: &[Option<WindowName>],
    windows: &Windows,
) -> BTreeMap<String, BTreeMap<WindowName, ServerStat>> {
    let mut keys = Vec::new();
    let mut wins = Vec::new();
    let (mut req, mut up, mut status) = (Vec::new(), Vec::new(), Vec::new());
    for (o, w) in server.iter().zip(win) {
        let Some(w) = w else { continue };
        for key in ["all".to_string(), o.endpoint.clone()] {
            keys.push(key);
            wins.push(w_idx(*w));
            req.push(o.request_ms);
            up.push(o.upstream_ms);
            status.push(o.status.to_string());
        }
    }
    let q = report_err(
        "server quantiles",
        grouped_quantiles(
            keys.clone(),
            wins.clone(),
            vec![("request_ms", req), ("upstream_ms", up)],
        ),
    );
    let st = report_err("server status", grouped_counts(keys, wins, status));
    let mut out: BTreeMap<String, BTreeMap<WindowName, ServerStat>> = BTreeMap::new();
    for ((k, w), n) in &q.count {
        let gk = (k.clone(), *w);
        let get = |m: &str| {
            q.quantiles
                .get(&(gk.clone(), m.to_string()))
                .copied()
                .unwrap_or_default()
        };
        let minutes = windows
            .get(w_from(*w))
            .map(|x| x.minutes())
            .filter(|m| *m > 0.0);
        let s = ServerStat {
            n: *n,
            status_5xx: 0,
            status_mix: BTreeMap::new(),
            requests_per_min: minutes.map(|m| *n as f64 / m).unwrap_or(0.0),
            request_ms: get("request_ms"),
            upstream_ms: get("upstream_ms"),
        };
        out.entry(k.clone()).or_default().insert(w_from(*w), s);
    }
    for (((k, w), s), n) in st {
        let Ok(code) = s.parse::<i32>() else { continue };
        if let Some(x) = out.get_mut(&k).and_then(|m| m.get_mut(&w_from(w))) {
            x.status_mix.insert(code, n);
            if code >= 500 {
                x.status_5xx += n;
            }
        }
    }
    out
}
