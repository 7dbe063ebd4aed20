//! Redaction of one parsed HAR value: an entry, a page, or any other
//! value of the document (creator, comment, unknown keys).
//!
//! Why apart from the walk: it has no state but the shared [`Redactor`],
//! so the walk can redact the entries of a block on all cores; and it
//! knows the HAR's fields (headers, cookies, query strings, post data,
//! bodies) where the walk knows only brackets.

use crate::ingest::har::walk::Element;
use crate::redact::{RedactionKind, Redactor, b64_decode, b64_encode, is_secret_name};
use serde_json::Value;

/// Redaction of one parsed value; no shared state but the redactor, so
/// entries can be processed on several threads.
pub(super) struct Work<'a> {
    pub(super) r: &'a Redactor,
    pub(super) drop_bodies: bool,
    pub(super) bodies_dropped: u64,
}

impl Work<'_> {
    pub(super) fn entry(&mut self, e: &mut Value) -> bool {
        let Some(obj) = e.as_object_mut() else {
            return false;
        };
        let mut changed = false;
        for (k, x) in obj.iter_mut() {
            changed |= match k.as_str() {
                "request" | "response" => self.message(x),
                _ => self.generic(k, x),
            };
        }
        changed
    }

    fn message(&mut self, m: &mut Value) -> bool {
        let Some(obj) = m.as_object_mut() else {
            return self.generic("", m);
        };
        let mut changed = false;
        for (k, x) in obj.iter_mut() {
            changed |= match k.as_str() {
                "url" | "redirectURL" => self.map_str(x, |r, s| r.url(s)),
                "headers" => self.pairs(x, |r, n, v| r.header_value(n, v).into_owned()),
                "queryString" => self.pairs(x, |r, n, v| r.query_param(n, v)),
                "cookies" => self.pairs(x, |r, _, v| r.cookie_value(v)),
                "postData" => self.post_data(x),
                "content" => self.content(x),
                _ => self.generic(k, x),
            };
        }
        changed
    }

    fn map_str(&mut self, x: &mut Value, f: impl Fn(&Redactor, &str) -> String) -> bool {
        match x {
            Value::String(s) => {
                let t = f(self.r, s);
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            _ => self.generic("", x),
        }
    }

    /// Arrays of `{name, value, ...}`: `value` through `f`, the name kept,
    /// any other field generic.
    fn pairs(&mut self, x: &mut Value, f: impl Fn(&Redactor, &str, &str) -> String) -> bool {
        let Value::Array(items) = x else {
            return self.generic("", x);
        };
        let mut changed = false;
        for item in items.iter_mut() {
            let Some(o) = item.as_object_mut() else {
                changed |= self.generic("", item);
                continue;
            };
            let name = o
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            for (k, v) in o.iter_mut() {
                changed |= match (k.as_str(), &mut *v) {
                    ("name", Value::String(_)) => false,
                    ("value", Value::String(s)) => {
                        let t = f(self.r, &name, s);
                        if t != *s {
                            *s = t;
                            true
                        } else {
                            false
                        }
                    }
                    _ => self.generic(k, v),
                };
            }
        }
        changed
    }

    fn post_data(&mut self, x: &mut Value) -> bool {
        let Some(o) = x.as_object_mut() else {
            return self.generic("", x);
        };
        let mime = o
            .get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut changed = false;
        for (k, v) in o.iter_mut() {
            changed |= match k.as_str() {
                "text" => self.map_str(v, |r, s| r.body(&mime, s)),
                "params" => self.pairs(v, |r, n, val| r.form_param(n, val)),
                "mimeType" => false,
                _ => self.generic(k, v),
            };
        }
        changed
    }

    fn content(&mut self, x: &mut Value) -> bool {
        let Some(o) = x.as_object_mut() else {
            return self.generic("", x);
        };
        let mime = o
            .get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let base64 = o.get("encoding").and_then(Value::as_str) == Some("base64");
        let droppable = ["html", "javascript", "ecmascript", "css"]
            .iter()
            .any(|m| mime.contains(m));
        let mut changed = false;
        if self.drop_bodies
            && droppable
            && o.get("text")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
        {
            o.insert("text".into(), Value::String(String::new()));
            o.insert(
                "comment".into(),
                Value::String("body dropped by faultlens sanitize --drop-bodies".into()),
            );
            self.bodies_dropped += 1;
            changed = true;
        }
        let textual = mime.is_empty()
            || [
                "json",
                "text",
                "javascript",
                "ecmascript",
                "xml",
                "x-www-form-urlencoded",
                "html",
                "css",
            ]
            .iter()
            .any(|m| mime.contains(m));
        for (k, v) in o.iter_mut() {
            changed |= match (k.as_str(), &mut *v) {
                ("text", Value::String(s)) if base64 => {
                    // Decode textual bodies, redact, re-encode; binary stays.
                    match b64_decode(s).map(String::from_utf8) {
                        Some(Ok(plain)) if textual => {
                            let red = self.r.body(&mime, &plain);
                            if red != plain {
                                *s = b64_encode(red.as_bytes());
                                true
                            } else {
                                false
                            }
                        }
                        _ => false,
                    }
                }
                ("text", Value::String(s)) => {
                    let red = self.r.body(&mime, s);
                    if red != *s {
                        *s = red;
                        true
                    } else {
                        false
                    }
                }
                ("mimeType" | "encoding" | "comment", _) => false,
                _ => self.generic(k, v),
            };
        }
        changed
    }

    /// Any other JSON: secret-named keys redacted whole, URL-ish keys as
    /// URLs, `text`/`data` as bodies, other strings as text.
    pub(super) fn generic(&mut self, key: &str, x: &mut Value) -> bool {
        let r = self.r;
        match x {
            Value::String(s) => {
                let lk = key.to_ascii_lowercase();
                let t = if !key.is_empty() && is_secret_name(key) {
                    r.value(RedactionKind::Body, s)
                } else if lk == "url" || lk.ends_with("url") || lk == "href" {
                    r.url(s)
                } else if lk == "data" || lk == "text" {
                    r.body("", s)
                } else {
                    r.text(s)
                };
                if t != *s {
                    *s = t;
                    true
                } else {
                    false
                }
            }
            Value::Number(_) if !key.is_empty() && is_secret_name(key) => {
                let mut wrapped =
                    Value::Object(serde_json::Map::from_iter([(key.to_string(), x.clone())]));
                if r.json_value(&mut wrapped) {
                    *x = wrapped[key].take();
                    true
                } else {
                    false
                }
            }
            Value::Array(a) => {
                let mut changed = false;
                for y in a.iter_mut() {
                    changed |= self.generic(key, y);
                }
                changed
            }
            Value::Object(o) => {
                let mut changed = false;
                for (k, y) in o.iter_mut() {
                    changed |= self.generic(k, y);
                }
                changed
            }
            _ => false,
        }
    }
}

