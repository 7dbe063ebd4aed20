//! A hand-built report for renderer tests: every section filled (three
//! regions, waves, a config change three minutes before onset, a rollback,
//! a skipped file, rejected lines, a cell with `|` and a newline), so the
//! renderers can be checked without running the pipeline.
//!
//! It lives here, not in `src/`, because it is test data and nothing the
//! binary ships needs it. Integration tests cannot see the library's
//! `#[cfg(test)]` items, and a `test-support` feature would have to be
//! switched on for every `cargo test`; built only from the report's public
//! types, the sample sits beside the tests that use it, and the renderer
//! checks that read it are integration tests too.

use faultlens::detect::FaultDomain;
use faultlens::report::*;
use faultlens::verdict::{DomainScore, RuledOut, Verdict};

fn w(start: &str, end: &str, minutes: f64) -> WinOut {
    WinOut {
        start: start.into(),
        end: end.into(),
        minutes,
    }
}

#[allow(clippy::too_many_arguments)]
fn ev(
    signal: &str,
    unit: &str,
    b: Option<f64>,
    d: Option<f64>,
    a: Option<f64>,
    sup: FaultDomain,
    weight: f64,
    p: Option<f64>,
    effect: Option<f64>,
) -> EvidenceOut {
    EvidenceOut {
        signal: signal.into(),
        unit: unit.into(),
        before: b,
        during: d,
        after: a,
        supports: sup,
        weight,
        detector: "FL000".into(),
        n_before: 1200,
        n_during: 410,
        effect,
        p_value: p,
        locations: vec!["probes/us-east.jsonl:118".into()],
    }
}

/// 90 one-minute bins from 09:30; the incident runs 10:00-10:20 with a
/// peak at 10:08.
fn series() -> Vec<SeriesOut> {
    let bins = 90usize;
    let inside = |i: usize| (30..50).contains(&i);
    let mk = |name: &str, unit: &str, f: &dyn Fn(usize) -> Option<f64>| SeriesOut {
        name: name.into(),
        unit: unit.into(),
        start: Some("2025-02-06T09:30:00.000Z".into()),
        bin_seconds: 60.0,
        values: (0..bins).map(f).collect(),
    };
    vec![
        mk("fp_error_rate", "ratio", &|i| {
            if i == 12 {
                None
            } else {
                Some(if inside(i) {
                    round(0.3 + 0.01 * (i % 5) as f64)
                } else {
                    round(0.002 * (i % 3) as f64)
                })
            }
        }),
        mk("fp_wait_p95_ms", "ms", &|i| {
            Some(if inside(i) {
                2400.0 + 10.0 * (i % 7) as f64
            } else {
                180.0 + (i % 4) as f64
            })
        }),
        mk("page_load_ms", "ms", &|i| {
            Some(if inside(i) {
                900.0
            } else {
                2100.0 + (i % 3) as f64 * 10.0
            })
        }),
        mk("page_components", "count", &|i| {
            Some(if inside(i) { 12.0 } else { 48.0 })
        }),
    ]
}

