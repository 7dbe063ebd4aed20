//! The one place that decides what is a secret and how it is hidden.
//!
//! Every renderer and command goes through a [`Redactor`], so a rule fixed
//! here is fixed everywhere. Outputs of faultlens get pasted into tickets
//! and chat; HAR files carry live cookies and bearer tokens. Redaction is on
//! by default; `--unsafe-include-secrets` (`Redactor::new(false)`) is the
//! only way out.
//!
//! A redacted value becomes `[REDACTED:xxxxxxxx]`: the first 8 hex digits
//! of SHA-256 over the (percent-decoded) value. The same secret gives the
//! same marker in every output, so "this token was reused across 40
//! requests" stays visible without the token. JWTs keep their
//! non-identifying parts in the marker (`alg`, `typ`, issuer host, `exp`,
//! `iat`, `nbf`); the signature and identifying claims are dropped.
//! The hash is unsalted (stability across runs is the point), so a short,
//! guessable password can be confirmed by someone who already guesses it.
//!
//! Rules never build regexes from data (cookie names like `a.b*c[1]` are
//! split by hand), and markers are fixed points: every rule skips text that
//! is already a marker, so redacting twice equals redacting once.
//!
//! The submodules follow the seams of the job: `rules` says which names
//! are secret, `opaque` which values look like credentials, `jwt` and
//! `codec` read what tokens carry, `split` cuts text without cutting a
//! marker, and `url`, `text`, `body` apply all that to one kind of input.
//! The marker's own format lives in [`crate::marker`], so stages below the
//! report can recognise one without importing the redactor.

mod body;
mod codec;
mod jwt;
mod opaque;
mod rules;
mod split;
mod text;
mod url;

pub use crate::marker::{MARKER_PREFIX, is_marker, marker};
pub use codec::{b64_decode, b64_encode, percent_decode};
pub use jwt::{is_jwt, jwt_marker};
pub use opaque::looks_opaque;
pub use rules::{is_secret_header, is_secret_name};

