//! The polars part of the stage: grouped counts and exact quantiles. An
//! observation is counted under up to eight groups (host, endpoint,
//! vantage, ...), so the rows are not exploded into one row per group
//! (that multiplied memory by eight); each row carries the id of its
//! combination of group slots.
//!
//! Quantiles come from one sort per measure, not one per group: polars
//! arg-sorts the measure column once (on the calling thread, while a scoped
//! thread walks the previous measure), then a single walk over the rows in
//! value order counts, per group, how many of its values it has passed, and
//! keeps the values at the ranks that group's quantiles need, and the
//! group's rank-test sample. Grouped `quantile` expressions had sorted every group
//! again for each of the four quantiles, eight measures and eight key
//! positions: 256 passes, 80 % of the stage at ten million records. The
//! ranks and the interpolation are polars' own (`Linear`, nulls counted as
//! polars counts them), so the figures are the same to the last bit.
//! Status counts are one dense pass over the rows. polars is called from
//! the calling thread only, never from inside a rayon closure or the walk's
//! thread (polars owns its own thread pool).

use super::obs::{ALL, HTTP_DIMS, Names, Obs, PHASE_NAMES, own_key};
use super::sample::Sampled;
use super::{Dim, GroupStat, NetStat, PageStat, Quantiles, ServerStat, WindowName, Windows};
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};

mod walk;

use walk::{
    GroupKey, Grouped, NONE, Scratch, Slots, WINDOWS, group_key, sort_measure, w_from, w_idx,
    walk_measure,
};

/// Rows that share measure columns, each in up to `width` groups.
struct Frame {
    windows: Vec<u32>,
    measures: Vec<(&'static str, Float64Chunked)>,
    sums: Vec<(&'static str, Vec<f64>)>,
    /// Measures whose rank-test samples the walk keeps.
    sampled: Vec<&'static str>,
}

impl Frame {
    fn new(windows: Vec<u32>) -> Frame {
        Frame {
            windows,
            measures: Vec::new(),
            sums: Vec::new(),
            sampled: Vec::new(),
        }
    }
    fn measure(&mut self, name: &'static str, vals: impl Iterator<Item = Option<f64>>) {
        self.measures
            .push((name, Float64Chunked::from_iter_options(name.into(), vals)));
    }
    fn sum(&mut self, name: &'static str, vals: Vec<f64>) {
        self.sums.push((name, vals));
    }

    /// Counts, sums (in row order) and quantiles per (group, window).
    fn quantiles(&self, slots: &Slots) -> Grouped {
        let mut rows = vec![0u64; slots.n_slots];
        let mut sums = vec![vec![0f64; slots.n_slots]; self.sums.len()];
        for r in 0..self.windows.len() {
            for &s in slots.row(r).iter().filter(|s| **s != NONE) {
                rows[s as usize] += 1;
                for (acc, (_, v)) in sums.iter_mut().zip(&self.sums) {
                    acc[s as usize] += v[r];
                }
            }
        }
        let mut into = Grouped::default();
        for (k, n) in rows.iter().enumerate().filter(|(_, n)| **n > 0) {
            let gk = group_key(k as u32);
            into.count.insert(gk, *n);
            for (acc, (name, _)) in sums.iter().zip(&self.sums) {
                into.sums.insert((gk, *name), acc[k]);
            }
        }
        // polars sorts measure k + 1 on this thread while a scoped thread
        // walks measure k (the walk is plain Rust: no polars call, so no
        // thread pool is nested in another)
        type Walked = (Vec<Option<Quantiles>>, Option<Vec<Sampled>>, Scratch);
        let mut keep = |name: &'static str, (qs, samples, scratch): Walked| {
            for (k, q) in qs.into_iter().enumerate() {
                if let Some(q) = q {
                    into.quantiles.insert((group_key(k as u32), name), q);
                }
            }
            if let Some(samples) = samples {
                into.samples.insert(name, samples);
            }
            scratch
        };
        let rows = &rows;
        // Walks in flight at once: a single HAR's walks take longer than
        // its sorts, so with one at a time a core waited; at millions of
        // rows each walk's scratch is hundreds of megabytes, so one.
        let in_flight = if self.windows.len() < 1 << 20 { 2 } else { 1 };
        std::thread::scope(|sc| {
            let mut scratches: Vec<Scratch> = Vec::new();
            let mut pending: std::collections::VecDeque<(
                &'static str,
                std::thread::ScopedJoinHandle<Walked>,
            )> = Default::default();
            let join = |h: std::thread::ScopedJoinHandle<Walked>| {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            };
            for (name, vals) in &self.measures {
                let sorted = sort_measure(vals);
                if pending.len() >= in_flight
                    && let Some((prev, h)) = pending.pop_front()
                {
                    scratches.push(keep(prev, join(h)));
                }
                let sample = self.sampled.contains(name);
                let mut scr = scratches.pop().unwrap_or_default();
                pending.push_back((
                    name,
                    sc.spawn(move || {
                        let (q, s) = walk_measure(&sorted, slots, rows, &mut scr, sample);
                        (q, s, scr)
                    }),
                ));
            }
            // in measure order, as they were started
            while let Some((prev, h)) = pending.pop_front() {
                keep(prev, join(h));
            }
        });
        into
    }

    /// Row counts per (group, window, category). Categories are few
    /// (status codes, error classes), so they are numbered densely and
    /// counted per slot in one pass over the rows.
    fn counts(&self, slots: &Slots, cats: &[i64]) -> HashMap<(GroupKey, i64), u64> {
        let mut ids: HashMap<i64, usize> = HashMap::new();
        let mut names: Vec<i64> = Vec::new();
        let cat_ids: Vec<usize> = cats
            .iter()
            .map(|c| {
                *ids.entry(*c).or_insert_with(|| {
                    names.push(*c);
                    names.len() - 1
                })
            })
            .collect();
        let nc = names.len();
        let mut out = HashMap::new();
        let each = |f: &mut dyn FnMut(usize, usize)| {
            for (r, c) in cat_ids.iter().enumerate() {
                for &s in slots.row(r).iter().filter(|s| **s != NONE) {
                    f(s as usize, *c);
                }
            }
        };
        if slots.n_slots.saturating_mul(nc) <= 1 << 24 {
            let mut dense = vec![0u64; slots.n_slots * nc];
            each(&mut |s, c| dense[s * nc + c] += 1);
            for (i, n) in dense.iter().enumerate().filter(|(_, n)| **n > 0) {
                out.insert((group_key((i / nc) as u32), names[i % nc]), *n);
            }
        } else {
            each(&mut |s, c| *out.entry((group_key(s as u32), names[c])).or_default() += 1);
        }
        out
    }
}

/// The observations that fall in a window, with the window's index.
fn windowed<'o, T>(obs: &'o [T], win: &[Option<WindowName>]) -> Vec<(&'o T, u32)> {
    obs.iter()
        .zip(win)
        .filter_map(|(o, w)| Some((o, w_idx((*w)?))))
        .collect()
}

