//! Accuracy measurement: generate labelled scenarios, run the whole
//! pipeline on each, and compare the verdict with the truth (fault domain,
//! scope, onset error). This is how "calibrated" and ">= 95 % top-1" are
//! measured rather than asserted.
//!
//! The same table scores any folder of labelled cases (`--corpus DIR`):
//! the outage lab's recordings, the real-structure cases, the generator's
//! bundles. A case is a folder with a `truth.json`; generated worlds alone
//! would only measure how well the verdict knows its own generator.

use crate::pipeline::{self, Request};
use crate::scenario::{self, ScenarioKind};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub struct Case {
    pub kind: String,
    /// `generated`, or the case's own mode (`timeline`, `compare`,
    /// `single`, `sparse`, `lab`, ...).
    pub mode: String,
    pub seed: u64,
    pub expected: String,
    pub got: String,
    pub confidence: f64,
    pub scope_expected: String,
    pub scope_got: String,
    /// |detected onset - true onset| in minutes.
    pub onset_error_min: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct AccuracyTable {
    pub cases: Vec<Case>,
}

impl AccuracyTable {
    pub fn top1(&self) -> f64 {
        let ok = self.cases.iter().filter(|c| c.expected == c.got).count();
        ok as f64 / self.cases.len().max(1) as f64
    }
    pub fn false_incidents_on_healthy(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.expected == "none" && c.got != "none")
            .count()
    }
    fn rows(&self) -> Vec<(String, usize, usize, usize, Option<f64>, f64)> {
        let mut by: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
        for c in &self.cases {
            by.entry(&c.kind).or_default().push(c);
        }
        by.into_iter()
            .map(|(k, cs)| {
                let n = cs.len();
                let dom = cs.iter().filter(|c| c.expected == c.got).count();
                let scope = cs
                    .iter()
                    .filter(|c| c.scope_expected == c.scope_got)
                    .count();
                let errs: Vec<f64> = cs.iter().filter_map(|c| c.onset_error_min).collect();
                let onset =
                    (!errs.is_empty()).then(|| errs.iter().sum::<f64>() / errs.len() as f64);
                let conf = cs.iter().map(|c| c.confidence).sum::<f64>() / n.max(1) as f64;
                (k.to_string(), n, dom, scope, onset, conf)
            })
            .collect()
    }
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<22} {:>5} {:>10} {:>8} {:>14} {:>10}",
            "scenario", "runs", "domain ok", "scope ok", "onset err min", "mean conf"
        );
        for (k, n, d, sc, o, c) in self.rows() {
            let _ = writeln!(
                s,
                "{k:<22} {n:>5} {d:>10} {sc:>8} {:>14} {c:>10.2}",
                o.map(|o| format!("{o:.1}")).unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            s,
            "top-1 fault domain: {:.1} % of {} runs; incidents called on healthy controls: {}",
            self.top1() * 100.0,
            self.cases.len(),
            self.false_incidents_on_healthy()
        );
        for (mode, faulty, ok, healthy, false_inc) in self.by_mode() {
            let _ = writeln!(
                s,
                "mode {mode}: fault domain right in {ok} of {faulty} faulty cases ({:.1} %); incidents called on {false_inc} of {healthy} healthy controls",
                ok as f64 * 100.0 / faulty.max(1) as f64
            );
        }
        for c in self.cases.iter().filter(|c| c.expected != c.got) {
            let _ = writeln!(
                s,
                "  miss: {} ({}) seed {}: expected {}, got {} ({:.2})",
                c.kind, c.mode, c.seed, c.expected, c.got, c.confidence
            );
        }
        s
    }
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| scenario | runs | fault domain correct | scope correct | mean onset error (min) | mean confidence |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (k, n, d, sc, o, c) in self.rows() {
            let _ = writeln!(
                s,
                "| {k} | {n} | {d} | {sc} | {} | {c:.2} |",
                o.map(|o| format!("{o:.1}")).unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            s,
            "\nTop-1 fault domain: **{:.1} %** of {} runs. Incidents called on healthy controls: **{}**.",
            self.top1() * 100.0,
            self.cases.len(),
            self.false_incidents_on_healthy()
        );
        let modes = self.by_mode();
        if modes.len() > 1 || modes.first().is_some_and(|m| m.0 != "generated") {
            s.push_str("\n| mode | faulty cases | fault domain correct | healthy controls | incidents called on healthy |\n| --- | ---: | ---: | ---: | ---: |\n");
            for (mode, faulty, ok, healthy, false_inc) in modes {
                let _ = writeln!(
                    s,
                    "| {mode} | {faulty} | {ok} ({:.1} %) | {healthy} | {false_inc} |",
                    ok as f64 * 100.0 / faulty.max(1) as f64
                );
            }
        }
        s
    }
    /// Per mode: (mode, faulty cases, of those right, healthy controls,
    /// of those called an incident).
    pub fn by_mode(&self) -> Vec<(String, usize, usize, usize, usize)> {
        let mut by: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
        for c in &self.cases {
            let e = by.entry(&c.mode).or_default();
            if c.expected == "none" {
                e.2 += 1;
                e.3 += (c.got != "none") as usize;
            } else {
                e.0 += 1;
                e.1 += (c.got == c.expected) as usize;
            }
        }
        by.into_iter()
            .map(|(m, (f, ok, h, fi))| (m.to_string(), f, ok, h, fi))
            .collect()
    }
}

