//! One run over every labelled corpus: the generator at the seed's own
//! difficulty, the difficulty sweep, the lab recordings and the
//! real-structure cases. From that one run the calibration map is fitted
//! (on the fit half) and measured (on the held-out half), and
//! docs/accuracy.md is written, so the numbers in the file, the map in
//! the binary and the command that made both cannot drift apart.

use super::sweep::{run_sweep, sweep_markdown};
use super::{AccuracyTable, Case, Outcome, run_corpus, run_realcase_grid};
use crate::calibration::{Basis, Calibration, Group, Map};
use crate::evaluation::calibration_fit::{
    INCONCLUSIVE_BELOW, Obs, Reliability, fit_isotonic, reliability,
};
use crate::evaluation::realcase::{FIXTURE_SOURCES, Split};
use crate::evaluation::scenario::ScenarioKind;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What one study runs.
#[derive(Debug, Clone)]
pub struct StudyPlan {
    pub first_seed: u64,
    /// Seeds per kind and per sweep level; odd seeds are held out.
    pub seeds: u64,
    /// Folders of labelled cases (relative to the working directory).
    pub corpora: Vec<PathBuf>,
    /// The committed real captures the real-structure grid is built from
    /// (see [`run_realcase_grid`]), and seeds per source.
    pub realcase_sources: PathBuf,
    pub realcase_seeds: u64,
}

/// The committed sources of the real-structure grid.
pub const REALCASE_SOURCES: &str = "fixtures/realcase/sources";

impl StudyPlan {
    /// The repository's corpora: the lab, the real-structure tuning and
    /// held-out cases.
    pub fn standard(first_seed: u64, seeds: u64) -> StudyPlan {
        StudyPlan {
            first_seed,
            seeds,
            corpora: [
                "fixtures/lab",
                "fixtures/realcase/cases/tune",
                "fixtures/realcase/cases/holdout",
            ]
            .iter()
            .map(PathBuf::from)
            .collect(),
            realcase_sources: PathBuf::from(REALCASE_SOURCES),
            realcase_seeds: 3,
        }
    }
    /// The command line that reruns this plan.
    pub fn command(&self) -> String {
        let mut s = format!(
            "faultlens accuracy --all --seeds {} --first-seed {} --realcase-seeds {}",
            self.seeds, self.first_seed, self.realcase_seeds
        );
        if self.corpora != StudyPlan::standard(0, 0).corpora {
            for c in &self.corpora {
                let _ = write!(s, " --corpus {}", c.display());
            }
        }
        s
    }
}

#[derive(Debug, Clone)]
pub struct Study {
    pub plan: StudyPlan,
    /// Every kind at the seed's own difficulty.
    pub generated: AccuracyTable,
    /// The difficulty sweep.
    pub sweep: AccuracyTable,
    pub corpora: Vec<(PathBuf, AccuracyTable)>,
    /// The real-structure grid, per source: (short name, split, table).
    pub grid: Vec<(String, Split, AccuracyTable)>,
}

/// The sweep level that is the seed's own world.
const OWN_WORLD: &str = "confounder:none";

fn right(c: &Case) -> bool {
    c.outcome() == Outcome::Right
}

impl Study {
    pub fn run(plan: StudyPlan) -> std::io::Result<Study> {
        let mut sweep = run_sweep(plan.first_seed, plan.seeds, ScenarioKind::all(), &[])?;
        // the seed's own world is the confounder axis's "none" column: the
        // same runs `faultlens accuracy --seeds N` makes, not made twice
        let (own, rest): (Vec<Case>, Vec<Case>) =
            sweep.cases.drain(..).partition(|c| c.level == OWN_WORLD);
        sweep.cases = rest;
        let generated = AccuracyTable {
            cases: own
                .into_iter()
                .map(|mut c| {
                    c.mode = "generated".into();
                    c.level.clear();
                    c
                })
                .collect(),
        };
        let mut corpora = Vec::new();
        for dir in &plan.corpora {
            corpora.push((dir.clone(), run_corpus(dir)?));
        }
        let grid = run_realcase_grid(&plan.realcase_sources, plan.realcase_seeds as usize, None)?
            .into_iter()
            .map(|(short, t)| (short.to_string(), split_of(short), t))
            .collect();
        Ok(Study {
            plan,
            generated,
            sweep,
            corpora,
            grid,
        })
    }