use regex::Regex;
use serde::Serialize;
use split::{split_all_outside, split_first_outside};
use std::borrow::Cow;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a redaction happened; counted in [`RedactionStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactionKind {
    /// An auth-like header value (Authorization, X-API-Key, ...).
    Header,
    /// One cookie value (Cookie / Set-Cookie headers, HAR cookies arrays).
    Cookie,
    /// A URL query (or matrix / fragment) parameter value.
    Query,
    /// A JSON Web Token, wherever it was found.
    Jwt,
    /// An opaque blob in a URL path segment.
    Path,
    /// A secret-named key in a JSON or form body, or `key=value` in text.
    Body,
    /// `user:password@` in a URL authority.
    Userinfo,
    /// A free-standing token in text: `Bearer xxx`, AWS keys, long opaque strings.
    Token,
}

impl RedactionKind {
    pub const ALL: [RedactionKind; 8] = [
        RedactionKind::Header,
        RedactionKind::Cookie,
        RedactionKind::Query,
        RedactionKind::Jwt,
        RedactionKind::Path,
        RedactionKind::Body,
        RedactionKind::Userinfo,
        RedactionKind::Token,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RedactionKind::Header => "header",
            RedactionKind::Cookie => "cookie",
            RedactionKind::Query => "query",
            RedactionKind::Jwt => "jwt",
            RedactionKind::Path => "path",
            RedactionKind::Body => "body",
            RedactionKind::Userinfo => "userinfo",
            RedactionKind::Token => "token",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How many values were redacted, per kind. Never holds a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RedactionStats {
    pub header: u64,
    pub cookie: u64,
    pub query: u64,
    pub jwt: u64,
    pub path: u64,
    pub body: u64,
    pub userinfo: u64,
    pub token: u64,
}

impl RedactionStats {
    pub fn get(&self, kind: RedactionKind) -> u64 {
        match kind {
            RedactionKind::Header => self.header,
            RedactionKind::Cookie => self.cookie,
            RedactionKind::Query => self.query,
            RedactionKind::Jwt => self.jwt,
            RedactionKind::Path => self.path,
            RedactionKind::Body => self.body,
            RedactionKind::Userinfo => self.userinfo,
            RedactionKind::Token => self.token,
        }
    }

    fn slot(&mut self, kind: RedactionKind) -> &mut u64 {
        match kind {
            RedactionKind::Header => &mut self.header,
            RedactionKind::Cookie => &mut self.cookie,
            RedactionKind::Query => &mut self.query,
            RedactionKind::Jwt => &mut self.jwt,
            RedactionKind::Path => &mut self.path,
            RedactionKind::Body => &mut self.body,
            RedactionKind::Userinfo => &mut self.userinfo,
            RedactionKind::Token => &mut self.token,
        }
    }

    pub fn total(&self) -> u64 {
        RedactionKind::ALL.iter().map(|k| self.get(*k)).sum()
    }

    /// `(kind name, count)` in a fixed order, zero counts included.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        RedactionKind::ALL.iter().map(|k| (k.name(), self.get(*k)))
    }

    pub fn merge(&mut self, other: &RedactionStats) {
        for k in RedactionKind::ALL {
            *self.slot(k) += other.get(k);
        }
    }
}

/// Redacts secrets out of header values, URLs, bodies and free text.
/// `Sync`: counters are atomics, so one redactor can serve rayon workers.
#[derive(Debug)]
pub struct Redactor {
    enabled: bool,
    counts: [AtomicU64; 8],
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(true)
    }
}

impl Redactor {
    /// `enabled = false` only for `--unsafe-include-secrets`: every method
    /// then returns its input unchanged.
    pub fn new(enabled: bool) -> Self {
        Redactor {
            enabled,
            counts: Default::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts so far (a snapshot).
    pub fn stats(&self) -> RedactionStats {
        let mut s = RedactionStats::default();
        for k in RedactionKind::ALL {
            *s.slot(k) = self.counts[k.index()].load(Ordering::Relaxed);
        }
        s
    }

    fn count(&self, kind: RedactionKind) {
        self.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Replace a whole value known to be secret. A JWT becomes a JWT
    /// marker (counted as `jwt`); an existing marker or an empty value is
    /// kept. Surrounding whitespace is kept outside the marker.
    pub fn value(&self, kind: RedactionKind, v: &str) -> String {
        if !self.enabled {
            return v.to_string();
        }
        let core = v.trim();
        if core.is_empty() || is_marker(core) {
            return v.to_string();
        }
        let lead = &v[..v.len() - v.trim_start().len()];
        let trail = &v[v.trim_end().len()..];
        let m = if is_jwt(core) {
            self.count(RedactionKind::Jwt);
            jwt_marker(core)
        } else {
            self.count(kind);
            marker(core)
        };
        format!("{lead}{m}{trail}")
    }

    /// A cookie value (HAR `cookies[].value`): always redacted.
    pub fn cookie_value(&self, v: &str) -> String {
        self.value(RedactionKind::Cookie, v)
    }

    /// A header value, by header name. Cookies keep their names, auth
    /// headers keep their scheme (`Bearer [REDACTED:..]`), URL-carrying
    /// headers go through [`Redactor::url`], the rest through
    /// [`Redactor::text`].
    pub fn header_value<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(value);
        }
        let lname = name.trim().to_ascii_lowercase();
        let out = match lname.as_str() {
            "cookie" => self.cookie_header(value),
            "set-cookie" => self.set_cookie_header(value),
            "referer" | "referrer" | "location" | "content-location" | "origin" | ":path" => {
                self.url(value)
            }
            _ if is_secret_header(&lname) => self.auth_value(value),
            _ => self.text(value),
        };
        if out == value {
            Cow::Borrowed(value)
        } else {
            Cow::Owned(out)
        }
    }

    fn auth_value(&self, value: &str) -> String {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r"(?i)^(\s*)(bearer|basic|digest|negotiate|ntlm|token|aws4-hmac-sha256|hoba|mutual|dpop|mac|oauth|apikey|sso-key)(\s+)(.*)$").unwrap()
        });
        if let Some(c) = re.captures(value) {
            let rest = c.get(4).map_or("", |m| m.as_str());
            if !rest.trim().is_empty() {
                let end = c.get(3).map_or(0, |m| m.end());
                return format!(
                    "{}{}",
                    &value[..end],
                    self.value(RedactionKind::Header, rest)
                );
            }
        }
        self.value(RedactionKind::Header, value)
    }

    /// `Cookie: a=1; b.c*[2]=2` -> every value redacted, names kept.
    pub fn cookie_header(&self, value: &str) -> String {
        if !self.enabled {
            return value.to_string();
        }
        let mut out = String::with_capacity(value.len());
        for (i, part) in split_all_outside(value, ';').into_iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            self.cookie_pair(part, &mut out);
        }
        out
    }

    /// `name=value` with the value redacted; a bare value is redacted whole.
    fn cookie_pair(&self, pair: &str, out: &mut String) {
        match split_first_outside(pair, '=') {
            Some((n, v)) => {
                out.push_str(n);
                out.push('=');
                out.push_str(&self.value(RedactionKind::Cookie, v));
            }
            None => out.push_str(&self.value(RedactionKind::Cookie, pair)),
        }
    }

    /// `Set-Cookie: sid=abc; Path=/; HttpOnly` -> only the value of the
    /// first pair; one cookie per line (HAR joins several with `\n`).
    pub fn set_cookie_header(&self, value: &str) -> String {
        if !self.enabled {
            return value.to_string();
        }
        let mut out = String::with_capacity(value.len());
        for (i, line) in value.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let (first, attrs) = match split_first_outside(line, ';') {
                Some((f, a)) => (f, Some(a)),
                None => (line, None),
            };
            self.cookie_pair(first, &mut out);
            if let Some(a) = attrs {
                out.push(';');
                out.push_str(a);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
