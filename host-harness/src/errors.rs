//! The harness's own exit statuses, and the errors that map to them: defined once here, and
//! the `--help` table is generated from [`STATUS_TABLE`].
//!
//! A guest's exit status passes through unchanged; the harness's own conditions use the
//! sysexits(3) range and `timeout(1)`'s 124, so a script can tell "the guest said 65" from
//! "the harness could not load the module" only by the one-line message, as with `timeout`.

use thiserror::Error;

/// Command-line usage error (clap's own status).
pub const USAGE: i32 = 2;
/// At least one test or scenario failed (the status cargo-nextest uses).
pub const TESTS_FAILED: i32 = 100;
/// A libtest binary run by `run` had a failing test (libtest's own status).
pub const LIBTEST_FAILED: i32 = 101;
/// The guest ran past its time limit (the status `timeout(1)` uses).
pub const TIMED_OUT: i32 = 124;
/// The module was still being read or compiled at `--compile-timeout` (EX_TEMPFAIL: a loaded
/// machine, retrying may help).
pub const COMPILE_TIMED_OUT: i32 = 75;
/// The run's processes used more memory than `--memory-limit` plus the runtime's allowance:
/// 128 + SIGKILL, what a process killed for memory reports.
pub const MEMORY_EXCEEDED: i32 = 137;
/// What the runtime itself may use on top of `--memory-limit` before the watchdog kills the
/// run: the child's code, wasmer and Cranelift (compiling a big module), tokio's threads and
/// their stacks (measured: about 40 MiB for a small module, under 200 MiB while compiling a
/// std test binary).
pub const RUNTIME_MEMORY_ALLOWANCE: u64 = 256 << 20;
/// The same for `@wasmer/sdk` in Node: Node itself, the runner's sdk instances (each a worker
/// thread with the sdk's own wasm and its pool of workers: the one serving runs and a spare;
/// measured: 200-250 MiB for both, idle) and a Worker per guest thread (storm_64_threads).
pub const SDK_MEMORY_ALLOWANCE: u64 = 1 << 30;
/// The same for a runtime in a browser: the browser's own processes (browser, renderer,
/// GPU/utility, zygote) each count their shared pages once more (measured: 1.3 GiB of summed
/// resident memory for `hello` in Chromium and Firefox, 1.6 GiB for 64 threads; 1.0-1.2 GiB
/// for an idle runner with the page that served a run and a spare page).
pub const BROWSER_MEMORY_ALLOWANCE: u64 = 3 << 30;
/// The guest trapped (unreachable, out-of-bounds access, stack overflow...): 128 + SIGILL,
/// what a native process killed by an illegal instruction reports.
pub const TRAPPED: i32 = 132;
/// Not a WebAssembly module, or one that does not validate (EX_DATAERR).
pub const INVALID_MODULE: i32 = 65;
/// The input is missing or unreadable (EX_NOINPUT).
pub const NO_INPUT: i32 = 66;
/// The module cannot run on this runtime, or the runtime is not installed (EX_UNAVAILABLE).
pub const UNAVAILABLE: i32 = 69;
/// The harness failed internally, or the guest's host process died (EX_SOFTWARE).
pub const INTERNAL: i32 = 70;
/// Building guests with cargo failed (EX_CANTCREAT).
pub const BUILD_FAILED: i32 = 73;
/// A scenario, spec or configuration file is malformed (EX_CONFIG).
pub const BAD_SPEC: i32 = 78;

/// Every status the harness itself can end with, and what it means: `--help` prints this.
pub const STATUS_TABLE: &[(i32, &str)] = &[
    (TIMED_OUT, "the guest ran past --timeout (`timed out after N s (deadlock?)`)"),
    (
        COMPILE_TIMED_OUT,
        "reading and compiling the module took longer than --compile-timeout (the guest never started)",
    ),
    (
        MEMORY_EXCEEDED,
        "the run used more memory than --memory-limit plus the runtime's own allowance (`exceeded the memory budget of ...`)",
    ),
    (TRAPPED, "the guest trapped (unreachable, out-of-bounds access, stack overflow, ...)"),
    (INVALID_MODULE, "the file is not a valid WebAssembly module (empty, not wasm, truncated)"),
    (NO_INPUT, "the file or directory is missing or unreadable"),
    (
        UNAVAILABLE,
        "the module cannot run on the runtime (imports, no `_start`, not supported), or the runtime is not installed",
    ),
    (INTERNAL, "the harness failed internally (the guest's host process died)"),
    (BUILD_FAILED, "`test`: building a guest crate failed"),
    (BAD_SPEC, "`test`: a scenario .toml or wasi-testsuite .json is malformed"),
    (TESTS_FAILED, "`test`: at least one case failed"),
    (LIBTEST_FAILED, "`run` on a libtest binary: at least one test failed (libtest's status)"),
    (USAGE, "the command line is wrong"),
];

/// The `--help` text about exit statuses.
pub fn status_help() -> String {
    let mut text = String::from(
        "Exit status: `run` ends with the guest's own exit status, `test` with 0 when everything\n\
         passed; the harness's own conditions are\n",
    );
    for (status, meaning) in STATUS_TABLE {
        text.push_str(&format!("  {status:>3}  {meaning}\n"));
    }
    text
}

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
    #[error("{path} cannot run on {runtime}: {reason}")]
    NotRunnable { path: String, runtime: String, reason: String },
    /// The runtime asked for is not installed or cannot be started.
    #[error("runtime {runtime} is not available: {reason}")]
    RuntimeMissing { runtime: String, reason: String },
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
    /// The process exit status for this error.
    pub fn status(&self) -> i32 {
        match self {
            HarnessError::InvalidModule { .. } => INVALID_MODULE,
            HarnessError::NoInput { .. } => NO_INPUT,
            HarnessError::NotRunnable { .. } | HarnessError::RuntimeMissing { .. } => UNAVAILABLE,
            HarnessError::Internal(_) => INTERNAL,
            HarnessError::BuildFailed { .. } => BUILD_FAILED,
            HarnessError::BadSpec { .. } => BAD_SPEC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_status_is_in_the_help_table() {
        let errors = [
            HarnessError::NoInput { path: String::new(), reason: String::new() },
            HarnessError::InvalidModule { path: String::new(), reason: String::new() },
            HarnessError::NotRunnable {
                path: String::new(),
                runtime: String::new(),
                reason: String::new(),
            },
            HarnessError::RuntimeMissing { runtime: String::new(), reason: String::new() },
            HarnessError::BadSpec { path: String::new(), reason: String::new() },
            HarnessError::BuildFailed { path: String::new(), reason: String::new() },
            HarnessError::Internal(String::new()),
        ];
        for e in errors {
            assert!(STATUS_TABLE.iter().any(|(s, _)| *s == e.status()), "{e:?}");
        }
        let help = status_help();
        for status in [
            TIMED_OUT,
            COMPILE_TIMED_OUT,
            MEMORY_EXCEEDED,
            TRAPPED,
            BAD_SPEC,
            LIBTEST_FAILED,
            BUILD_FAILED,
        ] {
            assert!(help.contains(&format!("{status:>3}  ")), "{status} missing from --help");
        }
    }
}
