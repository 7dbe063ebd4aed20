//! The three renderers on a hand-built report and on the bundled incidents:
//! insta snapshots (bytes must not move without review), a real markdown
//! parser over the summary (tables and Mermaid blocks well formed), plain
//! tables free of escape codes, and the JSON contract fields.

use faultlens::pipeline::{self, Request};
use faultlens::report::table::TableOptions;
use faultlens::report::{Report, json, markdown, svg, table, text};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::path::Path;

#[path = "common/sample.rs"]
mod sample;

/// Bundled incidents snapshotted in all three formats (a global backend
/// outage, a slow API, a healthy capture, waves, a regional network fault).
const INCIDENTS: &[&str] = &[
    "asana-global",
    "chatgpt-slow-api",
    "healthy",
    "jira-waves",
    "network-regional",
];

fn incident(name: &str) -> Option<Report> {
    let dir = format!("fixtures/incidents/{name}");
    if !Path::new(env!("CARGO_MANIFEST_DIR")).join(&dir).is_dir() {
        eprintln!("skip: {dir} not present yet");
        return None;
    }
    let req = Request {
        paths: vec![dir.clone()],
        ..Default::default()
    };
    let out =
        pipeline::run(&req, &mut Vec::new, &|_, _| {}).unwrap_or_else(|e| panic!("{dir}: {e}"));
    Some(out.report)
}

fn plain(r: &Report) -> String {
    table::render(
        r,
        &TableOptions {
            color: false,
            width: Some(120),
        },
    )
}

/// Count the cells of a GFM table row: pipes not escaped with `\`.
fn cells_in_line(line: &str) -> usize {
    let mut n = 0usize;
    let mut prev = ' ';
    for ch in line.trim().chars() {
        if ch == '|' && prev != '\\' {
            n += 1;
        }
        prev = if prev == '\\' && ch == '\\' { ' ' } else { ch };
    }
    n.saturating_sub(1)
}

/// Parses the markdown and checks every table and Mermaid block; returns
/// (tables, mermaid blocks) seen.
fn check_markdown(md: &str) -> (usize, usize) {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    let mut tables = 0;
    let mut mermaid = 0;
    let mut in_mermaid = false;
    let mut code = String::new();
    let mut cols = 0usize;
    let mut cells = 0usize;
    let mut rows = 0usize;
    for (ev, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match ev {
            Event::Start(Tag::Table(al)) => {
                tables += 1;
                cols = al.len();
                rows = 0;
                // source lines: header, delimiter, rows, all with the same pipes
                let src = &md[range];
                let lines: Vec<&str> = src.lines().filter(|l| !l.trim().is_empty()).collect();
                assert!(lines.len() >= 2, "table without delimiter row:\n{src}");
                for l in &lines {
                    assert_eq!(
                        cells_in_line(l),
                        cols,
                        "row with {} cells in a {cols}-column table: {l:?}",
                        cells_in_line(l)
                    );
                    assert!(
                        l.starts_with('|') && l.trim_end().ends_with('|'),
                        "row not fenced by pipes: {l:?}"
                    );
                }
                assert!(
                    lines[1]
                        .split('|')
                        .filter(|c| !c.trim().is_empty())
                        .all(|c| c.trim().trim_matches(':').chars().all(|x| x == '-')),
                    "bad delimiter row {:?}",
                    lines[1]
                );
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                assert_eq!(
                    cells, cols,
                    "parsed row has {cells} cells, table has {cols}"
                );
                rows += 1;
            }
            Event::End(TagEnd::Table) => assert!(rows >= 2, "table with a header only"),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))
                if lang.as_ref() == "mermaid" =>
            {
                in_mermaid = true;
                code.clear();
            }
            Event::Text(t) if in_mermaid => code.push_str(&t),
            Event::End(TagEnd::CodeBlock) if in_mermaid => {
                in_mermaid = false;
                mermaid += 1;
                check_xychart(&code);
            }
            _ => {}
        }
    }
    (tables, mermaid)
}

fn array_len(line: &str) -> usize {
    let inner = line
        .split_once('[')
        .and_then(|(_, r)| r.rsplit_once(']'))
        .map(|(a, _)| a)
        .unwrap_or_else(|| panic!("no [..] in {line:?}"));
    inner.split(',').filter(|x| !x.trim().is_empty()).count()
}

