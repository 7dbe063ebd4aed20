//! Byte-level layout scanner for HAR documents.
//!
//! A HAR file is one big JSON value, but its `log.entries` are independent:
//! finding where each entry starts and ends lets the reader hand entries to
//! rayon (parse on all cores) and salvage every complete entry before a cut
//! or a corruption (a document too large to hold is walked a block at a
//! time by [`crate::ingest::har::walk`] instead). Doing that with a full JSON
//! parse would cost as much as the parse itself, so this module only tracks
//! structure: strings (skipped with `memchr`, honouring escapes), bracket
//! nesting (checked for matching kinds) and the handful of keys that matter
//! at the top of the document. It never allocates per byte; the only heap
//! use is the output vectors and one reusable bracket stack.
//!
//! Ranges are exact: an element range covers the value itself, from its
//! first byte to one past its last, without surrounding whitespace or commas.

use std::ops::Range;

/// Where the interesting parts of a HAR document sit in its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarLayout {
    /// Byte ranges of the elements of `log.entries`, in document order.
    pub entries: Vec<Range<usize>>,
    /// Byte ranges of the elements of `log.pages`, in document order.
    pub pages: Vec<Range<usize>>,
    /// The `[ ... ]` of `log.entries` (including brackets), when it was
    /// closed; `entries_open` is set as soon as the array starts.
    pub entries_array: Option<Range<usize>>,
    /// Offset of the `[` of `log.entries`, if the array was found.
    pub entries_open: Option<usize>,
    /// The `[ ... ]` of `log.pages` (including brackets), when closed.
    pub pages_array: Option<Range<usize>>,
    /// The `{ ... }` value of the top-level `log` key (when it is an object;
    /// `log_open` is set as soon as the object starts).
    pub log: Option<Range<usize>>,
    pub log_open: Option<usize>,
    /// Values of `log.creator`, `log.browser`, `log.version`.
    pub creator: Option<Range<usize>>,
    pub browser: Option<Range<usize>>,
    pub version: Option<Range<usize>>,
    /// The root JSON value (inside a JSONP wrapper, after a BOM).
    pub root: Option<Range<usize>>,
    /// Raw bytes of the root object's keys (between the quotes).
    pub top_keys: Vec<Range<usize>>,
    /// Set when the root is not a JSON object.
    pub root_not_object: bool,
    /// The JSONP callback name, if the document was wrapped (`onInputData(`).
    pub jsonp: Option<Range<usize>>,
    /// The input ended inside the document: offset of the end of input.
    pub truncated_at: Option<usize>,
    /// A structural error (unexpected byte, mismatched bracket) at this offset.
    pub error: Option<(usize, String)>,
}

impl HarLayout {
    /// True when the root object has this key.
    pub fn has_top_key(&self, bytes: &[u8], key: &[u8]) -> bool {
        self.top_keys
            .iter()
            .any(|r| bytes.get(r.clone()) == Some(key))
    }
    /// Offset of the first damage (truncation or structural error).
    pub fn damage_at(&self) -> Option<usize> {
        match (&self.error, self.truncated_at) {
            (Some((e, _)), Some(t)) => Some((*e).min(t)),
            (Some((e, _)), None) => Some(*e),
            (None, t) => t,
        }
    }
}

/// Why scanning stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// End of input reached inside a value.
    Eof,
    /// Unexpected byte at this offset.
    Bad(usize, &'static str),
}

/// Where a value sits in a HAR's structure: the one map of which keys
/// lead to the entries and pages, shared by this scan (which records their
/// ranges) and by `sanitize`'s walk of the objects around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HarLevel {
    /// The root object.
    Root,
    /// The `log` object.
    Log,
    /// The `log.entries` array.
    Entries,
    /// The `log.pages` array.
    Pages,
    /// Anything else: a leaf as far as the structure goes.
    Other,
}

