//! docs/accuracy.md is the output of the command it names, not a table
//! pasted by hand: parts of it are rerun here, on small subsets, and must
//! come out byte for byte as written (with the calibration map compiled
//! into this build, so a refit without regenerating the file fails too).

use faultlens::accuracy::{Axis, run_corpus, run_sweep, sweep_markdown};
use faultlens::scenario::ScenarioKind;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/accuracy.md")).expect("docs/accuracy.md")
}

/// The value after `flag` on the first line of `doc` that starts with
/// `prefix` (an indented command line).
fn flag_value(doc: &str, prefix: &str, flag: &str) -> u64 {
    let line = doc
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in docs/accuracy.md"));
    let mut words = line.split_whitespace();
    while let Some(w) = words.by_ref().next() {
        if w == flag {
            return words
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{flag} without a number in {line:?}"));
        }
    }
    panic!("{flag} missing in {line:?}")
}

/// The markdown block that follows the indented command line naming
/// `dir`, up to the next heading.
fn corpus_section<'a>(doc: &'a str, dir: &str) -> &'a str {
    let cmd = format!("    faultlens accuracy --corpus {dir} --markdown\n");
    let at = doc
        .find(&cmd)
        .unwrap_or_else(|| panic!("docs/accuracy.md names no {cmd:?}"))
        + cmd.len();
    let rest = &doc[at..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
    rest[..end].trim()
}

#[test]
fn held_out_real_structure_table_is_the_commands_output() {
    let dir = "fixtures/realcase/cases/holdout";
    if !root().join(dir).is_dir() {
        eprintln!("skip: {dir} not present");
        return;
    }
    let doc = doc();
    let table = run_corpus(&root().join(dir)).expect("corpus runs");
    assert_eq!(
        corpus_section(&doc, dir),
        table.markdown().trim(),
        "docs/accuracy.md is stale: run scripts/regen-accuracy.sh"
    );
}

#[test]
fn one_sweep_row_is_the_commands_output() {
    let doc = doc();
    let seeds = flag_value(&doc, "faultlens accuracy --all", "--seeds");
    let first = flag_value(&doc, "faultlens accuracy --all", "--first-seed");
    // the smallest table: the slow API's five slowdowns, at the doc's seeds
    let kind = ScenarioKind::ChatgptSlowApi;
    let table = run_sweep(first, seeds, &[kind], &[Axis::Latency]).expect("sweep runs");
    let rerun = sweep_markdown(&table);
    let row = rerun
        .lines()
        .find(|l| l.starts_with(&format!("| {} |", kind.name())))
        .expect("a row for the kind");
    assert!(
        doc.lines().any(|l| l == row),
        "docs/accuracy.md has no row {row:?}: run scripts/regen-accuracy.sh"
    );
    // and the closing note for it
    let note = rerun
        .lines()
        .find(|l| l.starts_with(&format!("- **{}**", kind.name())))
        .expect("a note for the kind");
    assert!(doc.lines().any(|l| l == note), "{note}");
}

#[test]
fn doc_names_its_corpora_seeds_and_the_calibration_numbers() {
    let doc = doc();
    for dir in [
        "fixtures/lab",
        "fixtures/realcase/cases/tune",
        "fixtures/realcase/cases/holdout",
    ] {
        if Path::new(&root().join(dir)).is_dir() {
            corpus_section(&doc, dir);
        }
    }
    assert!(doc.contains("expected calibration error"));
    assert!(doc.contains("Brier score"));
    assert!(doc.contains("### Where detection stops"));
    // the map in the binary is the map the doc describes
    let cal = faultlens::calibration::Calibration::current();
    assert!(
        doc.contains(&cal.fitted_on),
        "docs/accuracy.md describes another fit than src/calibration.json"
    );
}

#[test]
fn one_real_structure_grid_source_is_the_commands_output() {
    let sources = root().join(faultlens::accuracy::REALCASE_SOURCES);
    if !sources.is_dir() {
        eprintln!("skip: {} not present", sources.display());
        return;
    }
    let doc = doc();
    let seeds = flag_value(&doc, "faultlens accuracy --all", "--realcase-seeds");
    // the smallest source: one held-out page as Safari writes it
    let rerun = faultlens::accuracy::grid_markdown(&sources, seeds, Some("mitmproxy-safari"))
        .expect("grid runs");
    assert!(rerun.contains("### mitmproxy-safari (holdout"), "{rerun}");
    assert!(
        doc.contains(rerun.trim()),
        "docs/accuracy.md is stale: run scripts/regen-accuracy.sh"
    );
}
