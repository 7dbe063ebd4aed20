//! Numbers as producers really write them.
//!
//! A metric the formats type as a number arrives as a JSON number, a
//! numeric string (WebPageTest, CSV-minded converters), `null`, an empty
//! string or `-`. Every reader agrees on what those mean, so they are read
//! in one place. Readers differ only on junk (`"n/a"`, `true`, an object):
//! the probe contract rejects the line ([`Num`]'s own `Deserialize`), a HAR
//! treats it as "not measured" ([`loose_num`]), because one odd field must
//! not cost an entry of a browser's capture.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A number that may be absent: `None` for null, empty, `-` or (read
/// loosely) junk.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Num(pub Option<f64>);

impl Num {
    /// A number written as a string: empty or `-` is absent.
    pub(crate) fn of_text(v: &str) -> Result<Num, String> {
        let t = v.trim();
        if t.is_empty() || t == "-" {
            return Ok(Num(None));
        }
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| Num(Some(x)))
            .ok_or_else(|| format!("not a number: {t:?}"))
    }

    /// The value when it is a real measurement (finite, not negative; HAR
    /// writes `-1` for "not measured").
    pub(crate) fn nonneg(self) -> Option<f64> {
        self.0.filter(|v| v.is_finite() && *v >= 0.0)
    }
}

/// Strict: a string that is not a number, a boolean or a container is an
/// error (the probe contract's reading).
impl<'de> serde::Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor { strict: true })
    }
}

/// Loose: anything that is not a number is `Num(None)`, never an error (a
/// HAR's reading). For `#[serde(default, deserialize_with = "loose_num")]`.
pub(crate) fn loose_num<'de, D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
    d.deserialize_any(NumVisitor { strict: false })
}

struct NumVisitor {
    strict: bool,
}

impl NumVisitor {
    fn junk<E: de::Error>(&self, unexp: de::Unexpected) -> Result<Num, E> {
        if self.strict {
            Err(E::invalid_type(unexp, self))
        } else {
            Ok(Num(None))
        }
    }
}

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a numeric string or null")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Ok(Num(v.is_finite().then_some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(Some(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(Some(v as f64)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        match Num::of_text(v) {
            Ok(n) => Ok(n),
            Err(why) if self.strict => Err(E::custom(why)),
            Err(_) => Ok(Num(None)),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Num, E> {
        self.junk(de::Unexpected::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
        if self.strict {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
        if self.strict {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Loose {
        #[serde(default, deserialize_with = "loose_num")]
        n: Num,
    }

    #[test]
    fn strict_and_loose_agree_on_numbers_and_differ_on_junk() {
        for (text, want) in [
            ("1.5", Some(1.5)),
            ("-1", Some(-1.0)),
            ("\" 12 \"", Some(12.0)),
            ("\"\"", None),
            ("\"-\"", None),
            ("null", None),
        ] {
            let strict: Num = serde_json::from_str(text).unwrap();
            assert_eq!(strict.0, want, "{text}");
            let loose: Loose = serde_json::from_str(&format!("{{\"n\":{text}}}")).unwrap();
            assert_eq!(loose.n.0, want, "{text}");
        }
        for junk in ["\"n/a\"", "true", "[1]", "{\"a\":1}"] {
            assert!(serde_json::from_str::<Num>(junk).is_err(), "{junk}");
            let loose: Loose = serde_json::from_str(&format!("{{\"n\":{junk}}}")).unwrap();
            assert_eq!(loose.n.0, None, "{junk}");
        }
        let absent: Loose = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.n.0, None);
        assert_eq!(Num(Some(-1.0)).nonneg(), None);
    }
}
