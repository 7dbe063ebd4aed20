//! The statistical comparisons of every group and signal between a window
//! and the baseline: rank tests on distributions, proportion tests on
//! rates, Benjamini-Hochberg across groups. The detectors read these, never
//! the raw samples.

use super::obs;
use super::sample::{SampleTable, Visit, thin};
use super::{Dim, GroupStat, WindowName, frame};
use crate::stats;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What a comparison groups by: the family of observations and the
/// dimension its keys come from. Lookups name it by type, so a misspelt
/// family or dimension is a compile error, not a comparison never found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// HTTP requests grouped by one of the [`Dim`]s.
    Http(Dim),
    /// Page loads by vantage: `all`, `browser@us-east`, `probe@eu-west`.
    PageVantage,
    /// Network probes by region: `all`, `us-east`, `agent:<id>`.
    NetRegion,
    /// Server requests by endpoint: `all` or an endpoint template.
    ServerEndpoint,
}

impl Axis {
    /// `http`, `page`, `net`, `server`.
    pub fn family(self) -> &'static str {
        match self {
            Axis::Http(_) => "http",
            Axis::PageVantage => "page",
            Axis::NetRegion => "net",
            Axis::ServerEndpoint => "server",
        }
    }
    pub fn dim(self) -> &'static str {
        match self {
            Axis::Http(d) => d.as_str(),
            Axis::PageVantage => "vantage",
            Axis::NetRegion => "region",
            Axis::ServerEndpoint => "endpoint",
        }
    }
}

/// Written as its two names, `family` and `dim`, beside the comparison's
/// other fields.
impl Serialize for Axis {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = ser.serialize_map(Some(2))?;
        m.serialize_entry("family", self.family())?;
        m.serialize_entry("dim", self.dim())?;
        m.end()
    }
}

macro_rules! signals {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// A compared measure. Ordered by name, as the output lists them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Signal {
            $($(#[$doc])* $v,)*
        }
        impl Signal {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Signal::$v => $s,)*
                }
            }
        }
    };
}

signals! {
    ConnectMs = "connect_ms",
    DnsMs = "dns_ms",
    TlsMs = "tls_ms",
    TotalMs = "total_ms",
    WaitMs = "wait_ms",
    /// Wait over each (origin, vantage, endpoint)'s baseline median.
    WaitRel = "wait_rel",
    /// Share of requests that failed (any error).
    ErrorRate = "error_rate",
    Rate5xx = "rate_5xx",
    Components = "components",
    LoadMs = "load_ms",
    FailedComponents = "failed_components",
    LossPct = "loss_pct",
    LatencyMs = "latency_ms",
    JitterMs = "jitter_ms",
    ResolveMs = "resolve_ms",
    /// Share of DNS probes that failed.
    DnsFailure = "dns_failure",
    RequestMs = "request_ms",
    UpstreamMs = "upstream_ms",
}

impl Ord for Signal {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Signal {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Signal {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(self.as_str())
    }
}

/// One statistical comparison of a signal between a window and `before`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    #[serde(flatten)]
    pub axis: Axis,
    pub key: String,
    pub signal: Signal,
    pub window: WindowName,
    pub before: Option<f64>,
    pub value: Option<f64>,
    pub n_before: u64,
    pub n_value: u64,
    /// Cliff's delta (distributions) or difference of proportions.
    pub effect: Option<f64>,
    pub ratio: Option<f64>,
    pub ratio_ci: Option<(f64, f64)>,
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg adjusted, across all groups of the same signal.
    pub q_value: Option<f64>,
    pub sufficient: bool,
}

impl Comparison {
    /// A change that is statistically significant with a non-trivial effect.
    pub fn significant(&self) -> bool {
        self.sufficient
            && self.q_value.is_some_and(|q| q < 0.05)
            && self.effect.is_some_and(|e| e.abs() >= 0.147)
    }
    /// `http`, `page`, `net`, `server`.
    pub fn family(&self) -> &'static str {
        self.axis.family()
    }
    pub fn dim(&self) -> &'static str {
        self.axis.dim()
    }
    /// Is this the comparison of `axis`, `key` and `signal` in window `w`?
    pub fn is(&self, axis: Axis, key: &str, signal: Signal, w: WindowName) -> bool {
        self.axis == axis && self.signal == signal && self.window == w && self.key == key
    }
}

