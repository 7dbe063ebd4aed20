use super::*;
use proptest::prelude::*;

fn file(text: &str) -> InputFile {
    InputFile {
        id: 6,
        path: "p".into(),
        vantage: Some("home".into()),
        bytes: text.as_bytes().to_vec(),
        read_error: None,
    }
}

fn fixture(name: &str) -> InputFile {
    let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    InputFile::from_bytes(1, name, std::fs::read(path).unwrap())
}

fn start(s: &str) -> IngestOptions {
    IngestOptions {
        start: crate::classify::parse_ts(s),
        ..Default::default()
    }
}

const OLD_SAMPLE: &str = "PING example.com (93.184.215.14) 56(84) bytes of data.\n\
     [1738836000.120518] 64 bytes from 93.184.215.14: icmp_seq=1 ttl=56 time=11.6 ms\n\
     [1738836001.121934] 64 bytes from 93.184.215.14: icmp_seq=2 ttl=56 time=12.1 ms\n\
     [1738836003.124410] 64 bytes from 93.184.215.14: icmp_seq=4 ttl=56 time=11.4 ms\n\
     \n\
     --- example.com ping statistics ---\n\
     4 packets transmitted, 3 received, 25% packet loss, time 3004ms\n\
     rtt min/avg/max/mdev = 11.412/11.700/12.101/0.290 ms\n";

#[test]
fn per_minute_summary_with_gaps() {
    let p = parse(&file(OLD_SAMPLE), &IngestOptions::default());
    assert_eq!(p.report.records, 1);
    assert_eq!(p.report.bad_records, 0);
    let r = &p.records.probes[0];
    assert_eq!(r.target, "example.com");
    assert_eq!(r.source.n, 2);
    assert_eq!(r.ts.timestamp(), 1738836000);
    assert_eq!(r.loss_pct, Some(25.0)); // seq 3 missing
    assert!((r.latency_ms.unwrap() - 11.7).abs() < 1e-9);
    assert!((r.jitter_ms.unwrap() - 0.6).abs() < 1e-9);
    assert_eq!(r.region, "home");
}

#[test]
fn minutes_split_and_failures_counted() {
    let text = "[1738836060.004113] 64 bytes from lhr25s34-in-f14.1e100.net (142.250.187.206): icmp_seq=61 ttl=117 time=8.92 ms\n\
     [1738836061.005820] no answer yet for icmp_seq=62\n\
     [1738836062.010022] From 10.20.0.1 icmp_seq=63 Destination Host Unreachable\n\
     junk here\n[1738836119.5] 64 bytes from 1.1.1.1: icmp_seq=64 ttl=5 time=9 ms\n[1738836121.0] no answer yet for icmp_seq=65\n";
    let p = parse(&file(text), &IngestOptions::default());
    assert_eq!(p.report.bad_records, 1);
    assert_eq!(p.report.rejections[0].at.n, 4);
    assert_eq!(p.report.records, 2);
    let a = &p.records.probes[0];
    assert_eq!(a.target, "lhr25s34-in-f14.1e100.net");
    assert_eq!(a.source.n, 1);
    assert!((a.loss_pct.unwrap() - 50.0).abs() < 1e-9);
    let b = &p.records.probes[1];
    assert_eq!(b.source.n, 6);
    assert_eq!(b.loss_pct, Some(100.0));
    assert_eq!(b.error_class, Some(ErrorClass::Timeout));
}

