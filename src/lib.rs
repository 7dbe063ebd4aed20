//! faultlens: offline outage forensics.
//!
//! The crate is a pipeline of stages, each a module that takes plain Rust
//! types and returns plain Rust types (see docs/ARCHITECTURE.md):
//! discover -> ingest -> model -> aggregate -> detect -> verdict -> report.
//! `pipeline` strings them together; `cli` is the only module that knows
//! the command line.
//!
//! The `analysis` feature (on by default) carries every stage from
//! aggregate on, and with it polars. The readers build without it, so the
//! fuzz crate (instrumented, on nightly) does not compile polars.

#[cfg(feature = "analysis")]
pub mod aggregate;
#[cfg(feature = "analysis")]
pub mod calibration;
pub mod changepoint;
pub mod classify;
#[cfg(feature = "analysis")]
pub mod cli;
#[cfg(feature = "analysis")]
pub mod columnar;
#[cfg(feature = "analysis")]
pub mod detect;
pub mod discover;
pub mod evaluation;
pub mod ingest;
#[cfg(feature = "analysis")]
mod laps;
pub mod marker;
pub mod model;
#[cfg(feature = "analysis")]
pub mod pipeline;
pub mod redact;
#[cfg(feature = "analysis")]
pub mod report;
pub mod rng;
pub mod sanitize;
pub mod stats;
pub mod sym;
#[cfg(feature = "analysis")]
pub mod verdict;

// The evaluation modules at the paths the command line, tests and examples
// have always used.
#[cfg(feature = "analysis")]
pub use evaluation::accuracy;
pub use evaluation::{realcase, scenario};