impl HarLevel {
    /// The level of the value under `key` in an object at this level.
    pub fn child(self, key: &[u8]) -> HarLevel {
        match (self, key) {
            (HarLevel::Root, b"log") => HarLevel::Log,
            (HarLevel::Log, b"entries") => HarLevel::Entries,
            (HarLevel::Log, b"pages") => HarLevel::Pages,
            _ => HarLevel::Other,
        }
    }
}

/// Scan a whole HAR document. Never panics, whatever the bytes.
pub fn scan_har(bytes: &[u8]) -> HarLayout {
    let mut s = Scanner {
        b: bytes,
        stack: Vec::new(),
        out: HarLayout::default(),
    };
    match s.document() {
        Ok(()) => {}
        Err(Stop::Eof) => s.out.truncated_at = Some(bytes.len()),
        Err(Stop::Bad(at, msg)) => s.out.error = Some((at, msg.to_string())),
    }
    s.out
}

/// Skip one JSON value starting at `pos` (which must be its first byte)
/// and return the offset one past its end. Structural check only: strings,
/// bracket matching, and the bytes that may appear outside strings.
pub fn skip_value(bytes: &[u8], pos: usize, stack: &mut Vec<u8>) -> Result<usize, Stop> {
    let b = bytes;
    let Some(&c) = b.get(pos) else {
        return Err(Stop::Eof);
    };
    match c {
        b'"' => skip_string(b, pos),
        b'{' | b'[' => {
            stack.clear();
            stack.push(c);
            let mut i = pos + 1;
            while i < b.len() {
                let c = b[i];
                match c {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => stack.push(c),
                    b'}' | b']' => {
                        let open = if c == b'}' { b'{' } else { b'[' };
                        if stack.pop() != Some(open) {
                            return Err(Stop::Bad(i, "mismatched bracket"));
                        }
                        if stack.is_empty() {
                            return Ok(i + 1);
                        }
                    }
                    b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' => {}
                    c if is_scalar_byte(c) => {}
                    _ => return Err(Stop::Bad(i, "unexpected byte outside a string")),
                }
                i += 1;
            }
            Err(Stop::Eof)
        }
        c if is_scalar_byte(c) => {
            let mut i = pos;
            while i < b.len() && is_scalar_byte(b[i]) {
                i += 1;
            }
            if i == b.len() { Err(Stop::Eof) } else { Ok(i) }
        }
        _ => Err(Stop::Bad(pos, "expected a JSON value")),
    }
}

/// `pos` is at an opening quote; returns the offset after the closing quote.
pub fn skip_string(b: &[u8], pos: usize) -> Result<usize, Stop> {
    let mut j = pos + 1;
    loop {
        match memchr::memchr2(b'"', b'\\', b.get(j..).unwrap_or(&[])) {
            None => return Err(Stop::Eof),
            Some(k) => {
                let p = j + k;
                if b[p] == b'"' {
                    return Ok(p + 1);
                }
                j = p + 2;
                if j > b.len() {
                    return Err(Stop::Eof);
                }
            }
        }
    }
}

fn is_scalar_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')
}

/// JSON whitespace.
pub fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// Offset of the first non-whitespace byte at or after `pos`.
pub fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    pos
}

/// Where the JSON value of a HAR file starts: after a UTF-8 BOM, leading
/// whitespace and a JSONP prefix like `onInputData(`. Returns the offset
/// and the callback-name range when wrapped.
pub fn json_start(b: &[u8]) -> (usize, Option<Range<usize>>) {
    let mut i = if b.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    i = skip_ws(b, i);
    let id_start = i;
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'$' | b'.')) {
        j += 1;
    }
    if j > id_start && !b[id_start].is_ascii_digit() {
        // true/false/null are values, not callbacks.
        let k = skip_ws(b, j);
        if b.get(k) == Some(&b'(') {
            return (skip_ws(b, k + 1), Some(id_start..j));
        }
    }
    (i, None)
}

struct Scanner<'a> {
    b: &'a [u8],
    stack: Vec<u8>,
    out: HarLayout,
}

