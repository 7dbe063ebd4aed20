//! Free text: rules run in a fixed order over the text between markers
//! (cookie lines, URLs, JWTs, auth schemes, JSON pairs, `key=value`, known
//! key formats, opaque runs), each seeing what the ones before left, until
//! nothing changes.

use super::jwt::jwt_re;
use super::opaque::{credential_like, looks_opaque, looks_opaque_with};
use super::rules::{is_scheme_word, is_secret_name};
use super::{RedactionKind, Redactor};
use crate::marker::marker_re;
use regex::Regex;
use std::sync::OnceLock;

impl Redactor {
    /// Free text (error messages, summaries, bodies of unknown type):
    /// URLs, cookies, JWTs, `Bearer xxx`, secret-named `key=value` /
    /// `"key": "value"` pairs, well-known key formats, long opaque tokens.
    pub fn text(&self, s: &str) -> String {
        if !self.enabled || s.is_empty() {
            return s.to_string();
        }
        // Rules see text between markers; a redaction can change what a
        // neighbouring rule sees (a quote consumed as a closing quote is an
        // opening quote next time), so run to a fixed point. Every change
        // turns text into markers, so this ends quickly (2 rounds typically).
        if !may_hold_secret(s) {
            return s.to_string();
        }
        let mut cur = self.text_once(s);
        if cur == s {
            return cur;
        }
        for _ in 0..8 {
            let next = self.text_once(&cur);
            if next == cur {
                break;
            }
            cur = next;
        }
        cur
    }

    fn text_once(&self, s: &str) -> String {
        let c = cookie_line_re();
        let u = url_re();
        let s = map_unprotected(s, &[], |p, out| self.rule_cookie_lines(p, out));
        let s = map_unprotected(&s, &[c], |p, out| self.rule_urls(p, out));
        let s = map_unprotected(&s, &[c, u], |p, out| self.rule_jwt(p, out));
        let s = map_unprotected(&s, &[c, u], |p, out| self.rule_auth_scheme(p, out));
        let s = map_unprotected(&s, &[c, u], |p, out| self.rule_json_pairs(p, out));
        let s = map_unprotected(&s, &[c, u], |p, out| self.rule_assign(p, out));
        let s = map_unprotected(&s, &[c, u], |p, out| self.rule_known_keys(p, out));
        map_unprotected(&s, &[c, u], |p, out| self.rule_opaque(p, out))
    }

    fn rule_cookie_lines(&self, p: &str, out: &mut String) {
        replace_caps(cookie_line_re(), p, out, |c, o| {
            o.push_str(&c[1]);
            o.push_str(&c[2]);
            if c[1].eq_ignore_ascii_case("cookie") {
                o.push_str(&self.cookie_header(&c[3]));
            } else {
                o.push_str(&self.set_cookie_header(&c[3]));
            }
        });
    }

    fn rule_urls(&self, p: &str, out: &mut String) {
        replace_caps(url_re(), p, out, |c, o| {
            let whole = &c[0];
            let keep = whole.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
            o.push_str(&self.url(keep));
            o.push_str(&whole[keep.len()..]);
        });
    }

    fn rule_jwt(&self, p: &str, out: &mut String) {
        replace_caps(jwt_re(), p, out, |c, o| {
            o.push_str(&self.value(RedactionKind::Jwt, &c[0]))
        });
    }

