//! Edge hints from response headers: which CDN served a request and
//! whether its cache hit.
//!
//! Only the headers that name a CDN are kept, folded while serde reads the
//! header list; every other header (cookies, authorization, ...) is dropped
//! there and then, so no secret outlives the parse.

use super::schema::Text;
use crate::model::EdgeHints;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct EdgeHeaders {
    server: Option<String>,
    via: Option<String>,
    x_cache: Option<String>,
    cf_cache_status: Option<String>,
    other_cache: Option<String>,
    served_by: Option<String>,
    pub(super) content_type: Option<String>,
    cloudflare: bool,
    cloudfront: bool,
    akamai: bool,
    fastly: bool,
    vercel: bool,
    netlify: bool,
}

pub(super) fn short_lower(v: &str) -> String {
    let v = v.trim();
    let end = v.char_indices().nth(96).map_or(v.len(), |(i, _)| i);
    v[..end].to_ascii_lowercase()
}

impl EdgeHeaders {
    fn add(&mut self, name: &str, value: &str) {
        let n = name.trim();
        let eq = |s: &str| n.eq_ignore_ascii_case(s);
        // byte-wise: a header name is not always ASCII in a hostile file
        let starts = |p: &str| {
            n.as_bytes()
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
        };
        if eq("server") {
            self.server.get_or_insert_with(|| short_lower(value));
        } else if eq("via") {
            self.via.get_or_insert_with(|| short_lower(value));
        } else if eq("x-cache") {
            self.x_cache.get_or_insert_with(|| short_lower(value));
        } else if eq("cf-cache-status") {
            self.cloudflare = true;
            self.cf_cache_status
                .get_or_insert_with(|| short_lower(value));
        } else if eq("cf-ray") {
            self.cloudflare = true;
        } else if eq("x-amz-cf-id") || eq("x-amz-cf-pop") {
            self.cloudfront = true;
        } else if eq("x-served-by") {
            self.served_by.get_or_insert_with(|| short_lower(value));
        } else if starts("x-fastly") || starts("fastly-") {
            self.fastly = true;
        } else if starts("x-akamai") || starts("akamai-") || eq("x-check-cacheable") {
            self.akamai = true;
        } else if eq("x-vercel-cache") || eq("x-vercel-id") {
            self.vercel = true;
            if eq("x-vercel-cache") {
                self.other_cache.get_or_insert_with(|| short_lower(value));
            }
        } else if eq("x-nf-request-id") {
            self.netlify = true;
        } else if eq("x-cache-status") || eq("x-proxy-cache") || eq("cdn-cache") {
            self.other_cache.get_or_insert_with(|| short_lower(value));
        } else if eq("content-type") {
            self.content_type.get_or_insert_with(|| short_lower(value));
        }
    }

    pub(super) fn hints(&self, cdn_provider: Option<&str>, status: i32) -> EdgeHints {
        let has = |o: &Option<String>, s: &str| o.as_deref().is_some_and(|v| v.contains(s));
        let provider = if let Some(p) = cdn_provider {
            Some(p.to_ascii_lowercase())
        } else if self.cloudflare || has(&self.server, "cloudflare") {
            Some("cloudflare".to_string())
        } else if self.cloudfront
            || has(&self.via, "cloudfront")
            || has(&self.x_cache, "cloudfront")
        {
            Some("cloudfront".to_string())
        } else if self.akamai || has(&self.server, "akamai") || has(&self.x_cache, "akamai") {
            Some("akamai".to_string())
        } else if self.fastly
            || self
                .served_by
                .as_deref()
                .is_some_and(|v| v.starts_with("cache-"))
            || has(&self.via, "varnish") && self.served_by.is_some()
        {
            Some("fastly".to_string())
        } else if self.vercel || has(&self.server, "vercel") {
            Some("vercel".to_string())
        } else if self.netlify || has(&self.server, "netlify") {
            Some("netlify".to_string())
        } else if has(&self.server, "ecacc") || has(&self.server, "ecs (") {
            Some("edgecast".to_string())
        } else if has(&self.server, "bunnycdn") {
            Some("bunnycdn".to_string())
        } else {
            None
        };
        let cache = self
            .cf_cache_status
            .clone()
            .or_else(|| self.x_cache.clone())
            .or_else(|| self.other_cache.clone())
            .or_else(|| {
                // Akamai's own error pages (origin unreachable, timed out)
                // carry no cache header but name the edge software in
                // `Server`; an origin's 5xx passed through keeps the
                // origin's. Worded as CloudFront words its own.
                (status >= 500 && has(&self.server, "akamaighost"))
                    .then(|| "error from akamaighost".to_string())
            });
        EdgeHints { provider, cache }
    }
}

impl<'de> Deserialize<'de> for EdgeHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Header<'a> {
            #[serde(borrow, default)]
            name: Text<'a>,
            #[serde(borrow, default)]
            value: Text<'a>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EdgeHeaders;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of headers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<EdgeHeaders, A::Error> {
                let mut h = EdgeHeaders::default();
                while let Some(x) = a.next_element::<Header<'de>>()? {
                    if let (Some(n), Some(v)) = (x.name.get(), x.value.0.as_deref()) {
                        h.add(n, v);
                    }
                }
                Ok(h)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<EdgeHeaders, A::Error> {
                // Some tools write headers as an object {name: value}.
                let mut h = EdgeHeaders::default();
                while let Some((k, v)) = a.next_entry::<Text<'de>, Text<'de>>()? {
                    if let (Some(n), Some(v)) = (k.get(), v.0.as_deref()) {
                        h.add(n, v);
                    }
                }
                Ok(h)
            }
            fn visit_unit<E>(self) -> Result<EdgeHeaders, E> {
                Ok(EdgeHeaders::default())
            }
            fn visit_none<E>(self) -> Result<EdgeHeaders, E> {
                Ok(EdgeHeaders::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<EdgeHeaders, D::Error> {
                EdgeHeaders::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `cargo fuzz` (har target): a header name with a multi-byte
    /// character where a CDN prefix would end.
    #[test]
    fn non_ascii_header_name_does_not_panic() {
        let mut h = EdgeHeaders::default();
        h.add("x-fastl\u{4f7}", "1");
        h.add("akamai\u{4f7}", "1");
        assert!(!h.fastly);
        h.add("X-Fastly-Request-ID", "1");
        assert!(h.fastly);
    }
}
