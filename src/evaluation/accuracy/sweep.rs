//! The difficulty sweep: every kind walked from invisible to obvious along
//! its own knob (error share, slowdown, loss), over the number of regions
//! hit, and with each confounder. The seed report's incidents are 5-40x
//! the detectors' thresholds, so their accuracy says nothing about where
//! detection stops; this does.

use super::{AccuracyTable, Case, Outcome, generate_and_judge};
use crate::evaluation::scenario::{Confounder, Difficulty, ScenarioKind};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Share of affected requests that fail.
pub const ERROR_SHARES: [f64; 7] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];
/// Server-time multiplier of the slow API.
pub const LATENCY_FACTORS: [f64; 5] = [1.2, 1.5, 2.0, 3.0, 5.0];
/// Packet loss on the faulty path, percent.
pub const LOSS_PCTS: [f64; 7] = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0];
/// Regions hit, of three.
pub const REGION_COUNTS: [usize; 3] = [1, 2, 3];
/// Kinds whose fault can sit in any number of regions.
pub const REGION_KINDS: [ScenarioKind; 5] = [
    ScenarioKind::AsanaGlobal502to503,
    ScenarioKind::Dns,
    ScenarioKind::CdnEdge,
    ScenarioKind::RegionalNetworkLoss,
    ScenarioKind::TlsCert,
];
/// A kind is "seen" at a level when more than this share of its runs
/// there name the right domain.
pub const SEEN_SHARE: f64 = 0.5;

/// One knob of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Axis {
    ErrorShare,
    Latency,
    Loss,
    Regions,
    Confounder,
}

impl Axis {
    pub const ALL: [Axis; 5] = [
        Axis::ErrorShare,
        Axis::Latency,
        Axis::Loss,
        Axis::Regions,
        Axis::Confounder,
    ];
    pub fn from_name(s: &str) -> Option<Axis> {
        Axis::ALL.iter().copied().find(|a| a.name() == s)
    }
    /// The intensity knob of a kind (`None` for the healthy controls).
    pub fn of(kind: ScenarioKind) -> Option<Axis> {
        match kind {
            ScenarioKind::ChatgptSlowApi => Some(Axis::Latency),
            ScenarioKind::RegionalNetworkLoss => Some(Axis::Loss),
            ScenarioKind::Healthy | ScenarioKind::NoisyHealthy => None,
            _ => Some(Axis::ErrorShare),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Axis::ErrorShare => "error-share",
            Axis::Latency => "latency",
            Axis::Loss => "loss",
            Axis::Regions => "regions",
            Axis::Confounder => "confounder",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Axis::ErrorShare => "Error share (of affected requests that fail)",
            Axis::Latency => "Slowdown (server time of the slow API, times normal)",
            Axis::Loss => "Packet loss on the faulty path",
            Axis::Regions => "Regions hit (of three), at the seed's intensity",
            Axis::Confounder => "Confounders, at the seed's intensity",
        }
    }
    /// The settings of the knob, as (column label, difficulty), weakest first.
    pub fn levels(self) -> Vec<(String, Difficulty)> {
        let d = Difficulty::default;
        match self {
            Axis::ErrorShare => ERROR_SHARES
                .iter()
                .map(|&x| {
                    (
                        format!("{} %", x * 100.0),
                        Difficulty {
                            error_share: Some(x),
                            ..d()
                        },
                    )
                })
                .collect(),
            Axis::Latency => LATENCY_FACTORS
                .iter()
                .map(|&x| {
                    (
                        format!("{x}x"),
                        Difficulty {
                            latency_factor: Some(x),
                            ..d()
                        },
                    )
                })
                .collect(),
            Axis::Loss => LOSS_PCTS
                .iter()
                .map(|&x| {
                    (
                        format!("{x} %"),
                        Difficulty {
                            loss_pct: Some(x),
                            ..d()
                        },
                    )
                })
                .collect(),
            Axis::Regions => REGION_COUNTS
                .iter()
                .map(|&n| {
                    (
                        format!("{n} of 3"),
                        Difficulty {
                            regions: Some(n),
                            ..d()
                        },
                    )
                })
                .collect(),
            Axis::Confounder => Confounder::all()
                .iter()
                .map(|&c| {
                    (
                        c.name().to_string(),
                        Difficulty {
                            confounder: c,
                            ..d()
                        },
                    )
                })
                .collect(),
        }
    }
    fn mode(self) -> &'static str {
        match self {
            Axis::Regions => "sweep-regions",
            Axis::Confounder => "sweep-confounder",
            _ => "sweep-intensity",
        }
    }
}

