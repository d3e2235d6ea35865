//! Running the selected cases in parallel, each run in its own process, with retries,
//! fail-fast and slow-case events; [`judge`] decides each result.
//!
//! A case runs on every selected runtime (and, for scenarios, every WASIX build that was
//! made): each such target gives one [`CaseResult`]. The native and without-crate runs are
//! made once per case.

pub mod judge;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, path::PathBuf};

use crate::list::build::Variant;
use crate::list::scenario::Expected;
use crate::list::{Case, CaseKind};
use crate::sandbox::{GuestRun, Runtime};
use judge::TestVerdict;

/// How the runner runs cases.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub jobs: usize,
    pub default_timeout: Duration,
    pub retries: u32,
    pub fail_fast: bool,
    /// Bytes of each output stream kept per run.
    pub capture_limit: usize,
    pub cache: Option<PathBuf>,
    /// Cap on each guest's linear memory, in bytes.
    pub memory_limit: u64,
    /// A run still going after this long is named as slow while it runs.
    pub slow_after: Duration,
    /// Every case runs on each of these, in this order.
    pub runtimes: Vec<Runtime>,
}

/// The default number of cases run at once: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
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
    /// `#[should_panic]` tests cannot run on wasm: libtest marks them ignored itself.
    ShouldPanic { natively: Option<TestVerdict> },
    /// `--fail-fast` stopped the run before this case.
    FailFast,
    /// The runtime cannot do what the case needs.
    Unsupported(String),
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
                    "not run: #[should_panic] tests cannot run on wasm (libtest marks them ignored: no unwinding, no subprocess)"
                )?;
                match natively {
                    Some(v) => write!(f, "; natively: {v:?}"),
                    None => Ok(()),
                }
            }
            SkipReason::FailFast => write!(f, "not run: an earlier case failed (--fail-fast)"),
            SkipReason::Unsupported(message) => write!(f, "{message}"),
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
    fn new(case: &Case, target: Target) -> Self {
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

/// The targets a case runs on.
fn targets(case: &Case, runtimes: &[Runtime]) -> Vec<Target> {
    let builds: Vec<Variant> = match &case.kind {
        CaseKind::Scenario(s) => [Variant::Wasix, Variant::Foreign]
            .into_iter()
            .filter(|b| s.builds.contains_key(b))
            .collect(),
        _ => vec![Variant::Wasix],
    };
    builds
        .iter()
        .flat_map(|&build| runtimes.iter().map(move |&runtime| Target { runtime, build }))
        .collect()
}

/// Runs `cases` with `opts.jobs` workers, calling `on_event` from this thread as things happen.
/// Results come back in the order of `cases`, each case's targets in order.
pub fn execute(
    cases: &[Case],
    opts: &RunOptions,
    mut on_event: impl FnMut(Event<'_>),
) -> Vec<CaseResult> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let running: Arc<Mutex<Vec<(usize, Instant, bool)>>> = Arc::default();
    let mut results: Vec<Option<Vec<CaseResult>>> = vec![None; cases.len()];
    let several = cases.iter().any(|c| targets(c, &opts.runtimes).len() > 1);
    let (tx, rx) = mpsc::channel::<Msg>();

    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            let tx = tx.clone();
            let (next, stop, running) = (&next, &stop, Arc::clone(&running));
            scope.spawn(move || {
                loop {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::AcqRel);
                    let Some(case) = cases.get(i) else { break };
                    let _ = tx.send(Msg::Started(i));
                    running.lock().unwrap_or_else(|p| p.into_inner()).push((
                        i,
                        Instant::now(),
                        false,
                    ));
                    let mut case_results = run_case(case, opts);
                    if several {
                        for r in &mut case_results {
                            r.name = format!("{}@{}", r.case, r.target);
                        }
                    }
                    running.lock().unwrap_or_else(|p| p.into_inner()).retain(|(j, _, _)| *j != i);
                    let _ = tx.send(Msg::Finished(i, case_results));
                }
            });
        }
        drop(tx);

        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Msg::Started(i)) => on_event(Event::Started(&cases[i])),
                Ok(Msg::Finished(i, case_results)) => {
                    if opts.fail_fast && case_results.iter().any(|r| r.verdict == Verdict::Failed) {
                        stop.store(true, Ordering::Release);
                    }
                    for result in &case_results {
                        on_event(Event::Finished(result));
                    }
                    results[i] = Some(case_results);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let mut running = running.lock().unwrap_or_else(|p| p.into_inner());
            for (i, since, announced) in running.iter_mut() {
                if !*announced && since.elapsed() >= opts.slow_after {
                    *announced = true;
                    on_event(Event::Slow { name: &cases[*i].name, after: opts.slow_after });
                }
            }
        }
    });

    results
        .into_iter()
        .zip(cases)
        .flat_map(|(done, case)| {
            done.unwrap_or_else(|| {
                targets(case, &opts.runtimes)
                    .into_iter()
                    .map(|target| CaseResult {
                        verdict: Verdict::Skipped(SkipReason::FailFast),
                        ..CaseResult::new(case, target)
                    })
                    .collect()
            })
        })
        .collect()
}

enum Msg {
    Started(usize),
    Finished(usize, Vec<CaseResult>),
}

/// Runs one case on each of its targets; a failing target runs again up to `opts.retries`
/// times, and a later pass is marked flaky.
fn run_case(case: &Case, opts: &RunOptions) -> Vec<CaseResult> {
    let cmp = judge::comparisons(case, opts);
    targets(case, &opts.runtimes)
        .into_iter()
        .enumerate()
        .map(|(i, target)| {
            let mut attempt = 1;
            loop {
                let mut result = judge::judge(case, target, &cmp, i == 0, opts);
                result.attempts = attempt;
                if result.verdict != Verdict::Failed || attempt > opts.retries {
                    result.flaky = attempt > 1 && result.verdict == Verdict::Passed;
                    return result;
                }
                attempt += 1;
            }
        })
        .collect()
}
