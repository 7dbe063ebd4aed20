//! Accuracy measurement: generate labelled scenarios, run the whole
//! pipeline on each, and compare the verdict with the truth (fault domain,
//! scope, onset error). This is how "calibrated" and ">= 95 % top-1" are
//! measured rather than asserted.
//!
//! The same table scores any folder of labelled cases (`--corpus DIR`):
//! the outage lab's recordings, the real-structure cases, the generator's
//! bundles. A case is a folder with a `truth.json`; generated worlds alone
//! would only measure how well the verdict knows its own generator.
//!
//! Every case keeps the verdict's raw (uncalibrated) answer, so one run
//! over the corpora both fits the calibration map and measures it on the
//! cases held out from the fit ([`Study`]), and the intensity sweep shows
//! where each kind stops being seen.

use crate::calibration::{self, Calibration, Group};
use crate::evaluation::scenario::{self, Difficulty, Profile, ScenarioKind};
use crate::pipeline::{self, Request};
use crate::rng::fnv1a;
use crate::verdict::VerdictInput;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

mod lab_views;
mod study;
mod sweep;
pub use study::{REALCASE_SOURCES, Study, StudyPlan, grid_markdown, grid_section};
pub use sweep::{Axis, run_sweep, sweep_markdown};

#[derive(Debug, Clone)]
pub struct Case {
    pub kind: String,
    /// `generated`, `sweep-*`, or the case's own mode (`timeline`,
    /// `compare`, `single`, `sparse`, `lab`, ...).
    pub mode: String,
    pub seed: u64,
    pub expected: String,
    /// The calibrated verdict (what `faultlens` prints).
    pub got: String,
    pub confidence: f64,
    pub scope_expected: String,
    pub scope_got: String,
    /// |detected onset - true onset| in minutes.
    pub onset_error_min: Option<f64>,
    /// A window moved but no domain was named (or one was, too weakly).
    pub inconclusive: bool,
    /// The verdict before calibration.
    pub raw: RawVerdict,
    /// Sweep: the knob and its setting (`error 5 %`); empty otherwise.
    pub level: String,
    /// Kept out of the calibration fit (odd seed; the real-structure
    /// holdout set; a lab case whose name hashes odd).
    pub held_out: bool,
}

/// What the verdict said before calibration, and what it was told.
#[derive(Debug, Clone)]
pub struct RawVerdict {
    pub domain: String,
    pub confidence: f64,
    pub scope: String,
    pub group: Group,
    pub input: VerdictInput,
    /// The named domain rests on slowness alone
    /// ([`crate::verdict::rests_on_pace_alone`]).
    pub pace_only: bool,
}

/// How a verdict fared against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Right,
    /// A window moved, no domain named: honest, not right.
    Inconclusive,
    /// A fault answered "no incident".
    Missed,
    /// Another domain named, or an incident called on a healthy control.
    Wrong,
}

impl Case {
    pub fn outcome(&self) -> Outcome {
        if self.got == self.expected {
            Outcome::Right
        } else if self.inconclusive {
            Outcome::Inconclusive
        } else if self.got == "none" {
            Outcome::Missed
        } else {
            Outcome::Wrong
        }
    }
    /// Read the raw verdict through `cal`, exactly as the verdict does.
    pub fn settle(&mut self, cal: &Calibration) {
        if self.raw.domain == "error" {
            self.got = "error".into();
            self.scope_got = "none".into();
            return;
        }
        let s = cal.settle_for(
            self.raw.group,
            self.raw.confidence,
            &self.raw.input,
            self.raw.pace_only,
        );
        if s.demote {
            self.got = "none".into();
            self.scope_got = "none".into();
        } else {
            self.got = self.raw.domain.clone();
            self.scope_got = self.raw.scope.clone();
        }
        self.confidence = s.confidence;
        self.inconclusive = s.inconclusive;
    }
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
    pub fn inconclusive(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome() == Outcome::Inconclusive)
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
            "top-1 fault domain: {:.1} % of {} runs; inconclusive: {}; incidents called on healthy controls: {}",
            self.top1() * 100.0,
            self.cases.len(),
            self.inconclusive(),
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
                "  miss: {} ({}) seed {}: expected {}, got {} ({:.2}){}",
                c.kind,
                c.mode,
                c.seed,
                c.expected,
                c.got,
                c.confidence,
                if c.inconclusive {
                    format!(", inconclusive (leaning {})", c.raw.domain)
                } else {
                    String::new()
                }
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
            "\nTop-1 fault domain: **{:.1} %** of {} runs. Inconclusive: **{}**. Incidents called on healthy controls: **{}**.",
            self.top1() * 100.0,
            self.cases.len(),
            self.inconclusive(),
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
    /// A lab recording (`lab/`): its captures are also judged one vantage
    /// at a time ([`lab_views`]).
    #[serde(default)]
    pub lab: bool,
    /// The fault's waves, `[start, end)` each (lab).
    #[serde(default)]
    pub waves: Vec<Vec<String>>,
    /// When the recording began (lab).
    #[serde(default)]
    pub data_start: Option<String>,
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
        if truth.lab {
            table
                .cases
                .extend(lab_views::judge_views(&dir, &truth, held_out_of(&dir)));
        }
    }
    Ok(table)
}

