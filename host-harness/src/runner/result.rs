//! What the runner works with and gives back: its options, targets, typed verdicts and
//! results, and the events its reporter receives.

use std::fmt;
use std::time::Duration;

use crate::list::Case;
use crate::list::build::Variant;
use crate::list::scenario::Expected;
use crate::sandbox::{GuestRun, Runtime};

/// How a libtest test ended, as libtest would name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestVerdict {
    Ok,
    Failed,
    Ignored,
}

/// How the runner schedules cases (how each run is made is the run policy's).
#[derive(Clone, Debug)]
pub struct Schedule {
    pub jobs: usize,
    pub retries: u32,
    pub fail_fast: bool,
    /// A run still going after this long is named as slow while it runs.
    pub slow_after: Duration,
}

/// Where one result's judged run ran: a runtime, and the build of the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub runtime: Runtime,
    pub build: Variant,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.build {
            Variant::Wasix => write!(f, "{}", self.runtime),
            build => write!(f, "{}/{}", self.runtime, build.label()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    Skipped(SkipReason),
}

/// Why a case did not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// An `#[ignore]`d test, not asked for.
    Ignored,
    /// `#[should_panic]` tests cannot run on wasm without unwinding: libtest marks them
    /// ignored itself.
    ShouldPanic { natively: Option<TestVerdict> },
    /// `--fail-fast` stopped the run before this case.
    FailFast,
    /// The runtime cannot do what the case needs.
    Unsupported(String),
    /// The runtime cannot load the module (it needs wasm exceptions the runtime lacks); the
    /// reason names no file.
    CannotLoad { runtime: String, reason: String },
    /// The scenario declares it does not run on this runtime.
    Declared(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Ignored => write!(f, "ignored"),
            SkipReason::ShouldPanic { natively } => {
                write!(
                    f,
                    "not run: #[should_panic] tests cannot run on wasm without unwinding (libtest marks them ignored: no subprocess either; build with WASIX_TOOLCHAIN_PANIC=unwind to run them)"
                )?;
                match natively {
                    Some(v) => write!(f, "; natively: {v:?}"),
                    None => Ok(()),
                }
            }
            SkipReason::FailFast => write!(f, "not run: an earlier case failed (--fail-fast)"),
            SkipReason::Unsupported(message) => write!(f, "{message}"),
            SkipReason::CannotLoad { runtime, reason } => {
                write!(f, "cannot run on {runtime}: {reason}")
            }
            SkipReason::Declared(reason) => write!(f, "declared: {reason}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case's own name (shared by its targets).
    pub case: String,
    /// Unique: the case's name, with the target when the run has several.
    pub name: String,
    pub group: String,
    pub target: Target,
    /// What was expected on this target, for tables ("exit 101", "hang").
    pub expected: String,
    pub verdict: Verdict,
    /// Why it failed, one line each.
    pub problems: Vec<String>,
    /// A deliberate difference from native, with its reason (the scenario declares it).
    pub native_difference: Option<String>,
    /// A declared bug of this runtime that changes the expected outcome, with its reason.
    pub runtime_difference: Option<String>,
    /// When that bug makes the outcome vary from run to run: what tables show instead of the
    /// run's own outcome ("varies", "exit 101 or hang"), so they stay the same between runs.
    pub outcome_varies: Option<String>,
    /// It failed first and passed on a retry.
    pub flaky: bool,
    /// It took longer than its expectation's `within` (reported, not a failure).
    pub late: bool,
    pub attempts: u32,
    /// The judged run. `None` when the case never ran.
    pub run: Option<GuestRun>,
    /// The native run (on the case's first target's result only).
    pub native: Option<GuestRun>,
    /// The without-crate run (on the case's first target's result only).
    pub bare: Option<GuestRun>,
    /// What the scenario declares for the without-crate run (checked when present).
    pub bare_expected: Option<Expected>,
}

impl CaseResult {
    pub(super) fn new(case: &Case, target: Target) -> Self {
        CaseResult {
            case: case.name.clone(),
            name: case.name.clone(),
            group: case.group.clone(),
            target,
            expected: case.expected_label(),
            verdict: Verdict::Passed,
            problems: Vec::new(),
            native_difference: None,
            runtime_difference: None,
            outcome_varies: None,
            flaky: false,
            late: false,
            attempts: 0,
            run: None,
            native: None,
            bare: None,
            bare_expected: None,
        }
    }

    pub fn duration(&self) -> Duration {
        self.run.as_ref().map(|r| r.duration).unwrap_or_default()
    }
}

/// What the runner tells its reporter, in order.
pub enum Event<'a> {
    Started(&'a Case),
    Slow { name: &'a str, after: Duration },
    Finished(&'a CaseResult),
}
