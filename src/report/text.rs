//! Display formatting shared by the table and markdown renderers, so the
//! terminal and the post-incident summary print the same number the same
//! way (a rate is always a percentage, a duration always carries its unit).

use super::{EvidenceOut, Report, SeriesOut, TopChange, WinOut};
use chrono::{DateTime, Duration, Utc};

/// A value in its unit: ratios as percentages, milliseconds with `ms`,
/// counts without decimals when whole. `-` when missing.
pub fn value(v: Option<f64>, unit: &str) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "-".into();
    };
    match unit {
        "ratio" => pct(v * 100.0),
        "pct" => pct(v),
        "ms" => ms(v),
        "min" => format!("{} min", num(v, 1)),
        "s" => format!("{} s", num(v, 1)),
        "bytes" => bytes(v),
        _ => count(v),
    }
}

fn pct(p: f64) -> String {
    if p != 0.0 && p.abs() < 0.1 {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

/// Milliseconds: whole above 100 ms, one decimal below; seconds above 10 s.
pub fn ms(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn bytes(v: f64) -> String {
    if v >= 1_048_576.0 {
        format!("{:.1} MiB", v / 1_048_576.0)
    } else if v >= 1024.0 {
        format!("{:.1} KiB", v / 1024.0)
    } else {
        format!("{v:.0} B")
    }
}

/// A count: no decimals when whole, one otherwise.
pub fn count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Fixed decimals, with `-0.0` printed as `0.0`.
pub fn num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Change from `before` to `during`: percentage points for rates, relative
/// change for everything else.
pub fn change(before: Option<f64>, during: Option<f64>, unit: &str) -> String {
    let (Some(b), Some(d)) = (before, during) else {
        return "-".into();
    };
    match unit {
        "ratio" => signed((d - b) * 100.0, " pp"),
        "pct" => signed(d - b, " pp"),
        _ => {
            if b.abs() > 1e-9 {
                let rel = (d - b) / b.abs() * 100.0;
                if rel.abs() >= 1000.0 {
                    format!("x{}", num(d / b, 1))
                } else {
                    format!("{}{} %", if rel >= 0.0 { "+" } else { "" }, num(rel, 0))
                }
            } else if d.abs() < 1e-9 {
                "0".into()
            } else {
                format!("+{}", value(Some(d - b), unit))
            }
        }
    }
}

fn signed(v: f64, suffix: &str) -> String {
    let s = num(v, 1);
    if s == "0.0" {
        format!("0.0{suffix}")
    } else if v > 0.0 {
        format!("+{s}{suffix}")
    } else {
        format!("{s}{suffix}")
    }
}

/// Did the value rise (Some(true)), fall (Some(false)), or not move / unknown?
pub fn direction(before: Option<f64>, during: Option<f64>) -> Option<bool> {
    let (b, d) = (before?, during?);
    let scale = b.abs().max(d.abs()).max(1e-9);
    if (d - b).abs() / scale < 0.01 {
        None
    } else {
        Some(d > b)
    }
}

/// `p<0.001, effect 0.82` from a p-value (or q-value) and an effect size.
pub fn significance(p: Option<f64>, effect: Option<f64>) -> String {
    let mut parts = Vec::new();
    if let Some(p) = p {
        parts.push(if p < 0.001 {
            "p<0.001".to_string()
        } else {
            format!("p={}", num(p, 3))
        });
    }
    if let Some(e) = effect {
        parts.push(format!("effect {}", num(e, 2)));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// Is this piece of evidence statistically significant?
pub fn is_significant(e: &EvidenceOut) -> bool {
    e.p_value.is_some_and(|p| p < 0.05)
}

/// `backend (+0.85)` for support, `against dns (-0.60)` for opposition.
pub fn supports(e: &EvidenceOut) -> String {
    let d = e.supports.as_str();
    if e.weight < 0.0 {
        format!("against {d} ({})", num(e.weight, 2))
    } else if e.weight > 0.0 {
        format!("{d} (+{})", num(e.weight, 2))
    } else {
        d.to_string()
    }
}

/// Unit of a comparison signal from its name (`wait_ms`, `loss_pct`, `error_rate`).
pub fn unit_of_signal(signal: &str) -> &'static str {
    if signal.ends_with("_ms") {
        "ms"
    } else if signal.ends_with("_pct") {
        "pct"
    } else if signal.contains("rate") || signal.starts_with("share") {
        "ratio"
    } else if signal.ends_with("bytes") {
        "bytes"
    } else {
        "count"
    }
}

pub fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `2025-02-06 10:00:00` from an RFC 3339 string (UTC).
pub fn when(t: &str) -> String {
    parse(t).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// `10:00:00` (time of day, UTC).
pub fn clock(t: &str) -> String {
    parse(t).map_or_else(|| t.to_string(), |d| d.format("%H:%M:%S").to_string())
}

/// Minutes between two RFC 3339 instants (`b - a`).
pub fn minutes_between(a: &str, b: &str) -> Option<f64> {
    Some((parse(b)? - parse(a)?).num_milliseconds() as f64 / 60_000.0)
}

pub fn window_span(w: &WinOut) -> String {
    format!(
        "{} - {} ({} min)",
        when(&w.start),
        clock(&w.end),
        num(w.minutes, 1)
    )
}

/// Mean of a series' bins that overlap `[start, end)`, skipping gaps.
pub fn series_mean_in(s: &SeriesOut, w: &WinOut) -> Option<f64> {
    let (start, a, b) = (
        parse(s.start.as_deref()?)?,
        parse(&w.start)?,
        parse(&w.end)?,
    );
    let bin = Duration::milliseconds((s.bin_seconds * 1000.0).round() as i64);
    if bin <= Duration::zero() {
        return None;
    }
    let mut sum = 0.0;
    let mut n = 0usize;
    for (i, v) in s.values.iter().enumerate() {
        let t0 = start + bin * i as i32;
        let t1 = t0 + bin;
        if let Some(v) = v.filter(|_| t1 > a && t0 < b) {
            sum += v;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

pub fn series<'a>(r: &'a Report, name: &str) -> Option<&'a SeriesOut> {
    r.series
        .iter()
        .find(|s| s.name == name && s.values.iter().any(|v| v.is_some()))
}

/// Evidence ordered for reading: support for the verdict first (strongest
/// first), then evidence against other domains, then the rest; ties by
/// signal name so the order never depends on detector order.
pub fn ordered_evidence(r: &Report) -> Vec<&EvidenceOut> {
    let mut ev: Vec<&EvidenceOut> = r.evidence.iter().collect();
    let rank = |e: &EvidenceOut| {
        if e.weight > 0.0 && e.supports == r.verdict.fault_domain {
            0
        } else if e.weight > 0.0 {
            1
        } else if e.weight < 0.0 {
            2
        } else {
            3
        }
    };
    ev.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(b.weight.abs().total_cmp(&a.weight.abs()))
            .then(a.signal.cmp(&b.signal))
            .then(a.detector.cmp(&b.detector))
    });
    ev
}

pub fn confidence_level(c: f64) -> &'static str {
    if c >= 0.75 {
        "high"
    } else if c >= 0.5 {
        "medium"
    } else {
        "low"
    }
}

/// Human name of a fault domain word.
pub fn domain_name(d: &str) -> String {
    d.replace('_', " ")
}

/// A median ratio with its bootstrap CI when there is one: `1.97 (1.57-2.59)`.
pub fn ratio_ci(ratio: Option<f64>, ci: Option<(f64, f64)>) -> String {
    match (ratio, ci) {
        (Some(q), Some((a, b))) => format!("{} ({}-{})", num(q, 2), num(a, 2), num(b, 2)),
        (Some(q), None) => num(q, 2),
        _ => "-".into(),
    }
}

/// Columns of the top-changes table, and which hold numbers.
pub const TOP_CHANGE_HEADER: [&str; 8] = [
    "group",
    "signal",
    "before",
    "during",
    "after",
    "ratio (95% CI)",
    "effect",
    "q",
];
pub const TOP_CHANGE_NUMERIC: [bool; 8] = [false, false, true, true, true, true, true, true];

/// The cells of one top change after the group column: signal, before,
/// during, after, ratio with CI, effect, q (the renderers label the group
/// their own way).
pub fn top_change_cells(x: &TopChange) -> [String; 7] {
    let unit = unit_of_signal(&x.signal);
    [
        x.signal.clone(),
        value(x.before, unit),
        value(x.during, unit),
        value(x.after, unit),
        ratio_ci(x.ratio, x.ratio_ci),
        x.effect.map_or("-".into(), |e| num(e, 2)),
        x.q_value.map_or("-".into(), |q| {
            if q < 0.001 {
                "<0.001".into()
            } else {
                num(q, 3)
            }
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_unit() {
        assert_eq!(value(Some(0.333), "ratio"), "33.3 %");
        assert_eq!(value(Some(0.0004), "ratio"), "0.04 %");
        assert_eq!(value(Some(1234.4), "ms"), "1234 ms");
        assert_eq!(value(Some(12.34), "ms"), "12.3 ms");
        assert_eq!(value(Some(12_345.0), "ms"), "12.3 s");
        assert_eq!(value(Some(48.0), "count"), "48");
        assert_eq!(value(None, "ms"), "-");
        assert_eq!(value(Some(2.5), "pct"), "2.5 %");
    }

    #[test]
    fn changes() {
        assert_eq!(change(Some(0.0), Some(0.333), "ratio"), "+33.3 pp");
        assert_eq!(change(Some(100.0), Some(250.0), "ms"), "+150 %");
        assert_eq!(change(Some(48.0), Some(12.0), "count"), "-75 %");
        assert_eq!(change(Some(1.0), Some(50.0), "ms"), "x50.0");
        assert_eq!(change(None, Some(1.0), "ms"), "-");
        assert_eq!(num(-0.0001, 1), "0.0");
    }

    #[test]
    fn significance_text() {
        assert_eq!(
            significance(Some(0.0), Some(0.8123)),
            "p<0.001, effect 0.81"
        );
        assert_eq!(significance(Some(0.0312), None), "p=0.031");
        assert_eq!(significance(None, None), "-");
    }
}