/// Kept out of the calibration fit: the real-structure `holdout` set, and
/// of named cases (the lab's) those whose name hashes odd, a split that
/// does not move when cases are added.
fn held_out_of(dir: &Path) -> bool {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let under = |part: &str| dir.components().any(|c| c.as_os_str() == part);
    if under("holdout") {
        true
    } else if under("tune") {
        false
    } else {
        fnv1a(name.bytes()) % 2 == 1
    }
}

/// What a case is, apart from the data it is run on.
pub(crate) struct Label {
    pub kind: String,
    pub mode: String,
    pub seed: u64,
    pub expected: String,
    pub scope_expected: String,
    pub onset: Option<chrono::DateTime<chrono::Utc>>,
    pub held_out: bool,
}

/// Run the pipeline on `req` and judge its verdict against `label`.
pub(crate) fn judge_request(req: Request, label: Label) -> Case {
    let compare = req.compare;
    let (raw, onset) = verdict_of(req);
    settled(Case {
        kind: label.kind,
        mode: label.mode,
        seed: label.seed,
        expected: label.expected,
        got: String::new(),
        confidence: 0.0,
        scope_expected: label.scope_expected,
        scope_got: String::new(),
        onset_error_min: match (onset, label.onset) {
            (Some(a), Some(b)) if !compare => {
                Some((a - b).num_milliseconds().abs() as f64 / 60_000.0)
            }
            _ => None,
        },
        inconclusive: false,
        raw,
        level: String::new(),
        held_out: label.held_out,
    })
}

