use super::clf::*;
use super::timing::*;
use super::w3c::*;
use super::*;
use crate::ingest::{IngestOptions, InputFile, Parsed};
use proptest::prelude::*;

fn file(text: &str) -> InputFile {
    InputFile::from_bytes(8, "a", text)
}

#[test]
fn combined_with_times() {
    let p = parse_clf(&file(FORMAT_CLF.samples[2]), &IngestOptions::default());
    assert_eq!(p.report.records, 2);
    let a = &p.records.server[0];
    assert_eq!(a.ts.to_rfc3339(), "2025-02-06T09:00:02+00:00");
    assert_eq!(a.status, 502);
    assert_eq!(a.method, "POST");
    assert_eq!(a.request_ms, Some(30004.0));
    assert!((a.upstream_ms.unwrap() - 30004.0).abs() < 1e-6);
    let b = &p.records.server[1];
    assert_eq!(b.request_ms, Some(1.0));
    assert_eq!(b.upstream_ms, None);
    assert_eq!(b.source.n, 2);
}

#[test]
fn common_vhost_and_apache_d() {
    let text = format!(
        "{}\n{}\n{}\n",
        FORMAT_CLF.samples[0], FORMAT_CLF.samples[1], FORMAT_CLF.samples[3]
    );
    let p = parse_clf(&file(&text), &IngestOptions::default());
    assert_eq!(p.report.records, 3);
    let s = &p.records.server;
    assert_eq!(s[0].endpoint, "/api/v1/projects/{id}/tasks");
    assert_eq!(s[0].bytes, Some(5120));
    assert_eq!(s[0].request_ms, None);
    assert_eq!(s[1].ts.to_rfc3339(), "2000-10-10T20:55:36+00:00");
    assert_eq!(s[1].vhost, None);
    assert_eq!(s[2].vhost.as_deref(), Some("www.example.com"));
    assert_eq!(s[2].request_ms, Some(1.532));
    assert_eq!(s[2].status, 304);
}

#[test]
fn tails() {
    assert_eq!(tail_times(""), (None, None));
    let (r, u) = tail_times("0.250 0.100 : 0.050");
    assert_eq!(r, Some(250.0));
    assert!((u.unwrap() - 150.0).abs() < 1e-9);
    assert_eq!(
        tail_times("rt=0.5 uct=\"0.001\" urt=\"0.4\""),
        (Some(500.0), Some(400.0))
    );
    // unknown extra fields are not guessed at
    assert_eq!(
        tail_times("4113 174 465 https TLSv1.2 ECDHE-RSA-AES256-SHA dark beer 230"),
        (None, None)
    );
    assert_eq!(tail_times("abc"), (None, None));
    assert_eq!(tail_times("0.123 0.120"), (Some(123.0), Some(120.0)));
    assert_eq!(tail_times("0.123 -"), (Some(123.0), None));
    assert_eq!(tail_times("1234"), (Some(1.234), None));
    assert_eq!(tail_times("1.2.3 0.1"), (None, None));
}

