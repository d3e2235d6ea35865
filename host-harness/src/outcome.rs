//! What really happened to one guest run.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::{self, HarnessError};

/// How a run ended. The child process that ran the guest reports everything but `TimedOut`
/// and `Crashed`, which only the watchdog in the parent can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The guest exited (returned from `main` or called `proc_exit`) with this status: all 32
    /// bits of what it passed, as a signed number (`exit(256)` is 256, `exit(-1)` is -1).
    Exited { code: i32 },
    /// The guest trapped; `message` is wasmer's one-line description.
    Trapped { message: String },
    /// The watchdog killed the guest after this many milliseconds.
    TimedOut { after_ms: u64 },
    /// The guest never started: reading and compiling the module took longer than the
    /// compile limit (the watchdog killed it after this many milliseconds).
    CompileTimedOut { after_ms: u64 },
    /// The watchdog killed the run because its processes used more than `budget` bytes of
    /// memory (`used` when it was seen).
    MemoryExceeded { budget: u64, allowance: u64, used: u64 },
    /// The module never ran: `status` is the harness's status for the reason.
    NotStarted { status: i32, message: String },
    /// The run needs something the runtime cannot do (`not supported on sdk: ...`); the
    /// guest never ran. A test reports it as a skip, never as a pass.
    Unsupported { message: String },
    /// The runtime cannot load the module: it needs a wasm feature the runtime lacks (wasm
    /// exceptions, or their other encoding), found by the parent before any child started.
    /// `reason` says what it needs and what to build instead; it names no file, so tables
    /// that show it are the same on every machine.
    CannotLoad { module: String, runtime: String, reason: String },
    /// The child process that hosted the guest died without reporting (signal, OOM kill).
    Crashed { message: String },
}

impl From<wasix_sandbox_protocol::Report> for Outcome {
    fn from(report: wasix_sandbox_protocol::Report) -> Self {
        use wasix_sandbox_protocol::Report;
        match report {
            Report::Exited { code } => Outcome::Exited { code },
            Report::Trapped { message } => Outcome::Trapped { message },
            Report::NotStarted { status, message } => Outcome::NotStarted { status, message },
            Report::Unsupported { message } => Outcome::Unsupported { message },
            Report::Crashed { message } => Outcome::Crashed { message },
        }
    }
}

impl Outcome {
    pub fn is_timeout(&self) -> bool {
        matches!(self, Outcome::TimedOut { .. })
    }

    pub fn timed_out(after: Duration) -> Self {
        Outcome::TimedOut { after_ms: after.as_millis() as u64 }
    }

    pub fn not_started(err: &HarnessError) -> Self {
        Outcome::NotStarted { status: err.status(), message: err.to_string() }
    }

    /// The exit status `wasix-harness run` ends with for this outcome: a guest's own status
    /// keeps its low 8 bits, as a native process's does (`exit(256)` ends with 0, and says so:
    /// see [`Self::explanation`]).
    pub fn status(&self) -> i32 {
        match self {
            Outcome::Exited { code } => code & 0xff,
            Outcome::Trapped { .. } => errors::TRAPPED,
            Outcome::TimedOut { .. } => errors::TIMED_OUT,
            Outcome::CompileTimedOut { .. } => errors::COMPILE_TIMED_OUT,
            Outcome::MemoryExceeded { .. } => errors::MEMORY_EXCEEDED,
            Outcome::NotStarted { status, .. } => *status,
            Outcome::Unsupported { .. } | Outcome::CannotLoad { .. } => errors::UNAVAILABLE,
            Outcome::Crashed { .. } => errors::INTERNAL,
        }
    }

    /// The line the harness prints on stderr about this outcome, if it needs one (a guest's
    /// own exit status speaks for itself).
    pub fn explanation(&self) -> Option<String> {
        match self {
            Outcome::Exited { code } if !(0..=255).contains(code) => Some(format!(
                "the guest exited with {code}, more than an exit status holds: it ends with {}, its low 8 bits, as a native process would",
                code & 0xff
            )),
            Outcome::Exited { .. } => None,
            Outcome::Trapped { message } => Some(format!("guest trapped: {message}")),
            Outcome::TimedOut { after_ms } => {
                Some(format!("timed out after {} s (deadlock?)", fmt_secs(*after_ms)))
            }
            Outcome::CompileTimedOut { after_ms } => Some(format!(
                "the module was still being read or compiled after {} s (--compile-timeout)",
                fmt_secs(*after_ms)
            )),
            Outcome::MemoryExceeded { budget, allowance, used } => Some(format!(
                "exceeded the memory budget of {} (--memory-limit, plus {} for the runtime itself): {} in use",
                fmt_bytes(budget.saturating_sub(*allowance)),
                fmt_bytes(*allowance),
                fmt_bytes(*used)
            )),
            Outcome::NotStarted { message, .. } => Some(message.clone()),
            Outcome::Unsupported { message } => Some(message.clone()),
            Outcome::CannotLoad { module, runtime, reason } => {
                Some(format!("{module} cannot run on {runtime}: {reason}"))
            }
            Outcome::Crashed { message } => {
                Some(format!("the guest's host process died: {message}"))
            }
        }
    }
}

/// A short label for tables: `exit 101`, `trap`, `hang`, ...
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited { code } => write!(f, "exit {code}"),
            Outcome::Trapped { .. } => write!(f, "trap"),
            Outcome::TimedOut { .. } => write!(f, "hang"),
            Outcome::CompileTimedOut { .. } => write!(f, "compile timeout"),
            Outcome::MemoryExceeded { .. } => write!(f, "out of memory"),
            Outcome::NotStarted { status, .. } => write!(f, "not started ({status})"),
            Outcome::Unsupported { .. } => write!(f, "unsupported"),
            Outcome::CannotLoad { .. } => write!(f, "cannot load"),
            Outcome::Crashed { .. } => write!(f, "crashed"),
        }
    }
}

/// `512 MiB`, `1.5 GiB`, `300 KiB`.
pub fn fmt_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if bytes.is_multiple_of(size) || value >= 100.0 {
                format!("{:.0} {unit}", value)
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

fn fmt_secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}", ms / 1000)
    } else {
        format!("{:.1}", ms as f64 / 1000.0)
    }
}