#[test]
fn stamps_people_use() {
    let at = |s: &str| match parse_stamp(s).unwrap() {
        Stamp::At { t, zoned } => (t.to_rfc3339(), zoned),
        other => panic!("{other:?}"),
    };
    let want = "2026-12-02T17:44:05+00:00".to_string();
    assert_eq!(at("[2026-12-02 17:44:05] "), (want.clone(), false));
    assert_eq!(at("2026-12-02 17:44:05 "), (want.clone(), false));
    assert_eq!(at("2026-12-02 17:44:05 - "), (want.clone(), false));
    assert_eq!(at("Wed Dec  2 17:44:05 UTC 2026: "), (want.clone(), true));
    assert_eq!(at("Wed Dec  2 18:44:05 CET 2026: "), (want.clone(), true));
    assert_eq!(at("2026-12-02T19:44:05+0200 "), (want.clone(), true));
    assert_eq!(at("2026-12-02T17:44:05Z "), (want.clone(), true));
    assert_eq!(at("[2026-12-02 12:44:05 EST]"), (want.clone(), true));
    assert_eq!(
        at("2026-12-02T17:44:05.708149+0000 ").0,
        "2026-12-02T17:44:05.708149+00:00"
    );
    assert_eq!(
        parse_stamp("Dec 02 17:44:05 ").unwrap(),
        Stamp::NoYear {
            month: 12,
            day: 2,
            secs: 63845.0
        }
    );
    assert_eq!(
        parse_stamp("16:22:34.5 ").unwrap(),
        Stamp::TimeOfDay(58954.5)
    );
    assert_eq!(parse_stamp("").unwrap(), Stamp::None);
    assert!(
        parse_stamp("Wed Dec  2 17:44:05 XYZ 2026")
            .unwrap_err()
            .contains("XYZ")
    );
    assert!(parse_stamp("[check-ping]").is_err());
}

/// Every recorded variant of the same localhost run reads the same way.
#[test]
fn recorded_variants() {
    let o = start("2026-12-02T17:00:00Z");
    // (fixture, records, bad, sent, lost)
    for (name, records, bad, replies) in [
        ("ping-D-O-localhost.txt", 1, 0, 20),
        ("ping-ts-bracket.txt", 1, 0, 12),
        ("ping-ts-iso-tz.txt", 1, 0, 12),
        ("ping-loop-date.txt", 1, 0, 12),
        ("ping-loop-date-default.txt", 1, 0, 8),
        ("ping-ts-default.txt", 1, 0, 12),
        ("ping-plain.txt", 1, 0, 8),
    ] {
        let p = parse(&fixture(name), &o);
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (records, bad),
            "{name}: {:?}",
            p.report
        );
        assert!(sniff(&fixture(name).bytes), "{name}");
        let r = &p.records.probes[0];
        assert_eq!(r.target, "127.0.0.1", "{name}");
        assert_eq!(r.loss_pct, Some(0.0), "{name}");
        assert!(r.latency_ms.unwrap() < 1.0, "{name}");
        assert_eq!(r.source.n, 2, "{name}");
        let _ = replies;
    }
    // the stamped ones are placed at the real minute
    for name in [
        "ping-D-O-localhost.txt",
        "ping-ts-bracket.txt",
        "ping-ts-default.txt",
    ] {
        let p = parse(&fixture(name), &o);
        assert_eq!(
            p.records.probes[0].ts.to_rfc3339(),
            "2026-12-02T17:44:00+00:00",
            "{name}"
        );
    }
}

#[test]
fn unreachable_counts_each_number_once() {
    let p = parse(
        &fixture("ping-D-O-unreachable.txt"),
        &IngestOptions::default(),
    );
    assert_eq!((p.report.records, p.report.bad_records), (1, 0));
    let r = &p.records.probes[0];
    assert_eq!(r.target, "10.255.255.1");
    assert_eq!(r.loss_pct, Some(100.0));
    assert_eq!(r.latency_ms, None);
    assert_eq!(r.error.as_deref(), Some("Destination Port Unreachable"));
    assert!(r.is_error());
}

