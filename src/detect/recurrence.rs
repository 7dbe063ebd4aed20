//! FL902 recurrence: see [`DOC`].

use super::{Ctx, Detector, Finding, Threshold, Unit};

pub const DOC: &str = "\
Looks at: the waves of the incident window (abnormal spans separated by short calm gaps that were merged into one incident).

Points to: no domain by itself. It fires when the incident came in at least {MIN_WAVES} waves, and lists them with the calm gaps between them. Recurring waves are typical of a retried change or a fix that did not hold (\"intermittent errors persisted\"; \"these outages often come in pairs\"); the report's timeline lists each wave, and next steps suggest checking what was retried between them.

Known false positives: load-dependent failures that follow traffic peaks (waves then follow the daily curve rather than changes).";

/// Waves at or above which the incident recurred.
const MIN_WAVES: f64 = 2.0;

const THRESHOLDS: &[Threshold] = &[Threshold {
    name: "MIN_WAVES",
    value: MIN_WAVES,
    unit: Unit::Count,
    meaning: "waves in the incident window at or above which it recurred",
}];

pub static DETECTOR: Detector = Detector {
    code: "FL902",
    name: "recurrence",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn run(ctx: &Ctx) -> Vec<Finding> {
    let waves = &ctx.an.windows.waves;
    if (waves.len() as f64) < MIN_WAVES {
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