fn check_xychart(code: &str) {
    let lines: Vec<&str> = code
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines.first().copied(),
        Some("xychart-beta"),
        "mermaid block must start with xychart-beta:\n{code}"
    );
    let x = lines
        .iter()
        .find(|l| l.starts_with("x-axis "))
        .unwrap_or_else(|| panic!("no x-axis:\n{code}"));
    let y = lines
        .iter()
        .find(|l| l.starts_with("y-axis "))
        .unwrap_or_else(|| panic!("no y-axis:\n{code}"));
    assert!(y.contains("-->"), "y-axis without range: {y}");
    let n = array_len(x);
    assert!(n > 0 && n <= markdown::MAX_POINTS, "x-axis has {n} labels");
    let series: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("line ") || l.starts_with("bar "))
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("line [")),
        "no line series:\n{code}"
    );
    for s in series {
        assert_eq!(array_len(s), n, "series length differs from x-axis: {s}");
        let inner = s.split_once('[').unwrap().1.trim_end_matches(']');
        for v in inner.split(',') {
            v.trim()
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("not a number {v:?} in {s}"));
        }
    }
}

fn check_json(r: &Report) {
    let v: serde_json::Value = serde_json::from_str(&json::render(r)).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    let vd = &v["verdict"];
    let domains = [
        "none",
        "client",
        "dns",
        "network",
        "tls",
        "cdn",
        "backend",
        "third_party",
    ];
    assert!(domains.contains(&vd["fault_domain"].as_str().unwrap()));
    let c = vd["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&c));
    assert!(["global", "regional", "none"].contains(&vd["scope"].as_str().unwrap()));
    assert!(
        vd["affected_regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x.is_string())
    );
    for x in vd["ruled_out"].as_array().unwrap() {
        assert!(domains.contains(&x["fault_domain"].as_str().unwrap()));
        assert!(x["reason"].is_string());
    }
    assert!(vd["summary"].is_string());
    for w in ["before", "during", "after"] {
        let win = v["windows"]
            .get(w)
            .unwrap_or_else(|| panic!("windows.{w} missing"));
        assert!(
            win.is_null() || (win["start"].is_string() && win["end"].is_string()),
            "windows.{w}: {win}"
        );
    }
    if vd["fault_domain"] != "none" {
        assert!(
            v["windows"]["during"].is_object(),
            "during must be set when a domain is named"
        );
    }
    for e in v["evidence"].as_array().unwrap() {
        for k in ["signal", "before", "during", "after", "supports", "weight"] {
            assert!(e.get(k).is_some(), "evidence.{k} missing: {e}");
        }
        assert!(domains.contains(&e["supports"].as_str().unwrap()));
    }
    for ch in v["changes"].as_array().unwrap() {
        for k in ["ts", "service", "kind", "minutes_before_onset"] {
            assert!(ch.get(k).is_some(), "changes.{k} missing: {ch}");
        }
    }
    for i in v["inputs"].as_array().unwrap() {
        assert!(i["path"].is_string() && i["format"].is_string());
        assert!(i["records"].is_u64() && i["bad_records"].is_u64());
    }
}

#[test]
fn sample_snapshots() {
    let r = sample::report();
    insta::assert_snapshot!("sample_table", plain(&r));
    insta::assert_snapshot!(
        "sample_table_80",
        table::render(
            &r,
            &TableOptions {
                color: false,
                width: Some(80)
            }
        )
    );
    insta::assert_snapshot!("sample_json", json::render(&r));
    insta::assert_snapshot!("sample_markdown", markdown::render(&r));
}

#[test]
fn sample_markdown_is_well_formed() {
    let md = markdown::render(&sample::report());
    let (tables, mermaid) = check_markdown(&md);
    assert!(tables >= 6, "{tables} tables");
    assert_eq!(mermaid, 4, "error rate, wait p95, page load, components");
    assert!(md.contains("A config change to api-gateway preceded onset by 3.0 min"));
    // the `|` and newline in the change summary are escaped in the timeline
    assert!(md.contains("raise pool \\| timeout<br>to 30s"));
    for h in [
        "## Impact",
        "## Verdict",
        "## What it is\n",
        "## What it is not",
        "## Timeline",
        "## Evidence",
        "## Charts",
        "## Suggested next steps",
        "## Data coverage and caveats",
    ] {
        assert!(md.contains(h), "missing {h}");
    }
}

#[test]
fn well_formedness_check_catches_broken_tables_and_charts() {
    let bad_table = "| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n";
    assert!(std::panic::catch_unwind(|| check_markdown(bad_table)).is_err());
    let bad_chart = "```mermaid\nxychart-beta\n    x-axis [\"a\", \"b\"]\n    y-axis \"v\" 0 --> 1\n    line [1]\n```\n";
    assert!(std::panic::catch_unwind(|| check_markdown(bad_chart)).is_err());
    let not_xy = "```mermaid\ngraph TD\n  A-->B\n```\n";
    assert!(std::panic::catch_unwind(|| check_markdown(not_xy)).is_err());
}

#[test]
fn plain_table_has_no_escape_codes() {
    let r = sample::report();
    for w in [None, Some(60), Some(120)] {
        let s = table::render(
            &r,
            &TableOptions {
                color: false,
                width: w,
            },
        );
        assert!(
            !s.as_bytes().contains(&0x1b),
            "ESC byte with color=false, width {w:?}"
        );
    }
    assert!(
        table::render(
            &r,
            &TableOptions {
                color: true,
                width: Some(120)
            }
        )
        .as_bytes()
        .contains(&0x1b)
    );
    let s = plain(&r);
    let order: Vec<usize> = [
        "Verdict",
        "Windows",
        "Evidence",
        "Ruled out",
        "Regions",
        "Changes near onset",
        "Top statistical changes",
        "Hosts",
        "Data coverage",
    ]
    .iter()
    .map(|h| {
        s.find(&format!("\n{h}"))
            .or_else(|| s.starts_with(h).then_some(0))
            .unwrap_or_else(|| panic!("no section {h}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sections out of order: {order:?}"
    );
}

#[test]
fn json_contract_fields() {
    check_json(&sample::report());
}

#[test]
fn svg_charts_are_standalone_svg() {
    let charts = markdown::svg_charts(&sample::report());
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "fp-error-rate",
            "fp-wait-p95-ms",
            "page-load-ms",
            "page-components"
        ]
    );
    for (n, svg) in &charts {
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{n}"
        );
        assert!(svg.contains("class=\"window\""), "{n}: window not shaded");
    }
}

#[test]
fn incidents_render_in_all_formats() {
    for name in INCIDENTS {
        let Some(r) = incident(name) else { continue };
        check_json(&r);
        let t = plain(&r);
        assert!(!t.as_bytes().contains(&0x1b));
        let md = markdown::render(&r);
        check_markdown(&md);
        // same inputs, same bytes
        let again = incident(name).unwrap();
        assert_eq!(
            md,
            markdown::render(&again),
            "{name}: markdown not deterministic"
        );
        insta::assert_snapshot!(format!("{name}_table"), t);
        insta::assert_snapshot!(format!("{name}_json"), json::render(&r));
        insta::assert_snapshot!(format!("{name}_markdown"), md);
    }
}

#[test]
fn every_bundled_incident_gives_well_formed_markdown_and_plain_tables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incidents");
    let Ok(dir) = std::fs::read_dir(&root) else {
        eprintln!("skip: no fixtures/incidents");
        return;
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let r = incident(name).unwrap();
        let md = markdown::render(&r);
        let (tables, _) = check_markdown(&md);
        assert!(tables >= 3, "{name}: {tables} tables");
        assert!(md.starts_with("# Incident summary: "), "{name}");
        for w in [Some(80), Some(120), None] {
            let t = table::render(
                &r,
                &TableOptions {
                    color: false,
                    width: w,
                },
            );
            assert!(!t.as_bytes().contains(&0x1b), "{name}");
            if let Some(w) = w {
                for l in t
                    .lines()
                    .filter(|l| l.starts_with(['│', '┌', '├', '└', '╞']))
                {
                    assert!(
                        l.chars().count() <= w as usize,
                        "{name}: line wider than {w}: {l}"
                    );
                }
            }
        }
        check_json(&r);
    }
}

/// docs/example-summary.md is the tool's own output on a bundled incident;
/// scripts/regen-example-summary.sh rewrites it.
#[test]
fn docs_example_summary_is_current() {
    let Some(r) = incident("asana-global") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let stale = "is stale: run scripts/regen-example-summary.sh";
    let md =
        std::fs::read_to_string(root.join("example-summary.md")).expect("docs/example-summary.md");
    assert!(
        md == markdown::render(&r),
        "docs/example-summary.md {stale}"
    );
    for (name, svg) in markdown::svg_charts(&r) {
        let path = root.join(format!("example-summary-{name}.svg"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} missing: run scripts/regen-example-summary.sh",
                path.display()
            )
        });
        assert!(on_disk == svg, "{} {stale}", path.display());
    }
}

