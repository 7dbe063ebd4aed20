//! JSON renderer: the contract's fields (schema in docs/json-schema.md),
//! pretty-printed with a trailing newline, keys in declaration order.

use super::Report;

pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}
