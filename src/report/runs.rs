//! Whole-run summaries (k6 end-of-test summaries): what `compare` shows
//! when both sides are run aggregates rather than records, and the
//! run-level evidence `analyze` lists beside its time-windowed findings.
//! A summary has no time axis, so it never enters the windows or the
//! detectors; what it can say is said here, each reading with its numbers.

use crate::detect::FaultDomain;
use crate::model::RunSummary;
use serde::Serialize;
use std::fmt::Write as _;

/// One run as `analyze` lists it: the few statistics an SRE reads first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunOut {
    pub path: String,
    pub tool: String,
    pub duration_s: Option<f64>,
    pub http_reqs: Option<u64>,
    pub iterations: Option<u64>,
    pub http_req_duration_p50_ms: Option<f64>,
    pub http_req_duration_p95_ms: Option<f64>,
    pub http_req_duration_max_ms: Option<f64>,
    /// Share of requests k6 counted as failed (`http_req_failed`), 0..1.
    pub http_req_failed_rate: Option<f64>,
    /// Share of checks that passed, 0..1.
    pub checks_pass_rate: Option<f64>,
    /// `path (fails of total failed)`, checks with at least one failure.
    pub failing_checks: Vec<String>,
    /// `metric: expression` of every threshold the run crossed.
    pub thresholds_crossed: Vec<String>,
}

/// A rate metric's share of true values: `rate` (handleSummary data),
/// `value` (`--summary-export`), else passes / (passes + fails).
pub fn rate_of(r: &RunSummary, metric: &str) -> Option<f64> {
    let m = r.metric(metric)?;
    m.get("rate")
        .filter(|_| m.kind == "rate")
        .or_else(|| m.get("value"))
        .or_else(|| {
            let (p, f) = (m.get("passes")?, m.get("fails")?);
            (p + f > 0.0).then(|| p / (p + f))
        })
}

fn count_of(r: &RunSummary, metric: &str) -> Option<u64> {
    r.metric(metric)?
        .get("count")
        .filter(|c| c.is_finite() && *c >= 0.0)
        .map(|c| c as u64)
}

/// A trend's statistic; the median is `med` unless the run asked for `p(50)`.
fn trend(r: &RunSummary, metric: &str, s: &str) -> Option<f64> {
    let m = r.metric(metric)?;
    match s {
        "med" => m.get("med").or_else(|| m.get("p(50)")),
        _ => m.get(s),
    }
}

/// Checks pass share: the `checks` rate metric, else the sum over the
/// `root_group` checks.
fn checks_rate(r: &RunSummary) -> Option<f64> {
    rate_of(r, "checks").or_else(|| {
        let (p, f) = r
            .checks
            .iter()
            .fold((0u64, 0u64), |(p, f), c| (p + c.passes, f + c.fails));
        (p + f > 0).then(|| p as f64 / (p + f) as f64)
    })
}

fn failing_checks(r: &RunSummary) -> Vec<String> {
    r.checks
        .iter()
        .filter(|c| c.fails > 0)
        .map(|c| format!("{} ({} of {} failed)", c.path, c.fails, c.passes + c.fails))
        .collect()
}

fn crossed(r: &RunSummary) -> Vec<String> {
    r.thresholds
        .iter()
        .filter(|t| !t.ok)
        .map(|t| format!("{}: {}", t.metric, t.expr))
        .collect()
}

/// The run-level evidence of one summary.
pub fn run_out(path: &str, r: &RunSummary) -> RunOut {
    let rd = |v: Option<f64>| v.map(super::round);
    RunOut {
        path: path.to_string(),
        tool: r.tool.clone(),
        duration_s: rd(r.duration_ms.map(|d| d / 1000.0)),
        http_reqs: count_of(r, "http_reqs"),
        iterations: count_of(r, "iterations"),
        http_req_duration_p50_ms: rd(trend(r, "http_req_duration", "med")),
        http_req_duration_p95_ms: rd(trend(r, "http_req_duration", "p(95)")),
        http_req_duration_max_ms: rd(trend(r, "http_req_duration", "max")),
        http_req_failed_rate: rd(rate_of(r, "http_req_failed")),
        checks_pass_rate: rd(checks_rate(r)),
        failing_checks: failing_checks(r),
        thresholds_crossed: crossed(r),
    }
}

