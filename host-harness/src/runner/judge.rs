//! Judging one case on one target (a runtime and a build): run it, and compare what happened
//! with what was expected, with its native build and with its build without the crate.

use std::path::Path;

use super::result::{CaseResult, RunOptions, SkipReason, Target, TestVerdict, Verdict};
use crate::list::build::Variant;
use crate::list::libtest::{self, RunIgnored};
use crate::list::scenario::{Expectation, Expected, NamedOutcome, NativeParity, OnRuntime};
use crate::list::suite::SuiteCase;
use crate::list::{Case, CaseKind, LibtestCase, Scenario};
use crate::outcome::Outcome;
use crate::sandbox::watchdog;
use crate::sandbox::{GuestRun, Invocation, MappedDir, Output, RunSpec, Runtime, Stdin};

/// The runs made once per case, whatever the targets: the native build and the build without
/// the crate (on the embedded wasmer).
#[derive(Default)]
pub(super) struct Comparisons {
    native: Option<GuestRun>,
    bare: Option<GuestRun>,
    /// What went wrong making them (reported on the case's first target).
    problems: Vec<String>,
}

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

pub(super) fn comparisons(case: &Case, opts: &RunOptions) -> Comparisons {
    let mut cmp = Comparisons::default();
    match &case.kind {
        CaseKind::Scenario(s) => {
            if let Some(native) = s
                .builds
                .get(&Variant::Native)
                .filter(|_| s.expectation.native != NativeParity::Skip)
            {
                match run_scenario_build(native, &s.expectation, s, Runtime::Wasmer, opts, true) {
                    Ok(run) => cmp.native = Some(run),
                    Err(e) => cmp.problems.push(format!("native run: {e}")),
                }
            }
            if let Some(bare) = s.builds.get(&Variant::Bare) {
                match run_scenario_build(bare, &s.expectation, s, Runtime::Wasmer, opts, false) {
                    Ok(run) => {
                        if let Some(want) =
                            s.expectation.bare.as_ref().filter(|want| !want.matches(&run.outcome))
                        {
                            cmp.problems.push(format!(
                                "without the crate: expected {want}, got {}",
                                run.outcome
                            ));
                        }
                        cmp.bare = Some(run);
                    }
                    Err(e) => cmp.problems.push(format!("bare run: {e}")),
                }
            }
        }
        CaseKind::Libtest(t) => {
            if let Some(exe) = &t.native {
                let inv = opts.invocation(
                    exe,
                    libtest::single_test_args(&t.test),
                    Vec::new(),
                    Vec::new(),
                    Runtime::Wasmer,
                );
                match watchdog::run_native(exe, &inv, None) {
                    Ok(run) => cmp.native = Some(run),
                    Err(e) => cmp.problems.push(format!("native run: {e}")),
                }
            }
        }
        CaseKind::Suite(_) => {}
    }
    cmp
}

/// Runs and judges `case` on `target`; `first` is the case's first target, which also carries
/// the comparison runs and their problems.
pub(super) fn judge(
    case: &Case,
    target: Target,
    cmp: &Comparisons,
    first: bool,
    opts: &RunOptions,
) -> CaseResult {
    let mut result = CaseResult::new(case, target);
    if first {
        result.problems.extend(cmp.problems.iter().cloned());
        result.native = cmp.native.clone();
        result.bare = cmp.bare.clone();
    }
    match &case.kind {
        CaseKind::Scenario(s) => judge_scenario(&mut result, s, target, cmp, opts),
        CaseKind::Libtest(t) => judge_libtest(&mut result, t, target, cmp, opts),
        CaseKind::Suite(t) => judge_suite(&mut result, t, target, opts),
    }
    if !matches!(result.verdict, Verdict::Skipped(_)) {
        result.verdict = if result.problems.is_empty() { Verdict::Passed } else { Verdict::Failed };
    }
    result
}

