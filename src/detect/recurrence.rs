//! FL902 recurrence: see [`DOC`].

use super::{Ctx, Detector, Finding};

pub const DOC: &str = "\
Looks at: the waves of the incident window (abnormal spans separated by short calm gaps that were merged into one incident) and, in compare mode, whether the baseline capture already carried the signature.

Points to: no domain by itself. Recurring waves with the same signature are typical of a retried change or a fix that did not hold (\"intermittent errors persisted\"; \"these outages often come in pairs\"); the report's timeline lists each wave, and next steps suggest checking what was retried between them.

Known false positives: load-dependent failures that follow traffic peaks (waves then follow the daily curve rather than changes).";

/// None named yet.
const THRESHOLDS: &[super::Threshold] = &[];

pub static DETECTOR: Detector = Detector {
    code: "FL902",
    name: "recurrence",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    let waves = &ctx.an.windows.waves;
    if waves.len() < 2 {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    f.fired = true;
    let list: Vec<String> = waves
        .iter()
        .map(|w| format!("{}-{} UTC", w.start.format("%H:%M"), w.end.format("%H:%M")))
        .collect();
    let gaps: Vec<f64> = waves
        .windows(2)
        .map(|p| (p[1].start - p[0].end).num_milliseconds() as f64 / 60_000.0)
        .collect();
    f.summary = format!(
        "the incident came in {} waves ({}), separated by calm gaps of {} min: intermittent, the same failure recurring",
        waves.len(),
        list.join(", "),
        gaps.iter()
            .map(|g| format!("{g:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    vec![f]
}