/// Column names of the run-level evidence table (markdown and table).
pub const RUN_COLUMNS: [&str; 10] = [
    "run",
    "duration",
    "requests",
    "iterations",
    "p50",
    "p95",
    "max",
    "failed",
    "checks passed",
    "thresholds crossed",
];

/// One row of the run-level evidence table, in [`RUN_COLUMNS`] order.
pub fn run_cells(x: &RunOut) -> Vec<String> {
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    let share = |v: Option<f64>| v.map_or("-".into(), pct);
    let n = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
    vec![
        x.path.clone(),
        x.duration_s.map_or("-".into(), |d| format!("{d:.1} s")),
        n(x.http_reqs),
        n(x.iterations),
        ms(x.http_req_duration_p50_ms),
        ms(x.http_req_duration_p95_ms),
        ms(x.http_req_duration_max_ms),
        share(x.http_req_failed_rate),
        share(x.checks_pass_rate),
        if x.thresholds_crossed.is_empty() {
            "-".into()
        } else {
            x.thresholds_crossed.join("; ")
        },
    ]
}

/// What a difference between two runs points at, in words with the numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reading {
    /// The fault domain the difference speaks for (`none`: context only).
    pub domain: FaultDomain,
    pub text: String,
}

/// Ratio above which a latency statistic counts as up.
const UP_RATIO: f64 = 1.5;
/// ... and by at least this many ms (tiny phases double on noise alone).
const UP_MIN_MS: f64 = 5.0;
/// A failure or check rate change of at least this much (1 point).
const RATE_STEP: f64 = 0.01;

/// The tail statistic both runs have: p(95), else p(90), p(99), avg.
fn tail(b: &RunSummary, i: &RunSummary, metric: &str) -> Option<(&'static str, f64, f64)> {
    ["p(95)", "p(90)", "p(99)", "avg"]
        .into_iter()
        .find_map(|s| Some((s, trend(b, metric, s)?, trend(i, metric, s)?)))
}