fn judge_scenario(
    result: &mut CaseResult,
    s: &Scenario,
    target: Target,
    cmp: &Comparisons,
    opts: &RunOptions,
) {
    let on = match target.build {
        Variant::Foreign => s.expectation.on_foreign_build(),
        _ => s.expectation.on_runtime(target.runtime.name()),
    };
    let (exp, declared) = match on {
        OnRuntime::Run { expectation, declared } => (expectation, declared),
        OnRuntime::Skip(reason) => {
            result.verdict = Verdict::Skipped(SkipReason::Declared(reason));
            return;
        }
    };
    result.expected = match &exp.may_also {
        Some(alt) => format!("{} or {alt}", exp.expect),
        None => exp.expect.to_string(),
    };
    result.outcome_varies = match (&exp.expect, &exp.may_also) {
        (Expected::Named(NamedOutcome::Any), _) => Some("varies".into()),
        (_, Some(_)) => Some(result.expected.clone()),
        _ => None,
    };
    result.bare_expected = s.expectation.bare.clone();
    let Some(exe) = s.builds.get(&target.build) else {
        result.problems.push(format!("no {} build", target.build.label()));
        return;
    };
    let run = match run_scenario_build(exe, &exp, s, target.runtime, opts, false) {
        Ok(run) => run,
        Err(e) => {
            result.problems.push(e);
            return;
        }
    };
    if let Outcome::Unsupported { message } = &run.outcome {
        result.verdict = Verdict::Skipped(SkipReason::Unsupported(message.clone()));
        result.run = Some(run);
        return;
    }
    result.problems.extend(exp.check(&run.outcome, &run.stdout.text(), &run.stderr.text()));
    // A run the watchdog had to end is a hang, whatever its budget said.
    result.late = !run.outcome.is_timeout() && exp.late(run.duration);
    result.runtime_difference = declared.clone();
    if declared.is_none() {
        match (&cmp.native, exp.native) {
            (Some(native), NativeParity::Same) => {
                result.problems.extend(compare_with_native(&run, native))
            }
            (Some(_), NativeParity::Differs) => result.native_difference = exp.reason.clone(),
            _ => {}
        }
    }
    result.run = Some(run);
}

fn judge_libtest(
    result: &mut CaseResult,
    t: &LibtestCase,
    target: Target,
    cmp: &Comparisons,
    opts: &RunOptions,
) {
    if t.test.ignored && t.run_ignored == RunIgnored::No {
        result.verdict = Verdict::Skipped(SkipReason::Ignored);
        return;
    }
    let native_verdict = cmp.native.as_ref().map(libtest_verdict);
    if t.test.should_panic {
        result.verdict = Verdict::Skipped(SkipReason::ShouldPanic { natively: native_verdict });
        return;
    }
    let dirs = t
        .dirs
        .iter()
        .map(|(host, guest)| MappedDir { host: host.clone(), guest: guest.clone() })
        .collect();
    let inv = opts.invocation(
        &t.module,
        libtest::single_test_args(&t.test),
        t.env.clone(),
        dirs,
        target.runtime,
    );
    let run = match watchdog::run(&inv) {
        Ok(run) => run,
        Err(e) => {
            result.problems.push(e.to_string());
            return;
        }
    };
    if let Outcome::Unsupported { message } = &run.outcome {
        result.verdict = Verdict::Skipped(SkipReason::Unsupported(message.clone()));
        result.run = Some(run);
        return;
    }
    let verdict = libtest_verdict(&run);
    if verdict != TestVerdict::Ok {
        let detail = run.outcome.explanation().unwrap_or_else(|| run.outcome.to_string());
        result.problems.push(format!("test failed ({detail})"));
    }
    if let Some(native) = native_verdict.filter(|n| *n != verdict) {
        result.problems.push(format!("natively the test is {native:?}, under WASIX {verdict:?}"));
    }
    result.run = Some(run);
}

