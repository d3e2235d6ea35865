//! Reliability: "it exits instead of hanging" has to hold every time. CI runs a short pass;
//! `scripts/reliability` runs the full one (WASIX_RELIABILITY_RUNS=1000).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use wasix_harness::outcome::Outcome;
use wasix_harness::sandbox::{self, GuestRun, RunInput, RunPolicy, Runtime};

fn runs() -> usize {
    std::env::var("WASIX_RELIABILITY_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

fn run(module: &Path, timeout: Duration) -> GuestRun {
    use_harness_binary();
    let policy = RunPolicy {
        timeout,
        capture_limit: 1 << 20,
        cache: Some(repo().join("target/harness-test-cache")),
        ..RunPolicy::default()
    };
    sandbox::run(&policy.invocation(module, RunInput::default()), Runtime::Wasmer)
        .expect("the watchdog starts the run")
}

/// Runs `f` `n` times on two threads.
fn repeat<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    results.lock().unwrap().push(r);
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// Panic messages in a storm's stderr that are not whole: a header without its message line,
/// or a message line without its header.
fn broken_messages(stderr: &str) -> usize {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut broken = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("thread '") && line.contains("panicked at") {
            let next = lines.get(i + 1).copied().unwrap_or("");
            let whole =
                next.starts_with("storm thread ") && next.ends_with(" of 32: all panic together");
            broken += usize::from(!whole);
        } else if line.contains("storm thread") {
            let header = i.checked_sub(1).and_then(|j| lines.get(j)).copied().unwrap_or("");
            broken += usize::from(
                !(header.starts_with("thread '") && line.ends_with("all panic together")),
            );
        }
    }
    broken
}

#[test]
fn the_32_thread_storm_always_exits_101_with_whole_messages() {
    let module = scenario("storm_32_threads");
    let n = runs();
    let results = repeat(n, |_| run(&module, Duration::from_secs(10)));
    let hangs = results.iter().filter(|r| matches!(r.outcome, Outcome::TimedOut { .. })).count();
    let wrong = results.iter().filter(|r| r.outcome != (Outcome::Exited { code: 101 })).count();
    let broken: usize = results.iter().map(|r| broken_messages(&r.stderr.text())).sum();
    let no_message =
        results.iter().filter(|r| !r.stderr.text().contains("all panic together")).count();
    let slowest = results.iter().map(|r| r.duration).max().unwrap_or_default();
    eprintln!(
        "storm_32_threads x{n}: {hangs} hangs, {wrong} wrong statuses, {broken} broken messages, \
         {no_message} runs without a message, slowest {:.3} s",
        slowest.as_secs_f64()
    );
    assert_eq!((hangs, wrong, broken, no_message), (0, 0, 0, 0));
}

#[test]
fn broken_message_detection_works() {
    let whole = "\nthread '<unnamed>' (3) panicked at src/bin/storm_32_threads.rs:17:17:\nstorm thread 4 of 32: all panic together\n";
    assert_eq!(broken_messages(whole), 0);
    assert_eq!(broken_messages("\nthread '<unnamed>' (3) panicked at src/x.rs:1:1:\nstorm thr"), 1);
    assert_eq!(broken_messages("storm thread 4 of 32: all panic together\n"), 1);
}

/// Processes still running one of the modules (there must be none once a run has ended).
fn leftovers(module: &Path) -> usize {
    let needle = module.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
                .filter(|e| {
                    std::fs::read(e.path().join("cmdline"))
                        .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                        .unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_watchdog_ends_every_kind_of_hang_in_time_and_leaves_nothing() {
    let n = (runs() / 5).max(2);
    for name in ["hang_spin", "hang_sleep", "deadlock", "hang_thread_spawner"] {
        let module = scenario(name);
        let results = repeat(n, |_| run(&module, Duration::from_secs(1)));
        for r in &results {
            assert!(matches!(r.outcome, Outcome::TimedOut { .. }), "{name}: {:?}", r.outcome);
            assert!(r.duration < Duration::from_secs(2), "{name}: took {:?}", r.duration);
        }
        assert_eq!(leftovers(&module), 0, "{name}: processes left behind");
        eprintln!("{name} x{n}: all reported as hangs within timeout + 1 s, nothing left running");
    }
}

/// A scenario and the check its outcome must pass.
type HostileCase = (&'static str, fn(&Outcome) -> bool);

#[test]
fn hostile_guests_get_their_status_and_the_harness_stays_usable() {
    let cases: [HostileCase; 5] = [
        ("hard_stack_overflow", |o| matches!(o, Outcome::Trapped { .. })),
        ("output_stderr_flood_whole_message", |o| *o == Outcome::Exited { code: 101 }),
        ("hook_panics_inside_hook", |o| *o == Outcome::Exited { code: 134 }),
        ("limit_memory_bomb", |o| *o == Outcome::Exited { code: 134 }),
        ("alloc_failure", |o| *o == Outcome::Exited { code: 134 }),
    ];
    for (name, ok) in cases {
        let report = run(&scenario(name), Duration::from_secs(10));
        assert!(ok(&report.outcome), "{name}: {:?}\n{}", report.outcome, report.stderr.text());
    }
    let after = run(&scenario("seed"), Duration::from_secs(10));
    assert_eq!(after.outcome, Outcome::Exited { code: 101 });
}
