//! Labelled outage scenarios written as real input files.
//!
//! Accuracy cannot be asserted from a handful of hand-made fixtures: the
//! verdict has to be measured against many incidents whose answer is known.
//! This module plays the world forward minute by minute (a site with an app,
//! an API, a CDN-served static host and third-party scripts, seen from
//! three regions) and lets one fault loose in it. Every writer (probe log,
//! HAR, k6, access log, change log) asks the same [`World`] what happened to
//! a request at a time from a place, so the files agree with each other the
//! way real evidence does, and `truth.json` records the label.
//!
//! Everything is driven by one seed through a SplitMix64 generator, each
//! writer on its own stream, so the same seed gives the same bytes.
//!
//! The parts: `random` (seeded streams), `kind` and `difficulty`
//! (what to simulate), `site` and `world` (the simulated site and its
//! timeline), `fault` and `timing` (what a request meets), one writer
//! per format (`probe`, `k6`, `har` with `page`, `access`, `changes`),
//! `write` (their shared encoding) and `truth` (the label).

mod access;
mod changes;
mod difficulty;
mod fault;
mod har;
mod k6;
mod kind;
mod page;
mod probe;
mod random;
mod site;
mod timing;
mod truth;
mod world;
mod write;

pub use difficulty::{BLIP_FAIL_SHARE, BLIP_MIN, Confounder, Difficulty, DifficultyTruth};
pub use kind::ScenarioKind;
pub use random::Rng;
pub use truth::{FileTruth, Truth};

// The vocabulary the writers share.
pub(crate) use fault::{Fail, Outcome};
pub(crate) use site::{Family, REGIONS, Role, THIRD_PARTIES, region_rtt};
pub(crate) use timing::{Client, Timing};
pub(crate) use world::World;
pub(crate) use write::{OFFSETS, Obj, Out, fixed, json_str, num, reason_phrase, rfc3339};

use std::path::Path;

/// How much data to write. The world and the fault are the same whatever
/// the profile; only the sampling density changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub agents_per_region: usize,
    /// Each agent runs its tests every this many minutes (agents of a
    /// region are staggered so the region is sampled more often).
    pub probe_every_min: i64,
    /// Range of minutes between page loads in a HAR capture.
    pub page_every_min: (i64, i64),
    /// Most HAR vantages (1 or 2; the client scenario always has 2).
    pub max_har_vantages: usize,
    /// Origin API requests per minute in the access log.
    pub access_per_min: (i64, i64),
    /// Minutes of healthy data before onset / after recovery.
    pub baseline_min: (i64, i64),
    pub after_min: (i64, i64),
    /// Pretty-print HAR files like DevTools does.
    pub pretty_har: bool,
    /// Leave out optional Chrome extras (`_initiator`, `_priority`,
    /// `connection`, `date` headers) to keep files small.
    pub lean_har: bool,
}

impl Profile {
    /// About 2-3 hours, 2 agents per region probing every minute.
    pub fn full() -> Profile {
        Profile {
            agents_per_region: 2,
            probe_every_min: 1,
            page_every_min: (2, 5),
            max_har_vantages: 2,
            access_per_min: (20, 40),
            baseline_min: (60, 90),
            after_min: (40, 60),
            pretty_har: true,
            lean_har: false,
        }
    }
    /// Small enough to commit (< 400 KB per bundle): sparser sampling,
    /// same world.
    pub fn compact() -> Profile {
        Profile {
            agents_per_region: 2,
            probe_every_min: 6,
            page_every_min: (10, 14),
            max_har_vantages: 1,
            access_per_min: (1, 2),
            baseline_min: (45, 52),
            after_min: (30, 34),
            pretty_har: false,
            lean_har: true,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::full()
    }
}

/// Write one scenario (full profile) into `out_dir` and return its label.
/// `out_dir` should be empty: different seeds write different file sets.
pub fn generate(kind: ScenarioKind, seed: u64, out_dir: &Path) -> std::io::Result<Truth> {
    generate_with(kind, seed, out_dir, &Profile::full())
}

/// [`generate`] with an explicit data density.
pub fn generate_with(
    kind: ScenarioKind,
    seed: u64,
    out_dir: &Path,
    profile: &Profile,
) -> std::io::Result<Truth> {
    generate_hard(kind, seed, out_dir, profile, &Difficulty::default())
}

/// [`generate_with`] at a chosen [`Difficulty`].
pub fn generate_hard(
    kind: ScenarioKind,
    seed: u64,
    out_dir: &Path,
    profile: &Profile,
    difficulty: &Difficulty,
) -> std::io::Result<Truth> {
    std::fs::create_dir_all(out_dir)?;
    let world = World::with_difficulty(kind, seed, profile, difficulty);
    let mut out = Out {
        dir: out_dir,
        files: Vec::new(),
    };
    probe::write(&world, &mut out)?;
    k6::write(&world, &mut out)?;
    har::write(&world, &mut out)?;
    access::write(&world, &mut out)?;
    changes::write(&world, &mut out)?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    let truth = world.truth(out.files);
    let mut json = serde_json::to_string_pretty(&truth).map_err(std::io::Error::other)?;
    json.push('\n');
    std::fs::write(out_dir.join("truth.json"), json)?;
    Ok(truth)
}
