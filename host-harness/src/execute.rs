//! Running the selected cases in parallel, each in its own process, and judging the results.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::engine::RunSpec;
use crate::expectation::{self, Expectation, Expected, NativeParity};
use crate::libtest::{self, RunIgnored, TestVerdict};
use crate::plan::{Case, CaseKind, LibtestCase, Scenario};
use crate::watchdog::{self, Output, Report, Request, Stdin};

#[derive(Clone, Debug)]
pub struct ExecOptions {
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
}

impl ExecOptions {
    /// A captured run of `module` with these options' cache, memory cap, capture limit and
    /// default timeout, and no stdin; callers change what differs.
    fn request(&self, module: &Path, args: Vec<String>, env: Vec<(String, String)>, dirs: Vec<(PathBuf, String)>) -> Request {
        Request {
            spec: RunSpec {
                module: module.to_path_buf(),
                args,
                env,
                dirs,
                cache: self.cache.clone(),
                memory_limit: Some(self.memory_limit),
            },
            timeout: self.default_timeout,
            stdin: Stdin::Null,
            output: Output::Capture { limit: self.capture_limit },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    Skipped(String),
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    pub group: String,
    /// What was expected, for tables ("exit 101", "hang").
    pub expected: String,
    pub verdict: Verdict,
    /// Why it failed, one line each.
    pub problems: Vec<String>,
    /// Deliberate differences and other remarks worth showing.
    pub notes: Vec<String>,
    /// The judged run (WASIX with the crate). `None` when the case never ran.
    pub wasix: Option<Report>,
    pub native: Option<Report>,
    pub bare: Option<Report>,
    /// What the scenario declares for the without-crate run (checked when present).
    pub bare_expected: Option<Expected>,
    pub attempts: u32,
}

impl CaseResult {
    /// A result with no runs and no problems yet (a pass until something says otherwise).
    pub fn new(case: &Case) -> Self {
        CaseResult {
            name: case.name.clone(),
            group: case.group.clone(),
            expected: expected_label(case),
            verdict: Verdict::Passed,
            problems: Vec::new(),
            notes: Vec::new(),
            wasix: None,
            native: None,
            bare: None,
            bare_expected: None,
            attempts: 0,
        }
    }

    /// Failed if anything was found wrong, passed otherwise.
    fn settle(&mut self) {
        self.verdict = if self.problems.is_empty() { Verdict::Passed } else { Verdict::Failed };
    }

    pub fn skipped(case: &Case, reason: String) -> Self {
        CaseResult { verdict: Verdict::Skipped(reason), ..CaseResult::new(case) }
    }

    pub fn duration(&self) -> Duration {
        self.wasix.as_ref().map(|r| r.duration).unwrap_or_default()
    }
}

/// What the executor tells its reporter, in order.
pub enum Event<'a> {
    Started(&'a Case),
    Slow { name: &'a str, after: Duration },
    Finished(&'a CaseResult),
}

/// Runs `cases` with `opts.jobs` workers, calling `on_event` from this thread as things happen.
/// Results come back in the order of `cases`.
pub fn execute(cases: &[Case], opts: &ExecOptions, mut on_event: impl FnMut(Event<'_>)) -> Vec<CaseResult> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let running: Arc<Mutex<Vec<(usize, Instant, bool)>>> = Arc::default();
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
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
                    running.lock().unwrap_or_else(|p| p.into_inner()).push((i, Instant::now(), false));
                    let result = run_case(case, opts);
                    running.lock().unwrap_or_else(|p| p.into_inner()).retain(|(j, _, _)| *j != i);
                    let _ = tx.send(Msg::Finished(i, Box::new(result)));
                }
            });
        }
        drop(tx);

        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Msg::Started(i)) => on_event(Event::Started(&cases[i])),
                Ok(Msg::Finished(i, result)) => {
                    if result.verdict == Verdict::Failed && opts.fail_fast {
                        stop.store(true, Ordering::Release);
                    }
                    on_event(Event::Finished(&result));
                    results[i] = Some(*result);
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
        .map(|(result, case)| {
            result.unwrap_or_else(|| {
                CaseResult::skipped(case, "not run: an earlier case failed (--fail-fast)".into())
            })
        })
        .collect()
}

enum Msg {
    Started(usize),
    Finished(usize, Box<CaseResult>),
}

fn expected_label(case: &Case) -> String {
    match &case.kind {
        CaseKind::Scenario(s) => s.expectation.expect.to_string(),
        CaseKind::Libtest(_) => "ok".into(),
        CaseKind::Suite(t) => format!("exit {}", t.spec.exit_code),
    }
}

/// Runs one case, again up to `opts.retries` times while it fails.
fn run_case(case: &Case, opts: &ExecOptions) -> CaseResult {
    let mut attempt = 1;
    loop {
        let mut result = match &case.kind {
            CaseKind::Scenario(s) => run_scenario(case, s, opts),
            CaseKind::Libtest(t) => run_libtest(case, t, opts),
            CaseKind::Suite(t) => run_suite_case(case, t, opts),
        };
        result.attempts = attempt;
        if result.verdict != Verdict::Failed || attempt > opts.retries {
            if attempt > 1 && result.verdict == Verdict::Passed {
                result.notes.push(format!("flaky: passed on attempt {attempt}"));
            }
            return result;
        }
        attempt += 1;
    }
}

fn run_scenario(case: &Case, s: &Scenario, opts: &ExecOptions) -> CaseResult {
    let exp = &s.expectation;
    let mut result = CaseResult::new(case);
    result.bare_expected = exp.bare.clone();

    let wasix = match run_variant(&s.wasix, exp, s, opts, false) {
        Ok(report) => report,
        Err(e) => {
            result.verdict = Verdict::Failed;
            result.problems.push(e);
            return result;
        }
    };
    let stdout = wasix.stdout.text();
    let stderr = wasix.stderr.text();
    result.problems.extend(exp.check(&wasix.outcome, &stdout, &stderr, wasix.duration));

    if let Some(native_exe) = s.native.as_ref().filter(|_| exp.native != NativeParity::Skip) {
        match run_variant(native_exe, exp, s, opts, true) {
            Ok(native) => {
                if exp.native == NativeParity::Same {
                    result.problems.extend(compare_with_native(&wasix, &native));
                } else if let Some(reason) = &exp.reason {
                    result.notes.push(format!("deliberate difference from native: {reason}"));
                }
                result.native = Some(native);
            }
            Err(e) => result.problems.push(format!("native run: {e}")),
        }
    }
    if let Some(bare_exe) = &s.bare {
        match run_variant(bare_exe, exp, s, opts, false) {
            Ok(bare) => {
                if let Some(want) = exp.bare.as_ref().filter(|want| !want.matches(&bare.outcome)) {
                    result.problems.push(format!("without the crate: expected {want}, got {}", bare.outcome));
                }
                result.bare = Some(bare);
            }
            Err(e) => result.problems.push(format!("bare run: {e}")),
        }
    }
    result.wasix = Some(wasix);
    result.settle();
    result
}

/// One test of a libtest binary in its own instance, with the native build's verdict beside it.
fn run_libtest(case: &Case, t: &LibtestCase, opts: &ExecOptions) -> CaseResult {
    let mut result = CaseResult::new(case);
    let request = |module: &Path| opts.request(module, libtest::single_test_args(&t.test), Vec::new(), Vec::new());
    if t.test.ignored && t.run_ignored == RunIgnored::No {
        result.verdict = Verdict::Skipped("ignored".into());
        return result;
    }
    let native = t.native.as_ref().and_then(|exe| {
        match watchdog::run_native(exe, &request(exe), None) {
            Ok(report) => Some(report),
            Err(e) => {
                result.problems.push(format!("native run: {e}"));
                None
            }
        }
    });
    let native_verdict = native.as_ref().map(libtest::judge);
    result.native = native;

    if t.test.should_panic {
        let natively = native_verdict.map(|v| format!("; natively: {v:?}")).unwrap_or_default();
        result.verdict = Verdict::Skipped(format!(
            "not run: #[should_panic] tests cannot run on wasm (libtest marks them ignored: no unwinding, no subprocess){natively}"
        ));
        return result;
    }
    let wasix = match watchdog::run(&request(&t.module)) {
        Ok(report) => report,
        Err(e) => {
            result.verdict = Verdict::Failed;
            result.problems.push(e.to_string());
            return result;
        }
    };
    let verdict = libtest::judge(&wasix);
    if verdict != TestVerdict::Ok {
        let detail = wasix.outcome.explanation().unwrap_or_else(|| wasix.outcome.to_string());
        result.problems.push(format!("test failed ({detail})"));
    }
    if let Some(native) = native_verdict.filter(|n| *n != verdict) {
        result.problems.push(format!("natively the test is {native:?}, under WASIX {verdict:?}"));
    }
    result.settle();
    result.wasix = Some(wasix);
    result
}

/// A wasi-testsuite module: its spec's arguments, environment and directories, then its
/// exit status and output checks.
fn run_suite_case(case: &Case, t: &crate::testsuite::SuiteCase, opts: &ExecOptions) -> CaseResult {
    let mut result = CaseResult::new(case);
    let request = opts.request(&t.module, t.spec.args.clone(), t.spec.env.clone(), t.spec.dirs.clone());
    match watchdog::run(&request) {
        Ok(report) => {
            let exit = match report.outcome {
                crate::outcome::Outcome::Exited { code } => Some(code),
                _ => None,
            };
            result.problems = crate::testsuite::check(&t.spec, exit, &report.stdout.text(), &report.stderr.text());
            if exit.is_none() {
                result.problems.extend(report.outcome.explanation());
            }
            result.wasix = Some(report);
        }
        Err(e) => result.problems.push(e.to_string()),
    }
    result.settle();
    result
}

/// One run of one build of a scenario, with its expectation's arguments, environment, stdin
/// and scratch directory.
fn run_variant(
    exe: &Path,
    exp: &Expectation,
    s: &Scenario,
    opts: &ExecOptions,
    native: bool,
) -> Result<Report, String> {
    let scratch = match &exp.scratch_dir {
        Some(_) => Some(tempfile::tempdir().map_err(|e| format!("cannot create a scratch dir: {e}"))?),
        None => None,
    };
    let mut env: Vec<(String, String)> = exp.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut dirs = Vec::new();
    if let (Some(tmp), Some(guest)) = (&scratch, &exp.scratch_dir) {
        let seen_as = if native { tmp.path().display().to_string() } else { guest.clone() };
        env.push(("SCRATCH_DIR".into(), seen_as));
        dirs.push((tmp.path().to_path_buf(), guest.clone()));
    }
    let request = Request {
        timeout: exp.timeout(opts.default_timeout),
        stdin: match (&exp.stdin, exp.stdin_open) {
            (_, true) => Stdin::HeldOpen,
            (Some(text), false) => Stdin::Bytes(text.clone().into_bytes()),
            (None, false) => Stdin::Null,
        },
        ..opts.request(exe, exp.args.clone(), env, dirs)
    };
    let report = if native {
        watchdog::run_native(exe, &request, Some(&s.dir))
    } else {
        watchdog::run(&request)
    };
    report.map_err(|e| e.to_string())
}

/// Native parity: the same way of ending (exit status, or both hang), and every panic message
/// WASIX printed is one the native run printed too (modulo thread ids and paths). Natively
/// every panicking thread prints, and `join().unwrap()` adds its own; under the hook the
/// process ends after the first, so WASIX shows a subset.
fn compare_with_native(wasix: &Report, native: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if wasix.outcome.to_string() != native.outcome.to_string() {
        problems.push(format!("native ends with {}, WASIX with {}", native.outcome, wasix.outcome));
    }
    let ours = expectation::panic_messages(&wasix.stderr.text());
    let theirs = expectation::panic_messages(&native.stderr.text());
    if ours.is_empty() && !theirs.is_empty() {
        problems.push(format!("native printed a panic message, WASIX none: {:?}", theirs[0]));
    }
    for message in ours.iter().filter(|m| !theirs.contains(m)) {
        problems.push(format!("panic message {message:?} never appears natively"));
    }
    problems
}
