//! Detectors: one file per signal. Each reads the aggregate stage's
//! [`Analysis`] (and, for evidence locations, the [`Dataset`]) and emits
//! [`Finding`]s: what it saw, with before / during / after numbers, which
//! fault domains that supports or argues against, and where in the inputs
//! to look. A detector that sees nothing wrong still reports what it
//! checked, because "what it is not" needs numbers too.

pub mod api_5xx;
pub mod cdn_edge;
pub mod changes;
pub mod client;
pub mod dns;
pub mod endpoint_family;
pub mod failure_shapes;
pub mod network;
pub mod partial_load;
pub mod recurrence;
pub mod server_log;
pub mod server_wait;
pub mod slow_loads;
pub mod third_party;
pub mod tls;
pub mod vanished;

use crate::aggregate::{Analysis, Axis, Comparison, Dim, GroupStat, Signal, WindowName};
use crate::model::{Dataset, SourceRef};
use serde::Serialize;
use std::collections::BTreeMap;

/// The contract's fault-domain words (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultDomain {
    None,
    Client,
    Dns,
    Network,
    Tls,
    Cdn,
    Backend,
    ThirdParty,
}

impl FaultDomain {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultDomain::None => "none",
            FaultDomain::Client => "client",
            FaultDomain::Dns => "dns",
            FaultDomain::Network => "network",
            FaultDomain::Tls => "tls",
            FaultDomain::Cdn => "cdn",
            FaultDomain::Backend => "backend",
            FaultDomain::ThirdParty => "third_party",
        }
    }
    pub const REAL: [FaultDomain; 7] = [
        FaultDomain::Client,
        FaultDomain::Dns,
        FaultDomain::Network,
        FaultDomain::Tls,
        FaultDomain::Cdn,
        FaultDomain::Backend,
        FaultDomain::ThirdParty,
    ];
}

/// One measured signal, before / during / after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub signal: String,
    /// `pct`, `ms`, `count`, `ratio`.
    pub unit: String,
    pub before: Option<f64>,
    pub during: Option<f64>,
    pub after: Option<f64>,
    pub n_before: u64,
    pub n_during: u64,
    /// Cliff's delta or difference of proportions, during vs before.
    pub effect: Option<f64>,
    pub p_value: Option<f64>,
    /// A few records that show it.
    pub locations: Vec<SourceRef>,
}

/// Support (positive) or opposition (negative) for a domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Support {
    pub domain: FaultDomain,
    /// -1..1.
    pub weight: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    /// Did the detector see its signal?
    pub fired: bool,
    /// One sentence with numbers.
    pub summary: String,
    pub supports: Vec<Support>,
    pub evidence: Vec<Evidence>,
    /// Regions / vantages where the signal was seen.
    pub regions: Vec<String>,
}

impl Finding {
    pub fn new(code: &'static str, name: &'static str) -> Self {
        Finding {
            code,
            name,
            fired: false,
            summary: String::new(),
            supports: vec![],
            evidence: vec![],
            regions: vec![],
        }
    }
    pub fn support(&mut self, domain: FaultDomain, weight: f64, reason: impl Into<String>) {
        self.supports.push(Support {
            domain,
            weight: weight.clamp(-1.0, 1.0),
            reason: reason.into(),
        });
    }
}

