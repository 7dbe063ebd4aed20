//! Markdown renderer (placeholder until the report work lands).

use super::Report;

pub fn render(r: &Report) -> String {
    format!("# Incident summary\n\n{}\n", r.verdict.summary)
}

/// SVG charts (name, svg) for `report --svg`.
pub fn svg_charts(_r: &Report) -> Vec<(String, String)> {
    Vec::new()
}
