use super::*;
use serde_json::Value;

fn run(input: &str, opts: &SanitizeOptions) -> (String, SanitizeReport) {
    let mut out = Vec::new();
    let rep = sanitize_har(input.as_bytes(), &mut out, opts).unwrap();
    (String::from_utf8(out).unwrap(), rep)
}

const HAR: &str = r#"{"log":{"version":"1.2","creator":{"name":"t","version":"1","comment":"token=c0mmentSecret1"},
 "pages":[{"id":"p","title":"https://x.example/?session=pageSecret1","startedDateTime":"2026-11-24T14:00:00Z","pageTimings":{}}],
 "entries":[
  {"startedDateTime":"2026-11-24T14:00:01Z","time":1,"request":{"method":"GET","url":"https://x.example/a?access_token=qSecret1&q=1",
   "headers":[{"name":"Cookie","value":"a.b*c[1]=ckSecret1"},{"name":"Accept","value":"*/*"}],"cookies":[{"name":"a.b*c[1]","value":"ckSecret1"}],
   "queryString":[{"name":"access_token","value":"qSecret1"},{"name":"q","value":"1"}],"headersSize":-1,"bodySize":0},
   "response":{"status":200,"statusText":"OK","httpVersion":"h2","headers":[],"cookies":[],"content":{"size":2,"mimeType":"text/html","text":"<p>hi</p>"},"redirectURL":"","headersSize":-1,"bodySize":2},
   "cache":{},"timings":{"send":0,"wait":1,"receive":0}},
  {"startedDateTime":"2026-11-24T14:00:02Z","time":1,"request":{"method":"GET","url":"https://x.example/clean","headers":[],"cookies":[],"queryString":[],"headersSize":-1,"bodySize":0},
   "response":{"status":200,"statusText":"OK","httpVersion":"h2","headers":[],"cookies":[],"content":{"size":0,"mimeType":"application/json","text":"{\"ok\": true}"},"redirectURL":"","headersSize":-1,"bodySize":0},
   "cache":{},"timings":{"send":0,"wait":1,"receive":0}}
 ]}}"#;

#[test]
fn redacts_and_keeps_structure() {
    let (out, rep) = run(HAR, &SanitizeOptions::default());
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
    for s in ["c0mmentSecret1", "pageSecret1", "qSecret1", "ckSecret1"] {
        assert!(!out.contains(s), "{s} leaked: {out}");
    }
    assert_eq!(rep.entries_written, 2);
    assert_eq!(rep.pages_written, 1);
    assert!(
        rep.redactions.cookie >= 2 && rep.redactions.query >= 2,
        "{rep:?}"
    );
    // clean entry copied byte for byte
    assert!(out.contains(r#""text":"{\"ok\": true}""#));
    assert_eq!(
        v["log"]["entries"][0]["response"]["content"]["text"],
        "<p>hi</p>"
    );
    assert_eq!(
        v["log"]["entries"][0]["request"]["cookies"][0]["name"],
        "a.b*c[1]"
    );
}

#[test]
fn drop_bodies_only_html_js_css() {
    let (out, rep) = run(
        HAR,
        &SanitizeOptions {
            drop_bodies: true,
            ..Default::default()
        },
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["log"]["entries"][0]["response"]["content"]["text"], "");
    assert!(v["log"]["entries"][0]["response"]["content"]["comment"].is_string());
    assert_eq!(
        v["log"]["entries"][1]["response"]["content"]["text"],
        "{\"ok\": true}"
    );
    assert_eq!(rep.bodies_dropped, 1);
}

#[test]
fn clean_har_is_byte_identical() {
    let clean = "{\n  \"log\": {\"version\": \"1.2\", \"creator\": {\"name\": \"x\", \"version\": \"1\"},\n  \"entries\": [ {\"request\": {\"url\": \"https://a.example/\"}} ,\n {\"request\": {\"url\": \"https://b.example/\"}} ]}\n}";
    let (out, _) = run(clean, &SanitizeOptions::default());
    assert_eq!(out.trim_end(), clean);
}

#[test]
fn truncated_input_keeps_complete_entries() {
    let cut = &HAR[..HAR.find("\"https://x.example/clean\"").unwrap()];
    let (out, rep) = run(cut, &SanitizeOptions::default());
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 1);
    assert!(rep.truncated_at.is_some() && !rep.warnings.is_empty());
    assert!(!out.contains("qSecret1"));
}

#[test]
fn bom_jsonp_and_invalid_entry() {
    let wrapped = format!(
        "\u{feff}onInputData({});",
        HAR.replacen("\"entries\":[", "\"entries\":[ [1,2], ", 1)
    );
    let (out, rep) = run(&wrapped, &SanitizeOptions::default());
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
    assert_eq!(rep.entries_dropped, 1);
}

#[test]
fn errors_are_clear() {
    let mut out = Vec::new();
    assert!(matches!(
        sanitize_har(&b"[1,2]"[..], &mut out, &SanitizeOptions::default()),
        Err(SanitizeError::NotHar { .. })
    ));
    let big = format!(
        "{{\"log\":{{\"entries\":[{{\"x\":\"{}\"}}]}}}}",
        "a".repeat(5000)
    );
    let opts = SanitizeOptions {
        max_value_bytes: 1000,
        ..Default::default()
    };
    let mut out = Vec::new();
    assert!(matches!(
        sanitize_har(big.as_bytes(), &mut out, &opts),
        Err(SanitizeError::TooLarge { .. })
    ));
    let mut out = Vec::new();
    assert!(matches!(
        sanitize_har(
            &b"{\"log\":{\"entries\":[{\"a\":1}} ]}}"[..],
            &mut out,
            &SanitizeOptions::default()
        ),
        Err(SanitizeError::Malformed { .. })
    ));
}

/// Tiny reads exercise the refill path at every byte boundary.
#[test]
fn one_byte_reads() {
    struct Slow<'a>(&'a [u8]);
    impl Read for Slow<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let (b, _) = run(HAR, &SanitizeOptions::default());
    for block in [1, 7, 64] {
        let mut a = Vec::new();
        sanitize_blocks(
            Slow(HAR.as_bytes()),
            &mut a,
            &SanitizeOptions::default(),
            block,
        )
        .unwrap();
        assert_eq!(String::from_utf8(a).unwrap(), b, "block {block}");
    }
}

