//! The commands beside the analysis: sanitize a HAR for sharing,
//! generate a labelled scenario, measure accuracy over generated ones.

use super::run::write_out;
use super::{AccuracyArgs, CliError, SanitizeArgs, ScenarioArgs};

pub(super) fn accuracy(a: AccuracyArgs) -> Result<(), CliError> {
    let internal = |e: std::io::Error| CliError::Internal(e.to_string());
    if let Some(dir) = &a.realcase_grid {
        let text = crate::accuracy::grid_markdown(dir, a.realcase_seeds, a.source.as_deref())
            .map_err(internal)?;
        return write_out(None, &text);
    }
    if a.all {
        let mut plan = crate::accuracy::StudyPlan::standard(a.first_seed, a.seeds);
        plan.realcase_seeds = a.realcase_seeds;
        let mut study = crate::accuracy::Study::run(plan).map_err(internal)?;
        let cal = match &a.fit_calibration {
            Some(out) => {
                let cal = study.fit();
                let mut json = serde_json::to_string_pretty(&cal)
                    .map_err(|e| CliError::Internal(e.to_string()))?;
                json.push('\n');
                std::fs::write(out, json)
                    .map_err(|e| CliError::Write(out.display().to_string(), e))?;
                study.settle(&cal);
                cal
            }
            None => crate::calibration::Calibration::current().clone(),
        };
        if let Some(out) = &a.cases {
            std::fs::write(out, study.cases_tsv())
                .map_err(|e| CliError::Write(out.display().to_string(), e))?;
        }
        let text = if a.markdown {
            study.markdown(&cal)
        } else {
            let mut s = String::new();
            for (name, r) in study.held_out() {
                s.push_str(&format!(
                    "held out, {name}: {} cases, ECE {:.3}, Brier {:.3}\n",
                    r.cases, r.ece, r.brier
                ));
            }
            s.push_str(&study.generated.text());
            s.push_str(&crate::accuracy::sweep_markdown(&study.sweep));
            s
        };
        return write_out(None, &text);
    }
    if a.sweep {
        let kinds = if a.kinds.is_empty() {
            crate::scenario::ScenarioKind::all().to_vec()
        } else {
            a.kinds
                .iter()
                .map(|k| {
                    crate::scenario::ScenarioKind::from_name(k).ok_or_else(|| {
                        CliError::Usage(format!(
                            "unknown kind {k:?} (see `faultlens scenario --list`)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let axes = a
            .axes
            .iter()
            .map(|x| {
                crate::accuracy::Axis::from_name(x).ok_or_else(|| {
                    CliError::Usage(format!(
                        "unknown axis {x:?} (error-share, latency, loss, regions, confounder)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let table =
            crate::accuracy::run_sweep(a.first_seed, a.seeds, &kinds, &axes).map_err(internal)?;
        return write_out(None, &crate::accuracy::sweep_markdown(&table));
    }
    let table = match &a.corpus {
        Some(dir) => {
            crate::accuracy::run_corpus(dir).map_err(|e| CliError::Usage(e.to_string()))?
        }
        None => crate::accuracy::run(a.first_seed, a.seeds).map_err(internal)?,
    };
    write_out(
        None,
        &if a.markdown {
            table.markdown()
        } else {
            table.text()
        },
    )
}

pub(super) fn sanitize(a: SanitizeArgs, quiet: bool) -> Result<(), CliError> {
    let opts = crate::sanitize::SanitizeOptions {
        drop_bodies: a.drop_bodies,
        ..Default::default()
    };
    let out = std::fs::File::create(&a.output)
        .map_err(|e| CliError::Write(a.output.display().to_string(), e))?;
    let out = std::io::BufWriter::new(out);
    let rep = if a.input == "-" {
        crate::sanitize::sanitize_har(std::io::stdin().lock(), out, &opts)
    } else {
        let f = std::fs::File::open(&a.input)
            .map_err(|e| CliError::Usage(format!("cannot open {}: {e}", a.input)))?;
        crate::sanitize::sanitize_har(std::io::BufReader::new(f), out, &opts)
    }
    .map_err(|e| CliError::Usage(format!("{}: {e}", a.input)))?;
    if !quiet {
        eprintln!("faultlens: wrote {}: {rep}", a.output.display());
    }
    Ok(())
}

pub(super) fn scenario(a: ScenarioArgs) -> Result<(), CliError> {
    use crate::scenario::ScenarioKind;
    if a.list || a.kind.is_none() {
        let list: String = ScenarioKind::all()
            .iter()
            .map(|k| format!("{}\n", k.name()))
            .collect();
        return write_out(None, &list);
    }
    let name = a.kind.unwrap_or_default();
    let kind = ScenarioKind::from_name(&name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown scenario {name:?}; `faultlens scenario --list`"
        ))
    })?;
    let out = a
        .out
        .ok_or_else(|| CliError::Usage("scenario needs --out DIR".into()))?;
    let truth = crate::scenario::generate(kind, a.seed, &out)
        .map_err(|e| CliError::Write(out.display().to_string(), e))?;
    write_out(
        None,
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&truth).unwrap_or_default()
        ),
    )
}
