//! The sections that lay the data out rather than argue: the evidence
//! grouped by what it supports, whole-run load-test summaries, and data
//! coverage with its caveats.

use super::{inline, plural, table};
use crate::report::Report;
use crate::report::text::{self, value};
use std::fmt::Write;

type EvidenceFilter<'a> = Box<dyn Fn(&crate::report::EvidenceOut) -> bool + 'a>;

pub(super) fn evidence(o: &mut String, r: &Report) {
    let ev = text::ordered_evidence(r);
    if ev.is_empty() {
        return;
    }
    o.push_str("## Evidence\n\n");
    let groups: [(&str, EvidenceFilter); 3] = [
        (
            "For the verdict",
            Box::new(|e| e.weight > 0.0 && e.supports == r.verdict.fault_domain),
        ),
        ("Against other domains", Box::new(|e| e.weight < 0.0)),
        (
            "Other signals",
            Box::new(|e| {
                !(e.weight > 0.0 && e.supports == r.verdict.fault_domain) && e.weight >= 0.0
            }),
        ),
    ];
    for (name, keep) in &groups {
        let rows: Vec<Vec<String>> = ev
            .iter()
            .filter(|e| keep(e))
            .map(|e| {
                vec![
                    e.signal.clone(),
                    value(e.before, &e.unit),
                    value(e.during, &e.unit),
                    value(e.after, &e.unit),
                    text::change(e.before, e.during, &e.unit),
                    text::significance(e.p_value, e.effect),
                    text::supports(e),
                    format!("{} / {}", e.n_before, e.n_during),
                ]
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {name}\n");
        table(
            o,
            &[
                "signal",
                "before",
                "during",
                "after",
                "change",
                "significance",
                "supports",
                "n before / during",
            ],
            &[false, true, true, true, true, false, false, true],
            &rows,
        );
    }
    let locs: Vec<String> = ev
        .iter()
        .flat_map(|e| {
            e.locations
                .iter()
                .take(3)
                .map(move |l| format!("{} ({})", l, e.signal))
        })
        .take(12)
        .collect();
    if !locs.is_empty() {
        o.push_str("Records that show it:\n\n");
        for l in locs {
            let _ = writeln!(o, "- `{}`", inline(&l).replace('`', "'"));
        }
        o.push('\n');
    }
    if !r.top_changes.is_empty() {
        o.push_str("### Largest statistical changes (during vs before)\n\n");
        let rows: Vec<Vec<String>> = r
            .top_changes
            .iter()
            .map(|x| {
                let mut row = vec![format!("{}: {}", x.family, x.group)];
                row.extend(text::top_change_cells(x));
                row
            })
            .collect();
        table(
            o,
            &text::TOP_CHANGE_HEADER,
            &text::TOP_CHANGE_NUMERIC,
            &rows,
        );
    }
}

/// Whole-run summaries: evidence about a run as a whole, beside (never
/// inside) the time-windowed analysis.
pub(super) fn runs(o: &mut String, r: &Report) {
    if r.runs.is_empty() {
        return;
    }
    o.push_str("## Load-test runs (whole-run aggregates)\n\n");
    o.push_str(
        "End-of-test summaries have no per-request times: they stand beside the windows, not in them. \
         `faultlens compare --baseline GOOD.json --incident BAD.json` sets two runs against each other.\n\n",
    );
    let rows: Vec<Vec<String>> = r
        .runs
        .iter()
        .map(|x| {
            let mut c = crate::report::runs::run_cells(x);
            c[0] = format!("`{}`", c[0].replace('`', "'"));
            c
        })
        .collect();
    table(
        o,
        &crate::report::runs::RUN_COLUMNS,
        &[false, true, true, true, true, true, true, true, true, false],
        &rows,
    );
    for x in &r.runs {
        for c in &x.failing_checks {
            let _ = writeln!(o, "- `{}`: check {}", x.path.replace('`', "'"), inline(c));
        }
    }
    if r.runs.iter().any(|x| !x.failing_checks.is_empty()) {
        o.push('\n');
    }
}

pub(super) fn coverage(o: &mut String, r: &Report) {
    let cv = &r.coverage;
    o.push_str("## Data coverage and caveats\n\n");
    let span = match (&cv.start, &cv.end) {
        (Some(a), Some(b)) => format!(" The data spans {} - {}.", text::when(a), text::when(b)),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "{} inputs ({} skipped), {} records ({} rejected): {} requests, {} page loads, {} probe results, {} server log lines, {} changes.{span}\n",
        cv.inputs,
        cv.skipped,
        cv.records,
        cv.bad_records,
        cv.requests,
        cv.pages,
        cv.probes,
        cv.server_requests,
        cv.changes
    );
    let rows: Vec<Vec<String>> = r
        .inputs
        .iter()
        .map(|i| {
            let span = match (&i.first_ts, &i.last_ts) {
                (Some(a), Some(b)) => format!("{} - {}", text::when(a), text::when(b)),
                _ => "-".into(),
            };
            vec![
                format!("`{}`", i.path.replace('`', "'")),
                i.format.clone(),
                i.vantage.clone().unwrap_or_else(|| "-".into()),
                i.records.to_string(),
                i.bad_records.to_string(),
                span,
                i.skipped.as_ref().map_or_else(
                    || {
                        if i.warnings.is_empty() {
                            "-".into()
                        } else {
                            i.warnings.join("; ")
                        }
                    },
                    |s| format!("skipped: {s}"),
                ),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            o,
            &[
                "input",
                "format",
                "vantage",
                "records",
                "rejected",
                "time span (UTC)",
                "notes",
            ],
            &[false, false, false, true, true, false, false],
            &rows,
        );
    }
    let rejected: Vec<Vec<String>> = r
        .inputs
        .iter()
        .flat_map(|i| {
            i.rejected.iter().take(3).map(move |x| {
                vec![
                    format!("`{}`", i.path.replace('`', "'")),
                    x.at.clone(),
                    x.reason.clone(),
                ]
            })
        })
        .take(10)
        .collect();
    if !rejected.is_empty() {
        o.push_str("First rejected records:\n\n");
        table(o, &["input", "at", "reason"], &[], &rejected);
    }
    let mut caveats: Vec<String> = Vec::new();
    match r.windows.method.as_str() {
        "whole_capture" => caveats.push("The whole capture was treated as the incident: there is no before/after in the data to compare with.".into()),
        "explicit" => caveats.push("The windows were given on the command line, not found in the data.".into()),
        _ => {}
    }
    let thin: Vec<&str> = r
        .evidence
        .iter()
        .filter(|e| e.during.is_some() && e.n_during > 0 && e.n_during < 20)
        .map(|e| e.signal.as_str())
        .collect();
    if !thin.is_empty() {
        caveats.push(format!(
            "Thin samples (fewer than 20 during the window): {}.",
            thin.join(", ")
        ));
    }
    let missing: Vec<&str> = r
        .evidence
        .iter()
        .filter(|e| e.weight > 0.0 && e.before.is_none() && e.during.is_none())
        .map(|e| e.signal.as_str())
        .collect();
    if !missing.is_empty() {
        caveats.push(format!(
            "Insufficient data to measure: {}.",
            missing.join(", ")
        ));
    }
    if cv.pages == 0 {
        caveats.push(
            "No page loads in the data: the user-visible impact on pages is not measured.".into(),
        );
    }
    if r.regions.len() < 2 {
        caveats.push("Fewer than two vantages: regional and global cannot be told apart.".into());
    }
    if cv.skipped > 0 {
        caveats.push(format!(
            "{} {} not recognised and skipped.",
            cv.skipped,
            plural(cv.skipped, "file was", "files were")
        ));
    }
    if cv.bad_records > 0 {
        caveats.push(format!(
            "{} {} rejected and not counted.",
            cv.bad_records,
            plural(cv.bad_records, "record was", "records were")
        ));
    }
    caveats.push(
        "Correlation in time is not proof of cause: confirm the verdict against server-side data."
            .into(),
    );
    o.push_str("Caveats:\n\n");
    for c in caveats {
        let _ = writeln!(o, "- {c}");
    }
    o.push('\n');
}