/// What a detector gets.
pub struct Ctx<'a> {
    pub ds: &'a Dataset,
    pub an: &'a Analysis,
    /// [`Ctx::static_hosts_gone`], read by two detectors, worked out once.
    gone: std::cell::OnceCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    pub fn new(ds: &'a Dataset, an: &'a Analysis) -> Self {
        Ctx {
            ds,
            an,
            gone: std::cell::OnceCell::new(),
        }
    }
    pub fn has_incident(&self) -> bool {
        self.an.windows.during.is_some()
    }
    pub fn http(&self, dim: Dim, key: &str, w: WindowName) -> Option<&'a GroupStat> {
        self.an.http_stat(dim, key, w)
    }
    /// The comparison of `signal` for `key` of `axis` during the incident.
    pub fn cmp(&self, axis: Axis, key: &str, signal: Signal) -> Option<&'a Comparison> {
        self.an.comparison(axis, key, signal, WindowName::During)
    }
    /// Is `during` clearly worse than `before` for a rate? With no
    /// baseline (whole-capture mode) the level alone decides.
    pub fn rate_rose(&self, c: Option<&Comparison>, level: f64, min_level: f64) -> bool {
        if level < min_level {
            return false;
        }
        match c {
            Some(c) if c.n_before > 0 => {
                let before = c.before.unwrap_or(0.0);
                c.p_value.is_some_and(|p| p < 0.01) && level >= before * 2.0 + 0.01
            }
            _ => self.an.windows.get(self.an.baseline).is_none(),
        }
    }
    /// The window a record of `file` at `t` belongs to: by file in compare
    /// mode, else by time.
    pub fn window_at(
        &self,
        file: crate::model::FileId,
        t: chrono::DateTime<chrono::Utc>,
    ) -> Option<WindowName> {
        self.an.windows.assign(file, t)
    }
    pub fn in_during(&self, file: crate::model::FileId, t: chrono::DateTime<chrono::Utc>) -> bool {
        self.window_at(file, t) == Some(WindowName::During)
    }
    /// The page loads of the baseline and of the incident, from the
    /// captures that saw the incident: when only some captures had bad
    /// loads in the window (`counts` says which bad loads count), the
    /// others' healthy loads would dilute a regional outage to nothing (and
    /// a producer that drops failed requests, chrome-har, records a failed
    /// load as no load at all), and their baseline is not its baseline. In
    /// compare mode the baseline is the other capture and stays whole.
    pub fn loads_of_hit_captures(
        &self,
        counts: impl Fn(&crate::aggregate::loads::LoadFacts) -> bool,
    ) -> (
        Vec<&'a crate::aggregate::loads::LoadFacts>,
        Vec<&'a crate::aggregate::loads::LoadFacts>,
    ) {
        let (mut base, mut inc) = (Vec::new(), Vec::new());
        for l in &self.an.loads.loads {
            match self.window_at(l.file, l.start) {
                Some(WindowName::During) => inc.push(l),
                Some(w) if w == self.an.baseline => base.push(l),
                _ => {}
            }
        }
        let all: std::collections::BTreeSet<u32> = inc.iter().map(|l| l.file).collect();
        let hit: std::collections::BTreeSet<u32> = inc
            .iter()
            .filter(|l| l.bad && counts(l))
            .map(|l| l.file)
            .collect();
        if !hit.is_empty() && hit.len() < all.len() {
            inc.retain(|l| hit.contains(&l.file));
            if self.an.windows.method != crate::aggregate::WindowMethod::Compare {
                base.retain(|l| hit.contains(&l.file));
            }
        }
        (base, inc)
    }
    /// Was the site's delivery failing at the edge in most of the bad page
    /// loads of the incident? Then components that vanished (the API calls
    /// a script from the CDN would have made) are delivery's loss, not a
    /// sign of the backend.
    pub fn delivery_failing(&self) -> bool {
        let bad: Vec<&crate::aggregate::loads::LoadFacts> = self
            .an
            .loads
            .loads
            .iter()
            .filter(|l| l.bad && self.in_during(l.file, l.start))
            .collect();
        let edge = bad
            .iter()
            .filter(|l| {
                l.failures
                    .iter()
                    .any(|(_, s)| *s == crate::aggregate::loads::Shape::EdgeError)
            })
            .count();
        !bad.is_empty() && edge * 2 >= bad.len()
    }
    /// First records of the dataset (in `during`) matching a predicate.
    pub fn example_requests(
        &self,
        pred: impl Fn(&crate::model::Request) -> bool,
    ) -> Vec<SourceRef> {
        let w = self.an.windows.during;
        self.ds
            .requests
            .iter()
            .filter(|r| {
                w.is_none_or(|w| w.contains(r.start)) || !self.an.windows.by_file.is_empty()
            })
            .filter(|r| pred(r))
            .take(3)
            .map(|r| r.source)
            .collect()
    }
    /// The vantages whose own first-party requests failed with an error
    /// class matching `pred` at `min_share` or more during the window (at
    /// least `min_errors` of them, and at least `rise` times the vantage's
    /// own share before plus `margin`), worst first. A fault seen from one
    /// region of three is a third of the whole window's requests at most,
    /// and the rest of the world's clean requests must not talk it away.
    pub fn vantages_failing(
        &self,
        pred: impl Fn(&str) -> bool,
        min_errors: u64,
        min_share: f64,
        rise: f64,
        margin: f64,
    ) -> Vec<VantageRate> {
        self.vantages_failing_by(
            "first",
            |g| g.errors_where(&pred),
            min_errors,
            min_share,
            rise,
            margin,
        )
    }
    /// [`Ctx::vantages_failing`] for any party and any count of failures.
    pub fn vantages_failing_by(
        &self,
        party: &str,
        failures: impl Fn(&GroupStat) -> u64,
        min_errors: u64,
        min_share: f64,
        rise: f64,
        margin: f64,
    ) -> Vec<VantageRate> {
        let mut out = Vec::new();
        for v in self.vantages(party) {
            let key = format!("{party}@{v}");
            let count = |w: WindowName| {
                self.http(Dim::Vantage, &key, w)
                    .map(|g| (failures(g), g.count))
                    .unwrap_or((0, 0))
            };
            let (ed, nd) = count(WindowName::During);
            let (eb, nb) = count(self.an.baseline);
            if nd == 0 {
                continue;
            }
            let share = ed as f64 / nd as f64;
            let before = if nb > 0 { eb as f64 / nb as f64 } else { 0.0 };
            if ed >= min_errors && share >= min_share && share >= before * rise + margin {
                out.push(VantageRate {
                    vantage: v,
                    errors: ed,
                    requests: nd,
                    share,
                    share_before: before,
                });
            }
        }
        out.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then_with(|| a.vantage.cmp(&b.vantage))
        });
        out
    }
    /// First-party hosts that served static components in nearly every
    /// baseline load (at least `GONE_PRESENT_SHARE` of them, the host's
    /// requests at least that share static) and got no request at all in
    /// the incident's loads, while those loads' documents came: a whole
    /// host the browser never got an answer from. When no first-party
    /// request of the incident's loads failed on record, any first-party
    /// host gone whole counts, static or not. Producers that drop
    /// requests without a response (chrome-har) leave exactly this when a
    /// sibling asset host's name stops resolving or its certificate fails;
    /// a backend that fails takes API calls and what they render, not
    /// every file of an asset host.
    pub fn static_hosts_gone(&self) -> &[String] {
        self.gone.get_or_init(|| self.find_static_hosts_gone())
    }

    fn find_static_hosts_gone(&self) -> Vec<String> {
        let census = &self.an.loads;
        // per load: its window, whether its document came, and per
        // first-party host (requests, static requests)
        type Hosts<'h> = BTreeMap<&'h str, (u32, u32)>;
        let mut per_load: BTreeMap<&str, (WindowName, bool, Hosts)> = BTreeMap::new();
        for l in &census.loads {
            if let Some(w) = self.window_at(l.file, l.start)
                && (w == WindowName::During || w == self.an.baseline)
            {
                per_load.insert(l.page_id.as_str(), (w, false, BTreeMap::new()));
            }
        }
        for r in &self.ds.requests {
            let Some(e) = r.page_id.as_deref().and_then(|p| per_load.get_mut(p)) else {
                continue;
            };
            if r.party == crate::model::Party::Third {
                continue;
            }
            if r.resource_type == crate::model::ResourceType::Document
                && (200..400).contains(&r.status)
            {
                e.1 = true;
            }
            let h = e.2.entry(r.host.as_str()).or_default();
            h.0 += 1;
            h.1 += census.is_static(r) as u32;
        }
        let base: Vec<_> = per_load
            .values()
            .filter(|l| l.0 == self.an.baseline)
            .collect();
        let during: Vec<_> = per_load
            .values()
            .filter(|l| l.0 == WindowName::During)
            .collect();
        if base.is_empty() || during.is_empty() || during.iter().any(|l| !l.1) {
            return vec![];
        }
        // no first-party request of the incident's loads failed on record:
        // then a host whose every request is gone (a collector's beacons
        // as much as an asset host's files) was never answered; a failing
        // application answers with errors, and those stay on record
        let silent = census
            .loads
            .iter()
            .filter(|l| self.window_at(l.file, l.start) == Some(WindowName::During))
            .all(|l| l.first_party_failures == 0);
        let mut seen: BTreeMap<&str, (usize, u32, u32)> = BTreeMap::new();
        for l in &base {
            for (h, (n, st)) in &l.2 {
                let e = seen.entry(h).or_default();
                e.0 += 1;
                e.1 += n;
                e.2 += st;
            }
        }
        seen.into_iter()
            .filter(|(h, (loads, n, st))| {
                *loads as f64 >= GONE_PRESENT_SHARE * base.len() as f64
                    && (silent || *st as f64 >= GONE_PRESENT_SHARE * *n as f64)
                    && during.iter().all(|l| !l.2.contains_key(h))
            })
            .map(|(h, _)| h.to_string())
            .collect()
    }
    /// Every vantage key (`first@us-east`) known for a party.
    pub fn vantages(&self, party: &str) -> Vec<String> {
        let prefix = format!("{party}@");
        self.an
            .http
            .keys()
            .filter(|(d, k)| *d == Dim::Vantage && k.starts_with(&prefix))
            .map(|(_, k)| k[prefix.len()..].to_string())
            .collect()
    }
}