#[test]
fn junk_rejected_with_lines() {
    let text = format!(
        "{}\nUnmatched! The rat the cat\n{}\n\"quoted\" [x]\n",
        FORMAT_CLF.samples[0], FORMAT_CLF.samples[1]
    );
    let p = parse_clf(&file(&text), &IngestOptions::default());
    assert_eq!(p.report.records, 2);
    assert_eq!(p.report.bad_records, 2);
    let lines: Vec<u64> = p.report.rejections.iter().map(|r| r.at.n).collect();
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn w3c_fields_change_mid_file_and_chunks() {
    let mut text = String::from(FORMAT_W3C.samples[0]);
    text.push_str("#Fields: date time cs-method cs-uri-stem sc-status time-taken\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "2022-11-07 15:{:02}:{:02} GET /orders/{i} 503 {i}\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    text.push_str("bad line\n");
    let f = file(&text);
    let p = parse_w3c(&f, &IngestOptions::default());
    assert_eq!(p.report.records, 2001, "{:?}", p.report.rejections);
    assert_eq!(p.report.bad_records, 1);
    assert_eq!(p.report.rejections[0].at.n, 2007);
    let s = &p.records.server;
    assert_eq!(s[0].request_ms, Some(130.0));
    assert_eq!(s[0].status, 404);
    assert_eq!(s[0].source.n, 5);
    assert_eq!(s[1].endpoint, "/orders/{id}");
    assert_eq!(s[1].source.n, 7);
    assert_eq!(s[2000].request_ms, Some(1999.0));
    // a chunk that starts after the second directive uses it
    let chunks = super::super::lines::split_chunks(&f.bytes, 1000);
    assert!(chunks.len() > 10);
}

fn w3c_fixture(name: &str) -> Parsed {
    let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let f = InputFile::from_bytes(8, name, std::fs::read(path).unwrap());
    assert!(sniff_w3c(&f.bytes), "{name}");
    parse_w3c(&f, &IngestOptions::default())
}

/// IIS Advanced Logging, tab-separated with quoted values and
/// `TimeTakenMS` (vjeantet/bitfan's w3c codec test data).
#[test]
fn w3c_advanced_logging_tabs_quotes_timetakenms() {
    let p = w3c_fixture("iis-advanced-tabs.log");
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (2, 0),
        "{:?}",
        p.report
    );
    let r = &p.records.server[1];
    assert_eq!(r.ts.to_rfc3339(), "2017-09-23T00:34:44.666+00:00");
    assert_eq!(r.method, "POST");
    assert_eq!(r.endpoint, "/_vti_bin/Lists.asmx");
    assert_eq!(r.status, 201);
    assert_eq!(r.bytes, Some(378));
    assert_eq!(r.request_ms, Some(0.0));
    assert_eq!(r.vhost.as_deref(), Some("w3c.example.com"));
}

/// Advanced Logging with a `#Filter:` directive, a double space after
/// `#Fields:` and quoted values (Microsoft's ARR troubleshooting docs).
#[test]
fn w3c_advanced_logging_spaces_quotes() {
    let p = w3c_fixture("iis-advanced-arr.log");
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (1, 0),
        "{:?}",
        p.report
    );
    let r = &p.records.server[0];
    assert_eq!(r.endpoint, "/iisstart.htm");
    assert_eq!(r.status, 200);
    assert_eq!(r.bytes, Some(1680));
    assert_eq!(r.request_ms, None);
    // HTTP.sys's own error log (HTTPERR): cs-uri, s-reason, a trailing space in #Fields
    let p = w3c_fixture("iis-httperr.log");
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (1, 0),
        "{:?}",
        p.report
    );
    assert_eq!(p.records.server[0].status, 400);
    assert_eq!(p.records.server[0].endpoint, "/{id}/time.asp");
}

fn clf_fixture(name: &str) -> Parsed {
    let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let f = InputFile::from_bytes(8, name, std::fs::read(path).unwrap());
    assert!(sniff_clf(&f.bytes), "{name}");
    parse_clf(&f, &IngestOptions::default())
}

/// nginx 1.22 writing ingress-nginx's `upstreaminfo` format: a first
/// request retried on the next upstream (`a, b` lists), one answered
/// without an upstream (`- - - -`), and 502s once the backend is gone.
#[test]
fn ingress_nginx_upstream_lists() {
    let p = clf_fixture("ingress-nginx.log");
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (16, 0),
        "{:?}",
        p.report
    );
    let s = &p.records.server;
    assert_eq!(s[0].request_ms, Some(12.0));
    assert!((s[0].upstream_ms.unwrap() - 12.0).abs() < 1e-9); // 0.002 + 0.010
    assert_eq!(s[1].request_ms, Some(5.0));
    assert_eq!(s[1].upstream_ms, Some(5.0));
    assert_eq!(s[12].status, 404);
    assert_eq!(s[12].request_ms, Some(0.0));
    assert_eq!(s[12].upstream_ms, None);
    assert_eq!(s[14].status, 502);
    // the request length (79) is never read as Apache's %D
    assert!(s.iter().all(|r| r.request_ms.is_some_and(|ms| ms < 20.0)));
    assert!(p.report.warnings.is_empty());
}

