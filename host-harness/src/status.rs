//! The harness's own exit statuses, and the errors that map to them.
//!
//! A guest's exit status passes through unchanged; the harness's own conditions use the
//! sysexits(3) range and `timeout(1)`'s 124, so a script can tell "the guest said 65" from
//! "the harness could not load the module" only by the one-line message, as with `timeout`.

use thiserror::Error;

/// The guest ran past its time limit (the status `timeout(1)` uses).
pub const TIMED_OUT: i32 = 124;
/// The guest trapped (unreachable, out-of-bounds access, stack overflow...): 128 + SIGILL,
/// what a native process killed by an illegal instruction reports.
pub const TRAPPED: i32 = 132;
/// At least one test or scenario failed (the status cargo-nextest uses).
pub const TESTS_FAILED: i32 = 100;
/// Command-line usage error (clap's own status).
pub const USAGE: i32 = 2;

/// Errors of the harness itself, before or around a guest run. Each has its own status.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// The input file is missing or unreadable.
    #[error("cannot read {path}: {reason}")]
    NoInput { path: String, reason: String },
    /// Not a WebAssembly module, or one that does not validate.
    #[error("{path} is not a valid WebAssembly module: {reason}")]
    InvalidModule { path: String, reason: String },
    /// A valid module that this runtime cannot start (no `_start`, unknown imports, ...).
    #[error("{path} cannot run on wasmer {wasmer}: {reason}", wasmer = crate::engine::WASMER_VERSION)]
    NotRunnable { path: String, reason: String },
    /// A scenario, spec or configuration file is malformed.
    #[error("{path}: {reason}")]
    BadSpec { path: String, reason: String },
    /// Building guests with cargo failed.
    #[error("building {path} failed: {reason}")]
    BuildFailed { path: String, reason: String },
    /// Something inside the harness failed (it could not start its child, ...).
    #[error("{0}")]
    Internal(String),
}

impl HarnessError {
    /// The process exit status for this error (sysexits.h numbering).
    pub fn status(&self) -> i32 {
        match self {
            HarnessError::InvalidModule { .. } => 65, // EX_DATAERR
            HarnessError::NoInput { .. } => 66,       // EX_NOINPUT
            HarnessError::NotRunnable { .. } => 69,   // EX_UNAVAILABLE
            HarnessError::Internal(_) => 70,          // EX_SOFTWARE
            HarnessError::BuildFailed { .. } => 73,   // EX_CANTCREAT
            HarnessError::BadSpec { .. } => 78,       // EX_CONFIG
        }
    }
}
