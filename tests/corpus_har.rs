//! Every real HAR of the shared corpus is read with the record counts its
//! MANIFEST.tsv gives, invalid ones are reported with a reason, and nothing
//! panics; plus property tests of the reader on arbitrary and damaged input.

use faultlens::ingest::{self, IngestOptions, InputFile};
use proptest::prelude::*;
use std::io::Read;
use std::path::Path;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn input(id: u32, path: &str, bytes: Vec<u8>) -> InputFile {
    InputFile {
        id,
        path: path.to_string(),
        vantage: None,
        bytes,
        read_error: None,
    }
}

fn read_maybe_gz(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).expect("read corpus file");
    if p.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        raw
    }
}

#[test]
fn corpus_counts_match_manifest() {
    let manifest = Path::new(SHARED).join("corpus/MANIFEST.tsv");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        println!("skip: {} not present", manifest.display());
        return;
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .expect("manifest column")
    };
    let (c_file, c_kind, c_entries, c_pages) =
        (col("file"), col("kind"), col("entries"), col("pages"));
    let mut checked = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() <= c_entries || !f[c_kind].starts_with("har") {
            continue;
        }
        let path = Path::new(SHARED).join("corpus").join(f[c_file]);
        let bytes = read_maybe_gz(&path);
        let parsed =
            ingest::parse_file(&input(checked, f[c_file], bytes), &IngestOptions::default());
        let rep = &parsed.report;
        assert_eq!(
            rep.format, "har",
            "{}: detected as {}",
            f[c_file], rep.format
        );
        if f[c_entries] == "invalid" {
            assert_eq!(rep.records, 0, "{}", f[c_file]);
            assert!(parsed.records.requests.is_empty());
            let why = rep.skipped.as_deref().unwrap_or("");
            assert!(!why.is_empty(), "{}: invalid but no reason", f[c_file]);
            println!("{}: rejected: {why}", f[c_file]);
        } else {
            let want: u64 = f[c_entries].parse().expect("entries count");
            assert_eq!(rep.records, want, "{}: {:?}", f[c_file], rep);
            assert_eq!(
                parsed.records.requests.len() as u64 + rep.bad_records,
                want,
                "{}",
                f[c_file]
            );
            let want_pages: usize = f[c_pages].parse().unwrap_or(0);
            assert_eq!(
                parsed.records.pages.len(),
                want_pages,
                "{}: pages",
                f[c_file]
            );
            assert!(rep.skipped.is_none());
            for r in &rep.rejections {
                println!("{}: bad entry: {}", f[c_file], r.reason);
            }
        }
        checked += 1;
    }
    assert!(checked >= 17, "only {checked} HAR rows in the manifest");
}

/// The one corpus entry that cannot become a request (haralyzer's
/// missing_page.har nests url, method and startedDateTime inside
/// request.postData by mistake) is counted as read and rejected with its
/// reason, not dropped.
#[test]
fn corpus_broken_entry_is_rejected_with_reason() {
    let path = Path::new(SHARED).join("corpus/har/haralyzer__haralyzer__missing_page.har");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("skip: {} not present", path.display());
        return;
    };
    let p = ingest::parse_file(
        &input(0, "missing_page.har", bytes),
        &IngestOptions::default(),
    );
    assert_eq!((p.report.records, p.report.bad_records), (1, 1));
    assert!(
        p.report.rejections[0]
            .reason
            .contains("entry has no startedDateTime"),
        "{:?}",
        p.report.rejections
    );
}

/// Cutting a real capture anywhere gives a prefix of its entries.
#[test]
fn corpus_truncation_gives_prefix() {
    let path = Path::new(SHARED).join("corpus/har/mitmproxy__mitmproxy__chrome.har");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("skip: {} not present", path.display());
        return;
    };
    let full = faultlens::ingest::har::parse_har_bytes(0, None, &bytes, &IngestOptions::default());
    let n = full.records.requests.len();
    assert_eq!(n, 3);
    for cut in (0..bytes.len()).step_by(97) {
        let p = faultlens::ingest::har::parse_har_bytes(
            0,
            None,
            &bytes[..cut],
            &IngestOptions::default(),
        );
        let k = p.records.requests.len();
        assert!(k <= n);
        assert_eq!(
            &p.records.requests[..],
            &full.records.requests[..k],
            "cut {cut}"
        );
        assert!(
            p.report
                .warnings
                .iter()
                .any(|w| w.contains("truncated at byte"))
                || p.report.skipped.is_some(),
            "cut {cut}"
        );
    }
}

