//! Terminal renderer (placeholder until the report work lands).

use super::Report;

pub struct TableOptions {
    pub color: bool,
    pub width: Option<u16>,
}

pub fn render(r: &Report, _o: &TableOptions) -> String {
    format!(
        "verdict: {} ({:.2}) {}\n{}\n",
        r.verdict.fault_domain.as_str(),
        r.verdict.confidence,
        r.verdict.scope,
        r.verdict.summary
    )
}
