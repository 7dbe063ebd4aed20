//! The encodings secrets hide behind: base64 (JWT parts, HAR bodies) and
//! percent-encoding (URL parts), read as leniently as browsers write them.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::borrow::Cow;

/// Standard alphabet, no padding expected (it is cut off before), and
/// the unused low bits of a last partial group ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decode base64 (standard or URL alphabet, even mixed; padding optional;
/// anything after the first `=` ignored; line breaks skipped). The crate
/// takes one alphabet and whole groups, so the input is brought to that
/// first: URL characters mapped to standard ones, and a lone last
/// character (6 bits, no byte) dropped once checked.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let data = s.split('=').next().unwrap_or("");
    let mut std_alphabet: Vec<u8> = data
        .bytes()
        .filter(|c| !matches!(c, b'\r' | b'\n'))
        .map(|c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    if std_alphabet.len() % 4 == 1 {
        let last = std_alphabet.pop()?;
        if !(last.is_ascii_alphanumeric() || matches!(last, b'+' | b'/')) {
            return None;
        }
    }
    LENIENT.decode(&std_alphabet).ok()
}

/// Encode standard base64 with padding.
pub fn b64_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Percent-decode (lossy on invalid UTF-8); a `%` not followed by two hex
/// digits stays as it is.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

/// Everything but unreserved characters and the marker punctuation
/// `[ ] :` (a marker's `=` is encoded: `token%3D...` is a value's `=`).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'[')
    .remove(b']')
    .remove(b':');

/// Percent-encode everything but unreserved characters and the marker
/// punctuation.
pub(super) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODED).to_string()
}