/// A host counts as gone (see [`Ctx::static_hosts_gone`]) when it was in
/// at least this share of the baseline's loads, its requests at least this
/// share static.
pub const GONE_PRESENT_SHARE: f64 = 0.8;

/// [`GONE_PRESENT_SHARE`] as the detectors that read it list it.
pub const GONE_PRESENT_THRESHOLD: Threshold = Threshold {
    name: "GONE_PRESENT_SHARE",
    value: GONE_PRESENT_SHARE,
    unit: Unit::Share,
    meaning: "an asset host is gone when in this share of the baseline's loads (this share of its requests static, unless no first-party failure is on record) and in no incident load",
};

/// One vantage's own failure share, from [`Ctx::vantages_failing`].
#[derive(Debug, Clone, PartialEq)]
pub struct VantageRate {
    pub vantage: String,
    pub errors: u64,
    pub requests: u64,
    pub share: f64,
    pub share_before: f64,
}

/// A detector: stable code, name, documentation, and the check itself.
pub struct Detector {
    pub code: &'static str,
    pub name: &'static str,
    /// What it looks at, why it points where it points, known false
    /// positives. Numbers the detector decides by are not written here but
    /// named, `{NAME}`, and filled in from [`Detector::thresholds`].
    pub doc: &'static str,
    /// The numbers it decides by, each a constant its code uses.
    pub thresholds: &'static [Threshold],
    pub run: fn(&Ctx) -> Vec<Finding>,
}