/// Phase time up between runs, by its mean (most requests reuse a
/// connection, so a phase's percentiles are often 0 while its mean moves).
fn phase_up(b: &RunSummary, i: &RunSummary, metric: &str) -> Option<(f64, f64)> {
    let (x, y) = (trend(b, metric, "avg")?, trend(i, metric, "avg")?);
    (y - x >= UP_MIN_MS && y >= x * UP_RATIO).then_some((x, y))
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// What the incident run says against the baseline run.
pub fn readings(b: &RunSummary, i: &RunSummary) -> Vec<Reading> {
    let mut out = Vec::new();
    let dur = tail(b, i, "http_req_duration");
    let dur_up = dur.is_some_and(|(_, x, y)| y - x >= UP_MIN_MS && y >= x * UP_RATIO);
    let connect = phase_up(b, i, "http_req_connecting");
    let tls = phase_up(b, i, "http_req_tls_handshaking");
    let waiting =
        tail(b, i, "http_req_waiting").filter(|(_, x, y)| y - x >= UP_MIN_MS && *y >= x * UP_RATIO);
    let receiving = tail(b, i, "http_req_receiving")
        .filter(|(_, x, y)| y - x >= UP_MIN_MS && *y >= x * UP_RATIO);
    if let (Some(fb), Some(fi)) = (rate_of(b, "http_req_failed"), rate_of(i, "http_req_failed"))
        && fi - fb >= RATE_STEP
        && fi >= 2.0 * fb
    {
        let lat = dur.map_or(String::new(), |(s, x, y)| {
            format!(" (http_req_duration {s} {x:.1} -> {y:.1} ms)")
        });
        out.push(Reading {
            domain: FaultDomain::Backend,
            text: if dur_up {
                format!(
                    "failed requests {} -> {} and slower{lat}: the server fails under the load it is slow with",
                    pct(fb),
                    pct(fi)
                )
            } else {
                format!(
                    "failed requests {} -> {} while latency stayed normal{lat}: the server answers with errors (backend / application)",
                    pct(fb),
                    pct(fi)
                )
            },
        });
    }
    match (connect, tls) {
        (Some((cb, ci)), Some((tb, ti))) => out.push(Reading {
            domain: FaultDomain::Network,
            text: format!(
                "connection set-up slower: connecting mean {cb:.1} -> {ci:.1} ms, TLS handshake mean {tb:.1} -> {ti:.1} ms (network path; TLS follows the round trips)"
            ),
        }),
        (Some((cb, ci)), None) => out.push(Reading {
            domain: FaultDomain::Network,
            text: format!("TCP connecting slower: mean {cb:.1} -> {ci:.1} ms (network path)"),
        }),
        (None, Some((tb, ti))) => out.push(Reading {
            domain: FaultDomain::Tls,
            text: format!(
                "TLS handshake slower while TCP connecting is not: mean {tb:.1} -> {ti:.1} ms (TLS termination)"
            ),
        }),
        (None, None) => {}
    }
    if let Some((s, x, y)) = waiting {
        let (domain, why) = if connect.is_none() && tls.is_none() {
            (
                FaultDomain::Backend,
                "with connection set-up unchanged: the server is slower to answer",
            )
        } else {
            (
                FaultDomain::Network,
                "together with connection set-up: every round trip is longer",
            )
        };
        out.push(Reading {
            domain,
            text: format!("time to first byte (http_req_waiting) {s} {x:.1} -> {y:.1} ms {why}"),
        });
    }
    if let Some((s, x, y)) = receiving {
        out.push(Reading {
            domain: FaultDomain::Network,
            text: format!(
                "receiving the body slower: http_req_receiving {s} {x:.1} -> {y:.1} ms (bandwidth or a slow sender)"
            ),
        });
    }
    if let (Some(cb), Some(ci)) = (checks_rate(b), checks_rate(i))
        && cb - ci >= RATE_STEP
    {
        out.push(Reading {
            domain: FaultDomain::None,
            text: format!("checks passing {} -> {}", pct(cb), pct(ci)),
        });
    }
    let before: Vec<String> = crossed(b);
    for t in crossed(i).into_iter().filter(|t| !before.contains(t)) {
        out.push(Reading {
            domain: FaultDomain::None,
            text: format!("threshold crossed only in the incident run: {t}"),
        });
    }
    if out.is_empty() {
        out.push(Reading {
            domain: FaultDomain::None,
            text: "no difference large enough to read (failure rate within 1 point, latency phases within 1.5x or 5 ms)".into(),
        });
    }
    out
}

/// Statistics compared, per kind of metric.
const TREND_STATS: [&str; 6] = ["avg", "med", "p(90)", "p(95)", "p(99)", "max"];
const RATE_STATS: [&str; 1] = ["rate"];
const COUNTER_STATS: [&str; 2] = ["count", "rate"];

/// A metric's statistic: handleSummary data calls a rate `rate`, the
/// `--summary-export` file `value`.
fn stat(r: &RunSummary, metric: &str, s: &str) -> Option<f64> {
    let m = r.metric(metric)?;
    m.get(s).or_else(|| {
        (s == "rate" && m.kind == "rate")
            .then(|| m.get("value"))
            .flatten()
    })
}

fn fmt(v: Option<f64>, kind: &str, s: &str) -> String {
    match v {
        None => "-".into(),
        Some(x) if kind == "rate" => format!("{:.2}%", x * 100.0),
        Some(x) if kind == "trend" => format!("{x:.1} ms"),
        Some(x) if s == "rate" => format!("{x:.2}/s"),
        Some(x) => format!("{x:.0}"),
    }
}

/// A plain-text table: each metric both runs have, baseline, incident and
/// the change; then checks and thresholds that differ.
pub fn compare_text(
    baseline: &[(String, RunSummary)],
    incident: &[(String, RunSummary)],
) -> String {
    let mut out = String::new();
    let names = |runs: &[(String, RunSummary)]| {
        runs.iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "Run summaries compared (whole-run aggregates, no per-request times)"
    );
    let _ = writeln!(out, "  baseline: {}", names(baseline));
    let _ = writeln!(out, "  incident: {}", names(incident));
    let (Some((_, b)), Some((_, i))) = (baseline.first(), incident.first()) else {
        let _ = writeln!(out, "  (one side has no run summary)");
        return out;
    };
    if baseline.len() > 1 || incident.len() > 1 {
        let _ = writeln!(
            out,
            "  (several summaries on a side: the first of each is compared)"
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<44} {:<6} {:>14} {:>14} {:>9}",
        "metric", "stat", "baseline", "incident", "change"
    );
    for m in &b.metrics {
        let Some(im) = i.metric(&m.name) else {
            continue;
        };
        let stats: &[&str] = match m.kind.as_str() {
            "trend" => &TREND_STATS,
            "rate" => &RATE_STATS,
            "counter" => &COUNTER_STATS,
            _ => continue,
        };
        for s in stats {
            let (bv, iv) = (stat(b, &m.name, s), stat(i, &im.name, s));
            if bv.is_none() && iv.is_none() {
                continue;
            }
            let change = match (bv, iv) {
                (Some(x), Some(y)) if m.kind == "rate" => format!("{:+.2} pt", (y - x) * 100.0),
                (Some(x), Some(y)) if x != 0.0 => format!("{:+.0}%", (y / x - 1.0) * 100.0),
                _ => "-".into(),
            };
            let _ = writeln!(
                out,
                "{:<44} {:<6} {:>14} {:>14} {:>9}",
                m.name,
                s,
                fmt(bv, &m.kind, s),
                fmt(iv, &m.kind, s),
                change
            );
        }
    }
    for (label, r) in [("baseline", b), ("incident", i)] {
        let f = failing_checks(r);
        if !f.is_empty() {
            let _ = writeln!(out, "\nfailing checks, {label}:");
            for c in f {
                let _ = writeln!(out, "  {c}");
            }
        }
        let crossed = crossed(r);
        if !crossed.is_empty() {
            let _ = writeln!(out, "\nthresholds crossed, {label}:");
            for t in crossed {
                let _ = writeln!(out, "  {t}");
            }
        }
    }
    let _ = writeln!(out, "\nwhat the difference points at:");
    for r in readings(b, i) {
        let _ = writeln!(out, "  [{}] {}", r.domain.as_str(), r.text);
    }
    out
}

/// `compare --format json` of two sets of summaries: each run's evidence
/// and the readings of the first of each side.
#[derive(Debug, Clone, Serialize)]
pub struct CompareOut {
    pub baseline: Vec<RunOut>,
    pub incident: Vec<RunOut>,
    pub readings: Vec<Reading>,
}

pub fn compare_json(
    baseline: &[(String, RunSummary)],
    incident: &[(String, RunSummary)],
) -> String {
    let outs = |runs: &[(String, RunSummary)]| -> Vec<RunOut> {
        runs.iter().map(|(p, r)| run_out(p, r)).collect()
    };
    let c = CompareOut {
        baseline: outs(baseline),
        incident: outs(incident),
        readings: match (baseline.first(), incident.first()) {
            (Some((_, b)), Some((_, i))) => readings(b, i),
            _ => Vec::new(),
        },
    };
    let mut s = serde_json::to_string_pretty(&c)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise comparison: {e}\"}}"));
    s.push('\n');
    s
}
