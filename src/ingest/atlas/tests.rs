use super::dns::dns_rcode;
use super::*;
use crate::model::LocKind;
use crate::model::{ErrorClass, ProbeKind};
const DNS_RECORDS: u64 = 53;
const DNS_BAD: u64 = 0;
const MIXED_RECORDS: u64 = 51;
const MIXED_BAD: u64 = 0;
use proptest::prelude::*;

fn file(text: &str) -> InputFile {
    InputFile::from_bytes(5, "a", text)
}

#[test]
fn array_ping_with_vantage_map() {
    let o = IngestOptions {
        vantage_map: load_vantage_map("probe_id,region,country,asn\n2,eu-central,DE,3320\n")
            .unwrap(),
        ..Default::default()
    };
    let p = parse(&file(FORMAT.samples[0]), &o);
    assert_eq!(p.report.records, 1);
    let r = &p.records.probes[0];
    assert_eq!(
        r.source,
        SourceRef {
            file: 5,
            kind: LocKind::Entry,
            n: 0
        }
    );
    assert_eq!(r.region, "eu-central");
    assert_eq!(r.agent, "2");
    assert_eq!(r.kind, ProbeKind::Network);
    assert_eq!(r.loss_pct, Some(0.0));
    assert_eq!(r.latency_ms, Some(48.802));
    assert!((r.jitter_ms.unwrap() - 0.315).abs() < 1e-9);
    assert_eq!(r.ts.timestamp(), 1700000000);
    assert_eq!(r.registrable_domain, "root-servers.net");
}

#[test]
fn jsonl_http_sslcert_and_bad() {
    let text = format!(
        "{}\n{{\"type\":\"ntp\",\"prb_id\":1,\"msm_id\":2,\"timestamp\":1700000000}}\n[broken\n",
        FORMAT.samples[1]
    );
    let p = parse(&file(&text), &IngestOptions::default());
    assert_eq!(p.report.records, 2);
    assert_eq!(p.report.bad_records, 2);
    assert_eq!(p.report.rejections[0].at.n, 3);
    assert_eq!(p.report.rejections[1].at.n, 4);
    let h = &p.records.probes[0];
    assert_eq!(h.region, "6001");
    assert_eq!(h.status, Some(200));
    assert_eq!(h.phases.connect_ms, Some(21.4));
    assert_eq!(h.phases.wait_ms, Some(33.6));
    assert!((h.phases.receive_ms.unwrap() - 7.123).abs() < 1e-9);
    let c = &p.records.probes[1];
    assert_eq!(c.error_class, Some(ErrorClass::CertError));
    assert_eq!(c.error.as_deref(), Some("TLS alert 42"));
    assert!((c.phases.tls_ms.unwrap() - 40.7).abs() < 1e-9);
}

#[test]
fn ping_all_lost_traceroute_dns() {
    let text = r#"{"af":4,"avg":-1,"dst_addr":"192.0.2.1","dst_name":"192.0.2.1","dup":0,"fw":5020,"max":-1,"min":-1,"msm_id":7,"prb_id":9,"proto":"ICMP","rcvd":0,"result":[{"x":"*"},{"x":"*"},{"x":"*"}],"sent":3,"timestamp":1700000000,"type":"ping"}
{"af":4,"dst_addr":"193.0.14.129","dst_name":"k.root-servers.net","endtime":1700000005,"fw":4790,"msm_id":5001,"paris_id":1,"prb_id":9,"proto":"UDP","result":[{"hop":1,"result":[{"from":"192.168.1.1","rtt":1.2,"size":28,"ttl":64},{"from":"192.168.1.1","rtt":1.0,"size":28,"ttl":64}]},{"hop":2,"result":[{"from":"193.0.14.129","rtt":30.0,"size":28,"ttl":60},{"x":"*"},{"from":"193.0.14.129","rtt":34.0,"size":28,"ttl":60},{"from":"193.0.14.129","rtt":32.0,"size":28,"ttl":60}]}],"size":48,"timestamp":1700000000,"type":"traceroute"}
{"fw":4790,"msm_id":10001,"prb_id":9,"result":{"ANCOUNT":0,"ARCOUNT":0,"ID":23441,"NSCOUNT":0,"QDCOUNT":1,"abuf":"W5GEgwABAAAAAAAA","rt":11.4,"size":60},"timestamp":1700000000,"type":"dns","dst_addr":"193.0.14.129"}
{"fw":4790,"msm_id":10001,"prb_id":9,"error":{"timeout":5000},"timestamp":1700000000,"type":"dns","dst_addr":"193.0.14.129"}"#;
    let p = parse(&file(text), &IngestOptions::default());
    assert_eq!(p.report.records, 4, "{:?}", p.report.rejections);
    let pr = &p.records.probes;
    assert_eq!(pr[0].loss_pct, Some(100.0));
    assert_eq!(pr[0].latency_ms, None);
    assert!(pr[0].is_error());
    assert_eq!(pr[1].loss_pct, Some(25.0));
    assert_eq!(pr[1].latency_ms, Some(32.0));
    assert_eq!(pr[1].jitter_ms, Some(3.0));
    assert_eq!(pr[2].kind, ProbeKind::Dns);
    assert_eq!(pr[2].resolve_ms, Some(11.4));
    assert_eq!(pr[2].error_class, Some(ErrorClass::DnsNxdomain));
    assert_eq!(pr[3].error_class, Some(ErrorClass::DnsTimeout));
}