fn small_har() -> String {
    let e = |i: u32, pr: &str| {
        format!(
            r#"{{"pageref":"{pr}","startedDateTime":"2024-05-01T10:00:0{i}.5Z","request":{{"method":"GET","url":"https://a{i}.example.com/x/{i}"}},"response":{{"status":{},"_error":"{}","content":{{"size":{i},"text":"eA==\"\\u00e9","mimeType":"text/css"}},"headers":[{{"name":"via","value":"1.1 varnish"}}]}},"timings":{{"dns":{i},"connect":5,"ssl":2,"wait":1}},"time":8}}"#,
            if i.is_multiple_of(2) { 200 } else { 0 },
            if i.is_multiple_of(2) {
                ""
            } else {
                "net::ERR_CONNECTION_RESET"
            }
        )
    };
    format!(
        "\u{feff}{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"t\"}},\"entries\":[{},{},{},{}],\"pages\":[{{\"id\":\"p\",\"startedDateTime\":\"2024-05-01T10:00:00Z\"}}]}}}}",
        e(1, "p"),
        e(2, "p"),
        e(3, "q"),
        e(4, "p")
    )
}

#[test]
fn every_cut_of_a_small_har_is_a_prefix() {
    let doc = small_har();
    let b = doc.as_bytes();
    let full = faultlens::ingest::har::parse_har_bytes(1, None, b, &IngestOptions::default());
    assert_eq!(full.records.requests.len(), 4);
    assert_eq!(full.records.pages.len(), 1);
    assert_eq!(full.records.pages[0].components, 3);
    // Pages come after the entries here, so a cut loses page links only.
    let unlinked = |rs: &[faultlens::model::Request]| {
        rs.iter()
            .cloned()
            .map(|mut r| {
                r.page_id = None;
                r
            })
            .collect::<Vec<_>>()
    };
    for cut in 0..b.len() {
        let p =
            faultlens::ingest::har::parse_har_bytes(1, None, &b[..cut], &IngestOptions::default());
        let k = p.records.requests.len();
        assert_eq!(
            unlinked(&p.records.requests),
            unlinked(&full.records.requests[..k]),
            "cut {cut}"
        );
        assert_eq!(
            p.report.bad_records as usize,
            if k == 0 && p.report.skipped.is_some() {
                1
            } else {
                0
            },
            "cut {cut}: {:?}",
            p.report
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let p = faultlens::ingest::har::parse_har_bytes(0, None, &bytes, &IngestOptions::default());
        prop_assert!(p.records.requests.len() as u64 <= p.report.records);
        let _ = ingest::detect(&bytes);
    }

    #[test]
    fn arbitrary_json_prefix_never_panics(tail in "[\\[\\]{}\",:a-z0-9\\\\ ]{0,200}") {
        let doc = format!("{{\"log\":{{\"entries\":[{tail}");
        let _ = faultlens::ingest::har::parse_har_bytes(0, None, doc.as_bytes(), &IngestOptions::default());
    }

    #[test]
    fn mutated_har_never_panics_and_accounts(pos in 0usize..4096, byte in any::<u8>(), cut in 0usize..4096) {
        let mut b = small_har().into_bytes();
        let i = pos % b.len();
        b[i] = byte;
        b.truncate(cut % (b.len() + 1));
        let p = faultlens::ingest::har::parse_har_bytes(0, None, &b, &IngestOptions::default());
        // a corrupted string can desynchronise the scanner and split the
        // damaged region into several bad elements, but never invent a
        // usable request, and every element is accounted for
        prop_assert!(p.records.requests.len() <= 4);
        prop_assert!(p.records.requests.len() as u64 + p.report.bad_records >= p.report.records);
    }

    /// The streaming reader (blocks cut into parts at guessed entry starts,
    /// merged in order) reads any mutation of a HAR exactly as the
    /// in-memory reader does, whatever the block size: the differential
    /// `har_stream` fuzz target's check, run here on every CI run.
    #[test]
    fn streaming_reader_matches_in_memory_on_mutations(
        pos in 0usize..4096,
        byte in prop::sample::select(b"{}[],:\"\\ 0a\xe9\xff".to_vec()),
        cut in 0usize..4096,
        block in 1usize..400,
    ) {
        use faultlens::ingest::har::{parse_har_bytes, parse_har_reader_blocks};
        let opts = IngestOptions::default();
        let mut b = small_har().into_bytes();
        let i = pos % b.len();
        b[i] = byte;
        b.truncate(cut % (b.len() + 1));
        let want = parse_har_bytes(0, None, &b, &opts);
        let got = parse_har_reader_blocks(0, None, &b[..], &opts, block);
        prop_assert_eq!(&got.records.requests, &want.records.requests);
        prop_assert_eq!(&got.records.pages, &want.records.pages);
        prop_assert_eq!(&got.report, &want.report);
    }
}

/// Hand-made fixtures for each quirk (always present, unlike ../shared).
#[test]
fn quirk_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/har");
    let read = |name: &str| {
        let b = std::fs::read(dir.join(name)).expect("fixture");
        ingest::parse_file(&input(3, name, b), &IngestOptions::default())
    };
    let p = read("chrome-errors.har");
    assert_eq!(
        (
            p.report.format.as_str(),
            p.report.records,
            p.report.bad_records
        ),
        ("har", 5, 0)
    );
    let classes: Vec<Option<&str>> = p
        .records
        .requests
        .iter()
        .map(|r| r.error_class.map(|c| c.as_str()))
        .collect();
    assert_eq!(
        classes,
        vec![
            None,
            None,
            Some("connection_reset"),
            Some("name_not_resolved"),
            None
        ]
    );
    assert_eq!(p.records.pages[0].failed_components, 3);
    assert_eq!(
        p.records.requests[0].edge.provider.as_deref(),
        Some("cloudflare")
    );
    assert_eq!(
        p.records.requests[1].edge.provider.as_deref(),
        Some("cloudfront")
    );
    assert_eq!(
        p.records.requests[2].phases,
        faultlens::model::Phases::default()
    );

    let p = read("bom-empty-pages.har");
    assert_eq!((p.report.records, p.records.pages.len()), (2, 0));

    let p = read("wpt-jsonp.har");
    assert_eq!(p.report.records, 2);
    let r = &p.records.requests[0];
    assert_eq!(r.start.to_rfc3339(), "2015-08-29T12:43:42.123456700+00:00");
    assert_eq!(
        (r.status, r.phases.dns_ms, r.phases.total_ms),
        (200, Some(12.0), Some(68.0))
    );
    assert_eq!(r.edge.provider.as_deref(), Some("fastly"));
    assert_eq!(p.records.requests[1].status, 0);

    let p = read("firefox-ssl.har");
    let a = p.records.requests[0].phases;
    assert_eq!(
        (a.connect_ms, a.tls_ms, a.total_ms),
        (Some(32.0), Some(66.0), Some(247.0))
    );
    let b = p.records.requests[1].phases;
    assert_eq!((b.connect_ms, b.tls_ms), (Some(10.0), Some(20.0)));
    assert!(p.report.warnings.iter().any(|w| w.contains("no pageref")));

    let p = read("truncated.har");
    assert_eq!(p.report.records, 2);
    assert!(
        p.report.warnings[0].starts_with("truncated at byte"),
        "{:?}",
        p.report.warnings
    );

    let p = read("bare-entry.har");
    assert_eq!((p.report.format.as_str(), p.report.records), ("har", 0));
    assert_eq!(
        p.report.skipped.as_deref(),
        Some("valid JSON but not a HAR document (no log object)")
    );
}