/// Keys of a small family (`all` plus one key per observation), interned
/// locally: the family's key id -> its name.
#[derive(Default)]
struct LocalKeys {
    names: Names,
}

impl LocalKeys {
    /// Two slots per row: every row in `all`, and each row in its own key.
    fn all_and(&mut self, windows: &[u32], rows: impl Iterator<Item = String>) -> Slots {
        let all = self.names.intern(ALL);
        let own: Vec<u32> = rows.map(|k| self.names.intern(own_key(&k))).collect();
        Slots::build(windows, 2, self.names.len(), |r, out| {
            out[0] = all;
            out[1] = own[r];
            2
        })
    }
    fn name(&self, id: u32) -> String {
        self.names.get(id).to_string()
    }
}

/// Rank-test samples of the HTTP phases, by `PHASE_NAMES` index, each
/// indexed by slot (group id and window).
pub(super) struct PhaseSamples(Vec<Option<Vec<Sampled>>>);

impl PhaseSamples {
    /// The sample of one phase in one group and window, if it has values.
    pub(super) fn get(&self, phase: usize, gid: u32, w: WindowName) -> Option<&Sampled> {
        let slot = (gid * WINDOWS + w_idx(w)) as usize;
        self.0
            .get(phase)?
            .as_ref()?
            .get(slot)
            .filter(|c| c.side().1 > 0)
    }
}

/// `PHASE_NAMES` indexes of the connection set-up phases (dns, connect,
/// tls), sampled only where they were made.
const SETUP_PHASES: [usize; 3] = [1, 2, 3];

/// Group stats of the HTTP family by (dimension, key) and window.
pub(super) type HttpStats = BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>;