/// Signals of the HTTP rank tests, in output order; `wait_rel` is wait
/// over each (origin, vantage, endpoint)'s baseline median.
const HTTP_SIGNALS: [Signal; 6] = [
    Signal::ConnectMs,
    Signal::DnsMs,
    Signal::TlsMs,
    Signal::TotalMs,
    Signal::WaitMs,
    Signal::WaitRel,
];
const WAIT_REL: usize = 5;
/// `obs::PHASE_NAMES` index of each signal before `WAIT_REL`.
pub(super) const HTTP_SIGNAL_PHASES: [usize; WAIT_REL] = [2, 1, 3, 7, 5];

/// Error-rate and 5xx-rate proportion tests of every HTTP group, from the
/// counts alone (engine bins replace the counts and call this again).
pub(super) fn http_proportions(
    base: WindowName,
    stats: &BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    out: &mut Vec<Comparison>,
) {
    for ((dim, key), by_w) in stats {
        let Some(b) = by_w.get(&base) else {
            continue;
        };
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            let Some(d) = by_w.get(&w) else { continue };
            for (signal, xb, xd) in [
                (Signal::ErrorRate, b.errors, d.errors),
                (Signal::Rate5xx, b.status_5xx, d.status_5xx),
            ] {
                out.push(proportion_cmp(
                    Axis::Http(*dim),
                    key,
                    signal,
                    w,
                    xb,
                    b.count,
                    xd,
                    d.count,
                ));
            }
        }
    }
}

/// The `wait_rel` rank-test values of the HTTP observations: wait over its
/// (origin, vantage, endpoint)'s baseline median, under the first-party
/// groups. (The phases' samples come from the quantile walk.)
struct HttpVisit<'v, 'a> {
    http: &'v [obs::HttpObs<'a>],
    win: &'v [Option<WindowName>],
    base_wait: &'v obs::FxMap<(obs::Origin, u32, u32), f64>,
}

impl Visit for HttpVisit<'_, '_> {
    fn visit(
        &self,
        range: std::ops::Range<usize>,
        mut emit: impl FnMut(usize, u32, WindowName, f64),
    ) {
        for (o, w) in self.http[range.clone()].iter().zip(&self.win[range]) {
            let Some(w) = *w else { continue };
            if o.status <= 0 || o.party != crate::model::Party::First {
                continue;
            }
            let (Some(v), Some(m)) = (
                o.phase_at(obs::WAIT),
                self.base_wait.get(&(o.origin, o.vantage, o.endpoint)),
            ) else {
                continue;
            };
            // the first-party and first-party-by-resource-type groups
            for g in [o.groups()[0], o.groups()[3]] {
                emit(0, g, w, v / m);
            }
        }
    }
}