/// A cut anywhere gives either a clear error or a valid JSON document
/// holding a prefix of the entries, never a panic and never a secret.
#[test]
fn cut_at_every_byte() {
    let full: Value = serde_json::from_str(HAR).unwrap();
    let n = full["log"]["entries"].as_array().unwrap().len();
    for cut in 0..HAR.len() {
        if !HAR.is_char_boundary(cut) {
            continue;
        }
        let mut out = Vec::new();
        if sanitize_har(
            &HAR.as_bytes()[..cut],
            &mut out,
            &SanitizeOptions::default(),
        )
        .is_ok()
        {
            let text = String::from_utf8(out).unwrap();
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("cut {cut}: {e}: {text}"));
            let got = v["log"]["entries"].as_array().map_or(0, Vec::len);
            assert!(got <= n);
            for s in ["qSecret1", "ckSecret1", "pageSecret1"] {
                assert!(!text.contains(s), "cut {cut}: {s} in {text}");
            }
        }
    }
}

/// Many blocks, each cut into parts parsed at once, invalid entries here
/// and there, a cut at the end: order kept, counts right, output valid,
/// and the same bytes whatever the block size.
#[test]
fn many_entries_across_blocks() {
    let mut doc = String::from("{\"log\":{\"version\":\"1.2\",\"entries\":[");
    let n = 549;
    let bad = [0, 255, 256, n - 1];
    for i in 0..n {
        if i > 0 {
            doc.push_str(",\n");
        }
        if bad.contains(&i) {
            doc.push_str("[1]");
        } else {
            doc.push_str(&format!(
                "{{\"i\":{i},\"request\":{{\"url\":\"https://a.example/?token=t{i}x\"}}}}"
            ));
        }
    }
    let full = format!("{doc}]}}}}");
    for (input, complete) in [(full.as_str(), true), (doc.as_str(), false)] {
        let (out, rep) = run(input, &SanitizeOptions::default());
        for block in [1000, 4096, 20_000] {
            let mut small = Vec::new();
            sanitize_blocks(
                input.as_bytes(),
                &mut small,
                &SanitizeOptions::default(),
                block,
            )
            .unwrap();
            assert_eq!(String::from_utf8(small).unwrap(), out, "block {block}");
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: Vec<u64> = v["log"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["i"].as_u64().unwrap())
            .collect();
        let want: Vec<u64> = (0..n as u64)
            .filter(|i| !bad.contains(&(*i as usize)))
            .collect();
        assert_eq!(got, want);
        assert_eq!(rep.entries_written as usize, want.len());
        assert_eq!(rep.entries_dropped as usize, bad.len());
        assert_eq!(rep.truncated_at.is_some(), !complete);
        assert!(!out.contains("token=t1x"));
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn arbitrary_and_mutated_input_never_panics_and_any_block_agrees(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..6),
        ) {
            let mut out = Vec::new();
            let _ = sanitize_har(&bytes[..], &mut out, &SanitizeOptions::default());
            let mut har = HAR.as_bytes().to_vec();
            for (i, b) in flips {
                let at = i.index(har.len());
                har[at] = b;
            }
            let mut out = Vec::new();
            let whole = sanitize_har(&har[..], &mut out, &SanitizeOptions::default());
            if whole.is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(&out).is_ok() || std::str::from_utf8(&har).is_err(),
                    "invalid output: {}", String::from_utf8_lossy(&out));
            }
            // the walk cut into tiny blocks, parts and carried elements
            // gives the same bytes, report and error
            let mut small = Vec::new();
            let blocks = sanitize_blocks(&har[..], &mut small, &SanitizeOptions::default(), 7);
            match (whole, blocks) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a, b);
                    prop_assert_eq!(out, small);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "{:?} / {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }
}