/// The axes a kind is swept along.
pub fn axes(kind: ScenarioKind) -> Vec<Axis> {
    let mut v: Vec<Axis> = Axis::of(kind).into_iter().collect();
    if REGION_KINDS.contains(&kind) {
        v.push(Axis::Regions);
    }
    v.push(Axis::Confounder);
    v
}

/// Generate and judge every level of every axis of `kinds` (only
/// `only` when not empty), `seeds` seeds each (a case's `level` is
/// `AXIS:LABEL`). The confounder axis starts at "none": the seed's own
/// world, the baseline the other columns are read against.
pub fn run_sweep(
    first_seed: u64,
    seeds: u64,
    kinds: &[ScenarioKind],
    only: &[Axis],
) -> std::io::Result<AccuracyTable> {
    let mut table = AccuracyTable::default();
    for &kind in kinds {
        for axis in axes(kind)
            .into_iter()
            .filter(|a| only.is_empty() || only.contains(a))
        {
            for (label, diff) in axis.levels() {
                for seed in first_seed..first_seed + seeds {
                    let level = format!("{}:{label}", axis.name());
                    let mut c = generate_and_judge(kind, seed, &diff, &level)?;
                    c.mode = axis.mode().to_string();
                    table.cases.push(c);
                }
            }
        }
    }
    Ok(table)
}

/// right / inconclusive / missed / wrong
fn cell(cs: &[&Case]) -> String {
    let n = |o: Outcome| cs.iter().filter(|c| c.outcome() == o).count();
    format!(
        "{}/{}/{}/{}",
        n(Outcome::Right),
        n(Outcome::Inconclusive),
        n(Outcome::Missed),
        n(Outcome::Wrong)
    )
}

fn right_share(cs: &[&Case]) -> f64 {
    cs.iter().filter(|c| c.outcome() == Outcome::Right).count() as f64 / cs.len().max(1) as f64
}

/// Cases of `table` by kind, then by level label, for one axis.
fn grid(table: &AccuracyTable, axis: Axis) -> BTreeMap<String, BTreeMap<String, Vec<&Case>>> {
    let prefix = format!("{}:", axis.name());
    let mut g: BTreeMap<String, BTreeMap<String, Vec<&Case>>> = BTreeMap::new();
    for c in &table.cases {
        if let Some(label) = c.level.strip_prefix(&prefix) {
            g.entry(c.kind.clone())
                .or_default()
                .entry(label.to_string())
                .or_default()
                .push(c);
        }
    }
    g
}

/// Kinds in the generator's order.
fn kind_order(name: &str) -> usize {
    ScenarioKind::all()
        .iter()
        .position(|k| k.name() == name)
        .unwrap_or(usize::MAX)
}

/// The weakest level from which on every stronger level is seen (more
/// than [`SEEN_SHARE`] right), if any.
pub fn seen_from(levels: &[(String, Vec<&Case>)]) -> Option<usize> {
    let mut from = None;
    for (i, (_, cs)) in levels.iter().enumerate().rev() {
        if !cs.is_empty() && right_share(cs) > SEEN_SHARE {
            from = Some(i);
        } else {
            break;
        }
    }
    from
}

