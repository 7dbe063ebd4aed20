use super::*;
use crate::model::ErrorClass;
use crate::model::{LocKind, Phases, ResourceType, SourceRef};

fn parse_str(s: &[u8]) -> Parsed {
    parse_har_bytes(7, Some("us-east".into()), s, &IngestOptions::default())
}

fn entry(extra: &str) -> String {
    format!(
        r#"{{"startedDateTime":"2024-05-01T10:00:00.000Z","request":{{"method":"get","url":"https://www.example.com/api/v1/projects/1234/tasks?token=abc"}},"response":{{"status":200,"headers":[],"content":{{"size":10,"mimeType":"application/json"}}}},"time":10{extra}}}"#
    )
}

fn har(entries: &[String], pages: &str) -> String {
    format!(
        r#"{{"log":{{"version":"1.2","pages":[{pages}],"entries":[{}]}}}}"#,
        entries.join(",")
    )
}

/// Found by `cargo fuzz` (har_stream target): a stray token where an
/// entry should start was worded by serde_json from the rest of the
/// streaming reader's buffer (`-]`: "invalid number", `t]`: "expected
/// ident") and from the entry's own bytes in memory (`-`: "EOF while
/// parsing a value"). Both now read the entry from its own bytes.
#[test]
fn a_damaged_entry_is_worded_alike_streamed_and_in_memory() {
    let opts = IngestOptions::default();
    let ok = entry("");
    for stray in [
        "-", "t", "nul", "1x", "\"s\"", "-1e", "[1,", "{\"a\":}", "tru",
    ] {
        for doc in [
            format!(r#"{{"log":{{"entries":[{stray}]}}}}"#),
            format!(r#"{{"log":{{"entries":[{ok},{stray} , {ok}]}}}}"#),
        ] {
            let want = parse_har_bytes(0, None, doc.as_bytes(), &opts);
            for block in [1, 2, 3, 5, 8, 13, 40, 1 << 20] {
                let got = parse_har_reader_blocks(0, None, doc.as_bytes(), &opts, block);
                assert_eq!(got.report, want.report, "{doc} / block {block}");
                assert_eq!(got.records.requests, want.records.requests, "{doc}");
            }
        }
    }
}

#[test]
fn basic_entry_fields() {
    let doc = har(
        &[entry(
            r#","pageref":"p1","serverIPAddress":"[2001:db8::1]""#,
        )],
        r#"{"id":"p1","startedDateTime":"2024-05-01T10:00:00Z","pageTimings":{"onLoad":120,"onContentLoad":-1}}"#,
    );
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.report.records, 1);
    assert_eq!(p.report.bad_records, 0);
    let r = &p.records.requests[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.scheme, "https");
    assert_eq!(r.host, "www.example.com");
    assert_eq!(r.registrable_domain, "example.com");
    assert_eq!(r.endpoint, "/api/v1/projects/{id}/tasks");
    assert_eq!(r.vantage.as_deref(), Some("us-east"));
    assert_eq!(r.page_id.as_deref(), Some("7:p1"));
    assert_eq!(r.server_ip.as_deref(), Some("2001:db8::1"));
    assert_eq!(r.resource_type, ResourceType::Xhr);
    assert_eq!(r.source, SourceRef::entry(7, 0));
    let pg = &p.records.pages[0];
    assert_eq!(pg.id, "7:p1");
    assert_eq!(pg.components, 1);
    assert_eq!(pg.on_load_ms, Some(120.0));
    assert_eq!(pg.on_content_load_ms, None);
    assert_eq!(pg.main_domain.as_deref(), Some("example.com"));
}

#[test]
fn bom_and_jsonp_are_read() {
    let doc = format!("\u{feff}onInputData({});", har(&[entry("")], ""));
    assert!(sniff(doc.as_bytes()));
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.records.requests.len(), 1);
    assert!(p.report.warnings.is_empty(), "{:?}", p.report.warnings);
}