#[test]
fn plain_refused_without_start_read_with_it() {
    for name in [
        "ping-plain.txt",
        "ping-macos-plain.txt",
        "ping-ts-default.txt",
    ] {
        let f = fixture(name);
        assert!(sniff(&f.bytes), "{name}");
        let p = parse(&f, &IngestOptions::default());
        assert_eq!(p.report.records, 0);
        let why = p.report.skipped.unwrap();
        assert!(why.contains("--start"), "{why}");
        assert!(why.contains("ts '%Y-%m-%d"), "{why}");
    }
    // macOS, a real terminal capture: prompt lines rejected, the late
    // reply to seq 21 not counted lost
    let p = parse(
        &fixture("ping-macos-plain.txt"),
        &start("2023-11-20T21:35:00Z"),
    );
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (3, 2),
        "{:?}",
        p.report
    );
    assert_eq!(p.report.rejections[0].at.n, 1);
    assert_eq!(p.report.rejections[1].at.n, 2);
    let rs = &p.records.probes;
    assert_eq!(rs[0].target, "ucdavis.edu");
    assert_eq!(rs[0].ts.to_rfc3339(), "2023-11-20T21:35:00+00:00");
    let replies: usize = 126;
    let lost: f64 = rs.iter().map(|r| r.loss_pct.unwrap()).sum();
    assert_eq!(lost, 0.0);
    assert!(rs.iter().all(|r| r.latency_ms.is_some()));
    let _ = replies;
}

#[test]
fn apple_time_takes_the_date_from_start() {
    let text = "PING 112.80.248.75 (112.80.248.75): 56 data bytes\n\
        23:59:59.425612 64 bytes from 112.80.248.75: icmp_seq=0 ttl=54 time=22.271 ms\n\
        Request timeout for icmp_seq 1\n\
        00:00:01.424474 64 bytes from 112.80.248.75: icmp_seq=2 ttl=54 time=21.0 ms\n";
    assert!(sniff(text.as_bytes()));
    let p = parse(&file(text), &start("2024-05-01T08:00:00Z"));
    assert_eq!(p.report.records, 2, "{:?}", p.report);
    assert_eq!(
        p.records.probes[0].ts.to_rfc3339(),
        "2024-05-01T23:59:00+00:00"
    );
    assert_eq!(p.records.probes[0].loss_pct, Some(50.0));
    assert_eq!(
        p.records.probes[1].ts.to_rfc3339(),
        "2024-05-02T00:00:00+00:00"
    );
    assert!(
        p.report
            .warnings
            .iter()
            .any(|w| w.contains("without a time stamp"))
    );
}

#[test]
fn sniffs() {
    for s in FORMAT.samples {
        assert!(sniff(s.as_bytes()), "{s}");
    }
    assert!(sniff(OLD_SAMPLE.as_bytes()));
    assert!(!sniff(
        b"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n"
    ));
    assert!(!sniff(b"[check-ping] 64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.251 ms\n[check-ping] 64 bytes from 127.0.0.1: seq=1 ttl=64 time=0.111 ms\n"));
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
        let _ = parse(&f, &IngestOptions::default());
        let _ = parse(&f, &start("2024-01-01T00:00:00Z"));
        let _ = sniff(&f.bytes);
    }

    #[test]
    fn never_panics_on_replies(ts in "[0-9.]{0,20}", seq in "[0-9]{0,12}", t in "[0-9.]{0,10}") {
        let text = format!("[{ts}] 64 bytes from h: icmp_seq={seq} ttl=1 time={t} ms\n[{ts}] From x icmp_seq={seq} Unreachable\n");
        let _ = parse(&file(&text), &IngestOptions::default());
    }

    #[test]
    fn never_panics_on_stamps(stamp in "[A-Za-z0-9 :.+\\-\\[\\]/TZ]{0,40}", seq in "[0-9]{0,12}") {
        let text = format!("{stamp} 64 bytes from h: icmp_seq={seq} ttl=1 time=1 ms\n{stamp} Request timeout for icmp_seq {seq}\n");
        let _ = parse_stamp(&stamp);
        let _ = parse(&file(&text), &start("2024-12-31T23:00:00Z"));
    }
}