/// Stats per group and window, and the rank-test samples of the phases
/// named in `sampled` (`PHASE_NAMES` indexes).
pub(crate) fn http_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
    sampled: &[usize],
    laps: &mut crate::laps::Laps,
) -> (HttpStats, PhaseSamples) {
    let rows = windowed(&obs.http, win);
    let windows: Vec<u32> = rows.iter().map(|(_, w)| *w).collect();
    let slots = Slots::build(&windows, HTTP_DIMS.len(), obs.groups.len(), |r, out| {
        let g = rows[r].0.groups();
        out[..g.len()].copy_from_slice(g);
        g.len()
    });
    let mut f = Frame::new(windows);
    // the phase columns are plain vectors, filled in parallel over chunks of
    // rows (every phase of a row in one visit: the phases live in the
    // dataset's records, one cache miss away) and handed to polars as they
    // are; phases of failed requests describe the failure, not the service
    let n = rows.len();
    let mut vals: Vec<Vec<f64>> = PHASE_NAMES.iter().map(|_| vec![0.0; n]).collect();
    let mut valid: Vec<Vec<bool>> = PHASE_NAMES.iter().map(|_| vec![false; n]).collect();
    {
        use rayon::prelude::*;
        // a few parts per thread even for one HAR's fifty thousand rows
        let part_rows = super::obs::chunk_len(n);
        type Part<'p> = (Vec<&'p mut [f64]>, Vec<&'p mut [bool]>);
        let mut parts: Vec<Part> = (0..n.div_ceil(part_rows))
            .map(|_| (Vec::new(), Vec::new()))
            .collect();
        for col in vals.iter_mut() {
            for (p, c) in parts.iter_mut().zip(col.chunks_mut(part_rows)) {
                p.0.push(c);
            }
        }
        for col in valid.iter_mut() {
            for (p, c) in parts.iter_mut().zip(col.chunks_mut(part_rows)) {
                p.1.push(c);
            }
        }
        parts
            .into_par_iter()
            .enumerate()
            .for_each(|(k, (mut v, mut ok))| {
                for (j, (o, _)) in rows[k * part_rows..].iter().take(v[0].len()).enumerate() {
                    if o.status <= 0 {
                        continue;
                    }
                    for i in 0..PHASE_NAMES.len() {
                        // a lookup, connect or handshake of 0 ms was not
                        // made (a cached name, a reused connection: Firefox
                        // and others write 0 where HAR says -1); counted,
                        // they would make a slow path's few new connections
                        // look flat
                        if let Some(x) = o
                            .phase_at(i)
                            .filter(|x| *x > 0.0 || !SETUP_PHASES.contains(&i))
                        {
                            v[i][j] = x;
                            ok[i][j] = true;
                        }
                    }
                }
            });
    }
    for ((p, vals), valid) in PHASE_NAMES.iter().zip(vals).zip(valid) {
        let valid = (!valid.iter().all(|b| *b)).then(|| valid.into_iter().collect());
        f.measures.push((
            p,
            Float64Chunked::from_vec_validity((*p).into(), vals, valid),
        ));
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
    let status_class: Vec<i64> = rows
        .iter()
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
        .collect();
    f.sampled = sampled.iter().map(|i| PHASE_NAMES[*i]).collect();
    laps.lap("aggregate: http stats: columns");
    let mut q = f.quantiles(&slots);
    let samples = PhaseSamples(PHASE_NAMES.iter().map(|p| q.samples.remove(p)).collect());
    laps.lap("aggregate: http stats: quantiles");
    let sc = f.counts(&slots, &status_class);

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
    laps.lap("aggregate: http stats: counts");
    (out, samples)
}

pub fn page_stats(
    obs: &Obs,
    win: &[Option<WindowName>],
) -> BTreeMap<String, BTreeMap<WindowName, PageStat>> {
    let rows = windowed(&obs.pages, win);
    let windows: Vec<u32> = rows.iter().map(|(_, w)| *w).collect();
    let mut lk = LocalKeys::default();
    let slots = lk.all_and(
        &windows,
        rows.iter()
            .map(|(p, _)| format!("{}@{}", p.origin.as_str(), obs.names.get(p.vantage))),
    );
    let mut f = Frame::new(windows);
    f.measure("components", rows.iter().map(|(p, _)| p.components));
    f.measure("load_ms", rows.iter().map(|(p, _)| p.load_ms));
    f.measure(
        "content_load_ms",
        rows.iter().map(|(p, _)| p.content_load_ms),
    );
    // failed-component means are summed in row order, so the float sum
    // is the same every run
    let mut failed: HashMap<GroupKey, (f64, u64)> = HashMap::new();
    for (r, (p, _)) in rows.iter().enumerate() {
        for &s in slots.row(r) {
            if let Some(f) = p.failed {
                let e = failed.entry(group_key(s)).or_default();
                e.0 += f;
                e.1 += 1;
            }
        }
    }
    let q = f.quantiles(&slots);
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
    let windows: Vec<u32> = rows.iter().map(|(_, w)| *w).collect();
    let mut lk = LocalKeys::default();
    let slots = lk.all_and(
        &windows,
        rows.iter()
            .map(|(o, _)| obs.names.get(o.region).to_string()),
    );
    let mut f = Frame::new(windows);
    f.measure("latency_ms", rows.iter().map(|(o, _)| o.latency_ms));
    f.measure("jitter_ms", rows.iter().map(|(o, _)| o.jitter_ms));
    f.measure("resolve_ms", rows.iter().map(|(o, _)| o.resolve_ms));
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
    for (r, (o, _)) in rows.iter().enumerate() {
        for &s in slots.row(r) {
            let a = acc.entry(group_key(s)).or_default();
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
    let q = f.quantiles(&slots);
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
    let win_idx: Vec<u32> = rows.iter().map(|(_, w)| *w).collect();
    let mut lk = LocalKeys::default();
    let slots = lk.all_and(
        &win_idx,
        rows.iter()
            .map(|(o, _)| obs.names.get(o.endpoint).to_string()),
    );
    let mut f = Frame::new(win_idx);
    f.measure("request_ms", rows.iter().map(|(o, _)| o.request_ms));
    f.measure("upstream_ms", rows.iter().map(|(o, _)| o.upstream_ms));
    let status: Vec<i64> = rows.iter().map(|(o, _)| o.status as i64).collect();
    let q = f.quantiles(&slots);
    let st = f.counts(&slots, &status);
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