fn same(a: &faultlens::ingest::Parsed, b: &faultlens::ingest::Parsed, what: &str) {
    assert_eq!(a.records.requests, b.records.requests, "{what}: requests");
    assert_eq!(a.records.pages, b.records.pages, "{what}: pages");
    assert_eq!(a.report, b.report, "{what}: report");
}

/// The streaming reader gives exactly what the in-memory reader gives,
/// whatever the block size, on real captures and on every cut of a small one.
#[test]
fn streaming_reader_matches_in_memory() {
    use faultlens::ingest::har::{
        parse_har_bytes, parse_har_file_windows, parse_har_reader_blocks,
    };
    let opts = IngestOptions::default();
    let doc = small_har();
    let b = doc.as_bytes();
    for cut in 0..b.len() {
        let want = parse_har_bytes(2, None, &b[..cut], &opts);
        for block in [1, 7, 64] {
            same(
                &parse_har_reader_blocks(2, None, &b[..cut], &opts, block),
                &want,
                &format!("cut {cut} block {block}"),
            );
        }
    }
    let dir = Path::new(SHARED).join("corpus/har");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("skip corpus part: {} not present", dir.display());
        return;
    };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let bytes = read_maybe_gz(&p);
        let want = parse_har_bytes(5, Some("v".into()), &bytes, &opts);
        // the mapped reader maps the file itself (gzipped ones unpacked first)
        let tmp = std::env::temp_dir().join(format!("faultlens-corpus-{}.har", std::process::id()));
        std::fs::write(&tmp, &bytes).unwrap();
        let file = std::fs::File::open(&tmp).unwrap();
        let _ = std::fs::remove_file(&tmp);
        for block in [4096, 65536] {
            same(
                &parse_har_reader_blocks(5, Some("v".into()), &bytes[..], &opts, block),
                &want,
                &p.display().to_string(),
            );
            same(
                &parse_har_file_windows(5, Some("v".into()), &file, &opts, block),
                &want,
                &format!("{} mapped", p.display()),
            );
        }
    }
}