/// Redaction as the HAR walk's action on each element of `log.entries`
/// or `log.pages`; runs on all cores.
pub(super) struct Redacting<'a> {
    pub(super) r: &'a Redactor,
    pub(super) drop_bodies: bool,
    /// Entries (else pages).
    pub(super) entry: bool,
    /// Larger elements end the sanitize.
    pub(super) limit: usize,
}

/// What became of one element.
pub(super) enum Redacted {
    /// The bytes to write (the input's own when nothing changed) and the
    /// number of bodies dropped.
    Kept(Vec<u8>, u64),
    /// Not a JSON object: left out.
    Dropped,
    /// Over the limit.
    TooLarge,
}

impl Element for Redacting<'_> {
    type Out = Redacted;
    type View<'a> = Value;

    fn parsed(&self, v: Value, raw: &[u8]) -> Redacted {
        if raw.len() > self.limit {
            return Redacted::TooLarge;
        }
        self.redact(v, raw)
    }

    fn rejected(&self, raw: &[u8]) -> Redacted {
        if raw.len() > self.limit {
            return Redacted::TooLarge;
        }
        match serde_json::from_slice(raw) {
            Ok(v) => self.redact(v, raw),
            Err(_) => Redacted::Dropped,
        }
    }
}

impl Redacting<'_> {
    /// Redact and re-serialize one element (copied verbatim when nothing
    /// changed).
    fn redact(&self, mut v: Value, raw: &[u8]) -> Redacted {
        if !v.is_object() {
            return Redacted::Dropped;
        }
        let mut w = Work {
            r: self.r,
            drop_bodies: self.drop_bodies,
            bodies_dropped: 0,
        };
        let changed = if self.entry {
            w.entry(&mut v)
        } else {
            w.generic("", &mut v)
        };
        let out = if changed {
            serde_json::to_vec(&v).unwrap_or_else(|_| raw.to_vec())
        } else {
            raw.to_vec()
        };
        Redacted::Kept(out, w.bodies_dropped)
    }
}