    fn cases(&self) -> impl Iterator<Item = &Case> {
        self.generated
            .cases
            .iter()
            .chain(&self.sweep.cases)
            .chain(self.corpora.iter().flat_map(|(_, t)| &t.cases))
            .chain(self.grid.iter().flat_map(|(_, _, t)| &t.cases))
    }

    fn cases_mut(&mut self) -> impl Iterator<Item = &mut Case> {
        self.generated
            .cases
            .iter_mut()
            .chain(self.sweep.cases.iter_mut())
            .chain(
                self.corpora
                    .iter_mut()
                    .flat_map(|(_, t)| t.cases.iter_mut()),
            )
            .chain(
                self.grid
                    .iter_mut()
                    .flat_map(|(_, _, t)| t.cases.iter_mut()),
            )
    }

    /// Fit the maps on the cases not held out. The named-domain map sees
    /// the intensity sweep (how often a named domain is right hardly
    /// depends on how often faint faults happen); the "none" maps do not:
    /// there every case is a fault and most are faint, so the chance that
    /// a quiet capture hides one would be set by the sweep's design.
    pub fn fit(&self) -> Calibration {
        let fit: Vec<&Case> = self
            .cases()
            .filter(|c| !c.held_out && c.raw.domain != "error")
            .collect();
        let natural = |c: &&&Case| c.mode != "sweep-intensity";
        // named verdicts from browser captures alone are fitted apart (one
        // witness, often one vantage, unlike the multi-source worlds), and
        // those resting on slowness alone apart from both (real timings
        // wander; failures do not)
        let obs_of = |g: Group, all: bool, basis: Option<Basis>| -> Vec<Obs> {
            fit.iter()
                .filter(|c| c.raw.group == g && (all || natural(c)))
                .filter(|c| {
                    basis.is_none_or(|b| {
                        c.raw.pace_only == b.pace_only
                            && (b.pace_only || c.raw.input.browser_only == b.browser_only)
                    })
                })
                .map(|c| Obs {
                    raw: c.raw.confidence,
                    right: if g == Group::Named {
                        c.raw.domain == c.expected
                    } else {
                        c.expected == "none"
                    },
                })
                .collect()
        };
        let obs = |g: Group, all: bool| obs_of(g, all, None);
        let basis = |browser_only: bool, pace_only: bool| {
            Some(Basis {
                browser_only,
                pace_only,
            })
        };
        let named = fit_isotonic(&obs_of(Group::Named, true, basis(false, false)));
        let named_browser = fit_isotonic(&obs_of(Group::Named, true, basis(true, false)));
        let named_pace = fit_isotonic(&obs_of(Group::Named, true, basis(false, true)));
        let named_for = |c: &Case| {
            if c.raw.pace_only {
                &named_pace
            } else if c.raw.input.browser_only {
                &named_browser
            } else {
                &named
            }
        };
        // named verdicts that fall below the line: how often was there no
        // fault at all? (decreasing in the margin: fitted on -raw)
        let demoted_obs: Vec<Obs> = fit
            .iter()
            .filter(|c| c.raw.group == Group::Named && natural(c))
            .filter(|c| named_for(c).at(c.raw.confidence) < INCONCLUSIVE_BELOW)
            .map(|c| Obs {
                raw: -c.raw.confidence,
                right: c.expected == "none",
            })
            .collect();
        let weak = fit_isotonic(&obs(Group::Weak, false));
        let demoted = if demoted_obs.is_empty() {
            // nothing fell below the line in the fit: the nearest question
            // is the weak-evidence one (a window moved, nothing named)
            let mean =
                weak.knots.iter().map(|k| k[1]).sum::<f64>() / weak.knots.len().max(1) as f64;
            Map {
                knots: vec![[0.0, (mean * 10_000.0).round() / 10_000.0]],
                cases: 0,
            }
        } else {
            let m = fit_isotonic(&demoted_obs);
            Map {
                knots: m.knots.iter().rev().map(|[x, p]| [-x, *p]).collect(),
                cases: m.cases,
            }
        };
        let p = &self.plan;
        let mut corpora: Vec<String> = p.corpora.iter().map(|c| c.display().to_string()).collect();
        corpora.sort();
        Calibration {
            method: "isotonic regression (pool-adjacent-violators), each block shrunk toward its group's mean by 3 pseudo-cases, linear between block centres".into(),
            fitted_on: format!(
                "generated seeds {}..{} (even seeds only; every kind at the seed's difficulty, regions and confounders; the intensity sweep for the named map only), the cases of {} not held out (lab: names hashing even; real-structure: tune only), and the real-structure grid's tune sources in {} (seeds 1..{})",
                p.first_seed,
                p.first_seed + p.seeds - 1,
                corpora.join(", "),
                p.realcase_sources.display(),
                p.realcase_seeds
            ),
            command: format!("{} --fit-calibration src/calibration.json", p.command()),
            inconclusive_below: INCONCLUSIVE_BELOW,
            named,
            named_browser: Some(named_browser),
            named_pace: Some(named_pace),
            quiet: fit_isotonic(&obs(Group::Quiet, false)),
            weak,
            demoted,
        }
    }

