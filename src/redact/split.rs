//! Splitting at separators that are not inside a marker: a marker's own
//! `:` and `=` must never be read as a URL's or a cookie's.

use crate::marker::{MARKER_PREFIX, marker_re};

pub(super) fn marker_spans(s: &str) -> Vec<(usize, usize)> {
    if !s.contains(MARKER_PREFIX) {
        return Vec::new();
    }
    marker_re()
        .find_iter(s)
        .map(|m| (m.start(), m.end()))
        .collect()
}

pub(super) fn inside(spans: &[(usize, usize)], i: usize) -> bool {
    spans.iter().any(|&(a, b)| i > a && i < b)
}

pub(super) fn find_outside(s: &str, ch: char) -> Option<usize> {
    let spans = marker_spans(s);
    s.match_indices(ch)
        .map(|(i, _)| i)
        .find(|&i| !inside(&spans, i))
}

pub(super) fn rfind_outside(s: &str, ch: char) -> Option<usize> {
    let spans = marker_spans(s);
    s.rmatch_indices(ch)
        .map(|(i, _)| i)
        .find(|&i| !inside(&spans, i))
}

/// Split at the first `ch` that is not inside a marker.
pub(super) fn split_first_outside(s: &str, ch: char) -> Option<(&str, &str)> {
    let i = find_outside(s, ch)?;
    Some((&s[..i], &s[i + ch.len_utf8()..]))
}

/// Split at every `ch` not inside a marker.
pub(super) fn split_all_outside(s: &str, ch: char) -> Vec<&str> {
    let spans = marker_spans(s);
    let mut parts = Vec::new();
    let mut last = 0;
    for (i, _) in s.match_indices(ch) {
        if !inside(&spans, i) {
            parts.push(&s[last..i]);
            last = i + ch.len_utf8();
        }
    }
    parts.push(&s[last..]);
    parts
}