/// An RFC 3339 time of a truth file.
fn utc(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Run the pipeline on one labelled case folder.
pub fn judge_case(dir: &Path, truth: &CaseTruth) -> Case {
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
    judge_request(
        req,
        Label {
            kind: truth.kind.clone(),
            mode,
            seed: truth.seed.unwrap_or(0),
            expected: truth.fault_domain.clone(),
            scope_expected: truth.scope.clone(),
            onset: truth.onset.as_deref().and_then(utc),
            held_out: held_out_of(dir),
        },
    )
}

fn settled(mut c: Case) -> Case {
    c.settle(Calibration::current());
    c
}

/// Generate and judge `seeds` variants of every scenario kind.
pub fn run(first_seed: u64, seeds: u64) -> std::io::Result<AccuracyTable> {
    let mut table = AccuracyTable::default();
    for &kind in ScenarioKind::all() {
        for seed in first_seed..first_seed + seeds {
            table
                .cases
                .push(generate_and_judge(kind, seed, &Difficulty::default(), "")?);
        }
    }
    Ok(table)
}

/// Generate one bundle (full profile) in a scratch folder, judge it, and
/// remove it.
pub fn generate_and_judge(
    kind: ScenarioKind,
    seed: u64,
    difficulty: &Difficulty,
    level: &str,
) -> std::io::Result<Case> {
    let dir = std::env::temp_dir().join(format!(
        "faultlens-accuracy-{}-{}-{seed}-{}",
        std::process::id(),
        kind.name(),
        fnv1a(level.bytes())
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let truth = scenario::generate_hard(kind, seed, &dir, &Profile::full(), difficulty);
    let case = truth.map(|t| {
        let mut c = judge(&dir, &t);
        c.level = level.to_string();
        c
    });
    let _ = std::fs::remove_dir_all(&dir);
    case
}

/// Run the pipeline on one generated scenario folder.
pub fn judge(dir: &Path, truth: &scenario::Truth) -> Case {
    let req = Request {
        paths: vec![dir.display().to_string()],
        ..Default::default()
    };
    let (raw, onset) = verdict_of(req);
    settled(Case {
        kind: truth.kind.clone(),
        mode: "generated".into(),
        seed: truth.seed,
        expected: truth.fault_domain.clone(),
        got: String::new(),
        confidence: 0.0,
        scope_expected: truth.scope.clone(),
        scope_got: String::new(),
        onset_error_min: match (onset, truth.onset) {
            (Some(a), Some(b)) => Some((a - b).num_milliseconds().abs() as f64 / 60_000.0),
            _ => None,
        },
        inconclusive: false,
        raw,
        level: String::new(),
        held_out: truth.seed % 2 == 1,
    })
}

/// The pipeline's raw answer for one request (domain `error` when the run
/// failed) and the detected onset.
fn verdict_of(mut req: Request) -> (RawVerdict, Option<chrono::DateTime<chrono::Utc>>) {
    req.uncalibrated = true;
    let quiet = |_: usize, _: usize| {};
    match pipeline::run(&req, &mut Vec::new, &quiet) {
        Ok(o) => (
            RawVerdict {
                domain: o.verdict.fault_domain.as_str().to_string(),
                confidence: o.verdict.confidence,
                scope: o.verdict.scope.clone(),
                group: calibration::group_of(&o.verdict, o.verdict_input.incident),
                pace_only: crate::verdict::rests_on_pace_alone(&o.findings, o.verdict.fault_domain),
                input: o.verdict_input,
            },
            o.analysis.windows.during.map(|w| w.start),
        ),
        Err(_) => (
            RawVerdict {
                domain: "error".into(),
                confidence: 0.0,
                scope: "none".into(),
                group: Group::Quiet,
                input: VerdictInput::default(),
                pace_only: false,
            },
            None,
        ),
    }
}

/// The real-structure grid a study builds on the fly from the committed
/// sources (`fixtures/realcase/sources`), so the calibration has hundreds
/// of real page structures to be fitted and measured on instead of the
/// few dozen committed cases: each source as each producer writes it,
/// every mode and fault kind, the first `seeds` seeds of its split (tune
/// 1.., held out 1001..), at half the loads. One table per source, in
/// `FIXTURE_SOURCES` order; `only` keeps one source (by short name).
/// A fault that has nothing to hit on a page (no third party to fail) is
/// not a case; a source missing from `sources` is skipped.
pub fn run_realcase_grid(
    sources: &Path,
    seeds: usize,
    only: Option<&str>,
) -> std::io::Result<Vec<(&'static str, AccuracyTable)>> {
    use crate::evaluation::realcase::{
        CaseSpec, FIXTURE_SOURCES, FaultKind, Mode, RealcaseError, build_case, source_templates,
    };
    let mut out = Vec::new();
    for s in FIXTURE_SOURCES {
        if only.is_some_and(|o| o != s.short) || !sources.join(s.file).is_file() {
            continue;
        }
        let templates = source_templates(sources, s)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", s.file)))?;
        let root = std::env::temp_dir()
            .join(format!("faultlens-grid-{}-{}", std::process::id(), s.short))
            .join(s.split.name());
        let mut table = AccuracyTable::default();
        for t in &templates {
            for &mode in Mode::all() {
                for &kind in FaultKind::all() {
                    for &seed in s.split.seeds().iter().take(seeds) {
                        let spec = CaseSpec {
                            kind,
                            mode,
                            seed,
                            source: s.file.to_string(),
                            gzip: false,
                            scale: 0.5,
                            split: s.split.name().to_string(),
                        };
                        let c = match build_case(t, s.short, &spec, &root) {
                            Ok(c) => c,
                            Err(RealcaseError::NotApplicable(_)) => continue,
                            Err(e) => return Err(std::io::Error::other(e.to_string())),
                        };
                        let truth: CaseTruth = serde_json::from_value(c.truth.clone())
                            .map_err(|e| std::io::Error::other(format!("{}: {e}", c.id)))?;
                        table.cases.push(judge_case(&c.dir, &truth));
                        let _ = std::fs::remove_dir_all(&c.dir);
                    }
                }
            }
        }
        if let Some(p) = root.parent() {
            let _ = std::fs::remove_dir_all(p);
        }
        out.push((s.short, table));
    }
    Ok(out)
}