/// The label of a case folder (`truth.json`): the keys every producer of
/// cases writes (generator, lab, real-structure builder); the rest is
/// ignored.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CaseTruth {
    pub kind: String,
    pub fault_domain: String,
    pub scope: String,
    #[serde(default)]
    pub affected_regions: Vec<String>,
    #[serde(default)]
    pub onset: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Compare mode: paths (relative to the case) of the baseline and the
    /// incident captures; default `baseline/` and `incident/`.
    #[serde(default)]
    pub baseline: Option<Vec<String>>,
    #[serde(default)]
    pub incident: Option<Vec<String>>,
}

/// Every case folder under `root` (a folder holding `truth.json`; case
/// folders are not searched further), sorted by path.
pub fn find_cases(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>, depth: usize) {
        if depth > 8 {
            return;
        }
        if d.join("truth.json").is_file() {
            out.push(d.to_path_buf());
            return;
        }
        let Ok(rd) = std::fs::read_dir(d) else { return };
        let mut subs: Vec<_> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        subs.sort();
        for s in subs {
            walk(&s, out, depth + 1);
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out, 0);
    out
}

/// Score every labelled case under `root`. Cases run one after another:
/// each run already uses every core (and polars must not run inside a
/// rayon task).
pub fn run_corpus(root: &std::path::Path) -> std::io::Result<AccuracyTable> {
    let cases = find_cases(root);
    if cases.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no case folders (with truth.json) under {}", root.display()),
        ));
    }
    let mut table = AccuracyTable::default();
    for dir in cases {
        let text = std::fs::read_to_string(dir.join("truth.json"))?;
        let truth: CaseTruth = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", dir.join("truth.json").display()),
            )
        })?;
        table.cases.push(judge_case(&dir, &truth));
    }
    Ok(table)
}

/// Run the pipeline on one labelled case folder.
pub fn judge_case(dir: &std::path::Path, truth: &CaseTruth) -> Case {
    let mode = truth.mode.clone().unwrap_or_else(|| "timeline".into());
    let rel = |v: &Option<Vec<String>>, default: &str| -> Vec<String> {
        v.clone()
            .unwrap_or_else(|| vec![default.to_string()])
            .iter()
            .map(|p| dir.join(p).display().to_string())
            .collect()
    };
    let compare = mode == "compare" || dir.join("baseline").is_dir();
    let req = if compare {
        Request {
            paths: rel(&truth.incident, "incident"),
            baseline: rel(&truth.baseline, "baseline"),
            compare: true,
            ..Default::default()
        }
    } else {
        Request {
            paths: vec![dir.display().to_string()],
            ..Default::default()
        }
    };
    let (got, conf, scope, onset) = verdict_of(&req);
    let true_onset = truth
        .onset
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    Case {
        kind: truth.kind.clone(),
        mode,
        seed: truth.seed.unwrap_or(0),
        expected: truth.fault_domain.clone(),
        got,
        confidence: conf,
        scope_expected: truth.scope.clone(),
        scope_got: scope,
        onset_error_min: match (onset, true_onset) {
            (Some(a), Some(b)) if !compare => {
                Some((a - b).num_milliseconds().abs() as f64 / 60_000.0)
            }
            _ => None,
        },
    }
}

/// Generate and judge `seeds` variants of every scenario kind.
pub fn run(first_seed: u64, seeds: u64) -> std::io::Result<AccuracyTable> {
    let base = std::env::temp_dir().join(format!("faultlens-accuracy-{}", std::process::id()));
    let mut table = AccuracyTable::default();
    for &kind in ScenarioKind::all() {
        for seed in first_seed..first_seed + seeds {
            let dir = base.join(format!("{}-{seed}", kind.name()));
            let _ = std::fs::remove_dir_all(&dir);
            let truth = scenario::generate(kind, seed, &dir)?;
            table.cases.push(judge(&dir, &truth));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(table)
}

/// Run the pipeline on one generated scenario folder.
pub fn judge(dir: &std::path::Path, truth: &scenario::Truth) -> Case {
    let req = Request {
        paths: vec![dir.display().to_string()],
        ..Default::default()
    };
    let (got, conf, scope, onset) = verdict_of(&req);
    Case {
        kind: truth.kind.clone(),
        mode: "generated".into(),
        seed: truth.seed,
        expected: truth.fault_domain.clone(),
        got,
        confidence: conf,
        scope_expected: truth.scope.clone(),
        scope_got: scope,
        onset_error_min: match (onset, truth.onset) {
            (Some(a), Some(b)) => Some((a - b).num_milliseconds().abs() as f64 / 60_000.0),
            _ => None,
        },
    }
}

/// The pipeline's answer for one request: fault domain, confidence, scope
/// and the detected onset (`error` when the run failed).
fn verdict_of(req: &Request) -> (String, f64, String, Option<chrono::DateTime<chrono::Utc>>) {
    let quiet = |_: usize, _: usize| {};
    match pipeline::run(req, &mut Vec::new, &quiet) {
        Ok(o) => (
            o.verdict.fault_domain.as_str().to_string(),
            o.verdict.confidence,
            o.verdict.scope.clone(),
            o.analysis.windows.during.map(|w| w.start),
        ),
        Err(_) => ("error".to_string(), 0.0, "none".to_string(), None),
    }
}
