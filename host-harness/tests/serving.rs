//! Runners that serve many runs (the sdk in Node, the sdk in Chromium and Firefox) keep runs
//! apart: real guests, one after another on the same runner, on each of those runtimes.
//!
//! * a run that leaves threads spinning, parked and sleeping, then a hello and a hello with a
//!   thread: both correct (a leftover thread once made the next run on its sdk instance hang),
//!   and afterwards nothing of the runner spins (the leftover thread is gone, not only
//!   outrun: kept, it burns a core);
//! * a file a run writes is not there for the next run;
//! * output of one run never appears in another's (a flood of stderr, then a hello);
//! * a hung run (124) kills its runner; the next run gets a fresh one and passes;
//! * the guest's time starts when its module is instantiated, whatever it imports (a module
//!   with no import at all too), never by the runner's fallback;
//! * the runner really is the same one between those runs (its pid, its count of runs), so
//!   none of the above passes for want of reuse; and `--runner-per-run` gives a fresh one.
//!
//! Each runtime's checks run in one test function, in order (runners are shared by the runs
//! of one process, and tests of one binary run at once: one function per runtime keeps each
//! runtime's runners to its own sequence).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use wasix_harness::outcome::Outcome;
use wasix_harness::sandbox::{self, GuestRun, RunInput, RunPolicy, Runtime};

fn policy(reuse: bool) -> RunPolicy {
    RunPolicy { reuse_runners: reuse, runtimes: vec![], ..RunPolicy::default() }
}

fn run_on(runtime: Runtime, module: &Path, args: &[&str], timeout: Option<Duration>) -> GuestRun {
    run_with(&policy(true), runtime, module, args, timeout)
}

fn run_with(
    policy: &RunPolicy,
    runtime: Runtime,
    module: &Path,
    args: &[&str],
    timeout: Option<Duration>,
) -> GuestRun {
    let input = RunInput {
        args: args.iter().map(|a| a.to_string()).collect(),
        timeout,
        ..RunInput::default()
    };
    sandbox::run(&policy.invocation(module, input), runtime)
        .unwrap_or_else(|e| panic!("{runtime}: the run could not be made: {e}"))
}

/// CPU seconds used so far by the live processes of process group `group` (all their threads).
fn group_cpu(group: u32) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some(end) = stat.rfind(')') else { continue };
        // After the command name: state ppid pgrp ... utime (12th) stime (13th).
        let fields: Vec<&str> = stat[end + 1..].split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) != Some(group) {
            continue;
        }
        total += fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    }
    total as f64 / ticks
}

fn exited(run: &GuestRun, code: i32, what: &str) {
    assert_eq!(
        run.outcome,
        Outcome::Exited { code },
        "{what}: stdout {:?}, stderr {:?}",
        run.stdout.text(),
        run.stderr.text()
    );
}

