//! faultlens: offline outage forensics.
//!
//! The crate is a pipeline of stages, each a module that takes plain Rust
//! types and returns plain Rust types (see docs/ARCHITECTURE.md):
//! discover -> ingest -> model -> aggregate -> detect -> verdict -> report.

pub mod classify;
pub mod ingest;
pub mod model;
pub mod redact;
pub mod sanitize;
