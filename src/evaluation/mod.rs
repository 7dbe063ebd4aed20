//! Measuring the verdict against cases whose answer is known.
//!
//! Why this ships in the binary rather than living in tests: a confidence
//! is only worth printing if it was measured, and the measurement has to be
//! rerun whenever a detector changes. `faultlens accuracy` reruns it (and
//! `--fit-calibration` refits the map the verdict reads, so the map is never
//! edited by hand); `faultlens accuracy --corpus DIR` scores a user's own
//! folder of labelled incidents; `faultlens scenario` writes a labelled
//! incident in real formats for drills and for trying the tool without an
//! outage at hand. None of it runs during an ordinary analysis: no stage
//! imports this module (only `cli` does, for those commands); it imports
//! the stages.
//!
//! - [`scenario`]: a simulated site with one fault let loose, written as
//!   probe logs, HARs, k6 summaries, access and change logs plus `truth.json`;
//! - [`realcase`]: labelled cases built from real page loads, written the way
//!   each HAR producer writes failures;
//! - `accuracy`: the whole pipeline over labelled cases, scored against
//!   their truth; the difficulty sweep; the study that writes docs/accuracy.md;
//! - `calibration_fit`: the isotonic fit of the confidence map and its
//!   reliability on held-out cases (the map itself is `crate::calibration`,
//!   which the verdict reads at run time).

#[cfg(feature = "analysis")]
pub mod accuracy;
#[cfg(feature = "analysis")]
pub mod calibration_fit;
pub mod realcase;
pub mod scenario;