/// Page-load impact counts what users felt: during a global outage a
/// larger share of page loads broke than before; a healthy capture has no
/// incident window, so the summary shows no failed-page-load row.
#[test]
fn page_impact_counts_broken_page_loads() {
    let Some(r) = incident("asana-global") else {
        return;
    };
    let p = &r.page_impact;
    assert!(p.during > 0 && p.before > 0, "{p:?}");
    assert!(
        p.failed_during as f64 / p.during as f64 > 0.3
            && (p.failed_before as f64) / (p.before as f64) < 0.1,
        "{p:?}"
    );
    assert!(markdown::render(&r).contains(&format!(
        "| Failed page loads | {} of {} (",
        p.failed_during, p.during
    )));
    let Some(h) = incident("healthy") else { return };
    assert!(h.windows.during.is_none());
    // a candidate window may hold page loads, but none of them broke
    assert_eq!(h.page_impact.failed_during, 0, "{:?}", h.page_impact);
    assert!(!markdown::render(&h).contains("Failed page loads"));
}

#[test]
fn plain_has_no_escape_and_colour_has() {
    let r = sample::report();
    let plain = table::render(
        &r,
        &TableOptions {
            color: false,
            width: Some(100),
        },
    );
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.starts_with("Verdict\n"));
    let col = table::render(
        &r,
        &TableOptions {
            color: true,
            width: Some(100),
        },
    );
    assert!(col.contains('\x1b'));
}