    fn rule_auth_scheme(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r"(?i)\b(bearer|basic|token|negotiate|ntlm)(\s+)([A-Za-z0-9._~+/=-]{6,})")
                .unwrap()
        });
        replace_caps(re, p, out, |c, o| {
            o.push_str(&c[1]);
            o.push_str(&c[2]);
            let cred = &c[3];
            if credential_like(cred) {
                o.push_str(&self.value(RedactionKind::Token, cred));
            } else {
                o.push_str(cred);
            }
        });
    }

    fn rule_json_pairs(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r#""((?:[^"\\\r\n]|\\.){1,64})"(\s*:\s*)(?:"((?:[^"\\]|\\.)*)"|(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?))"#)
                .unwrap()
        });
        replace_caps(re, p, out, |c, o| {
            let name = &c[1];
            if !is_secret_name(name) {
                o.push_str(&c[0]);
                return;
            }
            o.push('"');
            o.push_str(name);
            o.push('"');
            o.push_str(&c[2]);
            o.push('"');
            if let Some(s) = c.get(3) {
                o.push_str(&self.value(RedactionKind::Body, s.as_str()));
            } else if let Some(n) = c.get(4) {
                o.push_str(&self.value(RedactionKind::Body, n.as_str()));
            }
            o.push('"');
        });
    }

    fn rule_assign(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r#"(^|[^A-Za-z0-9_.\[\]-])([A-Za-z_][A-Za-z0-9_.\[\]-]{0,63})([ \t]*=[ \t]*|[ \t]*:[ \t]*)(["']?)([^\s&"',;<>{}]+)"#)
                .unwrap()
        });
        replace_caps(re, p, out, |c, o| {
            let name = &c[2];
            let raw = &c[5];
            let val = raw.trim_end_matches(['.', ',', ')', ']', '!', '?', ':']);
            let val = if val.is_empty() { raw } else { val };
            let skip = !is_secret_name(name)
                || raw.starts_with("//")
                || (c[3].trim() == ":" && is_scheme_word(val))
                || (c[3].trim() == "="
                    && is_scheme_word(val)
                    && name.eq_ignore_ascii_case("authorization"));
            if skip {
                o.push_str(&c[0]);
                return;
            }
            o.push_str(&c[1]);
            o.push_str(name);
            o.push_str(&c[3]);
            o.push_str(&c[4]);
            o.push_str(&self.value(RedactionKind::Body, val));
            o.push_str(&raw[val.len()..]);
        });
    }

    fn rule_known_keys(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(concat!(
                r"\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}",
                r"|gh[pousr]_[A-Za-z0-9]{30,}",
                r"|github_pat_[A-Za-z0-9_]{30,}",
                r"|xox[abprs]-[A-Za-z0-9-]{10,}",
                r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
                r"|AIza[0-9A-Za-z_-]{35}",
                r"|glpat-[A-Za-z0-9_-]{20,})\b"
            ))
            .unwrap()
        });
        replace_caps(re, p, out, |c, o| {
            o.push_str(&self.value(RedactionKind::Token, &c[0]))
        });
    }

    fn rule_opaque(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| Regex::new(r"[A-Za-z0-9_+/-]{24,}={0,2}").unwrap());
        replace_caps(re, p, out, |c, o| {
            let run = &c[0];
            // A run with '/' is one token only in standard base64, whose
            // alphabet has no '-' or '_'; with those it is a path
            // (`fixtures/lab/backend-502-then-503/truth`), judged by piece.
            if run.contains('/')
                && !run.starts_with('/')
                && !run.contains("//")
                && !run.contains(['-', '_'])
                && looks_opaque_with(run, true)
            {
                o.push_str(&self.value(RedactionKind::Token, run));
                return;
            }
            for (i, piece) in run.split('/').enumerate() {
                if i > 0 {
                    o.push('/');
                }
                if looks_opaque(piece) {
                    o.push_str(&self.value(RedactionKind::Token, piece));
                } else {
                    o.push_str(piece);
                }
            }
        });
    }
}

/// Cheap pre-check for [`Redactor::text`]: every text rule needs one of
/// `: = "`, a token-like run of 16+ characters, or an auth scheme word
/// followed by a 6+ character run. Most strings in a HAR have none.
fn may_hold_secret(s: &str) -> bool {
    let b = s.as_bytes();
    if b.iter().any(|c| matches!(c, b':' | b'=' | b'"')) {
        return true;
    }
    let mut run = 0usize;
    let mut longest = 0usize;
    for &c in b {
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'/' | b'.' | b'~' | b'-') {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest >= 16 {
        return true;
    }
    longest >= 6 && {
        let l = s.to_ascii_lowercase();
        ["bearer", "basic", "token", "negotiate", "ntlm"]
            .iter()
            .any(|w| l.contains(w))
    }
}

/// Apply `f` to the pieces of `s` between markers and between matches of
/// `protect` (text an earlier rule already handled as a whole: cookie
/// lines, URLs), copying the protected parts verbatim.
pub(super) fn map_unprotected(
    s: &str,
    protect: &[&Regex],
    mut f: impl FnMut(&str, &mut String),
) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut spans: Vec<(usize, usize)> = marker_re()
        .find_iter(s)
        .map(|m| (m.start(), m.end()))
        .collect();
    if !protect.is_empty() {
        let mut extra = Vec::new();
        let mut prev = 0;
        for &(a, b) in spans.iter().chain(std::iter::once(&(s.len(), s.len()))) {
            for re in protect {
                for m in re.find_iter(&s[prev..a]) {
                    extra.push((prev + m.start(), prev + m.end()));
                }
            }
            prev = b;
        }
        spans.extend(extra);
        spans.sort_unstable();
    }
    let mut last = 0;
    for (a, b) in spans {
        if b <= last {
            continue;
        }
        let a = a.max(last);
        f(&s[last..a], &mut out);
        out.push_str(&s[a..b]);
        last = b;
    }
    f(&s[last..], &mut out);
    out
}

pub(super) fn replace_caps(
    re: &Regex,
    p: &str,
    out: &mut String,
    mut f: impl FnMut(&regex::Captures, &mut String),
) {
    let mut last = 0;
    for c in re.captures_iter(p) {
        let m = c.get(0).unwrap();
        out.push_str(&p[last..m.start()]);
        f(&c, out);
        last = m.end();
    }
    out.push_str(&p[last..]);
}

fn cookie_line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)\b(set-cookie|cookie)([ \t]*:[ \t]*)([^\r\n]+)").unwrap())
}

fn url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s"'<>\[\]\\{}|^`]+"#).unwrap()
    })
}