pub(super) fn compare_http(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    stats: &BTreeMap<(Dim, String), BTreeMap<WindowName, GroupStat>>,
    phase_samples: &frame::PhaseSamples,
    out: &mut Vec<Comparison>,
) {
    let http = &obs.http;
    http_proportions(base, stats, out);
    // wait relative to each (origin, vantage, endpoint)'s baseline median:
    // "API response times doubled" even when regions with different round
    // trips are pooled
    let mut base_wait: obs::FxMap<(obs::Origin, u32, u32), Vec<f64>> = obs::FxMap::default();
    for (o, w) in http.iter().zip(win) {
        if *w == Some(base)
            && o.status > 0
            && o.party == crate::model::Party::First
            && let Some(v) = o.phase_at(obs::WAIT)
        {
            base_wait
                .entry((o.origin, o.vantage, o.endpoint))
                .or_default()
                .push(v);
        }
    }
    let base_wait: obs::FxMap<(obs::Origin, u32, u32), f64> = base_wait
        .into_iter()
        .filter_map(|(k, mut v)| {
            stats::quantile_select(&mut v, 0.5)
                .filter(|m| *m > 0.0)
                .map(|m| (k, m))
        })
        .collect();
    // phases: Mann-Whitney on successful responses, samples kept by the
    // quantile walk; wait_rel collected here
    let visit = HttpVisit {
        http,
        win,
        base_wait: &base_wait,
    };
    let wait_rel = SampleTable::fill(1, obs.groups.len(), http.len(), &visit);
    let cell = |si: usize, g: u32, w: WindowName| {
        if si == WAIT_REL {
            wait_rel.get(0, g, w)
        } else {
            phase_samples.get(HTTP_SIGNAL_PHASES[si], g, w)
        }
    };
    let mut groups: Vec<(Dim, &str, u32)> = (0..obs.groups.len() as u32)
        .map(|g| {
            let (d, k) = obs.group_key(g);
            (d, k, g)
        })
        .collect();
    groups.sort();
    let mut jobs = Vec::new();
    for (si, phase) in HTTP_SIGNALS.into_iter().enumerate() {
        for &(dim, key, g) in &groups {
            let Some(before) = cell(si, g, base) else {
                continue;
            };
            for w in [WindowName::During, WindowName::After]
                .into_iter()
                .filter(|w| *w != base)
            {
                if let Some(d) = cell(si, g, w) {
                    // the bootstrap CI is the costly part: only for the headline groups
                    let boot = w == WindowName::During
                        && matches!(dim, Dim::Party | Dim::Origin | Dim::ResourceType)
                        && matches!(phase, Signal::WaitMs | Signal::TotalMs);
                    jobs.push(DistJob {
                        axis: Axis::Http(dim),
                        key,
                        signal: phase,
                        w,
                        b: before.side(),
                        d: d.side(),
                        boot,
                    });
                }
            }
        }
    }
    out.extend(run_dist_jobs(&jobs));
}

/// One distribution comparison to run; the jobs of a family run in
/// parallel and come back in their order.
struct DistJob<'a> {
    axis: Axis,
    key: &'a str,
    signal: Signal,
    w: WindowName,
    b: (&'a [f64], u64),
    d: (&'a [f64], u64),
    boot: bool,
}

fn run_dist_jobs(jobs: &[DistJob]) -> Vec<Comparison> {
    use rayon::prelude::*;
    jobs.par_iter().map(DistJob::run).collect()
}

impl DistJob<'_> {
    fn run(&self) -> Comparison {
        distribution_cmp(
            self.axis,
            self.key,
            self.signal,
            self.w,
            self.b,
            self.d,
            self.boot,
        )
    }
}

pub(super) fn compare_pages(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    let mut buf = String::new();
    for (p, w) in obs.pages.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern_fmt(
            &mut buf,
            format_args!("{}@{}", p.origin.as_str(), obs.names.get(p.vantage)),
        );
        for key in [s.all(), own] {
            if let Some(c) = p.components {
                s.push(key, Signal::Components, *w, c);
            }
            if let Some(l) = p.load_ms {
                s.push(key, Signal::LoadMs, *w, l);
            }
            if let Some(f) = p.failed {
                s.push(key, Signal::FailedComponents, *w, f);
            }
        }
    }
    compare_keyed(Axis::PageVantage, base, &s, &[], out);
}

pub(super) fn compare_net(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    for (o, w) in obs.net.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern(obs::own_key(obs.names.get(o.region)));
        for key in [s.all(), own] {
            for (signal, v) in [
                (Signal::LossPct, o.loss_pct),
                (Signal::LatencyMs, o.latency_ms),
                (Signal::JitterMs, o.jitter_ms),
                (Signal::ResolveMs, o.resolve_ms),
            ] {
                if let Some(v) = v {
                    s.push(key, signal, *w, v);
                }
            }
            if o.is_dns {
                s.push(
                    key,
                    Signal::DnsFailure,
                    *w,
                    if o.failed { 1.0 } else { 0.0 },
                );
            }
        }
    }
    compare_keyed(Axis::NetRegion, base, &s, &[Signal::DnsFailure], out);
}

