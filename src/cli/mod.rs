//! Command line: it turns arguments into library requests, calls the
//! pipeline, and picks the renderer; exit codes follow the contract (0 done,
//! 1 usage / no usable input, 2 internal).
//!
//! Only `args` knows clap (the argument types, completions, the man page);
//! the runners take those types as plain data, so how a command runs can
//! be read without the parser's attributes in the way.

mod args;
mod progress;
mod run;
mod tools;

pub use args::*;
pub use run::execute;

use crate::pipeline;

/// Errors the CLI reports; the exit code is part of each.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {0}: {1}")]
    Write(String, std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Pipeline(e) => e.exit_code(),
            CliError::Usage(_) => 1,
            CliError::Write(..) => 1,
            CliError::Internal(_) => 2,
        }
    }
}