    /// Every case, one line each (tab-separated, with a header): what
    /// was generated or read, the truth, the raw and the calibrated
    /// verdict. For looking at misses without rerunning.
    pub fn cases_tsv(&self) -> String {
        let mut s = String::from(
            "source\tkind\tmode\tlevel\tseed\theld_out\texpected\tscope_expected\traw_domain\traw_confidence\tgroup\tpace_only\tbrowser_only\tgot\tconfidence\tinconclusive\tscope_got\toutcome\n",
        );
        let mut rows: Vec<(String, &Case)> = self
            .generated
            .cases
            .iter()
            .chain(&self.sweep.cases)
            .map(|c| ("generated".to_string(), c))
            .collect();
        for (dir, t) in &self.corpora {
            rows.extend(t.cases.iter().map(|c| (dir.display().to_string(), c)));
        }
        for (short, split, t) in &self.grid {
            rows.extend(
                t.cases
                    .iter()
                    .map(|c| (format!("grid:{short}:{}", split.name()), c)),
            );
        }
        for (src, c) in rows {
            let _ = writeln!(
                s,
                "{src}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{}\t{}\t{}\t{}\t{:.2}\t{}\t{}\t{:?}",
                c.kind,
                c.mode,
                c.level,
                c.seed,
                c.held_out,
                c.expected,
                c.scope_expected,
                c.raw.domain,
                c.raw.confidence,
                c.raw.group.name(),
                c.raw.pace_only,
                c.raw.input.browser_only,
                c.got,
                c.confidence,
                c.inconclusive,
                c.scope_got,
                c.outcome()
            );
        }
        s
    }

    /// Re-read every raw verdict through `cal`.
    pub fn settle(&mut self, cal: &Calibration) {
        for c in self.cases_mut() {
            c.settle(cal);
        }
    }