/// A number a detector decides by. Named once, as a constant the code
/// compares with, and shown by `faultlens explain` from that same constant:
/// the documentation cannot say 1.5 while the code says 1.4.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// The constant's name, as the doc text refers to it (`{NAME}`).
    pub name: &'static str,
    pub value: f64,
    pub unit: Unit,
    /// What crossing it means, in a few words.
    pub meaning: &'static str,
}

/// How a threshold's value reads in prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number: a ratio, an effect size, a p-value, a weight.
    Number,
    /// A share in 0..=1, written as a percentage.
    Share,
    /// Milliseconds.
    Ms,
    /// A count of things (loads, requests, bins).
    Count,
}

impl Threshold {
    /// The value as the doc text reads it: `1.4`, `10 %`, `2000 ms`.
    pub fn display(&self) -> String {
        let num = |v: f64| {
            let s = format!("{:.4}", v);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        match self.unit {
            Unit::Number | Unit::Count => num(self.value),
            Unit::Share => format!("{} %", num(self.value * 100.0)),
            Unit::Ms => format!("{} ms", num(self.value)),
        }
    }
}

impl Detector {
    /// The doc with every `{NAME}` replaced by that threshold's value.
    pub fn doc_text(&self) -> String {
        self.thresholds.iter().fold(self.doc.to_string(), |doc, t| {
            doc.replace(&format!("{{{}}}", t.name), &t.display())
        })
    }
    /// The thresholds as `explain` lists them, one per line.
    pub fn thresholds_text(&self) -> String {
        let w = self
            .thresholds
            .iter()
            .map(|t| t.name.len())
            .max()
            .unwrap_or(0);
        self.thresholds
            .iter()
            .map(|t| format!("  {:w$}  {:>9}  {}\n", t.name, t.display(), t.meaning))
            .collect()
    }
    /// Everything `faultlens explain CODE` prints.
    pub fn explain(&self) -> String {
        let mut s = format!("{} {}\n\n{}\n", self.code, self.name, self.doc_text());
        if !self.thresholds.is_empty() {
            s.push_str("\nThresholds:\n");
            s.push_str(&self.thresholds_text());
        }
        s
    }
}

/// Every detector, in code order.
pub fn registry() -> Vec<&'static Detector> {
    vec![
        &api_5xx::DETECTOR,
        &server_wait::DETECTOR,
        &partial_load::DETECTOR,
        &endpoint_family::DETECTOR,
        &vanished::DETECTOR,
        &failure_shapes::DETECTOR,
        &slow_loads::DETECTOR,
        &dns::DETECTOR,
        &network::DETECTOR,
        &tls::DETECTOR,
        &cdn_edge::DETECTOR,
        &third_party::DETECTOR,
        &client::DETECTOR,
        &server_log::DETECTOR,
        &changes::DETECTOR,
        &recurrence::DETECTOR,
    ]
}

