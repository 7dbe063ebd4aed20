//! Does a value look like a credential rather than a word, an id or a
//! path? Character mix, entropy and word-likeness, so that random tokens
//! are caught and `getUserAccountSettingsById2024` is not.

pub(super) fn credential_like(s: &str) -> bool {
    if s.trim_end_matches('=')
        .bytes()
        .all(|c| c.is_ascii_alphabetic())
    {
        return false;
    }
    let has_digit = s.bytes().any(|c| c.is_ascii_digit());
    let has_upper = s.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = s.bytes().any(|c| c.is_ascii_lowercase());
    let has_sym = s
        .bytes()
        .any(|c| matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-'));
    has_digit || has_sym || (has_upper && has_lower && s.len() >= 12)
}

/// Is `s` a long, random-looking token: at least 24 characters of
/// `[A-Za-z0-9_+=~.-]` mixing letters and digits (and both cases, unless it
/// is 32+ long, e.g. hex), with high character entropy and not made of
/// words (`getUserAccountSettingsById2024`, `my-blog-post-title-2024` are
/// not). UUIDs are identifiers, not credentials, and are kept.
pub fn looks_opaque(s: &str) -> bool {
    looks_opaque_with(s, false)
}

pub(super) fn looks_opaque_with(s: &str, slash: bool) -> bool {
    let s = s.trim_end_matches('=');
    let b = s.as_bytes();
    if b.len() < 24
        || !b.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(c, b'_' | b'+' | b'-' | b'~' | b'.')
                || (slash && c == b'/')
        })
    {
        return false;
    }
    if crate::classify::is_uuid(s) {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = b.iter().filter(|c| c.is_ascii_lowercase()).count();
    if digits == 0 || upper + lower == 0 {
        return false;
    }
    if !(upper > 0 && lower > 0) && b.len() < 32 {
        return false;
    }
    if entropy(b) < 3.0 {
        return false;
    }
    wordy_fraction(s) < 0.5
}

fn entropy(b: &[u8]) -> f64 {
    let mut freq = [0u32; 256];
    for &c in b {
        freq[c as usize] += 1;
    }
    let n = b.len() as f64;
    freq.iter()
        .filter(|&&f| f > 0)
        .map(|&f| {
            let p = f as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Share of characters sitting in word-like letter runs (camelCase split,
/// at least 4 letters, vowel share >= 25 %, no 4 consonants in a row).
fn wordy_fraction(s: &str) -> f64 {
    let b = s.as_bytes();
    let mut wordy = 0usize;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        // a run: optional capital then lowercase, or all lowercase
        let start = i;
        i += 1;
        if b[start].is_ascii_uppercase() {
            while i < b.len()
                && b[i].is_ascii_uppercase()
                && b.get(i + 1).is_some_and(|n| !n.is_ascii_lowercase())
            {
                i += 1;
            }
        }
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        let run = &s[start..i];
        if run.len() >= 4 && word_like(run) {
            wordy += run.len();
        }
    }
    wordy as f64 / b.len() as f64
}

fn word_like(run: &str) -> bool {
    let l = run.to_ascii_lowercase();
    let vowels = l.bytes().filter(|c| b"aeiouy".contains(c)).count();
    if vowels * 4 < l.len() {
        return false;
    }
    let mut streak = 0;
    for c in l.bytes() {
        if b"aeiouy".contains(&c) {
            streak = 0;
        } else {
            streak += 1;
            if streak >= 4 {
                return false;
            }
        }
    }
    true
}