impl Scanner<'_> {
    fn ws(&self, pos: usize) -> usize {
        skip_ws(self.b, pos)
    }

    fn byte(&self, pos: usize) -> Result<u8, Stop> {
        self.b.get(pos).copied().ok_or(Stop::Eof)
    }

    fn document(&mut self) -> Result<(), Stop> {
        let (start, jsonp) = json_start(self.b);
        self.out.jsonp = jsonp.clone();
        let c = self.byte(start)?;
        let end = if c == b'{' {
            self.object(start, HarLevel::Root)?
        } else {
            self.out.root_not_object = true;
            skip_value(self.b, start, &mut self.stack)?
        };
        self.out.root = Some(start..end);
        let mut i = self.ws(end);
        if jsonp.is_some() {
            if self.byte(i)? != b')' {
                return Err(Stop::Bad(i, "expected ')' closing the JSONP wrapper"));
            }
            i = self.ws(i + 1);
            if self.b.get(i) == Some(&b';') {
                i = self.ws(i + 1);
            }
        }
        // Trailing NULs are common in files cut by a crashed writer.
        while i < self.b.len() && self.b[i] == 0 {
            i += 1;
        }
        if i < self.b.len() {
            return Err(Stop::Bad(i, "unexpected content after the JSON document"));
        }
        Ok(())
    }

    /// Object at `pos` (the root or `log`). Returns end offset.
    fn object(&mut self, pos: usize, level: HarLevel) -> Result<usize, Stop> {
        let mut i = self.ws(pos + 1);
        if self.byte(i)? == b'}' {
            return Ok(i + 1);
        }
        loop {
            if self.byte(i)? != b'"' {
                return Err(Stop::Bad(i, "expected a key string"));
            }
            let key_end = skip_string(self.b, i)?;
            let key = i + 1..key_end - 1;
            i = self.ws(key_end);
            if self.byte(i)? != b':' {
                return Err(Stop::Bad(i, "expected ':' after a key"));
            }
            i = self.ws(i + 1);
            let vstart = i;
            let c = self.byte(i)?;
            let k = &self.b[key.clone()];
            if level == HarLevel::Root {
                // Recorded before the value so a cut head still shows it.
                self.out.top_keys.push(key.clone());
            }
            let end = match (level.child(k), c) {
                (HarLevel::Log, b'{') if self.out.log_open.is_none() => {
                    self.out.log_open = Some(vstart);
                    let e = self.object(vstart, HarLevel::Log)?;
                    self.out.log = Some(vstart..e);
                    e
                }
                (HarLevel::Entries, b'[') if self.out.entries_open.is_none() => {
                    self.out.entries_open = Some(vstart);
                    let e = self.array(vstart, true)?;
                    self.out.entries_array = Some(vstart..e);
                    e
                }
                (HarLevel::Pages, b'[') if self.out.pages_array.is_none() => {
                    let e = self.array(vstart, false)?;
                    self.out.pages_array = Some(vstart..e);
                    e
                }
                _ => {
                    let e = skip_value(self.b, vstart, &mut self.stack)?;
                    if level == HarLevel::Log {
                        match k {
                            b"creator" => self.out.creator = Some(vstart..e),
                            b"browser" => self.out.browser = Some(vstart..e),
                            b"version" => self.out.version = Some(vstart..e),
                            _ => {}
                        }
                    }
                    e
                }
            };
            i = self.ws(end);
            match self.byte(i)? {
                b',' => i = self.ws(i + 1),
                b'}' => return Ok(i + 1),
                _ => return Err(Stop::Bad(i, "expected ',' or '}' in an object")),
            }
        }
    }

    /// Array at `pos` whose elements are recorded as entries or pages.
    fn array(&mut self, pos: usize, entries: bool) -> Result<usize, Stop> {
        let mut i = self.ws(pos + 1);
        if self.byte(i)? == b']' {
            return Ok(i + 1);
        }
        loop {
            let start = i;
            let end = skip_value(self.b, start, &mut self.stack)?;
            if entries {
                self.out.entries.push(start..end);
            } else {
                self.out.pages.push(start..end);
            }
            i = self.ws(end);
            match self.byte(i)? {
                b',' => i = self.ws(i + 1),
                b']' => return Ok(i + 1),
                _ => return Err(Stop::Bad(i, "expected ',' or ']' in an array")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(b: &'a [u8], r: &[Range<usize>]) -> Vec<&'a str> {
        r.iter()
            .map(|r| std::str::from_utf8(&b[r.clone()]).unwrap())
            .collect()
    }

    #[test]
    fn finds_entries_and_pages_in_any_order() {
        let doc = br#" { "x": {"entries": [9]}, "log" : { "entries" : [ {"a":"}]\"{"} , {"b":[1,{"entries":[2]}]} ],
            "creator": {"name":"t"}, "pages": [{"id":"p"}], "version":"1.2" } } "#;
        let l = scan_har(doc);
        assert_eq!(l.error, None);
        assert_eq!(l.truncated_at, None);
        assert_eq!(
            texts(doc, &l.entries),
            vec![r#"{"a":"}]\"{"}"#, r#"{"b":[1,{"entries":[2]}]}"#]
        );
        assert_eq!(texts(doc, &l.pages), vec![r#"{"id":"p"}"#]);
        assert_eq!(&doc[l.creator.clone().unwrap()], br#"{"name":"t"}"#);
        assert_eq!(&doc[l.version.clone().unwrap()], br#""1.2""#);
        assert!(l.has_top_key(doc, b"log"));
        assert!(l.has_top_key(doc, b"x"));
        let arr = l.entries_array.unwrap();
        assert_eq!(doc[arr.start], b'[');
        assert_eq!(doc[arr.end - 1], b']');
    }

    #[test]
    fn bom_and_jsonp() {
        let doc = b"\xEF\xBB\xBFonInputData({\"log\":{\"entries\":[{\"a\":1},{\"b\":2}]}});\n";
        let l = scan_har(doc);
        assert_eq!(l.error, None, "{l:?}");
        assert_eq!(texts(doc, &l.entries), vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(&doc[l.jsonp.clone().unwrap()], b"onInputData");
    }

    #[test]
    fn truncation_keeps_complete_entries() {
        let doc = br#"{"log":{"pages":[],"entries":[{"a":1},{"b":"x\"y"},{"c":[1,2"#;
        let l = scan_har(doc);
        assert_eq!(l.truncated_at, Some(doc.len()));
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries_array, None);
        assert!(l.entries_open.is_some());
    }

    #[test]
    fn corruption_is_located() {
        let doc = b"{\"log\":\n[\n    2,1,3\n]\n\"request:\"}";
        let l = scan_har(doc);
        let (at, _) = l.error.clone().unwrap();
        assert_eq!(doc[at], b'"');
        assert!(l.log.is_none());
        let doc = br#"{"log":{"entries":[{"a":1},{"b":]},{"c":3}]}}"#;
        let l = scan_har(doc);
        assert_eq!(l.entries.len(), 1);
        assert!(l.error.is_some());
    }

    #[test]
    fn bare_entry_has_no_log() {
        let doc = br#"{"pageref":"p","request":{"url":"http://a/"},"response":{"status":200}}"#;
        let l = scan_har(doc);
        assert!(l.log.is_none());
        assert!(l.has_top_key(doc, b"request"));
        assert_eq!(l.error, None);
    }

    #[test]
    fn cut_at_every_point_never_panics_and_prefixes() {
        let doc = br#"{"log":{"version":"1.2","entries":[{"a":"b\\"},{"c":{"d":[true,null,-1.5e3]}},{"e":"\u00e9"}],"pages":[{"id":"x"}]}}"#;
        let full = scan_har(doc);
        assert_eq!(full.entries.len(), 3);
        for cut in 0..doc.len() {
            let l = scan_har(&doc[..cut]);
            assert!(l.truncated_at.is_some() || l.error.is_some(), "cut {cut}");
            assert!(l.entries.len() <= 3);
            assert_eq!(&full.entries[..l.entries.len()], &l.entries[..]);
        }
    }
}