/// A wasi-testsuite module: its spec's arguments, environment and directories, then its
/// exit status and output checks.
///
/// The spec's directories are copied into a private temporary directory for each run (and
/// each retry), without `*.cleanup` leftovers: what a test writes never touches the suite,
/// which may be read-only (CI mounts it so), and every run starts from the same files. Stdin
/// is held open and empty, as the suite's own runner does (the `*_wasi_read` threads tests
/// block reading it while another thread exits).
fn judge_suite(result: &mut CaseResult, t: &SuiteCase, target: Target, opts: &RunOptions) {
    if !t.spec.unknown_keys.is_empty() {
        result.problems.push(format!(
            "unknown spec key{} {} (this harness knows {})",
            if t.spec.unknown_keys.len() > 1 { "s" } else { "" },
            t.spec.unknown_keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            crate::list::suite::KNOWN_KEYS.join(", ")
        ));
        return;
    }
    let scratch = match tempfile::Builder::new()
        .prefix("wasix-harness-suite-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => {
            result.problems.push(format!("cannot create a scratch directory: {e}"));
            return;
        }
    };
    let mut dirs = Vec::new();
    for (host, guest) in &t.spec.dirs {
        let copy = scratch.path().join(guest);
        if let Err(e) = copy_tree(host, &copy) {
            result.problems.push(format!("cannot copy {} for the run: {e}", host.display()));
            return;
        }
        dirs.push(MappedDir { host: copy, guest: guest.clone() });
    }
    let inv = Invocation {
        stdin: Stdin::HeldOpen,
        ..opts.invocation(&t.module, t.spec.args.clone(), t.spec.env.clone(), dirs, target.runtime)
    };
    match watchdog::run(&inv) {
        Ok(run) => {
            if let Outcome::Unsupported { message } = &run.outcome {
                result.verdict = Verdict::Skipped(SkipReason::Unsupported(message.clone()));
            } else {
                let exit = match run.outcome {
                    Outcome::Exited { code } => Some(code),
                    _ => None,
                };
                result.problems = crate::list::suite::check(
                    &t.spec,
                    exit,
                    &run.stdout.text(),
                    &run.stderr.text(),
                );
                if exit.is_none() {
                    result.problems.extend(run.outcome.explanation());
                }
                apply_declared_difference(result, t, target, &run);
            }
            result.run = Some(run);
        }
        Err(e) => result.problems.push(e.to_string()),
    }
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
    let declared = crate::list::suite::declared_differences(t, target.runtime.name());
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

/// Copies a directory tree, symlinks as symlinks (the suite has dangling ones on purpose),
/// leaving out `*.cleanup` entries (what an earlier run left behind).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if Path::new(&name).extension().is_some_and(|x| x == "cleanup") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// One run of one build of a scenario, with its expectation's arguments, environment, stdin
/// and scratch directory.
fn run_scenario_build(
    exe: &Path,
    exp: &Expectation,
    s: &Scenario,
    runtime: Runtime,
    opts: &RunOptions,
    native: bool,
) -> Result<GuestRun, String> {
    let scratch = match &exp.scratch_dir {
        Some(_) => {
            Some(tempfile::tempdir().map_err(|e| format!("cannot create a scratch dir: {e}"))?)
        }
        None => None,
    };
    let mut env: Vec<(String, String)> =
        exp.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut dirs = Vec::new();
    if let (Some(tmp), Some(guest)) = (&scratch, &exp.scratch_dir) {
        let seen_as = if native { tmp.path().display().to_string() } else { guest.clone() };
        env.push(("SCRATCH_DIR".into(), seen_as));
        dirs.push(MappedDir { host: tmp.path().to_path_buf(), guest: guest.clone() });
    }
    let inv = Invocation {
        timeout: exp.timeout(opts.default_timeout),
        stdin: match (&exp.stdin, exp.stdin_open) {
            (_, true) => Stdin::HeldOpen,
            (Some(text), false) => Stdin::Bytes(text.clone().into_bytes()),
            (None, false) => Stdin::Null,
        },
        ..opts.invocation(exe, exp.args.clone(), env, dirs, runtime)
    };
    let run =
        if native { watchdog::run_native(exe, &inv, Some(&s.dir)) } else { watchdog::run(&inv) };
    run.map_err(|e| e.to_string())
}

impl RunOptions {
    /// A captured run of `module` on `runtime` with these options' cache, memory cap, capture
    /// limit and default timeout, and no stdin; callers change what differs.
    pub(super) fn invocation(
        &self,
        module: &Path,
        args: Vec<String>,
        env: Vec<(String, String)>,
        dirs: Vec<MappedDir>,
        runtime: Runtime,
    ) -> Invocation {
        Invocation {
            spec: RunSpec {
                args,
                env,
                dirs,
                cache: self.cache.clone(),
                memory_limit: Some(self.memory_limit),
                ..RunSpec::new(module)
            },
            runtime,
            timeout: self.default_timeout,
            compile_timeout: self.compile_timeout,
            stdin: Stdin::Null,
            output: Output::Capture { limit: self.capture_limit },
        }
    }
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
        // The message runs until the next blank line, note, or panic header.
        while let Some(next) = lines.peek() {
            if next.is_empty() || next.starts_with("note:") || next.starts_with("thread '") {
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
    }
}