pub fn find(code_or_name: &str) -> Option<&'static Detector> {
    let q = code_or_name.to_ascii_lowercase();
    registry()
        .into_iter()
        .find(|d| d.code.to_ascii_lowercase() == q || d.name == q)
}

/// Run every detector (they are cheap; order is fixed for determinism).
pub fn run_all(ds: &Dataset, an: &Analysis) -> Vec<Finding> {
    let ctx = Ctx::new(ds, an);
    registry().iter().flat_map(|d| (d.run)(&ctx)).collect()
}

/// Markdown documentation of every detector (docs/detectors.md).
pub fn docs_markdown() -> String {
    let mut s = String::from(
        "# Detectors\n\nGenerated by `faultlens explain --all --markdown` from the detectors' own text; a test keeps this file in sync.\n\n",
    );
    for d in registry() {
        s.push_str(&format!(
            "## {} `{}`\n\n{}\n\n",
            d.code,
            d.name,
            d.doc_text().trim()
        ));
        if !d.thresholds.is_empty() {
            s.push_str("| threshold | value | meaning |\n| --- | ---: | --- |\n");
            for t in d.thresholds {
                s.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    t.name,
                    t.display(),
                    t.meaning
                ));
            }
            s.push('\n');
        }
    }
    s
}

/// Evidence from a comparison plus the group's after value.
pub fn evidence_from(
    c: Option<&Comparison>,
    after: Option<&Comparison>,
    signal: &str,
    unit: &str,
    locations: Vec<SourceRef>,
) -> Evidence {
    Evidence {
        signal: signal.to_string(),
        unit: unit.to_string(),
        before: c.and_then(|c| c.before),
        during: c.and_then(|c| c.value),
        after: after.and_then(|a| a.value),
        n_before: c.map_or(0, |c| c.n_before),
        n_during: c.map_or(0, |c| c.n_value),
        effect: c.and_then(|c| c.effect),
        p_value: c.and_then(|c| c.p_value),
        locations,
    }
}

/// Evidence from three group stats.
pub fn evidence_levels(
    signal: &str,
    unit: &str,
    vals: [Option<f64>; 3],
    ns: [u64; 2],
    locations: Vec<SourceRef>,
) -> Evidence {
    Evidence {
        signal: signal.into(),
        unit: unit.into(),
        before: vals[0],
        during: vals[1],
        after: vals[2],
        n_before: ns[0],
        n_during: ns[1],
        effect: match (vals[0], vals[1]) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        },
        p_value: None,
        locations,
    }
}

/// `12.3 %` style.
pub fn pct(x: f64) -> String {
    let v = x * 100.0;
    if v != 0.0 && v.abs() < 0.1 {
        format!("{v:.2} %")
    } else {
        format!("{v:.1} %")
    }
}

pub fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0} ms")
    } else {
        format!("{x:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{NAME}`s a doc refers to, in order.
    fn placeholders(doc: &str) -> impl Iterator<Item = &str> {
        doc.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name))
    }

    /// Every `{NAME}` in a doc is one of the detector's thresholds, and
    /// every threshold is named in its doc: the prose cannot carry a
    /// number the code does not use.
    #[test]
    fn docs_name_exactly_their_thresholds() {
        for d in registry() {
            let named: Vec<&str> = placeholders(d.doc).collect();
            for n in &named {
                assert!(
                    d.thresholds.iter().any(|t| t.name == *n),
                    "{}: {{{n}}} is not a threshold",
                    d.code
                );
            }
            for t in d.thresholds {
                assert!(
                    named.contains(&t.name),
                    "{}: {} not in the doc",
                    d.code,
                    t.name
                );
            }
            assert!(!d.doc_text().contains('{'), "{}", d.code);
        }
    }

    #[test]
    fn threshold_values_read_as_prose() {
        let t = |value, unit| Threshold {
            name: "X",
            value,
            unit,
            meaning: "",
        };
        assert_eq!(t(1.4, Unit::Number).display(), "1.4");
        assert_eq!(t(0.1, Unit::Share).display(), "10 %");
        assert_eq!(t(0.025, Unit::Share).display(), "2.5 %");
        assert_eq!(t(2000.0, Unit::Ms).display(), "2000 ms");
        assert_eq!(t(3.0, Unit::Count).display(), "3");
    }
}