fn runs_apart_on(runtime: Runtime) {
    runtime.check_available().unwrap_or_else(|e| panic!("{e}"));
    let hello = scenario("hello");
    let probe = probe_module();

    // A fresh runner, then the same one.
    let first = run_on(runtime, &hello, &[], None);
    exited(&first, 0, "hello on a fresh runner");
    let runner = first.runner.expect("a runner that serves many runs");
    let again = run_on(runtime, &hello, &[], None);
    exited(&again, 0, "hello again");
    let reused = again.runner.expect("a runner");
    assert_eq!(reused.pid, runner.pid, "{runtime}: the second hello had another runner");
    assert_eq!(reused.earlier_runs, runner.earlier_runs + 1);

    // Threads left spinning, parked and sleeping by one run never reach the next.
    let left = run_on(runtime, &scenario("exit_main_returns_threads_alive"), &[], None);
    exited(&left, 0, "main returns while threads run");
    assert_eq!(left.stdout.text(), "main returns\n");
    for (name, says) in
        [("hello", "hello\n"), ("hello_thread", "hello from a thread\n"), ("hello", "hello\n")]
    {
        let next = run_on(runtime, &scenario(name), &[], None);
        exited(&next, 0, &format!("{name} after a run that left threads running"));
        assert_eq!(next.stdout.text(), says, "{runtime}: {name}");
        assert_eq!(next.runner.map(|r| r.pid), Some(runner.pid), "{runtime}: the runner changed");
    }
    // Idle now (a spare instance prepared after the discard has had time to get ready): a
    // thread left spinning would use about a core; an idle runner uses next to nothing. Load on
    // the machine can only make a spinning thread look smaller, never an idle runner bigger.
    std::thread::sleep(Duration::from_secs(3));
    let before = group_cpu(runner.pid);
    std::thread::sleep(Duration::from_secs(2));
    let spent = group_cpu(runner.pid) - before;
    assert!(
        spent < 0.5,
        "{runtime}: the idle runner used {spent:.2} s of CPU in 2 s: a guest thread still runs"
    );

    // A file one run writes is not there for the next.
    let wrote = run_on(runtime, &probe, &["write", "/tmp/left-behind", "secret"], None);
    exited(&wrote, 0, "the probe writes /tmp/left-behind");
    let read = run_on(runtime, &probe, &["read", "/tmp/left-behind"], None);
    exited(&read, 1, "the probe looks for /tmp/left-behind");
    assert!(read.stderr.text().contains("errno 44"), "{runtime}: {}", read.stderr.text());
    assert!(!read.stdout.text().contains("secret"), "{runtime}: {}", read.stdout.text());
    assert_eq!(read.runner.map(|r| r.pid), Some(runner.pid), "{runtime}: the runner changed");

    // One run's output never appears in another's.
    let flood = run_on(runtime, &scenario("output_stderr_flood_whole_message"), &[], None);
    exited(&flood, 101, "a stderr flood, then a panic");
    assert!(flood.stderr.bytes.len() > 100_000, "{runtime}: the flood was not captured");
    let quiet = run_on(runtime, &hello, &[], None);
    exited(&quiet, 0, "hello after a flood");
    assert_eq!(quiet.stdout.text(), "hello\n");
    assert_eq!(quiet.stderr.text(), "", "{runtime}: another run's stderr");

    // A hung run ends its runner; the next run gets a fresh one, and passes.
    let hung = run_on(runtime, &scenario("deadlock"), &[], Some(Duration::from_secs(2)));
    assert!(hung.outcome.is_timeout(), "{runtime}: {:?}", hung.outcome);
    assert_eq!(hung.outcome.status(), 124);
    let after = run_on(runtime, &hello, &[], None);
    exited(&after, 0, "hello after a hang");
    let fresh = after.runner.expect("a runner");
    assert_ne!(fresh.pid, runner.pid, "{runtime}: the hung run's runner served again");
    assert_eq!(fresh.earlier_runs, 0);

    // The start of a guest that imports nothing is seen too: its timeout runs from there, and
    // no warning says that the runner had to assume it.
    let (_dir, spin) = wat_module(
        r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#,
    );
    let spun = run_on(runtime, &spin, &[], Some(Duration::from_secs(2)));
    assert!(spun.outcome.is_timeout(), "{runtime}: {:?}", spun.outcome);
    assert!(spun.warnings.is_empty(), "{runtime}: {:?}", spun.warnings);

    // Without reuse, every run has a runner of its own.
    let once = policy(false);
    let a = run_with(&once, runtime, &hello, &[], None);
    let b = run_with(&once, runtime, &hello, &[], None);
    exited(&a, 0, "hello, runner per run");
    exited(&b, 0, "hello, runner per run");
    assert_ne!(a.runner.map(|r| r.pid), b.runner.map(|r| r.pid));
    assert_eq!(b.runner.map(|r| r.earlier_runs), Some(0));
}

#[test]
fn runs_are_apart_on_one_sdk_runner() {
    runs_apart_on(Runtime::Sdk);
}

#[test]
fn runs_are_apart_on_one_chromium_runner() {
    runs_apart_on(Runtime::Chromium);
}

#[test]
fn runs_are_apart_on_one_firefox_runner() {
    runs_apart_on(Runtime::Firefox);
}