/// The sweep's tables: per axis, kinds against levels, then where each
/// kind's detection stops.
pub fn sweep_markdown(table: &AccuracyTable) -> String {
    let mut s = String::new();
    let mut notes: Vec<(usize, String)> = Vec::new();
    for axis in Axis::ALL {
        let g = grid(table, axis);
        if g.is_empty() {
            continue;
        }
        let labels: Vec<String> = axis.levels().into_iter().map(|l| l.0).collect();
        let _ = writeln!(s, "### {}\n", axis.title());
        let intensity = !matches!(axis, Axis::Regions | Axis::Confounder);
        let _ = write!(s, "| kind |");
        for l in &labels {
            let _ = write!(s, " {l} |");
        }
        if intensity {
            let _ = write!(s, " seen from |");
        }
        let _ = write!(s, "\n| --- |");
        for _ in &labels {
            let _ = write!(s, " ---: |");
        }
        if intensity {
            let _ = write!(s, " ---: |");
        }
        s.push('\n');
        let mut kinds: Vec<&String> = g.keys().collect();
        kinds.sort_by_key(|k| kind_order(k));
        for kind in kinds {
            let by = &g[kind];
            let levels: Vec<(String, Vec<&Case>)> = labels
                .iter()
                .map(|l| (l.clone(), by.get(l).cloned().unwrap_or_default()))
                .collect();
            let _ = write!(s, "| {kind} |");
            for (_, cs) in &levels {
                if cs.is_empty() {
                    let _ = write!(s, " - |");
                } else if axis == Axis::Regions {
                    let scope = cs
                        .iter()
                        .filter(|c| c.scope_expected == c.scope_got)
                        .count();
                    let _ = write!(s, " {}, scope {scope} |", cell(cs));
                } else {
                    let _ = write!(s, " {} |", cell(cs));
                }
            }
            if intensity {
                let from = seen_from(&levels);
                let _ = write!(
                    s,
                    " {} |",
                    from.map_or("never".to_string(), |i| levels[i].0.clone())
                );
                notes.push((kind_order(kind), stop_note(kind, axis, &levels, from)));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    if !notes.is_empty() {
        notes.sort();
        s.push_str("### Where detection stops\n\n");
        for (_, n) in notes {
            let _ = writeln!(s, "- {n}");
        }
        s.push('\n');
    }
    s
}

fn stop_note(
    kind: &str,
    axis: Axis,
    levels: &[(String, Vec<&Case>)],
    from: Option<usize>,
) -> String {
    let knob = match axis {
        Axis::ErrorShare => "error share",
        Axis::Latency => "slowdown",
        Axis::Loss => "loss",
        _ => axis.name(),
    };
    let below: Vec<&Case> = levels[..from.unwrap_or(levels.len())]
        .iter()
        .flat_map(|(_, cs)| cs.iter().copied())
        .collect();
    let n = |o: Outcome| below.iter().filter(|c| c.outcome() == o).count();
    let tail = format!(
        "{} runs: {} right, {} inconclusive, {} missed (\"no incident\"), {} wrong",
        below.len(),
        n(Outcome::Right),
        n(Outcome::Inconclusive),
        n(Outcome::Missed),
        n(Outcome::Wrong)
    );
    match from {
        Some(0) => format!(
            "**{kind}**: seen at every {knob} swept, down to {}.",
            levels[0].0
        ),
        Some(i) => format!(
            "**{kind}**: seen from {knob} {} up; below it, {tail}.",
            levels[i].0
        ),
        None => format!("**{kind}**: never reliably seen along {knob}; {tail}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_faulty_kind_has_an_intensity_axis() {
        for &k in ScenarioKind::all() {
            assert_eq!(
                Axis::of(k).is_some(),
                k.fault_domain() != "none",
                "{}",
                k.name()
            );
        }
        assert_eq!(Axis::ErrorShare.levels()[0].0, "1 %");
        assert_eq!(Axis::Latency.levels()[0].0, "1.2x");
        assert_eq!(Axis::Loss.levels()[0].0, "0.5 %");
    }
}
