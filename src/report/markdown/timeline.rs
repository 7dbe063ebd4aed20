//! The timeline: changes, window edges, the peak and waves as one ordered
//! list of events, the peak read off the first signal that actually rose.

use super::table;
use crate::report::Report;
use crate::report::text::{self, value};

/// Signals the Peak row may name, in order of preference, with how far
/// the worst bin must rise above the baseline mean to count as moved.
const PEAK_SIGNALS: [(&str, &str, PeakRise); 3] = [
    (
        "fp_error_rate",
        "first-party error rate",
        PeakRise::Plus(0.02),
    ),
    (
        "fp_wait_p95_ms",
        "first-party backend wait p95",
        PeakRise::Times(1.3),
    ),
    (
        "page_load_ms",
        "page load time (median)",
        PeakRise::Times(1.3),
    ),
];

#[derive(Clone, Copy)]
enum PeakRise {
    Plus(f64),
    Times(f64),
}

/// The Peak row: the worst bin of the incident window on the first
/// signal that moved (errors, else backend wait, else page load), at that
/// bin's time and with that bin's value. The change-point's own peak is
/// where the change is sharpest, usually the onset, where the value has
/// barely begun to move; it is used only when no signal rose.
fn peak_row(r: &Report) -> Option<(String, String)> {
    let w = &r.windows;
    let during = w.during.as_ref()?;
    let (a, b) = (text::parse(&during.start)?, text::parse(&during.end)?);
    for (name, label, rise) in PEAK_SIGNALS {
        let Some(s) = text::series(r, name) else {
            continue;
        };
        let Some(start) = s.start.as_deref().and_then(text::parse) else {
            continue;
        };
        let bin = chrono::Duration::milliseconds((s.bin_seconds * 1000.0).round() as i64);
        if bin <= chrono::Duration::zero() {
            continue;
        }
        // highest value inside the window; the earliest bin on ties
        let mut worst: Option<(chrono::DateTime<chrono::Utc>, f64)> = None;
        for (i, v) in s.values.iter().enumerate() {
            let t0 = start + bin * i as i32;
            if let Some(v) = *v
                && t0 >= a
                && t0 < b
                && worst.is_none_or(|(_, x)| v > x)
            {
                worst = Some((t0, v));
            }
        }
        let Some((t, v)) = worst else { continue };
        let base = w
            .before
            .as_ref()
            .and_then(|bw| text::series_mean_in(s, bw))
            .unwrap_or(0.0);
        let moved = match rise {
            PeakRise::Plus(d) => v > base + d,
            PeakRise::Times(f) => v > base * f && v > 0.0,
        };
        if moved {
            return Some((
                crate::report::ts(t),
                format!("{label} {}", value(Some(v), &s.unit)),
            ));
        }
    }
    w.peak.clone().map(|p| {
        (
            p,
            "sharpest change (no signal rose above its baseline)".into(),
        )
    })
}

struct Event {
    at: String,
    order: u8,
    what: String,
    detail: String,
}

pub(super) fn timeline(o: &mut String, r: &Report) {
    let mut ev: Vec<Event> = Vec::new();
    for c in &r.changes {
        let what = if c.kind == "rollback" {
            "Rollback".to_string()
        } else {
            format!("Change ({})", c.kind)
        };
        ev.push(Event {
            at: c.ts.clone(),
            order: 1,
            what,
            detail: format!("{}: {}", c.service, c.summary),
        });
    }
    let w = &r.windows;
    if let Some(b) = &w.before {
        ev.push(Event {
            at: b.start.clone(),
            order: 0,
            what: "Baseline starts".into(),
            detail: format!("`before` window, {} min", text::num(b.minutes, 1)),
        });
    }
    if let Some(d) = &w.during {
        ev.push(Event {
            at: d.start.clone(),
            order: 2,
            what: "Onset".into(),
            detail: format!("incident window starts (found by {})", w.method),
        });
        if w.waves.len() > 1 {
            for (i, x) in w.waves.iter().enumerate() {
                ev.push(Event {
                    at: x.start.clone(),
                    order: 3,
                    what: format!("Wave {} starts", i + 1),
                    detail: format!("{} min", text::num(x.minutes, 1)),
                });
                ev.push(Event {
                    at: x.end.clone(),
                    order: 3,
                    what: format!("Wave {} ends", i + 1),
                    detail: String::new(),
                });
            }
        }
        ev.push(Event {
            at: d.end.clone(),
            order: 5,
            what: "Recovery".into(),
            detail: format!("incident window ends after {} min", text::num(d.minutes, 1)),
        });
    }
    if let Some((at, detail)) = peak_row(r) {
        ev.push(Event {
            at,
            order: 4,
            what: "Peak".into(),
            detail,
        });
    }
    if let Some(c) = &w.candidate {
        ev.push(Event {
            at: c.start.clone(),
            order: 2,
            what: "Candidate window starts".into(),
            detail: format!(
                "signals moved for {} min, not enough to call an incident",
                text::num(c.minutes, 1)
            ),
        });
        ev.push(Event {
            at: c.end.clone(),
            order: 5,
            what: "Candidate window ends".into(),
            detail: String::new(),
        });
    }
    for (i, b) in w.blips.iter().enumerate() {
        ev.push(Event {
            at: b.start.clone(),
            order: 6,
            what: format!("Blip {}", i + 1),
            detail: format!(
                "short excursion, {} min (not counted as incident)",
                text::num(b.minutes, 1)
            ),
        });
    }
    if ev.is_empty() {
        return;
    }
    ev.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then(a.order.cmp(&b.order))
            .then(a.what.cmp(&b.what))
            .then(a.detail.cmp(&b.detail))
    });
    o.push_str("## Timeline\n\n");
    let onset = w.during.as_ref().map(|d| d.start.as_str());
    let rows: Vec<Vec<String>> = ev
        .iter()
        .map(|e| {
            let rel = onset
                .and_then(|on| text::minutes_between(on, &e.at))
                .map(|m| {
                    if m.abs() < 0.05 {
                        "0".into()
                    } else {
                        format!("{}{}", if m > 0.0 { "+" } else { "" }, text::num(m, 1))
                    }
                })
                .unwrap_or_else(|| "-".into());
            vec![text::when(&e.at), rel, e.what.clone(), e.detail.clone()]
        })
        .collect();
    table(
        o,
        &["time (UTC)", "min vs onset", "event", "detail"],
        &[false, true, false, false],
        &rows,
    );
}