pub fn report() -> Report {
    let ruled_out = vec![
        RuledOut {
            fault_domain: FaultDomain::Network,
            reason:
                "network: loss < 0.5 % from all 3 regions during the window (latency p50 21.7 ms)"
                    .into(),
        },
        RuledOut {
            fault_domain: FaultDomain::Dns,
            reason: "dns: 0 resolution errors in 1230 first-party requests".into(),
        },
    ];
    let verdict = Verdict {
        fault_domain: FaultDomain::Backend,
        confidence: 0.87,
        raw_confidence: 0.87,
        inconclusive: false,
        scope: "global".into(),
        affected_regions: vec!["eu-west".into(), "us-east".into()],
        ruled_out,
        summary: "Backend fault (high confidence): HTTP 503 on first-party calls: 5xx rate 0.2 % -> 31.0 %; not network: loss < 0.5 %.".into(),
        scores: vec![
            DomainScore { fault_domain: FaultDomain::Backend, score: 0.87, support_for: 0.87, support_against: 0.0 },
            DomainScore { fault_domain: FaultDomain::Network, score: 0.0, support_for: 0.0, support_against: 0.81 },
        ],
    };
    let evidence = vec![
        ev(
            "first-party HTTP 5xx rate",
            "ratio",
            Some(0.002),
            Some(0.31),
            Some(0.001),
            FaultDomain::Backend,
            0.85,
            Some(0.0),
            Some(0.31),
        ),
        ev(
            "first-party wait p95",
            "ms",
            Some(182.0),
            Some(2430.0),
            Some(185.0),
            FaultDomain::Backend,
            0.5,
            Some(0.0),
            Some(0.92),
        ),
        ev(
            "page components loaded",
            "count",
            Some(48.0),
            Some(12.0),
            Some(48.0),
            FaultDomain::Backend,
            0.4,
            Some(0.0012),
            Some(-0.88),
        ),
        ev(
            "packet loss | all regions",
            "pct",
            Some(0.1),
            Some(0.2),
            None,
            FaultDomain::Network,
            -0.7,
            Some(0.41),
            Some(0.03),
        ),
        ev(
            "first-party name-resolution failures",
            "ratio",
            None,
            Some(0.0),
            None,
            FaultDomain::Dns,
            -0.6,
            None,
            None,
        ),
    ];
    let findings = vec![FindingOut {
        code: "FL101".into(),
        name: "api_5xx".into(),
        fired: true,
        summary: "HTTP 503 on first-party calls".into(),
        regions: vec!["eu-west".into(), "us-east".into()],
        supports: vec![SupportOut {
            fault_domain: FaultDomain::Backend,
            weight: 0.85,
            reason: "backend: 503 from the origin".into(),
        }],
    }];
    let changes = vec![
        ChangeOut {
            ts: "2025-02-06T09:57:00.000Z".into(),
            service: "api-gateway".into(),
            kind: "config".into(),
            summary: "raise pool | timeout\nto 30s".into(),
            minutes_before_onset: Some(3.0),
            location: "changes.jsonl:2".into(),
            suspected_trigger: true,
        },
        ChangeOut {
            ts: "2025-02-06T08:10:00.000Z".into(),
            service: "web".into(),
            kind: "deploy".into(),
            summary: "web v1.42".into(),
            minutes_before_onset: Some(110.0),
            location: "changes.jsonl:1".into(),
            suspected_trigger: false,
        },
        ChangeOut {
            ts: "2025-02-06T10:18:00.000Z".into(),
            service: "api-gateway".into(),
            kind: "rollback".into(),
            summary: "revert pool config".into(),
            minutes_before_onset: Some(-18.0),
            location: "changes.jsonl:3".into(),
            suspected_trigger: false,
        },
    ];
    let inputs = vec![
        InputOut {
            path: "probes/us-east.jsonl".into(),
            format: "probe".into(),
            vantage: Some("us-east".into()),
            records: 1800,
            bad_records: 2,
            rejected: vec![
                RejectedOut {
                    at: "line 17".into(),
                    reason: "missing field `ts`".into(),
                },
                RejectedOut {
                    at: "line 233".into(),
                    reason: "not JSON: unexpected | character".into(),
                },
            ],
            warnings: vec![],
            skipped: None,
            first_ts: Some("2025-02-06T09:30:00.000Z".into()),
            last_ts: Some("2025-02-06T10:59:00.000Z".into()),
        },
        InputOut {
            path: "capture.har".into(),
            format: "har".into(),
            vantage: Some("eu-west".into()),
            records: 640,
            bad_records: 0,
            rejected: vec![],
            warnings: vec!["truncated after entry 640".into()],
            skipped: None,
            first_ts: Some("2025-02-06T09:40:00.000Z".into()),
            last_ts: Some("2025-02-06T10:25:00.000Z".into()),
        },
        InputOut {
            path: "notes.txt".into(),
            format: "unknown".into(),
            vantage: None,
            records: 0,
            bad_records: 0,
            rejected: vec![],
            warnings: vec![],
            skipped: Some("format not recognised".into()),
            first_ts: None,
            last_ts: None,
        },
    ];
    let region = |name: &str, n: u64, eb: f64, ed: f64, affected: bool| RegionRow {
        region: name.into(),
        requests_during: n,
        error_rate_before: Some(eb),
        error_rate_during: Some(ed),
        wait_p50_ms_before: Some(120.0),
        wait_p50_ms_during: Some(if affected { 1800.0 } else { 125.0 }),
        loss_pct_before: Some(0.1),
        loss_pct_during: Some(0.2),
        latency_p50_ms_before: Some(21.0),
        latency_p50_ms_during: Some(22.0),
        affected,
    };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "faultlens",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: None,
        verdict,
        windows: WindowsOut {
            before: Some(w(
                "2025-02-06T09:30:00.000Z",
                "2025-02-06T10:00:00.000Z",
                30.0,
            )),
            during: Some(w(
                "2025-02-06T10:00:00.000Z",
                "2025-02-06T10:20:00.000Z",
                20.0,
            )),
            after: Some(w(
                "2025-02-06T10:20:00.000Z",
                "2025-02-06T11:00:00.000Z",
                40.0,
            )),
            method: "change_point".into(),
            waves: vec![
                w("2025-02-06T10:00:00.000Z", "2025-02-06T10:09:00.000Z", 9.0),
                w("2025-02-06T10:12:00.000Z", "2025-02-06T10:20:00.000Z", 8.0),
            ],
            blips: vec![w(
                "2025-02-06T10:40:00.000Z",
                "2025-02-06T10:41:00.000Z",
                1.0,
            )],
            peak: Some("2025-02-06T10:08:00.000Z".into()),
            bin_seconds: 60.0,
            candidate: None,
        },
        evidence,
        findings,
        changes,
        inputs,
        regions: vec![
            region("ap-southeast", 200, 0.001, 0.004, false),
            region("eu-west", 410, 0.002, 0.33, true),
            region("us-east", 620, 0.002, 0.29, true),
        ],
        top_changes: vec![TopChange {
            family: "http".into(),
            group: "host=api.example.com".into(),
            signal: "wait_ms".into(),
            before: Some(120.0),
            during: Some(1800.0),
            after: Some(125.0),
            ratio: Some(15.0),
            ratio_ci: Some((12.1, 18.3)),
            effect: Some(0.93),
            q_value: Some(0.0),
            n_before: 1200,
            n_during: 410,
        }],
        hosts: vec![
            HostRow {
                host: "api.example.com".into(),
                party: "first".into(),
                count: 1230,
                errors: 380,
                wait_p50_ms: Some(140.0),
                wait_p95_ms: Some(2400.0),
                total_p50_ms: Some(180.0),
                total_p95_ms: Some(2600.0),
            },
            HostRow {
                host: "cdn.example.net".into(),
                party: "first".into(),
                count: 900,
                errors: 0,
                wait_p50_ms: Some(12.0),
                wait_p95_ms: Some(40.0),
                total_p50_ms: Some(20.0),
                total_p95_ms: Some(61.5),
            },
        ],
        series: series(),
        coverage: Coverage {
            inputs: 3,
            skipped: 1,
            records: 2440,
            bad_records: 2,
            requests: 2130,
            pages: 90,
            probes: 1800,
            server_requests: 0,
            changes: 3,
            start: Some("2025-02-06T09:30:00.000Z".into()),
            end: Some("2025-02-06T10:59:00.000Z".into()),
        },
        page_impact: faultlens::report::impact::PageImpact {
            before: 30,
            failed_before: 1,
            during: 20,
            failed_during: 15,
        },
        site: Default::default(),
        runs: Vec::new(),
    }
}
