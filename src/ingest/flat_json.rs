//! A fast path for JSON lines that are one flat object of plain values.
//!
//! Why: faultlens' own probe log is millions of lines like
//! `{"ts":1738836000,"agent":"probe-fra-1",...,"total_ms":128.7}`. Decoding
//! them with serde's derived visitor cost more than twice a bare
//! `serde_json` pass over the same lines (matching 20 field names through
//! the visitor, number parsing in serde's general form), which alone broke
//! the reader's budget of twice that pass. Nearly every real line is flat:
//! string values without escapes, short decimal numbers, `null`. This
//! scanner reads exactly that shape in one pass and gives up on anything
//! else (an escape, a nested value, an exponent, a long number, invalid
//! UTF-8, any syntax error), and the caller then decodes the line with
//! serde as before, so serde stays the only judge of what a line means
//! and of every error message.
//!
//! What it accepts it reads as serde_json would: the same values for the
//! same keys (numbers up to 15 significant digits, where serde_json's
//! result is the correctly rounded one and so is this scanner's), and a
//! property test holds the two to that.

/// A plain JSON value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// A string without escapes.
    Str(&'a str),
    /// A number, as the `f64` serde_json hands a visitor for it.
    Num(f64),
    Null,
    Bool(bool),
}

/// Powers of ten exactly representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Significant digits up to which `significand / 10^k` is exact in its
/// parts (below 2^53) and so correctly rounded after the one division.
const MAX_DIGITS: usize = 15;

/// Feed each `key: value` pair of a flat JSON object to `each`, in order.
/// `false` when the line is not a flat object of plain values this scanner
/// reads (or `each` returned `false`): the caller must then decide with a
/// full parser. `each` may have seen some pairs by then.
pub fn scan<'a>(line: &'a [u8], mut each: impl FnMut(&'a str, Scalar<'a>) -> bool) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return ws(b, i + 1) == b.len();
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some(end) = string_end(b, i + 1) else {
            return false;
        };
        let key = &text[i + 1..end];
        i = ws(b, end + 1);
        if b.get(i) != Some(&b':') {
            return false;
        }
        i = ws(b, i + 1);
        let value = match b.get(i) {
            Some(b'"') => {
                let Some(end) = string_end(b, i + 1) else {
                    return false;
                };
                let s = &text[i + 1..end];
                i = end + 1;
                Scalar::Str(s)
            }
            Some(b'n') if b[i..].starts_with(b"null") => {
                i += 4;
                Scalar::Null
            }
            Some(b't') if b[i..].starts_with(b"true") => {
                i += 4;
                Scalar::Bool(true)
            }
            Some(b'f') if b[i..].starts_with(b"false") => {
                i += 5;
                Scalar::Bool(false)
            }
            Some(b'-' | b'0'..=b'9') => {
                let Some((v, end)) = number(b, i) else {
                    return false;
                };
                i = end;
                Scalar::Num(v)
            }
            _ => return false,
        };
        if !each(key, value) {
            return false;
        }
        i = ws(b, i);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return ws(b, i + 1) == b.len(),
            _ => return false,
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Index of the closing quote of a string whose content starts at `i`;
/// `None` for an escape, a control character or no closing quote.
#[inline]
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i),
            b'\\' | 0..=0x1f => return None,
            _ => i += 1,
        }
    }
    None
}

/// A JSON number at `i` without exponent and with at most
/// [`MAX_DIGITS`] digits: its value as serde_json computes it (integers
/// through `u64` / `i64`, and `-0` as the float `-0.0`; decimals as
/// significand over a power of ten, sign applied last) and the index
/// after it.
fn number(b: &[u8], mut i: usize) -> Option<(f64, usize)> {
    let negative = b[i] == b'-';
    if negative {
        i += 1;
    }
    let start = i;
    let mut sig: u64 = 0;
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        sig = sig * 10 + u64::from(c - b'0');
        i += 1;
        if i - start > MAX_DIGITS {
            return None;
        }
    }
    let int_digits = i - start;
    if int_digits == 0 || (int_digits > 1 && b[start] == b'0') {
        return None;
    }
    let mut frac = 0usize;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            sig = sig * 10 + u64::from(c - b'0');
            i += 1;
            frac += 1;
            if int_digits + frac > MAX_DIGITS {
                return None;
            }
        }
        if frac == 0 {
            return None;
        }
    }
    if let Some(b'e' | b'E' | b'.') = b.get(i) {
        return None;
    }
    // both exact below 2^53; one division rounds correctly
    let f = if frac == 0 {
        sig as f64
    } else {
        sig as f64 / POW10[frac]
    };
    let v = if negative { -f } else { f };
    Some((v, i))
}

