//! URLs: userinfo, query / matrix / fragment parameters by name and by
//! value, and path segments that are tokens (a file name keeps its
//! extension, static assets are never tokens).

use super::codec::{percent_decode, percent_encode};
use super::opaque::looks_opaque;
use super::split::{
    find_outside, inside, marker_spans, rfind_outside, split_all_outside, split_first_outside,
};
use super::{RedactionKind, Redactor, is_jwt, is_marker, is_secret_name};
use regex::Regex;
use std::sync::OnceLock;

impl Redactor {
    /// A URL: userinfo, secret-named query / matrix / fragment parameters,
    /// JWTs and opaque blobs in path segments and parameter values.
    pub fn url(&self, url: &str) -> String {
        if !self.enabled {
            return url.to_string();
        }
        let (before_frag, frag) = match split_first_outside(url, '#') {
            Some((a, b)) => (a, Some(b)),
            None => (url, None),
        };
        let (before_q, query) = match split_first_outside(before_frag, '?') {
            Some((a, b)) => (a, Some(b)),
            None => (before_frag, None),
        };
        let mut out = String::with_capacity(url.len());
        let path = match scheme_end(before_q) {
            Some(se) => {
                out.push_str(&before_q[..se]);
                let rest = &before_q[se..];
                let auth_end = find_outside(rest, '/').unwrap_or(rest.len());
                let authority = &rest[..auth_end];
                match rfind_outside(authority, '@') {
                    Some(at) => {
                        out.push_str(&self.value(RedactionKind::Userinfo, &authority[..at]));
                        out.push_str(&authority[at..]);
                    }
                    None => out.push_str(authority),
                }
                &rest[auth_end..]
            }
            None => before_q,
        };
        // A URL embedded in the path (`/proxy/https://u:p@host/...`) is a URL,
        // also right after an encoded `=` (`token%3Dhttps://...`, which is
        // how a redacted `token=https://...` segment comes back: the same
        // URL must be found on a second pass, or redaction is not idempotent)
        static SCHEME: OnceLock<Regex> = OnceLock::new();
        let scheme = SCHEME
            .get_or_init(|| Regex::new(r"(?:\b|%3[Dd])([A-Za-z][A-Za-z0-9+.-]{1,15}://)").unwrap());
        let spans = marker_spans(path);
        let found = scheme
            .captures_iter(path)
            .filter_map(|c| c.get(1))
            .find(|m| !inside(&spans, m.start()));
        let (path, embedded) = match found {
            Some(m) => (&path[..m.start()], Some(&path[m.start()..])),
            None => (path, None),
        };
        for (i, seg) in split_all_outside(path, '/').into_iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.push_str(&self.path_segment(seg));
        }
        if let Some(e) = embedded {
            out.push_str(&self.url(e));
        }
        if let Some(q) = query {
            out.push('?');
            out.push_str(&self.params(q, '&', RedactionKind::Query));
        }
        if let Some(f) = frag {
            out.push('#');
            out.push_str(&self.text(f));
        }
        out
    }

    /// `a=1&token=x` -> parameters redacted by name and value (a query,
    /// matrix parameters or a form body, by `sep` and `kind`).
    pub(super) fn params(&self, q: &str, sep: char, kind: RedactionKind) -> String {
        let mut out = String::with_capacity(q.len());
        for (i, p) in split_all_outside(q, sep).into_iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            match split_first_outside(p, '=') {
                Some((n, v)) => {
                    let n = self.bare_value(kind, n);
                    out.push_str(&n);
                    out.push('=');
                    out.push_str(&self.param(kind, &n, v));
                }
                None => out.push_str(&self.bare_value(kind, p)),
            }
        }
        out
    }

    /// One query / form parameter value, given its (raw) name.
    pub fn query_param(&self, name: &str, value: &str) -> String {
        self.param(RedactionKind::Query, name, value)
    }

    /// One form-body parameter (HAR `postData.params`).
    pub fn form_param(&self, name: &str, value: &str) -> String {
        self.param(RedactionKind::Body, name, value)
    }

    fn param(&self, kind: RedactionKind, name: &str, value: &str) -> String {
        if !self.enabled || value.is_empty() || is_marker(value) {
            return value.to_string();
        }
        if is_secret_name(&percent_decode(name)) {
            return self.value(kind, value);
        }
        self.bare_value(kind, value)
    }

    /// A value under a non-secret name: JWTs, opaque blobs, and secrets
    /// inside nested URLs (`redirect_uri=https%3A%2F%2F..%3Ftoken%3D..`).
    fn bare_value(&self, kind: RedactionKind, value: &str) -> String {
        if value.is_empty() || is_marker(value) {
            return value.to_string();
        }
        let decoded = percent_decode(value);
        if is_jwt(&decoded) || looks_opaque(&decoded) {
            return self.value(kind, value);
        }
        if decoded.contains("://")
            || decoded.contains('=')
            || decoded.contains("eyJ")
            || decoded.contains(' ')
        {
            let t = self.text(&decoded);
            if t != decoded.as_ref() {
                return if decoded.as_ref() == value {
                    t
                } else {
                    percent_encode(&t)
                };
            }
        }
        value.to_string()
    }

    fn path_segment(&self, seg: &str) -> String {
        if seg.is_empty() || is_marker(seg) {
            return seg.to_string();
        }
        if let Some((s, params)) = split_first_outside(seg, ';') {
            // matrix parameters: /app;jsessionid=ABC
            return format!(
                "{};{}",
                self.path_segment(s),
                self.params(params, ';', RedactionKind::Query)
            );
        }
        let decoded = percent_decode(seg);
        if is_jwt(&decoded) {
            return self.value(RedactionKind::Path, seg);
        }
        if let Some((stem, ext)) = file_parts(&decoded) {
            if is_static_ext(ext) {
                return seg.to_string();
            }
            if looks_opaque(stem) {
                let raw_ext_at = seg.rfind('.').unwrap_or(seg.len());
                return format!(
                    "{}{}",
                    self.value(RedactionKind::Path, &seg[..raw_ext_at]),
                    &seg[raw_ext_at..]
                );
            }
            return seg.to_string();
        }
        if looks_opaque(&decoded) {
            return self.value(RedactionKind::Path, seg);
        }
        if decoded.contains("eyJ") {
            return self.text(seg);
        }
        seg.to_string()
    }
}

/// `name.ext` where ext is 1-5 letters/digits: returns (stem, ext).
fn file_parts(seg: &str) -> Option<(&str, &str)> {
    let dot = seg.rfind('.')?;
    let (stem, ext) = (&seg[..dot], &seg[dot + 1..]);
    (!stem.is_empty()
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|c| c.is_ascii_alphanumeric())
        && ext.bytes().any(|c| c.is_ascii_alphabetic()))
    .then_some((stem, ext))
}

fn is_static_ext(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "js" | "mjs"
            | "css"
            | "map"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "svg"
            | "webp"
            | "avif"
            | "ico"
            | "woff"
            | "woff2"
            | "ttf"
            | "otf"
            | "eot"
            | "html"
            | "htm"
            | "wasm"
            | "json"
            | "txt"
            | "xml"
    )
}

fn scheme_end(s: &str) -> Option<usize> {
    let i = s.find("://")?;
    let scheme = &s[..i];
    (!scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')))
    .then_some(i + 3)
}
