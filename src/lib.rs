//! faultlens: offline outage forensics.
//!
//! The crate is a pipeline of stages, each a module that takes plain Rust
//! types and returns plain Rust types (see docs/ARCHITECTURE.md):
//! discover -> ingest -> model -> aggregate -> detect -> verdict -> report.
//! `pipeline` strings them together; `cli` is the only module that knows
//! the command line.

pub mod accuracy;
pub mod aggregate;
pub mod changepoint;
pub mod classify;
pub mod cli;
pub mod detect;
pub mod discover;
pub mod ingest;
pub mod model;
pub mod pipeline;
pub mod redact;
pub mod report;
pub mod sanitize;
pub mod scenario;
pub mod stats;
pub mod verdict;
