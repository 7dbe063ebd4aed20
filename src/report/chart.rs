//! Chart maths shared by the Mermaid and SVG charts: a series cut into
//! at most N buckets (each marked in or out of the incident window), the
//! display scale of a unit, and a round axis maximum. One home, so both
//! chart kinds bucket and scale a series the same way.

use super::text;
use super::{SeriesOut, WinOut};

/// Markdown charts keep at most this many points (Mermaid labels get unreadable).
pub const MAX_POINTS: usize = 60;

/// A series cut to at most `max` buckets (mean of the bins in each),
/// with bucket start times and whether each bucket overlaps the incident.
pub struct Points {
    pub labels: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub in_window: Vec<bool>,
    pub bucket_seconds: f64,
}

pub fn downsample(s: &SeriesOut, during: Option<&WinOut>, max: usize) -> Points {
    let n = s.values.len();
    let k = n.div_ceil(max.max(1)).max(1);
    let start = s.start.as_deref().and_then(text::parse);
    let bin_ms = (s.bin_seconds * 1000.0).round() as i64;
    let win = during.and_then(|w| Some((text::parse(&w.start)?, text::parse(&w.end)?)));
    let mut p = Points {
        labels: vec![],
        values: vec![],
        in_window: vec![],
        bucket_seconds: s.bin_seconds * k as f64,
    };
    for c in (0..n).step_by(k) {
        let end = (c + k).min(n);
        let vals: Vec<f64> = s.values[c..end].iter().flatten().copied().collect();
        p.values
            .push((!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64));
        let t0 = start.map(|t| t + chrono::Duration::milliseconds(bin_ms * c as i64));
        let t1 = start.map(|t| t + chrono::Duration::milliseconds(bin_ms * end as i64));
        p.labels
            .push(t0.map_or_else(|| format!("{c}"), |t| t.format("%H:%M").to_string()));
        p.in_window.push(match (win, t0, t1) {
            (Some((a, b)), Some(x), Some(y)) => y > a && x < b,
            _ => false,
        });
    }
    p
}

/// Display scale of a series: ratios as percentages.
pub fn scaled(s: &SeriesOut) -> (f64, String) {
    match s.unit.as_str() {
        "ratio" => (100.0, "%".into()),
        u => (1.0, u.to_string()),
    }
}

/// The axis maximum: the smallest of 1, 2, 2.5, 5, 10 times a power of ten
/// at or above `m` (1 when there is nothing to draw).
pub fn nice_max(m: f64) -> f64 {
    if !(m.is_finite() && m > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(m.log10().floor());
    for f in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m <= f * mag {
            return f * mag;
        }
    }
    10.0 * mag
}