#[test]
fn missing_or_empty_pages_and_unknown_pageref() {
    let doc = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entry(""));
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.records.requests.len(), 1);
    assert!(p.records.pages.is_empty());
    let doc = har(
        &[entry(r#","pageref":"nope""#), entry("")],
        r#"{"id":"p1","startedDateTime":"2024-05-01T10:00:00Z"}"#,
    );
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.records.requests.len(), 2);
    assert!(p.records.requests.iter().all(|r| r.page_id.is_none()));
    assert_eq!(p.records.pages[0].components, 0);
    let w = p.report.warnings.join("\n");
    assert!(
        w.contains("1 entries reference a page id not in log.pages"),
        "{w}"
    );
    assert!(w.contains("1 entries have no pageref"), "{w}");
}

#[test]
fn minus_one_absent_and_empty_timings_are_none() {
    let doc = har(
        &[
            entry(
                r#","timings":{"blocked":-1,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":5,"receive":-1}"#,
            ),
            entry(r#","timings":{}"#).replace(r#""time":10"#, r#""time":-1"#),
        ],
        "",
    );
    let p = parse_str(doc.as_bytes());
    let a = p.records.requests[0].phases;
    assert_eq!(
        (a.blocked_ms, a.dns_ms, a.connect_ms, a.tls_ms),
        (None, None, None, None)
    );
    assert_eq!(
        (a.send_ms, a.wait_ms, a.receive_ms, a.total_ms),
        (Some(0.0), Some(5.0), None, Some(10.0))
    );
    assert_eq!(p.records.requests[1].phases, Phases::default());
}

#[test]
fn ssl_inside_connect_spec_style() {
    // Chrome: connect 41.7 includes ssl 41.5; time = sum without ssl.
    let (ph, st) = normalize_phases(HarTimings {
        blocked: Some(0.5),
        dns: Some(0.0),
        connect: Some(41.7),
        ssl: Some(41.5),
        send: Some(9.5),
        wait: Some(2130.9),
        receive: Some(0.3),
        time: Some(2182.9),
    });
    assert_eq!(st, Some(SslStyle::InsideConnect));
    assert!((ph.connect_ms.unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(ph.tls_ms, Some(41.5));
    let sum: f64 = [
        ph.blocked_ms,
        ph.dns_ms,
        ph.connect_ms,
        ph.tls_ms,
        ph.send_ms,
        ph.wait_ms,
        ph.receive_ms,
    ]
    .iter()
    .flatten()
    .sum();
    assert!((sum - 2182.9).abs() < 1e-6, "{sum}");
}

#[test]
fn ssl_on_top_firefox_style() {
    // Real Firefox 111 entry: blocked 89 dns 0 connect 32 ssl 66 wait 60, time 247.
    let (ph, st) = normalize_phases(HarTimings {
        blocked: Some(89.0),
        dns: Some(0.0),
        connect: Some(32.0),
        ssl: Some(66.0),
        send: Some(0.0),
        wait: Some(60.0),
        receive: Some(0.0),
        time: Some(247.0),
    });
    assert_eq!(st, Some(SslStyle::OnTopOfConnect));
    assert_eq!(ph.connect_ms, Some(32.0));
    assert_eq!(ph.tls_ms, Some(66.0));
    assert_eq!(ph.total_ms, Some(247.0));
    // Firefox style where connect > ssl still decided by `time`.
    let (ph, st) = normalize_phases(HarTimings {
        blocked: None,
        dns: None,
        connect: Some(309.0),
        ssl: Some(100.0),
        send: Some(2.0),
        wait: Some(3039.0),
        receive: Some(3.0),
        time: Some(3453.0),
    });
    assert_eq!(st, Some(SslStyle::OnTopOfConnect));
    assert_eq!(ph.connect_ms, Some(309.0));
    // No time: connect >= ssl means spec; total is the phase sum, counted once.
    let (ph, st) = normalize_phases(HarTimings {
        blocked: None,
        dns: Some(5.0),
        connect: Some(30.0),
        ssl: Some(20.0),
        send: None,
        wait: Some(10.0),
        receive: None,
        time: None,
    });
    assert_eq!(st, Some(SslStyle::InsideConnect));
    assert_eq!(ph.connect_ms, Some(10.0));
    assert_eq!(ph.total_ms, Some(45.0));
}

#[test]
fn wpt_strings_and_negative_status() {
    let e = r#"{"startedDateTime":"2015-08-29T14:43:42.123+00:00","request":{"method":"GET","url":"http://www.nytimes.com/"},"response":{"status":"-2","bodySize":"100","headersSize":"50","content":{"size":"100","mimeType":"text/html"}},"time":"68","timings":{"blocked":"-1","dns":"12","connect":"-1","ssl":"-1","send":"0","wait":"66","receive":"2"},"_cdn_provider":"Google"}"#;
    let p = parse_str(har(&[e.to_string()], "").as_bytes());
    let r = &p.records.requests[0];
    assert_eq!(r.status, 0);
    assert_eq!(r.error.as_deref(), Some("status -2"));
    assert!(r.is_error());
    assert_eq!(r.phases.dns_ms, Some(12.0));
    assert_eq!(r.phases.total_ms, Some(68.0));
    assert_eq!(r.transfer_bytes, Some(150));
    assert_eq!(r.edge.provider.as_deref(), Some("google"));
    assert_eq!(r.resource_type, ResourceType::Document);
}

#[test]
fn chrome_error_strings_classified() {
    let cases = [
        ("net::ERR_NAME_NOT_RESOLVED", ErrorClass::NameNotResolved),
        ("net::ERR_CONNECTION_REFUSED", ErrorClass::ConnectionRefused),
        ("net::ERR_CONNECTION_RESET", ErrorClass::ConnectionReset),
        (
            "net::ERR_CONNECTION_TIMED_OUT",
            ErrorClass::ConnectionTimedOut,
        ),
        (
            "net::ERR_INTERNET_DISCONNECTED",
            ErrorClass::InternetDisconnected,
        ),
        ("net::ERR_CERT_DATE_INVALID", ErrorClass::CertError),
        ("net::ERR_BLOCKED_BY_CLIENT", ErrorClass::BlockedByClient),
        ("net::ERR_ABORTED", ErrorClass::Aborted),
    ];
    let entries: Vec<String> = cases
        .iter()
        .map(|(t, _)| {
            entry("").replace(
                r#""status":200,"#,
                &format!(r#""status":0,"_error":"{t}","#),
            )
        })
        .collect();
    let p = parse_str(har(&entries, "").as_bytes());
    for (r, (t, c)) in p.records.requests.iter().zip(cases) {
        assert_eq!(r.status, 0);
        assert_eq!(r.error.as_deref(), Some(t));
        assert_eq!(r.error_class, Some(c), "{t}");
    }
}

#[test]
fn seven_digit_fractions_and_local_offsets() {
    let e = entry("").replace(
        "2024-05-01T10:00:00.000Z",
        "2023-03-29T16:58:59.3031234-07:00",
    );
    let p = parse_str(har(&[e], "").as_bytes());
    assert_eq!(
        p.records.requests[0].start.to_rfc3339(),
        "2023-03-29T23:58:59.303123400+00:00"
    );
}

#[test]
fn har_1_1_and_1_3() {
    for v in ["1.1", "1.3"] {
        let doc =
            har(&[entry("")], "").replace(r#""version":"1.2""#, &format!(r#""version":"{v}""#));
        let p = parse_str(doc.as_bytes());
        assert_eq!((p.report.records, p.report.bad_records), (1, 0), "{v}");
    }
}

#[test]
fn resource_type_hint_then_mime() {
    let doc = har(
        &[
            entry(r#","_resourceType":"script""#),
            entry("").replace("application/json", "image/png"),
        ],
        "",
    );
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.records.requests[0].resource_type, ResourceType::Script);
    assert_eq!(p.records.requests[1].resource_type, ResourceType::Image);
}

#[test]
fn edge_hints_from_headers() {
    let with = |h: &str| entry("").replace(r#""headers":[]"#, &format!(r#""headers":[{h}]"#));
    let doc = har(
        &[
            with(
                r#"{"name":"CF-RAY","value":"8a1-SJC"},{"name":"cf-cache-status","value":"HIT"},{"name":"Set-Cookie","value":"secret=1"}"#,
            ),
            with(
                r#"{"name":"x-cache","value":"Hit from cloudfront"},{"name":"x-amz-cf-pop","value":"SFO5-C1"}"#,
            ),
            with(
                r#"{"name":"X-Served-By","value":"cache-sjc10034-SJC"},{"name":"X-Cache","value":"MISS"}"#,
            ),
            with(r#"{"name":"Server","value":"AkamaiGHost"}"#),
            with(r#"{"name":"Server","value":"nginx"}"#),
            // Akamai's own error page: its software in Server, no cache header
            with(r#"{"name":"Server","value":"AkamaiGHost"},{"name":"Mime-Version","value":"1.0"}"#)
                .replace(r#""status":200"#, r#""status":503"#),
            // an origin's 503 through the edge keeps the origin's Server
            with(r#"{"name":"Server","value":"nginx"},{"name":"x-akamai-transformed","value":"9 - 0 pmb=mRUM,1"}"#)
                .replace(r#""status":200"#, r#""status":503"#),
        ],
        "",
    );
    let p = parse_str(doc.as_bytes());
    let got: Vec<(Option<&str>, Option<&str>)> = p
        .records
        .requests
        .iter()
        .map(|r| (r.edge.provider.as_deref(), r.edge.cache.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("cloudflare"), Some("hit")),
            (Some("cloudfront"), Some("hit from cloudfront")),
            (Some("fastly"), Some("miss")),
            (Some("akamai"), None),
            (None, None),
            (Some("akamai"), Some("error from akamaighost")),
            (Some("akamai"), None),
        ]
    );
}

#[test]
fn transfer_bytes_and_cache() {
    let doc = har(
        &[
            entry(r#","_transferSize":726"#),
            entry("").replace(
                r#""status":200,"#,
                r#""status":304,"bodySize":0,"headersSize":120,"#,
            ),
            entry(r#","_fromCache":"disk""#),
            entry("").replace(
                r#""status":200,"#,
                r#""status":200,"bodySize":-1,"headersSize":-1,"#,
            ),
        ],
        "",
    );
    let p = parse_str(doc.as_bytes());
    let r = &p.records.requests;
    assert_eq!((r[0].transfer_bytes, r[0].from_cache), (Some(726), false));
    assert_eq!((r[1].transfer_bytes, r[1].from_cache), (Some(120), true));
    assert!(r[2].from_cache);
    assert_eq!(r[3].transfer_bytes, None);
    assert_eq!(r[0].body_bytes, Some(10));
}

#[test]
fn body_text_only_length_kept() {
    let e = entry("").replace(
        r#""size":10,"#,
        r#""text":"aGVsbG8gd29ybGQh","encoding":"base64","#,
    );
    let p = parse_str(har(&[e], "").as_bytes());
    assert_eq!(p.records.requests[0].body_bytes, Some(12));
}

#[test]
fn bare_entry_is_not_a_har() {
    let doc = entry(r#","pageref":"page_1""#);
    assert!(sniff(doc.as_bytes()));
    let p = parse_str(doc.as_bytes());
    assert_eq!(p.report.records, 0);
    assert_eq!(
        p.report.skipped.as_deref(),
        Some("valid JSON but not a HAR document (no log object)")
    );
}

#[test]
fn corrupt_file_is_claimed_and_located() {
    let doc = b"{\"log\":\n[\n    2,1,3\n]\n\"request:\"}";
    assert!(sniff(doc));
    let p = parse_str(doc);
    assert_eq!(p.report.records, 0);
    assert_eq!(p.report.bad_records, 1);
    let why = p.report.skipped.unwrap();
    assert!(why.contains("corrupt JSON at byte 22"), "{why}");
    assert_eq!(p.report.rejections[0].at.kind, LocKind::Byte);
}

#[test]
fn truncation_keeps_prefix_and_warns() {
    let doc = har(&[entry(""), entry(""), entry("")], "");
    let cut = doc.len() - 30;
    let p = parse_str(&doc.as_bytes()[..cut]);
    assert_eq!(p.report.records, 2);
    assert_eq!(p.records.requests.len(), 2);
    assert_eq!(
        p.report.warnings,
        vec![format!("truncated at byte {cut}: kept 2 complete entries")]
    );
}

#[test]
fn bad_entry_rejected_with_entry_ref() {
    let doc = har(
        &[
            entry(""),
            r#"{"request":{"url":"http://a/"}}"#.to_string(),
            r#"{"startedDateTime":1e999}"#.to_string(),
        ],
        "",
    );
    let p = parse_str(doc.as_bytes());
    assert_eq!((p.report.records, p.report.bad_records), (3, 2));
    assert_eq!(p.report.rejections[0].at, SourceRef::entry(7, 1));
    assert!(p.report.rejections[0].reason.contains("startedDateTime"));
}

/// `bytes` in a fresh file under the system's temporary directory,
/// open for reading (the file is removed at once; the handle keeps it).
fn temp_file(name: &str, bytes: &[u8]) -> std::fs::File {
    let path =
        std::env::temp_dir().join(format!("faultlens-har-{}-{name}.har", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    f
}

/// The streaming readers (read and mapped) parse each block in parts
/// cut at guessed entry starts. Guesses that land on a nested object with the same
/// first key, entries serde rejects, values that are not objects,
/// invalid UTF-8, multi-byte text at part edges, cuts anywhere and
/// every block size give exactly what the in-memory reader gives,
/// pretty or minified.
#[test]
fn parallel_parts_match_in_memory() {
    let opts = IngestOptions::default();
    let mut entries: Vec<String> = Vec::new();
    for k in 0..48 {
        entries.push(match k % 8 {
            0 => entry(
                r#","_nested":{"startedDateTime":"2024-05-01T10:00:00Z","x":[{"startedDateTime":1}]}"#,
            ),
            1 => entry(r#","response":{"status":503}"#),
            2 => entry(&format!(r#","_note":"{}""#, "\u{e9}\u{4f60}".repeat(k))),
            3 => "5".to_string(),
            4 => entry(r#","_blob":"BAD!""#),
            5 => entry(r#","_initiator":{"startedDateTime":"x"}"#),
            _ => entry(""),
        });
    }
    let minified = har(&entries, "");
    let value: serde_json::Value = serde_json::from_str(&minified).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let starts_bad = har(&entries[3..], "");
    for (name, doc, good) in [
        ("minified", &minified, (48, 12)),
        // (serde_json's `Value` keeps one of two duplicate keys)
        ("pretty", &pretty, (48, 6)),
        ("bad first", &starts_bad, (45, 11)),
    ] {
        // invalid UTF-8 in a field nobody reads
        let doc: Vec<u8> = doc.replace("BAD!", "B\u{1}D!").into_bytes();
        let doc: Vec<u8> = doc
            .into_iter()
            .map(|b| if b == 1 { 0xff } else { b })
            .collect();
        let whole = parse_har_bytes(3, None, &doc, &opts);
        let r = &whole.report;
        assert_eq!((r.records, r.bad_records), good, "{name}");
        for cut in (0..=doc.len()).rev().step_by(331) {
            let bytes = &doc[..cut];
            let want = parse_har_bytes(3, None, bytes, &opts);
            let blocks: &[usize] = if cut == doc.len() {
                &[1, 7, 300, 1000, 4096, 1 << 20]
            } else {
                &[7, 1000, 4096]
            };
            let file = temp_file(&format!("parts-{}-{cut}", name.replace(' ', "-")), bytes);
            for &block in blocks {
                let read = parse_har_reader_blocks(3, None, bytes, &opts, block);
                let mapped = parse_har_file_windows(3, None, &file, &opts, block);
                for (how, got) in [("read", read), ("mapped", mapped)] {
                    let what = format!("{name} cut {cut} block {block} {how}");
                    assert_eq!(got.records.requests, want.records.requests, "{what}");
                    assert_eq!(got.records.pages, want.records.pages, "{what}");
                    assert_eq!(got.report, want.report, "{what}");
                }
            }
        }
    }
}

#[test]
fn sniff_rejects_other_json() {
    assert!(!sniff(
        br#"{"ts":"2024-05-01T10:00:00Z","type":"http","target":"https://a/"}"#
    ));
    assert!(!sniff(br#"[{"log":1}]"#));
    assert!(!sniff(b"not json"));
    assert!(sniff(br#"{"log":{"entries":[{"#));
}
