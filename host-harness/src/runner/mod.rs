//! Running the selected cases in parallel, each run in its own process, with retries,
//! fail-fast and slow-case events: `executor.rs` makes every run of a case (from the run
//! policy), `judge.rs` decides each result.
//!
//! A case runs on every selected runtime (and, for scenarios, every WASIX build that was
//! made): each such target gives one [`CaseResult`]. The native and without-crate runs are
//! made once per case.

mod executor;
mod judge;
mod result;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::list::build::Variant;
use crate::list::{Case, CaseKind};
use crate::sandbox::{RunPolicy, Runtime};
pub use result::{CaseResult, Event, Schedule, SkipReason, Target, Verdict};

/// Bytes of each output stream a result keeps once it has been reported (head and tail): the
/// end-of-run reports show the last lines and panic messages, not megabytes.
pub const RETAINED_OUTPUT: usize = 64 << 10;

/// `--slow`: a run still going after this long is named while it runs.
pub const DEFAULT_SLOW: Duration = Duration::from_secs(5);

/// The default number of cases run at once: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// The targets a case runs on: its WASIX build on every runtime; for scenarios built that way
/// too, the foreign build on the first runtime, which is what it checks (the crate's own shim,
/// not the runtime), and the unwinding build on every runtime, in the wasm exception encoding
/// that runtime takes (what it checks is the runtime too).
fn targets(case: &Case, runtimes: &[Runtime]) -> Vec<Target> {
    let mut targets: Vec<Target> =
        runtimes.iter().map(|&runtime| Target { runtime, build: Variant::Wasix }).collect();
    if let CaseKind::Scenario(s) = &case.kind {
        if let Some(&first) = runtimes.first()
            && s.builds.contains_key(&Variant::Foreign)
        {
            targets.push(Target { runtime: first, build: Variant::Foreign });
        }
        if s.builds.keys().any(|b| matches!(b, Variant::Unwind(_))) {
            targets.extend(runtimes.iter().map(|&runtime| Target {
                runtime,
                build: Variant::Unwind(runtime.unwind_encoding()),
            }));
        }
    }
    targets
}

/// Runs `cases` on every runtime of `policy` with `schedule.jobs` workers, calling `on_event`
/// from this thread as things happen. Results come back in the order of `cases`, each case's
/// targets in order.
pub fn execute(
    cases: &[Case],
    policy: &RunPolicy,
    schedule: &Schedule,
    mut on_event: impl FnMut(Event<'_>),
) -> Vec<CaseResult> {
    let opts = schedule;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let running: Arc<Mutex<Vec<(usize, Instant, bool)>>> = Arc::default();
    let mut results: Vec<Option<Vec<CaseResult>>> = vec![None; cases.len()];
    let several = cases.iter().any(|c| targets(c, &policy.runtimes).len() > 1);
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
                    let mut case_results = run_case(case, policy, opts.retries);
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
                Ok(Msg::Finished(i, mut case_results)) => {
                    if opts.fail_fast && case_results.iter().any(|r| r.verdict == Verdict::Failed) {
                        stop.store(true, Ordering::Release);
                    }
                    for result in &case_results {
                        on_event(Event::Finished(result));
                    }
                    // Reported in full above; what is kept until the end (tables, JUnit,
                    // parity) needs only a little of each stream.
                    for result in &mut case_results {
                        for run in [&mut result.run, &mut result.native, &mut result.bare]
                            .into_iter()
                            .flatten()
                        {
                            run.stdout.shrink(RETAINED_OUTPUT);
                            run.stderr.shrink(RETAINED_OUTPUT);
                        }
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
                targets(case, &policy.runtimes)
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

/// Runs one case on each of its targets; a failing target runs again up to `retries` times,
/// and a later pass is marked flaky.
fn run_case(case: &Case, policy: &RunPolicy, retries: u32) -> Vec<CaseResult> {
    let cmp = executor::comparisons(case, policy);
    targets(case, &policy.runtimes)
        .into_iter()
        .enumerate()
        .map(|(i, target)| {
            let mut attempt = 1;
            loop {
                let made = executor::make(case, target, policy);
                let mut result = judge::judge(case, target, made, &cmp, i == 0);
                result.attempts = attempt;
                if result.verdict != Verdict::Failed || attempt > retries {
                    result.flaky = attempt > 1 && result.verdict == Verdict::Passed;
                    return result;
                }
                attempt += 1;
            }
        })
        .collect()
}
