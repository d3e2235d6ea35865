//! Judging one case on one target (a runtime and a build): comparing what happened with what
//! was expected, with its native build and with its build without the crate. Nothing here
//! makes a run (`executor.rs` does).

use super::executor::{Comparisons, Made, on_target};
use super::result::{CaseResult, SkipReason, Target, TestVerdict, Verdict};
use crate::list::scenario::{Expected, NamedOutcome, NativeParity, OnRuntime};
use crate::list::suite::SuiteCase;
use crate::list::{Case, CaseKind, Scenario};
use crate::outcome::Outcome;
use crate::sandbox::GuestRun;

/// A single-test run passed when it exited 0 and libtest counted it passed.
pub fn libtest_verdict(run: &GuestRun) -> TestVerdict {
    let stdout = run.stdout.text();
    match run.outcome {
        Outcome::Exited { code: 0 } if stdout.contains("test result: ok. 1 passed") => {
            TestVerdict::Ok
        }
        Outcome::Exited { code: 0 } if stdout.contains("1 ignored") => TestVerdict::Ignored,
        _ => TestVerdict::Failed,
    }
}

/// What the comparison runs show about the case itself (a without-crate run that does not
/// end as the scenario declares).
pub(super) fn comparison_problems(case: &Case, cmp: &Comparisons) -> Vec<String> {
    let mut problems = cmp.problems.clone();
    if let (CaseKind::Scenario(s), Some(bare)) = (&case.kind, &cmp.bare)
        && let Some(want) = s.expectation.bare.as_ref().filter(|want| !want.matches(&bare.outcome))
    {
        problems.push(format!("without the crate: expected {want}, got {}", bare.outcome));
    }
    problems
}

/// Judges what became of `case` on `target`; `first` is the case's first target, which also
/// carries the comparison runs and their problems.
pub(super) fn judge(
    case: &Case,
    target: Target,
    made: Made,
    cmp: &Comparisons,
    first: bool,
) -> CaseResult {
    let mut result = CaseResult::new(case, target);
    if first {
        result.problems.extend(comparison_problems(case, cmp));
        result.native = cmp.native.clone();
        result.bare = cmp.bare.clone();
    }
    if let CaseKind::Scenario(s) = &case.kind {
        describe_scenario(&mut result, s, target);
    }
    let run = match made {
        Made::Ran(run) => run,
        Made::Skipped(SkipReason::ShouldPanic { .. }) => {
            let natively = cmp.native.as_ref().map(libtest_verdict);
            result.verdict = Verdict::Skipped(SkipReason::ShouldPanic { natively });
            return result;
        }
        Made::Skipped(reason) => {
            result.verdict = Verdict::Skipped(reason);
            return result;
        }
        Made::Failed(problem) => {
            result.problems.push(problem);
            result.verdict = Verdict::Failed;
            return result;
        }
    };
    let cannot = match &run.outcome {
        Outcome::Unsupported { message } => Some(SkipReason::Unsupported(message.clone())),
        Outcome::CannotLoad { runtime, reason, .. } => {
            Some(SkipReason::CannotLoad { runtime: runtime.clone(), reason: reason.clone() })
        }
        _ => None,
    };
    if let Some(reason) = cannot {
        result.verdict = Verdict::Skipped(reason);
        result.run = Some(run);
        return result;
    }
    match &case.kind {
        CaseKind::Scenario(s) => judge_scenario(&mut result, s, target, &run, cmp),
        CaseKind::Libtest(_) => judge_libtest(&mut result, &run, cmp),
        CaseKind::Suite(t) => judge_suite(&mut result, t, target, &run),
    }
    result.run = Some(run);
    if !matches!(result.verdict, Verdict::Skipped(_)) {
        result.verdict = if result.problems.is_empty() { Verdict::Passed } else { Verdict::Failed };
    }
    result
}

/// What tables show about a scenario on a target, whether it ran or not.
fn describe_scenario(result: &mut CaseResult, s: &Scenario, target: Target) {
    result.bare_expected = s.expectation.bare.clone();
    let OnRuntime::Run { expectation: exp, .. } = on_target(s, target) else { return };
    result.expected = match &exp.may_also {
        Some(alt) => format!("{} or {alt}", exp.expect),
        None => exp.expect.to_string(),
    };
    result.outcome_varies = match (&exp.expect, &exp.may_also) {
        (Expected::Named(NamedOutcome::Any), _) => Some("varies".into()),
        (_, Some(_)) => Some(result.expected.clone()),
        _ => None,
    };
}

fn judge_scenario(
    result: &mut CaseResult,
    s: &Scenario,
    target: Target,
    run: &GuestRun,
    cmp: &Comparisons,
) {
    let OnRuntime::Run { expectation: exp, declared } = on_target(s, target) else { return };
    result.problems.extend(exp.check(&run.outcome, &run.stdout.text(), &run.stderr.text()));
    // A run the watchdog had to end is a hang, whatever its budget said.
    // The guest's own time: a runtime's start-up (a runner, a browser) and the module's
    // compilation are no part of how promptly the guest ends.
    result.late = !run.outcome.is_timeout() && exp.late(run.guest_time.unwrap_or(run.duration));
    result.runtime_difference = declared.clone();
    if declared.is_none() {
        match (&cmp.native, exp.native) {
            (Some(native), NativeParity::Same) => {
                result.problems.extend(compare_with_native(run, native))
            }
            (Some(_), NativeParity::Differs) => result.native_difference = exp.reason.clone(),
            _ => {}
        }
    }
}

