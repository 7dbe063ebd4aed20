//! Report: one data structure built from the pipeline's results, three
//! renderers (table, JSON, markdown). Rounding, ordering and redaction
//! happen once here, so every renderer prints the same numbers and none can
//! leak a secret the others hide.

pub mod chart;
pub mod impact;
pub mod json;
pub mod markdown;
pub mod runs;
pub mod svg;
pub mod table;
pub mod text;

use crate::aggregate::{Analysis, Dim, Window, WindowName};
use crate::detect::{FaultDomain, Finding};
use crate::model::{Dataset, LocKind, Party, SourceRef};
use crate::redact::Redactor;
use crate::verdict::Verdict;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Bumped on any incompatible change of the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// Only with `--now`: output bytes never depend on the wall clock otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    pub verdict: Verdict,
    pub windows: WindowsOut,
    pub evidence: Vec<EvidenceOut>,
    pub findings: Vec<FindingOut>,
    pub changes: Vec<ChangeOut>,
    pub inputs: Vec<InputOut>,
    pub regions: Vec<RegionRow>,
    pub top_changes: Vec<TopChange>,
    pub hosts: Vec<HostRow>,
    pub series: Vec<SeriesOut>,
    pub coverage: Coverage,
    /// Page loads and failed page loads before / during (for the summary's impact).
    pub page_impact: impact::PageImpact,
    /// The site as inferred: first-party domains and why each is one, page
    /// loads split from single HAR pages or made from documents.
    pub site: crate::model::site::SiteFacts,
    /// Whole-run summaries among the inputs (k6 end-of-test summaries):
    /// run-level evidence with no time axis, outside the windows. Absent
    /// from the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<runs::RunOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WinOut {
    pub start: String,
    pub end: String,
    pub minutes: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowsOut {
    pub before: Option<WinOut>,
    pub during: Option<WinOut>,
    pub after: Option<WinOut>,
    /// `change_point`, `explicit`, `compare`, `whole_capture`.
    pub method: String,
    pub waves: Vec<WinOut>,
    pub blips: Vec<WinOut>,
    pub peak: Option<String>,
    pub bin_seconds: f64,
    /// A window the change-point search found but the verdict did not call
    /// an incident (`during` is then null, as the contract requires).
    pub candidate: Option<WinOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceOut {
    pub signal: String,
    pub unit: String,
    pub before: Option<f64>,
    pub during: Option<f64>,
    pub after: Option<f64>,
    pub supports: FaultDomain,
    pub weight: f64,
    pub detector: String,
    pub n_before: u64,
    pub n_during: u64,
    pub effect: Option<f64>,
    pub p_value: Option<f64>,
    pub locations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingOut {
    pub code: String,
    pub name: String,
    pub fired: bool,
    pub summary: String,
    pub regions: Vec<String>,
    pub supports: Vec<SupportOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupportOut {
    pub fault_domain: FaultDomain,
    pub weight: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeOut {
    pub ts: String,
    pub service: String,
    pub kind: String,
    pub summary: String,
    pub minutes_before_onset: Option<f64>,
    pub location: String,
    /// The change the changes detector (FL901) names as the likely trigger.
    pub suspected_trigger: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectedOut {
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputOut {
    pub path: String,
    pub format: String,
    pub vantage: Option<String>,
    pub records: u64,
    pub bad_records: u64,
    pub rejected: Vec<RejectedOut>,
    pub warnings: Vec<String>,
    pub skipped: Option<String>,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub region: String,
    pub requests_during: u64,
    pub error_rate_before: Option<f64>,
    pub error_rate_during: Option<f64>,
    pub wait_p50_ms_before: Option<f64>,
    pub wait_p50_ms_during: Option<f64>,
    pub loss_pct_before: Option<f64>,
    pub loss_pct_during: Option<f64>,
    pub latency_p50_ms_before: Option<f64>,
    pub latency_p50_ms_during: Option<f64>,
    pub affected: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopChange {
    pub family: String,
    pub group: String,
    pub signal: String,
    pub before: Option<f64>,
    pub during: Option<f64>,
    pub after: Option<f64>,
    pub ratio: Option<f64>,
    pub ratio_ci: Option<(f64, f64)>,
    pub effect: Option<f64>,
    pub q_value: Option<f64>,
    pub n_before: u64,
    pub n_during: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    pub host: String,
    pub party: String,
    pub count: u64,
    pub errors: u64,
    pub wait_p50_ms: Option<f64>,
    pub wait_p95_ms: Option<f64>,
    pub total_p50_ms: Option<f64>,
    pub total_p95_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesOut {
    pub name: String,
    pub unit: String,
    pub start: Option<String>,
    pub bin_seconds: f64,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Coverage {
    pub inputs: u64,
    pub skipped: u64,
    pub records: u64,
    pub bad_records: u64,
    pub requests: u64,
    pub pages: u64,
    pub probes: u64,
    pub server_requests: u64,
    pub changes: u64,
    pub start: Option<String>,
    pub end: Option<String>,
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Round to a sensible precision for display and stable bytes.
pub fn round(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let a = x.abs();
    let d = if a >= 100.0 {
        1.0
    } else if a >= 1.0 {
        100.0
    } else {
        10_000.0
    };
    (x * d).round() / d
}

fn r(x: Option<f64>) -> Option<f64> {
    x.map(round)
}

fn win(w: Option<Window>) -> Option<WinOut> {
    w.map(|w| WinOut {
        start: ts(w.start),
        end: ts(w.end),
        minutes: round(w.minutes()),
    })
}

pub fn location(ds: &Dataset, s: SourceRef) -> String {
    let path = ds
        .inputs
        .get(s.file as usize)
        .map(|i| i.path.as_str())
        .unwrap_or("?");
    match s.kind {
        LocKind::Line => format!("{path}:{}", s.n),
        LocKind::Entry => format!("{path}#entry{}", s.n),
        LocKind::Byte => format!("{path}@byte{}", s.n),
    }
}

/// Options that shape the report (not the analysis).
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub now: Option<DateTime<Utc>>,
    /// How many top changes to keep.
    pub top: usize,
}

pub fn build(
    ds: &Dataset,
    an: &Analysis,
    findings: &[Finding],
    verdict: &Verdict,
    opts: &ReportOptions,
    redactor: &Redactor,
) -> Report {
    let onset = an.windows.during.map(|d| d.start);
    let mut evidence = Vec::new();
    for f in findings {
        // the domain this finding speaks for (or against, for clean checks)
        let main = f
            .supports
            .iter()
            .filter(|s| {
                if f.fired {
                    s.weight > 0.0
                } else {
                    s.weight < 0.0
                }
            })
            .max_by(|a, b| a.weight.abs().total_cmp(&b.weight.abs()));
        for e in &f.evidence {
            evidence.push(EvidenceOut {
                signal: e.signal.clone(),
                unit: e.unit.clone(),
                before: r(e.before),
                during: r(e.during),
                after: r(e.after),
                supports: main.map_or(FaultDomain::None, |s| s.domain),
                weight: main.map_or(0.0, |s| round(s.weight)),
                detector: f.code.to_string(),
                n_before: e.n_before,
                n_during: e.n_during,
                effect: r(e.effect),
                p_value: e.p_value.map(|p| if p < 1e-6 { 0.0 } else { round(p) }),
                locations: e.locations.iter().map(|l| location(ds, *l)).collect(),
            });
        }
    }
    let findings_out = findings
        .iter()
        .map(|f| FindingOut {
            code: f.code.into(),
            name: f.name.into(),
            fired: f.fired,
            summary: f.summary.clone(),
            regions: f.regions.clone(),
            supports: f
                .supports
                .iter()
                .map(|s| SupportOut {
                    fault_domain: s.domain,
                    weight: round(s.weight),
                    reason: s.reason.clone(),
                })
                .collect(),
        })
        .collect();
    let trigger = findings
        .iter()
        .find(|f| f.code == "FL901" && f.fired)
        .and_then(|f| f.evidence.first())
        .filter(|e| e.signal.ends_with("minutes before onset"))
        .and_then(|e| e.locations.first().copied());
    let changes = ds
        .changes
        .iter()
        .map(|c| ChangeOut {
            ts: ts(c.ts),
            service: c.service.clone(),
            kind: c.kind.as_str().into(),
            summary: c.summary.clone(),
            minutes_before_onset: onset
                .map(|o| round((o - c.ts).num_milliseconds() as f64 / 60_000.0)),
            location: location(ds, c.source),
            suspected_trigger: Some(c.source) == trigger,
        })
        .collect();
    let inputs = ds
        .inputs
        .iter()
        .map(|i| InputOut {
            path: i.path.clone(),
            format: i.format.clone(),
            vantage: i.vantage.clone(),
            records: i.records,
            bad_records: i.bad_records,
            rejected: i
                .rejections
                .iter()
                .map(|x| RejectedOut {
                    at: match x.at.kind {
                        LocKind::Line => format!("line {}", x.at.n),
                        LocKind::Entry => format!("entry {}", x.at.n),
                        LocKind::Byte => format!("byte {}", x.at.n),
                    },
                    reason: x.reason.clone(),
                })
                .collect(),
            warnings: i.warnings.clone(),
            skipped: i.skipped.clone(),
            first_ts: i.first_ts.map(ts),
            last_ts: i.last_ts.map(ts),
        })
        .collect::<Vec<_>>();
    let coverage = Coverage {
        inputs: ds.inputs.len() as u64,
        skipped: ds.inputs.iter().filter(|i| i.skipped.is_some()).count() as u64,
        records: ds.inputs.iter().map(|i| i.records).sum(),
        bad_records: ds.inputs.iter().map(|i| i.bad_records).sum(),
        requests: ds.requests.len() as u64,
        pages: ds.pages.len() as u64,
        probes: ds.probes.len() as u64,
        server_requests: ds.server.len() as u64,
        changes: ds.changes.len() as u64,
        start: an.data_start.map(ts),
        end: an.data_end.map(ts),
    };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "faultlens",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: opts.now.map(ts),
        verdict: Verdict {
            confidence: round(verdict.confidence),
            ..verdict.clone()
        },
        windows: WindowsOut {
            before: win(an.windows.before),
            during: win(an.windows.during),
            after: win(an.windows.after),
            method: serde_json::to_value(an.windows.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            waves: an
                .windows
                .waves
                .iter()
                .map(|w| win(Some(*w)).expect("some"))
                .collect(),
            blips: an
                .windows
                .blips
                .iter()
                .map(|w| win(Some(*w)).expect("some"))
                .collect(),
            peak: an.windows.peak.map(ts),
            bin_seconds: an.series.bin_ms as f64 / 1000.0,
            candidate: None,
        },
        evidence,
        findings: findings_out,
        changes,
        inputs,
        regions: regions(an, verdict),
        top_changes: top_changes(an, if opts.top == 0 { 12 } else { opts.top }),
        hosts: hosts(ds, an),
        series: an
            .series
            .signals
            .iter()
            .map(|s| SeriesOut {
                name: s.name.clone(),
                unit: s.unit.clone(),
                start: an.series.start.map(ts),
                bin_seconds: an.series.bin_ms as f64 / 1000.0,
                values: s.values.iter().map(|v| r(*v)).collect(),
            })
            .collect(),
        coverage,
        page_impact: impact::pages(ds, an),
        site: ds.site.clone(),
        runs: ds
            .inputs
            .iter()
            .filter_map(|i| Some(runs::run_out(&i.path, i.run_summary.as_ref()?)))
            .collect(),
    };
    if verdict.fault_domain == FaultDomain::None && report.windows.during.is_some() {
        let w = &mut report.windows;
        w.candidate = w.during.take();
        w.after = None;
        w.waves.clear();
        w.peak = None;
        w.before = match (an.data_start, an.data_end) {
            (Some(a), Some(b)) => win(Some(Window { start: a, end: b })),
            _ => None,
        };
        for c in &mut report.changes {
            c.minutes_before_onset = None;
        }
    }
    report.redact(redactor);
    report
}

fn regions(an: &Analysis, v: &Verdict) -> Vec<RegionRow> {
    let mut rows = Vec::new();
    for region in &an.regions {
        let key = format!("first@{region}");
        let g = |w| an.http_stat(Dim::Vantage, &key, w);
        let n = |w: WindowName| {
            an.net
                .get(region)
                .and_then(|m| m.get(&w))
                .filter(|s| s.n > s.dns_n)
        };
        rows.push(RegionRow {
            region: region.clone(),
            requests_during: g(WindowName::During).map_or(0, |s| s.count),
            error_rate_before: r(g(WindowName::Before).map(|s| s.error_rate())),
            error_rate_during: r(g(WindowName::During).map(|s| s.error_rate())),
            wait_p50_ms_before: r(g(WindowName::Before).and_then(|s| s.p50("wait_ms"))),
            wait_p50_ms_during: r(g(WindowName::During).and_then(|s| s.p50("wait_ms"))),
            loss_pct_before: r(n(WindowName::Before).and_then(|s| s.loss_pct_mean)),
            loss_pct_during: r(n(WindowName::During).and_then(|s| s.loss_pct_mean)),
            latency_p50_ms_before: r(n(WindowName::Before)
                .map(|s| s.latency_ms.p50)
                .filter(|_| true)),
            latency_p50_ms_during: r(n(WindowName::During).map(|s| s.latency_ms.p50)),
            affected: v.affected_regions.contains(region),
        });
    }
    rows
}

fn top_changes(an: &Analysis, top: usize) -> Vec<TopChange> {
    let mut c: Vec<_> = an
        .comparisons
        .iter()
        .filter(|c| c.window == WindowName::During && c.significant())
        .collect();
    c.sort_by(|a, b| {
        b.effect
            .unwrap_or(0.0)
            .abs()
            .total_cmp(&a.effect.unwrap_or(0.0).abs())
            .then(
                a.q_value
                    .unwrap_or(1.0)
                    .total_cmp(&b.q_value.unwrap_or(1.0)),
            )
            .then(a.family().cmp(b.family()))
            .then(a.dim().cmp(b.dim()))
            .then(a.key.cmp(&b.key))
            .then(a.signal.cmp(&b.signal))
    });
    c.into_iter()
        .take(top)
        .map(|c| TopChange {
            family: c.family().to_string(),
            group: format!("{}={}", c.dim(), c.key),
            signal: c.signal.to_string(),
            before: r(c.before),
            during: r(c.value),
            after: r(an
                .comparison(c.axis, &c.key, c.signal, WindowName::After)
                .and_then(|a| a.value)),
            ratio: r(c.ratio),
            ratio_ci: c.ratio_ci.map(|(a, b)| (round(a), round(b))),
            effect: r(c.effect),
            q_value: c.q_value.map(|q| if q < 1e-6 { 0.0 } else { round(q) }),
            n_before: c.n_before,
            n_during: c.n_value,
        })
        .collect()
}

/// Per-host totals over the whole data (all windows together).
fn hosts(ds: &Dataset, an: &Analysis) -> Vec<HostRow> {
    let mut party_of: std::collections::HashMap<&str, Party> = std::collections::HashMap::new();
    for rq in &ds.requests {
        party_of.entry(rq.host.as_str()).or_insert(rq.party);
    }
    let mut rows: Vec<HostRow> = an
        .http
        .iter()
        .filter(|((d, _), _)| *d == Dim::Host)
        .map(|((_, host), by_w)| {
            let count: u64 = by_w.values().map(|g| g.count).sum();
            let errors: u64 = by_w.values().map(|g| g.errors).sum();
            // the largest window stands for the host's typical timings
            let g = by_w.values().max_by_key(|g| g.count);
            HostRow {
                host: host.clone(),
                party: party_of
                    .get(host.as_str())
                    .copied()
                    .unwrap_or(Party::First)
                    .as_str()
                    .to_string(),
                count,
                errors,
                wait_p50_ms: r(g.and_then(|g| g.p50("wait_ms"))),
                wait_p95_ms: r(g.and_then(|g| g.p95("wait_ms"))),
                total_p50_ms: r(g.and_then(|g| g.p50("total_ms"))),
                total_p95_ms: r(g.and_then(|g| g.p95("total_ms"))),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.host.cmp(&b.host)));
    rows
}

impl Report {
    /// Every free-text field through the one redaction module.
    pub fn redact(&mut self, rd: &Redactor) {
        let t = |s: &mut String| *s = rd.text(s);
        t(&mut self.verdict.summary);
        for x in &mut self.verdict.ruled_out {
            t(&mut x.reason);
        }
        for e in &mut self.evidence {
            t(&mut e.signal);
            for l in &mut e.locations {
                t(l);
            }
        }
        for f in &mut self.findings {
            t(&mut f.summary);
            for s in &mut f.supports {
                t(&mut s.reason);
            }
        }
        for c in &mut self.changes {
            t(&mut c.summary);
            t(&mut c.service);
            t(&mut c.location);
        }
        for x in &mut self.runs {
            t(&mut x.path);
            for c in &mut x.failing_checks {
                t(c);
            }
        }
        for i in &mut self.inputs {
            t(&mut i.path);
            for x in &mut i.rejected {
                t(&mut x.reason);
            }
            for w in &mut i.warnings {
                t(w);
            }
            if let Some(s) = &mut i.skipped {
                t(s);
            }
        }
        for tc in &mut self.top_changes {
            t(&mut tc.group);
        }
        for h in &mut self.hosts {
            t(&mut h.host);
        }
        for r in &mut self.regions {
            t(&mut r.region);
        }
    }
}
