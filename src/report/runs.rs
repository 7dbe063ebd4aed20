//! Whole-run summaries (k6 end-of-test summaries) side by side: what
//! `compare` shows when both sides are run aggregates rather than records.

use crate::model::RunSummary;
use std::fmt::Write as _;

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
    let failing = |r: &RunSummary| -> Vec<String> {
        r.checks
            .iter()
            .filter(|c| c.fails > 0)
            .map(|c| format!("{} ({} of {} failed)", c.path, c.fails, c.passes + c.fails))
            .collect()
    };
    for (label, r) in [("baseline", b), ("incident", i)] {
        let f = failing(r);
        if !f.is_empty() {
            let _ = writeln!(out, "\nfailing checks, {label}:");
            for c in f {
                let _ = writeln!(out, "  {c}");
            }
        }
        let crossed: Vec<String> = r
            .thresholds
            .iter()
            .filter(|t| !t.ok)
            .map(|t| format!("{}: {}", t.metric, t.expr))
            .collect();
        if !crossed.is_empty() {
            let _ = writeln!(out, "\nthresholds crossed, {label}:");
            for t in crossed {
                let _ = writeln!(out, "  {t}");
            }
        }
    }
    out
}
