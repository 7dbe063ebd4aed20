//! Which names hold secrets: parameter / JSON key / cookie names by their
//! words, header names, auth scheme words. Lists, not regexes built from
//! data.

use crate::marker::MARKER_PREFIX;

pub(super) fn is_scheme_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "bearer" | "basic" | "digest" | "negotiate" | "ntlm" | "token" | "aws4-hmac-sha256"
    )
}

/// Split a name into lowercase words at separators and camelCase bumps:
/// `X-Amz-Signature` -> x, amz, signature; `SAMLResponse` -> saml, response.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

const SECRET_WORDS: &[&str] = &[
    "token",
    "tokens",
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
    "secret",
    "secrets",
    "key",
    "apikey",
    "sig",
    "signature",
    "session",
    "sessionid",
    "sessid",
    "sid",
    "auth",
    "authorization",
    "jwt",
    "credential",
    "credentials",
    "cookie",
    "csrf",
    "xsrf",
    "otp",
    "totp",
    "mfa",
    "pin",
    "verifier",
    "assertion",
    "ticket",
    "bearer",
    "saml",
    "privatekey",
    "accesskey",
    "secretkey",
];
const SECRET_SUBSTRINGS: &[&str] = &[
    "token",
    "passw",
    "secret",
    "apikey",
    "sessionid",
    "sessid",
    "jwt",
    "csrf",
    "xsrf",
    "credential",
    "signature",
    "privatekey",
    "accesskey",
    "samlresponse",
    "samlrequest",
    "authorization",
];
const NOT_SECRET_WORDS: &[&str] = &[
    "type",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "length",
    "count",
    "url",
    "uri",
    "endpoint",
    "method",
    "hint",
    "format",
    "version",
    "mode",
    "enabled",
    "present",
    "required",
    "policy",
    "name",
    "names",
    "timeout",
    "status",
    "error",
    "errors",
];

/// Does a parameter / JSON key / cookie attribute name look like it holds a
/// secret? Word-based, so `keyboard`, `monkey`, `author`, `zipcode` do not.
pub fn is_secret_name(name: &str) -> bool {
    if name.contains(MARKER_PREFIX) {
        return false;
    }
    let words = name_words(name);
    if words.is_empty() {
        return false;
    }
    let compact: String = words.concat();
    if compact == "code" {
        return true;
    }
    let hit = words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || SECRET_SUBSTRINGS.iter().any(|s| compact.contains(s));
    if !hit {
        return false;
    }
    !(words.len() > 1 && words.iter().any(|w| NOT_SECRET_WORDS.contains(&w.as_str())))
}

/// Does a header name carry credentials? Lowercase or not.
pub fn is_secret_header(name: &str) -> bool {
    let l = name.trim().to_ascii_lowercase();
    if matches!(
        l.as_str(),
        ":authority"
            | "www-authenticate"
            | "proxy-authenticate"
            | "vary"
            | "accept-ch"
            | "keep-alive"
    ) || l.starts_with("access-control-")
    {
        return false;
    }
    is_secret_name(&l)
        || [
            "token",
            "auth",
            "secret",
            "session",
            "signature",
            "password",
            "csrf",
            "xsrf",
            "api-key",
            "apikey",
            "credential",
            "cookie",
        ]
        .iter()
        .any(|s| l.contains(s))
}