pub(super) fn compare_server(
    base: WindowName,
    obs: &obs::Obs,
    win: &[Option<WindowName>],
    out: &mut Vec<Comparison>,
) {
    let mut s = KeyedSamples::default();
    let mut counts: HashMap<(u32, WindowName), (u64, u64)> = HashMap::new();
    for (o, w) in obs.server.iter().zip(win) {
        let Some(w) = w else { continue };
        let own = s.names.intern(obs::own_key(obs.names.get(o.endpoint)));
        for key in [s.all(), own] {
            let c = counts.entry((key, *w)).or_default();
            c.0 += 1;
            if o.status >= 500 {
                c.1 += 1;
            }
            for (signal, v) in [
                (Signal::RequestMs, o.request_ms),
                (Signal::UpstreamMs, o.upstream_ms),
            ] {
                if let Some(v) = v {
                    s.push(key, signal, *w, v);
                }
            }
        }
    }
    let mut keys: Vec<(&str, u32)> = counts
        .keys()
        .filter(|k| k.1 == base)
        .map(|k| (s.names.get(k.0), k.0))
        .collect();
    keys.sort();
    for (name, key) in keys {
        let b = counts[&(key, base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            if let Some(d) = counts.get(&(key, w)) {
                out.push(proportion_cmp(
                    Axis::ServerEndpoint,
                    name,
                    Signal::Rate5xx,
                    w,
                    b.1,
                    b.0,
                    d.1,
                    d.0,
                ));
            }
        }
    }
    compare_keyed(Axis::ServerEndpoint, base, &s, &[], out);
}

/// Samples of one family keyed by (group key id, signal, window); the
/// family's keys (`all`, a region, an endpoint) are interned locally.
#[derive(Default)]
struct KeyedSamples {
    names: obs::Names,
    samples: obs::FxMap<(u32, Signal, WindowName), Vec<f64>>,
}

impl KeyedSamples {
    fn all(&mut self) -> u32 {
        self.names.intern(obs::ALL)
    }
    fn push(&mut self, key: u32, signal: Signal, w: WindowName, v: f64) {
        self.samples.entry((key, signal, w)).or_default().push(v);
    }
}

/// Compare every (key, signal) of a family against the baseline window, in
/// a fixed order. Signals named in `proportions` hold 0/1 outcomes and get
/// a proportion test; the others a distribution comparison (bootstrap CI
/// only for the `all` group during the incident, the costly part).
fn compare_keyed(
    axis: Axis,
    base: WindowName,
    s: &KeyedSamples,
    proportions: &[Signal],
    out: &mut Vec<Comparison>,
) {
    let mut keys: Vec<(&str, Signal, u32)> = s
        .samples
        .keys()
        .filter(|k| k.2 == base)
        .map(|k| (s.names.get(k.0), k.1, k.0))
        .collect();
    keys.sort();
    // proportions are cheap and made here; distributions run in parallel
    let mut jobs: Vec<Result<Comparison, DistJob>> = Vec::new();
    for (key, signal, id) in keys {
        let b = &s.samples[&(id, signal, base)];
        for w in [WindowName::During, WindowName::After]
            .into_iter()
            .filter(|w| *w != base)
        {
            let Some(d) = s.samples.get(&(id, signal, w)) else {
                continue;
            };
            if proportions.contains(&signal) {
                let ones = |v: &[f64]| v.iter().filter(|x| **x > 0.0).count() as u64;
                jobs.push(Ok(proportion_cmp(
                    axis,
                    key,
                    signal,
                    w,
                    ones(b),
                    b.len() as u64,
                    ones(d),
                    d.len() as u64,
                )));
            } else {
                jobs.push(Err(DistJob {
                    axis,
                    key,
                    signal,
                    w,
                    b: (b, b.len() as u64),
                    d: (d, d.len() as u64),
                    boot: key == obs::ALL && w == WindowName::During,
                }));
            }
        }
    }
    use rayon::prelude::*;
    out.par_extend(jobs.into_par_iter().map(|j| match j {
        Ok(c) => c,
        Err(j) => j.run(),
    }));
}

#[allow(clippy::too_many_arguments)]
fn proportion_cmp(
    axis: Axis,
    key: &str,
    signal: Signal,
    w: WindowName,
    xb: u64,
    nb: u64,
    xd: u64,
    nd: u64,
) -> Comparison {
    let t = stats::two_proportion_test(xb, nb, xd, nd);
    let suff = matches!(
        stats::sufficiency(nb as usize, nd as usize),
        stats::Sufficiency::Ok
    );
    let pb = if nb > 0 {
        Some(xb as f64 / nb as f64)
    } else {
        None
    };
    let pd = if nd > 0 {
        Some(xd as f64 / nd as f64)
    } else {
        None
    };
    Comparison {
        axis,
        key: key.into(),
        signal,
        window: w,
        before: pb,
        value: pd,
        n_before: nb,
        n_value: nd,
        effect: match (pb, pd) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        },
        ratio: match (pb, pd) {
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        },
        ratio_ci: None,
        p_value: t.map(|t| t.p_value),
        q_value: None,
        sufficient: suff,
    }
}