/// Where [`scan`] reads `line` differently from serde_json, described;
/// `None` when it agrees (same pairs in the same order with bit-identical
/// numbers, or it gave the line up). A line serde_json rejects must be
/// given up. The oracle of the property test and of the `flat_json` fuzz
/// target.
pub fn differs_from_serde(line: &[u8]) -> Option<String> {
    use serde_json::Value;
    let mut fast = Vec::new();
    if !scan(line, |k, v| {
        fast.push((k, v));
        true
    }) {
        return None;
    }
    let shown = String::from_utf8_lossy(line);
    let Some(slow) = serde_entries(line) else {
        return Some(format!("serde_json rejects {shown:?}, the scanner read it"));
    };
    if fast.len() != slow.len() {
        return Some(format!("{shown:?}: {} pairs vs {}", fast.len(), slow.len()));
    }
    for ((k1, v1), (k2, v2)) in fast.iter().zip(&slow) {
        let same = *k1 == k2.as_str()
            && match (v1, v2) {
                (Scalar::Str(a), Value::String(b)) => a == b,
                (Scalar::Null, Value::Null) => true,
                (Scalar::Bool(a), Value::Bool(b)) => a == b,
                (Scalar::Num(a), Value::Number(n)) => n
                    .as_u64()
                    .map(|x| x as f64)
                    .or_else(|| n.as_i64().map(|x| x as f64))
                    .or_else(|| n.as_f64())
                    .is_some_and(|b| a.to_bits() == b.to_bits()),
                _ => false,
            };
        if !same {
            return Some(format!("{shown:?}: {k1} = {v1:?} vs {k2} = {v2:?}"));
        }
    }
    None
}

/// serde_json's reading of an object as its entries in order, duplicates
/// kept.
fn serde_entries(line: &[u8]) -> Option<Vec<(String, serde_json::Value)>> {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    struct Entries(Vec<(String, serde_json::Value)>);
    impl<'de> Deserialize<'de> for Entries {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Entries;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Entries, A::Error> {
                    let mut out = Vec::new();
                    while let Some(e) = m.next_entry()? {
                        out.push(e);
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Entries>(line).ok().map(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(line: &str) -> Option<Vec<(String, Scalar<'_>)>> {
        let mut out = Vec::new();
        scan(line.as_bytes(), |k, v| {
            out.push((k.to_string(), v));
            true
        })
        .then_some(out)
    }

    fn agrees(line: &str) {
        if let Some(why) = differs_from_serde(line.as_bytes()) {
            panic!("{why}");
        }
    }

    #[test]
    fn reads_the_probe_shape() {
        let line = r#"{"ts":1738836000,"agent":"probe-fra-1","status":200,"error":null,"dns_ms":3.1,"x":-0.25,"ok":true,"neg":-0}"#;
        let p = pairs(line).expect("flat line");
        assert_eq!(p[0], ("ts".into(), Scalar::Num(1738836000.0)));
        assert_eq!(p[1], ("agent".into(), Scalar::Str("probe-fra-1")));
        assert_eq!(p[3], ("error".into(), Scalar::Null));
        assert_eq!(p[4], ("dns_ms".into(), Scalar::Num(3.1)));
        assert_eq!(p[5], ("x".into(), Scalar::Num(-0.25)));
        assert_eq!(p[6], ("ok".into(), Scalar::Bool(true)));
        // serde_json reads -0 as the float -0.0
        assert!(matches!(p[7].1, Scalar::Num(v) if v == 0.0 && v.is_sign_negative()));
        assert_eq!(pairs(" { } "), Some(vec![]));
        agrees(line);
    }

    #[test]
    fn gives_up_on_what_it_does_not_read() {
        for line in [
            r#"{"a":"x\"y"}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1234567890123456}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"{"a":nul}"#,
            "{\"a\":\"tab\there\"}",
            r#"[1]"#,
            r#"{"a":1"#,
            "",
        ] {
            assert!(pairs(line).is_none(), "{line}");
        }
        assert!(!scan(b"{\"a\":\"\xff\"}", |_, _| true));
        // the callback can refuse
        assert!(!scan(br#"{"a":1}"#, |_, _| false));
    }

    proptest! {
        #[test]
        fn agrees_with_serde_json(
            parts in proptest::collection::vec(
                (
                    "[a-z_]{1,8}|\"|\\\\",
                    prop_oneof![
                        "[ -~]{0,12}".prop_map(|s| format!("{s:?}")),
                        any::<i32>().prop_map(|n| n.to_string()),
                        (any::<i32>(), 0u32..100_000).prop_map(|(a, b)| format!("{a}.{b}")),
                        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b:03}")),
                        Just("null".to_string()),
                        Just("true".to_string()),
                        Just("-0.0".to_string()),
                        Just("-0".to_string()),
                        Just("1e5".to_string()),
                        Just("{}".to_string()),
                    ],
                    "[ ]{0,2}",
                ),
                0..8,
            ),
            junk in proptest::option::of("[,:{}\" 0-9a-z]{1,3}"),
        ) {
            let mut line = String::from("{");
            for (i, (k, v, sp)) in parts.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str(&format!("{sp}\"{k}\"{sp}:{sp}{v}{sp}"));
            }
            line.push('}');
            if let Some(j) = junk {
                line.insert_str(line.len() / 2, &j);
            }
            agrees(&line);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = scan(&bytes, |_, _| true);
        }
    }
}