#[test]
fn truncated_array_keeps_earlier_results() {
    let whole = format!(
        "[{},{}",
        &FORMAT.samples[0][1..FORMAT.samples[0].len() - 1],
        &FORMAT.samples[0][1..40]
    );
    let p = parse(&file(&whole), &IngestOptions::default());
    assert_eq!(p.report.records, 1);
    assert_eq!(p.report.bad_records, 1);
    assert!(!p.report.warnings.is_empty());
}

fn fixture(name: &str) -> InputFile {
    let path = format!("{}/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).unwrap();
    assert!(
        sniff(&bytes[..bytes.len().min(super::super::SNIFF_BYTES)])
            || crate::discover::is_gzip(&bytes),
        "{name}"
    );
    InputFile::from_bytes(3, name, bytes)
}

/// ripe-atlas-sagan's traceroutes: hop 255, `late`, `*`, ICMP errors,
/// a failed name resolution.
#[test]
fn sagan_traceroutes() {
    let p = parse(
        &fixture("atlas-sagan-traceroute.jsonl"),
        &IngestOptions::default(),
    );
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (21, 0),
        "{:?}",
        p.report
    );
    let rs = &p.records.probes;
    // the first: hop 255 with three `*`, the target never answered
    assert_eq!(rs[0].target, "121.244.76.25");
    assert_eq!(rs[0].loss_pct, Some(100.0));
    assert_eq!(rs[0].error.as_deref(), Some("last hop did not reply"));
    assert_eq!(rs[0].error_class, Some(ErrorClass::Timeout));
    // `late` replies from the destination at hop 255
    let late = rs.iter().find(|r| r.agent == "10834").unwrap();
    assert_eq!(late.loss_pct, Some(50.0));
    assert_eq!(late.error.as_deref(), Some("last hop replied late"));
    // ICMP network unreachable (`err: N`) from the first hop
    let n = rs.iter().find(|r| r.agent == "14468").unwrap();
    assert!(
        n.error
            .as_deref()
            .unwrap()
            .contains("network unreachable (N)")
    );
    assert_eq!(n.error_class, Some(ErrorClass::ConnectionTimedOut));
    // no destination address: name resolution failed
    let dns = rs.iter().find(|r| r.agent == "22586").unwrap();
    assert_eq!(dns.target, "syndication.exoclick.com");
    assert_eq!(dns.error_class, Some(ErrorClass::NameNotResolved));
    // gzipped, the same after discovery gunzips it
    let gz = std::fs::read(format!(
        "{}/fixtures/logs/atlas-sagan-traceroute.jsonl.gz",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let src = crate::discover::discover(
        &[format!(
            "{}/fixtures/logs/atlas-sagan-traceroute.jsonl.gz",
            env!("CARGO_MANIFEST_DIR")
        )],
        &mut Vec::new,
    );
    assert!(crate::discover::is_gzip(&gz));
    let f = crate::discover::load(0, &src[0], 1 << 30);
    let q = super::super::parse_file(&f, &IngestOptions::default());
    assert_eq!(q.report.format, "ripe-atlas");
    assert_eq!(q.report.records, 21);
}

#[test]
fn sagan_dns_array_result_and_resultset() {
    let p = parse(&fixture("atlas-sagan-dns.json"), &IngestOptions::default());
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (DNS_RECORDS, DNS_BAD),
        "{:?}",
        p.report
    );
    assert!(p.records.probes.iter().all(|r| r.kind == ProbeKind::Dns));
    assert!(
        p.records
            .probes
            .iter()
            .all(|r| r.source.kind == LocKind::Entry)
    );
}

#[test]
fn sagan_mixed_types_and_unread_counted() {
    let p = parse(
        &fixture("atlas-sagan-mixed.jsonl"),
        &IngestOptions::default(),
    );
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (MIXED_RECORDS, MIXED_BAD),
        "{:?}",
        p.report
    );
    assert_eq!(
        p.report.warnings,
        vec![format!(
            "2 RIPE Atlas result(s) of type \"wifi\" not read: only {READ_TYPES} carry latency, loss or failure"
        )]
    );
    let ntp: Vec<&ProbeRecord> = p
        .records
        .probes
        .iter()
        .filter(|r| r.test.starts_with("atlas-ntp"))
        .collect();
    assert_eq!(ntp.len(), 3);
    assert!((ntp[0].latency_ms.unwrap() - 11.354333).abs() < 1e-3);
    assert_eq!(ntp[1].loss_pct, Some(100.0));
    assert_eq!(ntp[2].error.as_deref(), Some("error-example"));
}