#[test]
fn line_cut_inside_the_user_agent_is_read_with_a_warning() {
    let p = clf_fixture("ingress-nginx-cut.log");
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (4, 0),
        "{:?}",
        p.report
    );
    assert_eq!(p.records.server[3].status, 200);
    assert_eq!(p.records.server[3].request_ms, None);
    assert!(p.report.warnings[0].contains("1 access-log line"));
    // a cut referer too; a cut request line is still rejected
    let text = "1.2.3.4 - - [02/Dec/2026:18:05:03 +0000] \"GET / HTTP/1.1\" 200 3 \"http://a/very/lo\n1.2.3.4 - - [02/Dec/2026:18:05:03 +0000] \"GET /very/lo\n";
    let p = parse_clf(&file(text), &IngestOptions::default());
    assert_eq!((p.report.records, p.report.bad_records), (1, 1));
}

#[test]
fn w3c_cells_quotes() {
    assert_eq!(
        w3c_cells(r#"a "b c" d "" "e""#),
        vec!["a", "b c", "d", "", "e"]
    );
    assert_eq!(w3c_cells(r#"a "b c"#), vec!["a", "b c"]);
    assert_eq!(w3c_cells("a\t\"b c\"\t-"), vec!["a", "b c", "-"]);
}

#[test]
fn w3c_local_time_and_blank_lines_between_directives() {
    let text = "#Software: IIS Advanced Logging Module\n\n#Version: 1.0\n\n#Fields: date-local time-local cs-method cs-uri-stem sc-status TimeTakenMS\n2017-09-23 00:03:11.235 GET / 200 15.5\n#Software: IIS Advanced Logging Module\n#Fields: date time cs-method cs-uri-stem sc-status\n2017-09-23 00:03:12 GET /x 503\n2017-09-23 00:03:13 GET /x 503 extra\n";
    let p = parse_w3c(&file(text), &IngestOptions::default());
    assert_eq!((p.report.records, p.report.bad_records), (2, 1));
    assert_eq!(p.report.rejections[0].at.n, 10);
    assert_eq!(p.records.server[0].request_ms, Some(15.5));
    assert_eq!(p.records.server[1].status, 503);
    assert!(p.report.warnings[0].contains("date-local"));
}

#[test]
fn w3c_tabs_seconds() {
    let p = parse_w3c(&file(FORMAT_W3C.samples[1]), &IngestOptions::default());
    assert_eq!(p.report.records, 1);
    let r = &p.records.server[0];
    assert_eq!(r.request_ms, Some(2.0));
    assert_eq!(r.vhost.as_deref(), Some("d111111abcdef8.cloudfront.net"));
    assert_eq!(r.bytes, Some(5120));
}

#[test]
fn sniffs() {
    for s in FORMAT_CLF.samples {
        assert!(sniff_clf(s.as_bytes()), "{s}");
        assert!(!sniff_w3c(s.as_bytes()));
    }
    assert!(!sniff_clf(b"dark beer\nlight wine\n"));
    assert!(!sniff_clf(b"121 321\n431 123\n"));
    assert!(sniff_w3c(FORMAT_W3C.samples[0].as_bytes()));
}

proptest! {
    #[test]
    fn plain_tails_read_as_the_general_path_reads_them(
        toks in proptest::collection::vec(
            prop_oneof![
                Just("-".to_string()),
                Just("1.2.3".to_string()),
                Just("abc".to_string()),
                Just("0.1, 0.2".to_string()),
                Just("rt=0.5".to_string()),
                Just("\u{a0}".to_string()),
                (0u32..100_000).prop_map(|n| n.to_string()),
                (0u32..100, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b:03}")),
                "[0-9.]{1,8}",
            ],
            0..4,
        ),
    ) {
        let tail = toks.join(" ");
        prop_assert_eq!(tail_times(&tail), tail_times_general(&tail), "{}", tail);
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
        let _ = parse_clf(&f, &IngestOptions::default());
        let _ = parse_w3c(&f, &IngestOptions::default());
        let _ = sniff_clf(&f.bytes);
        let _ = sniff_w3c(&f.bytes);
    }

    #[test]
    fn never_panics_on_clfish(t in r#"[0-9/A-Za-z:+. -]{0,30}"#, tail in r#"[0-9.,: "=a-z-]{0,30}"#) {
        let line = format!("1.2.3.4 - - [{t}] \"GET / HTTP/1.1\" 200 12 \"-\" \"ua\" {tail}");
        let _ = parse_clf_line(&line);
    }
}