fn judge_libtest(result: &mut CaseResult, run: &GuestRun, cmp: &Comparisons) {
    let verdict = libtest_verdict(run);
    if verdict != TestVerdict::Ok {
        let detail = run.outcome.explanation().unwrap_or_else(|| run.outcome.to_string());
        result.problems.push(format!("test failed ({detail})"));
    }
    if let Some(native) = cmp.native.as_ref().map(libtest_verdict).filter(|n| *n != verdict) {
        result.problems.push(format!("natively the test is {native:?}, under WASIX {verdict:?}"));
    }
}

/// A wasi-testsuite module: its exit status and output checks, and the differences declared
/// for this runtime.
fn judge_suite(result: &mut CaseResult, t: &SuiteCase, target: Target, run: &GuestRun) {
    let Ok(spec) = &t.spec else { return };
    let exit = match run.outcome {
        Outcome::Exited { code } => Some(code),
        _ => None,
    };
    result.problems = crate::list::suite::check(spec, exit, &run.stdout.text(), &run.stderr.text());
    if exit.is_none() {
        result.problems.extend(run.outcome.explanation());
    }
    apply_declared_difference(result, t, target, run);
}

/// A failure the suite's differences file declares for this runtime, with its evidence in
/// the run, is a declared skip; any other failure stays one; a declared case that passes
/// fails until its now stale declaration is removed.
fn apply_declared_difference(
    result: &mut CaseResult,
    t: &SuiteCase,
    target: Target,
    run: &GuestRun,
) {
    let declared = crate::list::suite::declared_differences(t, target.runtime);
    if result.problems.is_empty() {
        // Only a test's own entry goes stale when it passes; a suite-wide one need not fire.
        if let Some(own) = declared.iter().find(|d| d.test != "*") {
            result.problems.push(format!(
                "passes, but is declared as a difference ({}): remove it from wasi_testsuite_differences.toml",
                own.reason
            ));
        }
        return;
    }
    let stderr = run.stderr.text();
    let Some(declared) = declared.iter().find(|d| {
        stderr.contains(&d.evidence) || result.problems.iter().any(|p| p.contains(&d.evidence))
    }) else {
        return;
    };
    result.problems.clear();
    result.runtime_difference = Some(declared.reason.clone());
    result.verdict = Verdict::Skipped(SkipReason::Declared(format!(
        "{}: {}",
        target.runtime.describe(),
        declared.reason
    )));
}

/// Native parity: the same way of ending (exit status, or both hang), and every panic message
/// WASIX printed is one the native run printed too (modulo thread ids and paths). Natively
/// every panicking thread prints, and `join().unwrap()` adds its own; under the hook the
/// process ends after the first, so WASIX shows a subset.
fn compare_with_native(wasix: &GuestRun, native: &GuestRun) -> Vec<String> {
    let mut problems = Vec::new();
    let same_end = match (&wasix.outcome, &native.outcome) {
        (Outcome::Exited { code: a }, Outcome::Exited { code: b }) => a == b,
        (Outcome::TimedOut { .. }, Outcome::TimedOut { .. }) => true,
        _ => false,
    };
    if !same_end {
        problems.push(format!("native ends with {}, WASIX with {}", native.outcome, wasix.outcome));
    }
    let ours = panic_messages(&wasix.stderr.text());
    let theirs = panic_messages(&native.stderr.text());
    if ours.is_empty() && !theirs.is_empty() {
        problems.push(format!("native printed a panic message, WASIX none: {:?}", theirs[0]));
    }
    for message in ours.iter().filter(|m| !theirs.contains(m)) {
        problems.push(format!("panic message {message:?} never appears natively"));
    }
    problems
}

/// The panic messages in a stderr, with what legitimately differs between a native and a
/// WASIX build taken out: thread ids (`'main' (12345)`) and paths (only file names are kept).
pub fn panic_messages(stderr: &str) -> Vec<String> {
    let mut messages = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("thread '") else { continue };
        let Some((name, rest)) = rest.split_once('\'') else { continue };
        let Some(at) = rest.find("panicked at ") else { continue };
        let location = rest[at + "panicked at ".len()..].trim_end_matches(':');
        let file = location.rsplit('/').next().unwrap_or(location);
        let mut text = format!("thread '{name}' panicked at {file}:");
        // The message runs until the next blank line, note, backtrace or panic header. (std
        // prints a backtrace for a panic while panicking whatever RUST_BACKTRACE says: its
        // frames natively, none on wasm; they are not the message.)
        while let Some(next) = lines.peek() {
            if next.is_empty()
                || next.starts_with("note:")
                || next.starts_with("thread '")
                || next.starts_with("stack backtrace:")
            {
                break;
            }
            text.push('\n');
            text.push_str(next);
            lines.next();
        }
        messages.push(text);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_ignore_thread_ids_and_paths() {
        let native = "\nthread '<unnamed>' (4242) panicked at src/bin/seed.rs:5:9:\ndead lock?\nnote: run with\n";
        let wasix = "\nthread '<unnamed>' (2) panicked at /abs/src/bin/seed.rs:5:9:\ndead lock?\n";
        assert_eq!(panic_messages(native), panic_messages(wasix));
        assert_eq!(
            panic_messages(native),
            ["thread '<unnamed>' panicked at seed.rs:5:9:\ndead lock?"]
        );
        let native = "thread 'a' (7) panicked at x.rs:1:1:\nboom\nstack backtrace:\n   0: main\n";
        let wasix = "thread 'a' (2) panicked at x.rs:1:1:\nboom\nstack backtrace:\n\n";
        assert_eq!(panic_messages(native), panic_messages(wasix));
    }
}
