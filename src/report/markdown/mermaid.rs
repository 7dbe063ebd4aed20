//! Charts as Mermaid `xychart-beta` blocks, so GitHub and GitLab draw them
//! without files; `svg_charts` gives the same charts as standalone SVG.
//! The bucketing and axis maths they share with the SVG charts is in
//! `report::chart`.

use crate::report::chart::{MAX_POINTS, downsample, nice_max, scaled};
use crate::report::text;
use crate::report::{Report, SeriesOut, WinOut};
use std::fmt::Write;

fn fmt_axis(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// One Mermaid xychart: window bars first (drawn behind), then the line.
/// Gaps carry the previous value forward (xychart cannot draw a gap).
fn mermaid(o: &mut String, title: &str, s: &SeriesOut, during: Option<&WinOut>) {
    let p = downsample(s, during, MAX_POINTS);
    let (mul, unit) = scaled(s);
    let mut last = 0.0;
    let vals: Vec<f64> = p
        .values
        .iter()
        .map(|v| {
            if let Some(v) = v {
                last = v * mul;
            }
            (last * 100.0).round() / 100.0
        })
        .collect();
    let top = nice_max(vals.iter().copied().fold(0.0, f64::max));
    let _ = writeln!(o, "```mermaid\nxychart-beta");
    let _ = writeln!(o, "    title \"{}\"", title.replace('"', "'"));
    let labels: Vec<String> = p.labels.iter().map(|l| format!("\"{l}\"")).collect();
    let _ = writeln!(o, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(
        o,
        "    y-axis \"{} ({unit})\" 0 --> {}",
        s.name,
        fmt_axis(top)
    );
    if p.in_window.iter().any(|b| *b) {
        let bars: Vec<String> = p
            .in_window
            .iter()
            .map(|b| if *b { fmt_axis(top) } else { "0".into() })
            .collect();
        let _ = writeln!(o, "    bar [{}]", bars.join(", "));
    }
    let line: Vec<String> = vals.iter().map(|v| fmt_axis(*v)).collect();
    let _ = writeln!(o, "    line [{}]", line.join(", "));
    o.push_str("```\n\n");
}

fn caption(r: &Report, s: &SeriesOut, p_bucket: f64) -> String {
    let win = match &r.windows.during {
        Some(w) => format!(
            "Bars mark the incident window ({} - {} UTC). ",
            text::clock(&w.start),
            text::clock(&w.end)
        ),
        None => String::new(),
    };
    let gaps = if s.values.iter().any(|v| v.is_none()) {
        " Empty bins repeat the previous value."
    } else {
        ""
    };
    format!(
        "_{win}One point per {} s (mean of {} s bins).{gaps}_\n\n",
        text::num(p_bucket, 0),
        text::num(s.bin_seconds, 0)
    )
}

const CHARTS: [(&str, &str); 4] = [
    ("fp_error_rate", "First-party error rate"),
    ("fp_wait_p95_ms", "First-party backend wait p95"),
    ("page_load_ms", "Page load time (median)"),
    ("page_components", "Page components loaded (median)"),
];

pub(super) fn charts(o: &mut String, r: &Report) {
    let avail: Vec<(&SeriesOut, &str)> = CHARTS
        .iter()
        .filter_map(|(n, t)| text::series(r, n).map(|s| (s, *t)))
        .collect();
    if avail.is_empty() {
        return;
    }
    o.push_str("## Charts\n\n");
    let during = r.windows.during.as_ref();
    for (s, t) in &avail {
        if s.name == "page_load_ms" {
            o.push_str("### Page load time next to component count\n\n");
            if text::series(r, "page_components").is_some() {
                o.push_str("Read the two charts together: a load time that drops while the component count drops too means pages got faster only because parts of them never loaded.\n\n");
            }
        } else if s.name == "page_components" && text::series(r, "page_load_ms").is_some() {
            // heading already written with the load-time chart
        } else {
            let _ = writeln!(o, "### {t}\n");
        }
        mermaid(o, t, s, during);
        let p = downsample(s, during, MAX_POINTS);
        o.push_str(&caption(r, s, p.bucket_seconds));
    }
}

/// SVG charts (name, svg) for `report --svg`: the same series as the
/// Mermaid charts, drawn as standalone line charts with the incident
/// window shaded.
pub fn svg_charts(r: &Report) -> Vec<(String, String)> {
    CHARTS
        .iter()
        .filter_map(|(n, t)| {
            text::series(r, n).map(|s| {
                (
                    n.replace('_', "-"),
                    crate::report::svg::line_chart(t, s, r.windows.during.as_ref()),
                )
            })
        })
        .collect()
}
