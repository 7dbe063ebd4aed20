//! Markdown post-incident summary. It follows the shape of common
//! post-mortem templates (summary, impact, verdict, what it is / is not,
//! timeline, evidence, charts, next steps, data coverage) because that is
//! what the people who read it already know how to scan. Every byte comes
//! from the report: no wall-clock time unless `generated_at` is set.
//!
//! The sections live by what they do: `prose` argues (title, impact,
//! verdict, what it is, next steps), `timeline` orders what happened,
//! `data` lays the data out (evidence, load-test runs, coverage),
//! `mermaid` draws the charts. The table, cell and inline-text writers
//! below are shared by every section, so each escapes text the same way.

mod data;
mod mermaid;
mod prose;
mod timeline;

pub use super::chart::{MAX_POINTS, Points, downsample};
pub use mermaid::svg_charts;

use super::Report;

/// Escape a table cell: `|` would end the cell, a newline the row.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(ch),
        }
    }
    out
}

/// `one` for a count of 1, else `many` ("file was" / "files were").
fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Inline text outside tables: newlines folded into spaces.
fn inline(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for c in cells {
        out.push(' ');
        out.push_str(&cell(c));
        out.push_str(" |");
    }
    out.push('\n');
}

fn table(out: &mut String, header: &[&str], align_right: &[bool], rows: &[Vec<String>]) {
    row(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    out.push('|');
    for i in 0..header.len() {
        out.push_str(if align_right.get(i).copied().unwrap_or(false) {
            " ---: |"
        } else {
            " --- |"
        });
    }
    out.push('\n');
    for r in rows {
        debug_assert_eq!(r.len(), header.len());
        row(out, r);
    }
    out.push('\n');
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    prose::title(&mut o, r);
    prose::impact(&mut o, r);
    prose::verdict(&mut o, r);
    prose::what_it_is(&mut o, r);
    timeline::timeline(&mut o, r);
    data::evidence(&mut o, r);
    mermaid::charts(&mut o, r);
    prose::next_steps(&mut o, r);
    data::runs(&mut o, r);
    data::coverage(&mut o, r);
    // exactly one trailing newline
    while o.ends_with("\n\n") {
        o.pop();
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_cells() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
    }
}
