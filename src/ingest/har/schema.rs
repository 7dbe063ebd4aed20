//! The typed view of a HAR entry and page, as borrowed serde structs.
//!
//! Why a schema of our own rather than a HAR crate's: most of a HAR's
//! bytes are bodies nobody here needs, so `content.text` is skipped, never
//! decoded; strings borrow from the input; and producers disagree on JSON
//! types (numbers as strings, `-1` for "not measured", `"disk"` for a
//! boolean), which [`Text`], [`Flag`] and the loose [`Num`] absorb so one
//! odd field never costs an entry.

use super::edge::EdgeHeaders;
use crate::ingest::lenient::{Num, loose_num};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// kept as their text; null / absent / containers = none.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Text<'a>(pub(super) Option<Cow<'a, str>>);

impl Text<'_> {
    pub(super) fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Text<'a>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Text<'a>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `_fromCache`: Chrome writes `"disk"` / `"memory"`, others booleans.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Flag(pub(super) bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Flag(t.get().is_some_and(|s| {
            !matches!(s.to_ascii_lowercase().as_str(), "false" | "0" | "no")
        })))
    }
}

// ---------------------------------------------------------------------------
// The typed view of an entry (borrowed; bodies reduced to lengths).

#[derive(Deserialize)]
pub(super) struct Entry<'a> {
    #[serde(borrow, default)]
    pub(super) pageref: Text<'a>,
    #[serde(rename = "startedDateTime", borrow, default)]
    pub(super) started: Text<'a>,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) time: Num,
    #[serde(borrow, default)]
    pub(super) request: Option<Req<'a>>,
    #[serde(borrow, default)]
    pub(super) response: Option<Resp<'a>>,
    #[serde(default)]
    pub(super) timings: Option<Timings>,
    #[serde(rename = "serverIPAddress", borrow, default)]
    pub(super) server_ip: Text<'a>,
    #[serde(rename = "_ip_addr", borrow, default)]
    pub(super) wpt_ip: Text<'a>,
    #[serde(rename = "_resourceType", borrow, default)]
    pub(super) resource_type: Text<'a>,
    #[serde(rename = "_transferSize", default, deserialize_with = "loose_num")]
    pub(super) transfer_size: Num,
    #[serde(rename = "_fromCache", default)]
    pub(super) from_cache: Flag,
    #[serde(rename = "_error", borrow, default)]
    pub(super) error: Text<'a>,
    #[serde(rename = "_cdn_provider", borrow, default)]
    pub(super) cdn_provider: Text<'a>,
    #[serde(rename = "_responseCode", default, deserialize_with = "loose_num")]
    pub(super) wpt_status: Num,
    /// WebPageTest's result code: an HTTP status, or a WinINet error
    /// (12007 name not resolved, 12029 cannot connect, ...).
    #[serde(rename = "_result", default, deserialize_with = "loose_num")]
    pub(super) wpt_result: Num,
    /// Playwright's failure text, where a writer put it on the entry.
    #[serde(rename = "_failureText", borrow, default)]
    pub(super) failure_text: Text<'a>,
    /// BrowserMob / Browsertime's failure text.
    #[serde(rename = "_errorMessage", borrow, default)]
    pub(super) error_message: Text<'a>,
}

#[derive(Deserialize)]
pub(super) struct Req<'a> {
    #[serde(borrow, default)]
    pub(super) method: Text<'a>,
    #[serde(borrow, default)]
    pub(super) url: Text<'a>,
}

#[derive(Deserialize)]
pub(super) struct Resp<'a> {
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) status: Num,
    #[serde(default)]
    pub(super) headers: EdgeHeaders,
    #[serde(borrow, default)]
    pub(super) content: Option<Content<'a>>,
    #[serde(rename = "bodySize", default, deserialize_with = "loose_num")]
    pub(super) body_size: Num,
    #[serde(rename = "headersSize", default, deserialize_with = "loose_num")]
    pub(super) headers_size: Num,
    #[serde(rename = "_error", borrow, default)]
    pub(super) error: Text<'a>,
    /// Playwright `recordHar`: `status: -1` and the browser's error here.
    #[serde(rename = "_failureText", borrow, default)]
    pub(super) failure_text: Text<'a>,
    /// BrowserMob / Browsertime.
    #[serde(rename = "_errorMessage", borrow, default)]
    pub(super) error_message: Text<'a>,
    #[serde(rename = "_transferSize", default, deserialize_with = "loose_num")]
    pub(super) transfer_size: Num,
    #[serde(rename = "_fromCache", default)]
    pub(super) from_cache: Flag,
}

#[derive(Deserialize)]
pub(super) struct Content<'a> {
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) size: Num,
    #[serde(rename = "mimeType", borrow, default)]
    pub(super) mime: Text<'a>,
    /// The body is never decoded, copied or even checked as UTF-8:
    /// serde_json steps over it. Only its presence is kept; its length is
    /// read in a second pass over the entry ([`BodyOnly`]) in the rare
    /// entry that has a body but no `content.size`.
    #[serde(default)]
    pub(super) text: Option<Present>,
    #[serde(borrow, default)]
    pub(super) encoding: Text<'a>,
}

/// A value skipped, not read: serde_json's `ignore_value` walks it without
/// validating UTF-8 or building anything.
pub(super) struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// An entry's body text as raw JSON, for its length (see [`Content::text`]).
#[derive(Deserialize)]
struct BodyOnly<'a> {
    #[serde(borrow, default)]
    pub(super) response: Option<BodyResp<'a>>,
}

#[derive(Deserialize)]
struct BodyResp<'a> {
    #[serde(borrow, default)]
    pub(super) content: Option<BodyContent<'a>>,
}

#[derive(Deserialize)]
struct BodyContent<'a> {
    #[serde(borrow, default)]
    pub(super) text: Option<&'a RawValue>,
}

/// The raw JSON of an entry's `response.content.text` (`None` when the
/// entry has none, or its text is not valid UTF-8).
pub(super) fn body_text(entry: &[u8]) -> Option<&str> {
    let b: BodyOnly = serde_json::from_slice(entry).ok()?;
    Some(b.response?.content?.text?.get())
}

#[derive(Deserialize, Default, Clone, Copy)]
pub(super) struct Timings {
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) blocked: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) dns: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) connect: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) ssl: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) send: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) wait: Num,
    #[serde(default, deserialize_with = "loose_num")]
    pub(super) receive: Num,
}

#[derive(Deserialize)]
pub(super) struct HarPage<'a> {
    #[serde(borrow, default)]
    pub(super) id: Text<'a>,
    #[serde(rename = "startedDateTime", borrow, default)]
    pub(super) started: Text<'a>,
    #[serde(borrow, default)]
    pub(super) title: Text<'a>,
    #[serde(rename = "pageTimings", default)]
    pub(super) timings: Option<PageTimings>,
}

#[derive(Deserialize, Default)]
pub(super) struct PageTimings {
    #[serde(rename = "onContentLoad", default, deserialize_with = "loose_num")]
    pub(super) on_content_load: Num,
    #[serde(rename = "onLoad", default, deserialize_with = "loose_num")]
    pub(super) on_load: Num,
}
