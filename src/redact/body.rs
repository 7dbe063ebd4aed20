//! Bodies by type: JSON parsed and redacted by key, form bodies by
//! parameter, multipart by part name, anything else as text.

use super::text::{map_unprotected, replace_caps};
use super::{RedactionKind, Redactor, is_secret_name, marker};
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

impl Redactor {
    /// A request or response body: JSON is parsed and secret-named keys
    /// redacted (other strings through [`Redactor::text`]); form bodies by
    /// parameter; anything else (or JSON that does not parse) as text.
    pub fn body(&self, mime: &str, body: &str) -> String {
        if !self.enabled || body.is_empty() {
            return body.to_string();
        }
        let m = mime.to_ascii_lowercase();
        let t = body.trim_start();
        let jsonish = m.contains("json")
            || ((t.starts_with('{') || t.starts_with('[')) && !m.contains("html"));
        if jsonish && let Ok(mut v) = serde_json::from_str::<Value>(body) {
            if self.json_value(&mut v) {
                return serde_json::to_string(&v).unwrap_or_else(|_| self.text(body));
            }
            return body.to_string();
        }
        if m.contains("x-www-form-urlencoded") {
            return self.params(body, '&', RedactionKind::Body);
        }
        if m.contains("multipart/form-data") {
            let s = map_unprotected(body, &[], |p, out| self.rule_multipart(p, out));
            return self.text(&s);
        }
        self.text(body)
    }

    /// Redact a parsed JSON value in place: every leaf under a secret-named
    /// key, every other string through [`Redactor::text`]. Returns whether
    /// anything changed.
    pub fn json_value(&self, v: &mut Value) -> bool {
        if !self.enabled {
            return false;
        }
        match v {
            Value::String(s) => {
                let t = self.text(s);
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            Value::Array(a) => a.iter_mut().fold(false, |c, x| self.json_value(x) | c),
            Value::Object(o) => {
                let mut changed = false;
                for (k, x) in o.iter_mut() {
                    changed |= if is_secret_name(k) {
                        self.json_secret(x)
                    } else {
                        self.json_value(x)
                    };
                }
                changed
            }
            _ => false,
        }
    }

    fn json_secret(&self, v: &mut Value) -> bool {
        match v {
            Value::String(s) => {
                let t = self.value(RedactionKind::Body, s);
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            Value::Number(n) => {
                self.count(RedactionKind::Body);
                *v = Value::String(marker(&n.to_string()));
                true
            }
            Value::Array(a) => a.iter_mut().fold(false, |c, x| self.json_secret(x) | c),
            Value::Object(o) => o.values_mut().fold(false, |c, x| self.json_secret(x) | c),
            _ => false,
        }
    }

    fn rule_multipart(&self, p: &str, out: &mut String) {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r#"(?i)(content-disposition:[^\r\n]*;\s*name="([^"\r\n]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)"#)
                .unwrap()
        });
        replace_caps(re, p, out, |c, o| {
            o.push_str(&c[1]);
            if is_secret_name(&c[2]) {
                o.push_str(&self.value(RedactionKind::Body, &c[3]));
            } else {
                o.push_str(&c[3]);
            }
        });
    }
}