#[test]
fn table_fits_width() {
    let r = sample::report();
    for w in [80u16, 120] {
        let s = table::render(
            &r,
            &TableOptions {
                color: false,
                width: Some(w),
            },
        );
        for l in s.lines() {
            let table_line = l.starts_with(['│', '┌', '├', '└', '╞']);
            assert!(
                !table_line || l.chars().count() <= w as usize,
                "width {w}: {l}"
            );
        }
    }
}

#[test]
fn svg_chart_is_svg_with_shaded_window_and_gap() {
    let r = sample::report();
    let s = text::series(&r, "fp_error_rate").unwrap();
    let chart = svg::line_chart("First-party error rate", s, r.windows.during.as_ref());
    assert!(chart.starts_with("<svg ") && chart.ends_with("</svg>\n"));
    assert_eq!(chart.matches("class=\"window\"").count(), 1);
    // one empty bin is bridged; a long gap breaks the line
    assert_eq!(chart.matches("<polyline").count(), 1);
    let mut gappy = s.clone();
    for v in &mut gappy.values[20..30] {
        *v = None;
    }
    let chart = svg::line_chart("t", &gappy, None);
    assert_eq!(chart.matches("<polyline").count(), 2);
    assert!(!chart.contains("class=\"window\""));
    assert!(!chart.contains("NaN"));
}

#[test]
fn downsample_keeps_at_most_max_points_and_marks_window() {
    let r = sample::report();
    let s = text::series(&r, "fp_error_rate").unwrap();
    let p = markdown::downsample(s, r.windows.during.as_ref(), 60);
    assert!(p.values.len() <= 60);
    assert_eq!(p.values.len(), 45);
    assert_eq!(p.in_window.iter().filter(|b| **b).count(), 10);
    let p = markdown::downsample(s, r.windows.during.as_ref(), 1000);
    assert_eq!(p.values.len(), 90);
    assert!(p.values[12].is_none());
}

#[test]
fn markdown_deterministic_and_no_wall_clock() {
    let r = sample::report();
    assert_eq!(markdown::render(&r), markdown::render(&r));
    assert!(!markdown::render(&r).contains("Generated by faultlens 0.1.0 at"));
    let mut r2 = r.clone();
    r2.generated_at = Some("2025-03-01T00:00:00.000Z".into());
    assert!(markdown::render(&r2).contains("at 2025-03-01 00:00:00 UTC"));
}