    /// Reliability of the held-out cases, by source and pooled.
    pub fn held_out(&self) -> Vec<(String, Reliability)> {
        let pairs = |it: &mut dyn Iterator<Item = &Case>| -> Vec<(f64, bool)> {
            it.filter(|c| c.held_out)
                .map(|c| (c.confidence, right(c)))
                .collect()
        };
        let mut rows = Vec::new();
        let gen_natural = pairs(
            &mut self.generated.cases.iter().chain(
                self.sweep
                    .cases
                    .iter()
                    .filter(|c| c.mode != "sweep-intensity"),
            ),
        );
        rows.push((
            "generated: seed's difficulty, regions, confounders".to_string(),
            reliability(&gen_natural),
        ));
        let mut natural = gen_natural;
        for (dir, t) in &self.corpora {
            let p = pairs(&mut t.cases.iter());
            if p.is_empty() {
                continue;
            }
            natural.extend(p.iter().copied());
            rows.push((dir.display().to_string(), reliability(&p)));
        }
        let sweep = pairs(
            &mut self
                .sweep
                .cases
                .iter()
                .filter(|c| c.mode == "sweep-intensity"),
        );
        let grid = pairs(
            &mut self
                .grid
                .iter()
                .filter(|(_, split, _)| *split == Split::Holdout)
                .flat_map(|(_, _, t)| &t.cases),
        );
        if !grid.is_empty() {
            natural.extend(grid.iter().copied());
            rows.push((
                format!(
                    "real structures built from {}: held-out sources ({})",
                    self.plan.realcase_sources.display(),
                    self.grid
                        .iter()
                        .filter(|(_, split, _)| *split == Split::Holdout)
                        .map(|(short, _, _)| short.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                reliability(&grid),
            ));
        }
        rows.push(("all of the above".to_string(), reliability(&natural)));
        rows.push((
            "generated: intensity sweep".to_string(),
            reliability(&sweep),
        ));
        rows
    }

    /// docs/accuracy.md.
    pub fn markdown(&self, cal: &Calibration) -> String {
        let mut s = String::new();
        let cmd = format!("{} --markdown", self.plan.command());
        let _ = writeln!(
            s,
            "# Accuracy\n\nGenerated by `scripts/regen-accuracy.sh` (do not edit): this whole file is the\noutput of\n\n    {cmd}\n"
        );
        let _ = writeln!(
            s,
            "from the scenario generator (seeds {}..{}, full profile), its difficulty\nsweep at the same seeds, and the labelled corpora in the repository. Odd\nseeds, the real-structure `holdout` set and the lab cases whose names hash\nodd are held out of the calibration fit. `tests/accuracy_doc.rs` reruns\nparts of it and checks they match.\n",
            self.plan.first_seed,
            self.plan.first_seed + self.plan.seeds - 1
        );
        s.push_str("## Calibration\n\n");
        let _ = writeln!(
            s,
            "Confidence means: of verdicts given confidence c, about c are right. The\nverdict's raw margin is read through monotone maps in `src/calibration.json`\n({}), fitted on {}. Refit with\n\n    {}\n\nA named domain whose calibrated confidence is below {:.2} is not named: the\nverdict answers `none`, flagged `inconclusive`.\n",
            cal.method, cal.fitted_on, cal.command, cal.inconclusive_below
        );
        s.push_str("Held-out cases (never used by the fit):\n\n| held out | cases | top-1 | expected calibration error | same, if perfectly calibrated | Brier score |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        let rows = self.held_out();
        for (name, r) in &rows {
            let acc = r.bins.iter().map(|b| b.4 * b.2 as f64).sum::<f64>() / r.cases.max(1) as f64;
            let _ = writeln!(
                s,
                "| {name} | {} | {:.1} % | {:.3} | {:.3} | {:.3} |",
                r.cases,
                acc * 100.0,
                r.ece,
                r.ece_floor,
                r.brier
            );
        }
        s.push_str("\nExpected calibration error: the case-weighted mean of |mean confidence -\naccuracy| over ten equal-width confidence bins. \"Same, if perfectly\ncalibrated\": the mean error over 2,000 draws of outcomes for the same\nconfidences, each right with its confidence's chance; on a few dozen\ncases the binned error is mostly this sampling noise, and a corpus's\nerror is only meaningful against it. Brier score: the mean of\n(confidence - 1 if right else 0)^2.\n\n");
        for (name, r) in rows
            .iter()
            .filter(|(n, _)| n == "all of the above" || n == "generated: intensity sweep")
        {
            let _ = writeln!(
                s,
                "Reliability, {name} (held out):\n\n| confidence | cases | mean confidence | right |\n| --- | ---: | ---: | ---: |"
            );
            for (lo, hi, n, conf, acc) in &r.bins {
                let _ = writeln!(
                    s,
                    "| {lo:.1}-{hi:.1} | {n} | {conf:.2} | {:.1} % |",
                    acc * 100.0
                );
            }
            s.push('\n');
        }

        s.push_str("## Accuracy against difficulty\n\n");
        let _ = writeln!(
            s,
            "Each kind generated at each setting of its knob, seeds {}..{}; the rest of\nthe world as the seed draws it. A cell is right / inconclusive / missed /\nwrong: right names the true domain (`none` for the controls); inconclusive\nsaw a window move but named nothing; missed answered \"no incident\" for a\nfault; wrong named another domain, or an incident on a control. \"Seen from\"\nis the weakest setting from which on more than half the runs are right.\nOne kind's row of one table is rerun by\n\n    faultlens accuracy --sweep --kinds KIND --axes AXIS --seeds {} --first-seed {}\n\n(AXIS: error-share, latency, loss, regions, confounder).\n",
            self.plan.first_seed,
            self.plan.first_seed + self.plan.seeds - 1,
            self.plan.seeds,
            self.plan.first_seed
        );
        let mut sweep = self.sweep.clone();
        sweep.cases.extend(self.generated.cases.iter().map(|c| {
            let mut c = c.clone();
            c.level = OWN_WORLD.into();
            c
        }));
        s.push_str(&sweep_markdown(&sweep));

        let _ = writeln!(
            s,
            "## Generated scenarios at the seed's difficulty\n\nThe seed report's incidents, 5-40x the thresholds (the thresholds were\nfirst tuned on these, so this is the optimistic number):\n\n    faultlens accuracy --seeds {} --first-seed {} --markdown\n",
            self.plan.seeds, self.plan.first_seed
        );
        s.push_str(&self.generated.markdown());
        let _ = writeln!(
            s,
            "\n## Real page structures, built from the committed sources\n\nEach real page load in {} (see fixtures/realcase/README.md) as each\nproducer writes it, in every mode, with every fault kind, seeds 1..{} for\nthe tune sources and 1001..{} for the held-out ones, at half the loads;\nbuilt and judged in a scratch folder. One source's table is rerun by\n\n    faultlens accuracy --realcase-grid {} --realcase-seeds {} --source SHORT --markdown\n",
            self.plan.realcase_sources.display(),
            self.plan.realcase_seeds,
            1000 + self.plan.realcase_seeds,
            self.plan.realcase_sources.display(),
            self.plan.realcase_seeds
        );
        for (short, split, t) in &self.grid {
            s.push_str(&grid_section(short, *split, t));
        }
        for (dir, t) in &self.corpora {
            let d = dir.display().to_string();
            let (title, about) = corpus_about(&d);
            let _ = writeln!(
                s,
                "\n## {title} ({d})\n\n{about}    faultlens accuracy --corpus {d} --markdown\n"
            );
            s.push_str(&t.markdown());
        }
        s
    }
}

/// The split a committed source belongs to.
fn split_of(short: &str) -> Split {
    FIXTURE_SOURCES
        .iter()
        .find(|s| s.short == short)
        .map_or(Split::Tune, |s| s.split)
}

/// One source's part of the grid, as docs/accuracy.md shows it.
pub fn grid_section(short: &str, split: Split, t: &AccuracyTable) -> String {
    format!(
        "\n### {short} ({}{})\n\n{}",
        split.name(),
        if split == Split::Holdout {
            ", held out of the fit"
        } else {
            ""
        },
        t.markdown()
    )
}

/// `faultlens accuracy --realcase-grid DIR`: the grid's sections alone.
pub fn grid_markdown(
    sources: &std::path::Path,
    seeds: u64,
    only: Option<&str>,
) -> std::io::Result<String> {
    let mut s = String::new();
    for (short, t) in run_realcase_grid(sources, seeds as usize, only)? {
        s.push_str(&grid_section(short, split_of(short), &t));
    }
    Ok(s)
}

fn corpus_about(dir: &str) -> (&'static str, &'static str) {
    if dir.ends_with("lab") {
        (
            "Outage lab",
            "Real Chromium (Playwright recordHar and chrome-har), nginx origin and\nCDN edge, a Node backend, dnsmasq, a TCP fault proxy, curl / ping / mtr\nprobes, staged on loopback by `lab/` (see lab/README.md).\n\n",
        )
    } else if dir.ends_with("holdout") {
        (
            "Real page structures, held out",
            "Sources and seeds never used while tuning (see src/evaluation/realcase).\n\n",
        )
    } else if dir.ends_with("tune") {
        ("Real page structures, tuning cases", "")
    } else {
        ("Labelled cases", "")
    }
}