#[allow(clippy::too_many_arguments)]
fn distribution_cmp(
    axis: Axis,
    key: &str,
    signal: Signal,
    w: WindowName,
    (b, n_b): (&[f64], u64),
    (d, n_d): (&[f64], u64),
    boot: bool,
) -> Comparison {
    // past this size every real change is significant anyway; the tests run
    // on evenly spaced samples (deterministic) so cost stays flat at scale.
    // `n_b`/`n_d` are the full counts when the samples were thinned already.
    let (tb, td) = (thin(b), thin(d));
    let (b, d) = (&tb[..], &td[..]);
    let suff = matches!(stats::sufficiency(b.len(), d.len()), stats::Sufficiency::Ok);
    // medians by selection: the same figures as `stats::median`, no sort
    let mb = stats::quantile_select(&mut b.to_vec(), 0.5);
    let md = stats::quantile_select(&mut d.to_vec(), 0.5);
    let mw = if suff {
        stats::mann_whitney_u(b, d)
    } else {
        None
    };
    let ci = if suff && boot {
        stats::bootstrap_median_ratio_ci(b, d, 300, 0.05, 0x5eed)
    } else {
        None
    };
    Comparison {
        axis,
        key: key.into(),
        signal,
        window: w,
        before: mb,
        value: md,
        n_before: n_b,
        n_value: n_d,
        // from the rank test's own ranks: the same figure as
        // `stats::cliffs_delta` without sorting again
        effect: mw.map(|m| m.cliffs_delta()),
        ratio: match (mb, md) {
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        },
        ratio_ci: ci.map(|(_, lo, hi)| (lo, hi)),
        p_value: mw.map(|m| m.p_value),
        q_value: None,
        sufficient: suff,
    }
}

/// Benjamini-Hochberg within each (family, signal, window) across groups.
pub(super) fn adjust_q_values(cmps: &mut [Comparison]) {
    let mut idx: BTreeMap<(&str, Signal, WindowName), Vec<usize>> = BTreeMap::new();
    for (i, c) in cmps.iter().enumerate() {
        if c.p_value.is_some() {
            idx.entry((c.family(), c.signal, c.window))
                .or_default()
                .push(i);
        }
    }
    for (_, ids) in idx {
        let ps: Vec<f64> = ids
            .iter()
            .map(|&i| cmps[i].p_value.unwrap_or(1.0))
            .collect();
        let qs = stats::benjamini_hochberg(&ps);
        for (k, &i) in ids.iter().enumerate() {
            cmps[i].q_value = Some(qs[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_signals_point_at_their_phases() {
        for (si, pi) in HTTP_SIGNAL_PHASES.iter().enumerate() {
            assert_eq!(HTTP_SIGNALS[si].as_str(), obs::PHASE_NAMES[*pi]);
        }
    }
}
