//! Hand-written SVG line charts for `report --svg`: standalone files that
//! render anywhere (and, unlike Mermaid's xychart, can shade the incident
//! window and leave gaps as gaps). No dependency; fixed precision for
//! stable bytes.

use super::chart::{downsample, nice_max, scaled};
use super::text;
use super::{SeriesOut, WinOut};
use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 32.0;
const BOTTOM: f64 = 40.0;
/// Empty buckets in a row that the line still bridges.
const MAX_BRIDGED_GAP: usize = 3;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn f(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" { "0.0".into() } else { s }
}

/// One line chart of `s` (at most 240 points), the `during` window shaded.
pub fn line_chart(title: &str, s: &SeriesOut, during: Option<&WinOut>) -> String {
    let p = downsample(s, during, 240);
    let (mul, unit) = scaled(s);
    let vals: Vec<Option<f64>> = p.values.iter().map(|v| v.map(|x| x * mul)).collect();
    let top = nice_max(vals.iter().flatten().copied().fold(0.0, f64::max));
    let n = vals.len().max(1);
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |i: usize| LEFT + pw * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| TOP + ph * (1.0 - (v / top).clamp(0.0, 1.0));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(o, "<title>{}</title>", esc(title));
    let _ = writeln!(
        o,
        "<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        o,
        "<text x=\"{LEFT}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{} ({})</text>",
        esc(title),
        esc(&unit)
    );
    // shaded window: contiguous runs of buckets inside it
    let mut i = 0;
    while i < n.min(p.in_window.len()) {
        if p.in_window[i] {
            let j = (i..p.in_window.len())
                .find(|k| !p.in_window[*k])
                .unwrap_or(p.in_window.len());
            let x0 = LEFT + pw * i as f64 / n as f64;
            let x1 = LEFT + pw * j as f64 / n as f64;
            let _ = writeln!(
                o,
                "<rect class=\"window\" x=\"{}\" y=\"{TOP}\" width=\"{}\" height=\"{ph}\" fill=\"#f8d7da\"/>",
                f(x0),
                f(x1 - x0)
            );
            i = j;
        } else {
            i += 1;
        }
    }
    // axes and grid
    for k in 0..=4 {
        let v = top * k as f64 / 4.0;
        let yy = y(v);
        let _ = writeln!(
            o,
            "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\"/>",
            f(yy),
            f(W - RIGHT),
            f(yy)
        );
        let label = if v >= 100.0 {
            format!("{v:.0}")
        } else {
            text::num(v, if v.fract() == 0.0 { 0 } else { 1 })
        };
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            f(LEFT - 6.0),
            f(yy + 4.0),
            esc(&label)
        );
    }
    let _ = writeln!(
        o,
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333333\"/>",
        f(TOP + ph),
        f(W - RIGHT),
        f(TOP + ph)
    );
    let step = n.div_ceil(8).max(1);
    for (i, l) in p.labels.iter().enumerate().step_by(step) {
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            f(x(i)),
            f(H - BOTTOM + 16.0),
            esc(l)
        );
    }
    let _ = writeln!(
        o,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#666666\">UTC; shaded: incident window</text>",
        f(W - RIGHT),
        f(H - 6.0)
    );
    // the line, broken at gaps
    let mut seg: Vec<String> = Vec::new();
    let flush = |seg: &mut Vec<String>, o: &mut String| {
        if seg.len() == 1 {
            let _ = writeln!(
                o,
                "<circle cx=\"{}\" r=\"2\" fill=\"#1f77b4\"/>",
                seg[0].replace(',', "\" cy=\"")
            );
        } else if seg.len() > 1 {
            let _ = writeln!(
                o,
                "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>",
                seg.join(" ")
            );
        }
        seg.clear();
    };
    // short gaps (sparse captures) are bridged; longer ones break the line
    let mut missing = 0usize;
    for (i, v) in vals.iter().enumerate() {
        match v {
            Some(v) => {
                if missing > MAX_BRIDGED_GAP {
                    flush(&mut seg, &mut o);
                }
                missing = 0;
                seg.push(format!("{},{}", f(x(i)), f(y(*v))));
            }
            None => missing += 1,
        }
    }
    flush(&mut seg, &mut o);
    o.push_str("</svg>\n");
    o
}