#[test]
fn sagan_single_pretty_printed_object() {
    let p = parse(
        &fixture("atlas-sagan-single.json"),
        &IngestOptions::default(),
    );
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (1, 0),
        "{:?}",
        p.report
    );
    let r = &p.records.probes[0];
    assert_eq!(r.source, SourceRef::line(3, 1));
    assert_eq!(r.loss_pct, Some(50.0));
    // and two of them back to back, the second broken
    let text = std::fs::read_to_string(format!(
        "{}/fixtures/logs/atlas-sagan-single.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let lines = text.lines().count() as u64;
    let two = format!("{text}{}\n{text}", &text[..200]);
    let p = parse(&file(&two), &IngestOptions::default());
    assert_eq!(p.report.records, 2, "{:?}", p.report);
    assert_eq!(p.report.bad_records, 1);
    assert_eq!(p.report.rejections[0].at.n, lines + 1);
    assert_eq!(
        p.records.probes[1].source.n,
        lines + 1 + text[..200].lines().count() as u64
    );
}

#[test]
fn vantage_map_errors() {
    assert!(
        load_vantage_map("12,eu\n13\n")
            .unwrap_err()
            .contains("line 2")
    );
    assert_eq!(
        load_vantage_map("# c\n12,eu,DE,1\n")
            .unwrap()
            .get("12")
            .map(String::as_str),
        Some("eu")
    );
}

#[test]
fn rcode() {
    assert_eq!(dns_rcode("W5GEAAABAAEAAAAACGhvc3RuYW1l"), Some(0));
    assert_eq!(dns_rcode("W5GEggAB"), Some(2));
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let f = InputFile { id: 0, path: "x".into(), vantage: None, bytes, read_error: None };
        let _ = parse(&f, &IngestOptions::default());
        let _ = sniff(&f.bytes);
        let _ = load_vantage_map(&String::from_utf8_lossy(&f.bytes));
    }

    #[test]
    fn never_panics_on_results(t in "(ping|http|dns|sslcert|traceroute)", body in r#"("result"|"rtt"|"x"|"sent"|"rcvd"|"abuf"|"res"|"alert"|:|,|1|-1|"\*"|\{|\}|\[|\])*"#) {
        let text = format!(r#"{{"type":"{t}","prb_id":1,"msm_id":2,"timestamp":1700000000,{body}}}"#);
        let _ = parse(&file(&text), &IngestOptions::default());
    }
}

/// Traceroutes of current probe firmware (5020, 5080) as the API and the
/// daily dumps write them, from public repositories (fixtures/logs/README.md
/// names each): hop 255 reached and not, `x:*`, a name that did not
/// resolve, ICMP `err` "A"; and firmware 5010's `late` replies.
#[test]
fn current_firmware_traceroutes() {
    let o = IngestOptions::default();
    let read = |name: &str| parse(&fixture(name), &o);
    for (name, records) in [
        ("atlas-fw5080-traceroute.jsonl", 16),
        ("atlas-fw5080-starlink-traceroute.json", 24),
        ("atlas-fw5020-pantrace.jsonl", 14),
        ("atlas-fw5020-daily-dump.jsonl", 9),
        ("atlas-fw5010-late.json", 10),
    ] {
        let p = read(name);
        assert_eq!(
            (p.report.records, p.report.bad_records),
            (records, 0),
            "{name}: {:?}",
            p.report
        );
        assert!(p.report.warnings.is_empty(), "{name}: {:?}", p.report);
        assert!(
            p.records
                .probes
                .iter()
                .all(|r| r.kind == ProbeKind::Network)
        );
    }
    // fw 5080 / 5020 API lines: three names that did not resolve, hop 255
    // with every reply `*` (the target never answered) and hop 255 reached
    let p = read("atlas-fw5080-traceroute.jsonl");
    let rs = &p.records.probes;
    let unresolved: Vec<&str> = rs
        .iter()
        .filter(|r| r.error_class == Some(ErrorClass::NameNotResolved))
        .map(|r| &*r.target)
        .collect();
    assert_eq!(
        unresolved,
        ["www.reuters.com", "news.google.com", "news.google.com"]
    );
    let silent = rs
        .iter()
        .filter(|r| r.error.as_deref() == Some("last hop did not reply"))
        .count();
    assert_eq!(silent, 4);
    let reached: Vec<_> = rs.iter().filter(|r| r.error.is_none()).collect();
    assert_eq!(reached.len(), 9);
    assert!(
        reached
            .iter()
            .all(|r| r.latency_ms.is_some_and(|v| v > 0.0))
    );
    // the daily dump's IPv6 traceroute whose last hop answers `err: A`
    let p = read("atlas-fw5020-daily-dump.jsonl");
    let a = p
        .records
        .probes
        .iter()
        .find(|r| r.error.as_deref().is_some_and(|e| e.contains("(A)")))
        .unwrap();
    assert_eq!(a.error_class, Some(ErrorClass::ConnectionTimedOut), "{a:?}");
    // fw 5010: a last hop whose reply came back `late` (after the next
    // packet was sent) still answered: counted as a reply, not a loss
    let p = read("atlas-fw5010-late.json");
    let late = p
        .records
        .probes
        .iter()
        .find(|r| &*r.agent == "30651")
        .unwrap();
    assert_eq!(late.loss_pct, Some(0.0), "{late:?}");
    assert!(late.latency_ms.is_some_and(|v| v > 100.0), "{late:?}");
}

/// Results saved inside an object of the saver's own (`{"info": [...]}`,
/// one result per line with leading commas): the array is read, with a
/// warning that says where the results were found.
#[test]
fn results_wrapped_in_an_object() {
    let p = parse(
        &fixture("atlas-fw5080-wrapped.json"),
        &IngestOptions::default(),
    );
    assert_eq!(
        (p.report.records, p.report.bad_records),
        (10, 0),
        "{:?}",
        p.report
    );
    assert_eq!(
        p.report.warnings,
        [
            "RIPE Atlas results read from the `info` array of a wrapping object (entries numbered from 0 in it)"
        ]
    );
    assert_eq!(
        p.records
            .probes
            .iter()
            .filter(|r| r.error_class == Some(ErrorClass::NameNotResolved))
            .count(),
        2
    );
    assert!(
        p.records
            .probes
            .iter()
            .all(|r| r.source.kind == LocKind::Entry)
    );
    // an object that is a result itself, or holds no array of results, is not this
    assert!(
        wrapped_results(br#"{"type":"ping","prb_id":1,"result":[{"type":"x","prb_id":2}]}"#)
            .is_none()
    );
    assert!(wrapped_results(br#"{"info":[1,2]}"#).is_none());
}
