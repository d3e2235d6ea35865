//! The promise on every runtime: the same modules, built with the crate, end with the expected
//! status on the embedded wasmer 7.4, on `@wasmer/sdk` in Node and on wasmer 4.3, and a real
//! deadlock is reported as a hang (124) on each. A runtime that is not installed fails these
//! tests loudly: `scripts/provision` installs all three.

mod common;

use std::time::{Duration, Instant};

use common::*;

const RUNTIMES: [&str; 3] = ["wasmer", "sdk", "wasmer-4.3"];

fn run_on(runtime: &str, module: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let module = module.to_str().expect("utf-8 path");
    let mut args = vec!["run", "--runtime", runtime];
    args.extend_from_slice(extra);
    args.push(module);
    run_harness(&args)
}

#[test]
fn the_seed_exits_101_with_its_message_on_every_runtime() {
    for runtime in RUNTIMES {
        let out = run_on(runtime, &scenario("seed"), &[]);
        assert_eq!(out.status.code(), Some(101), "{runtime}: {}", stderr(&out));
        assert!(stderr(&out).contains("dead lock?"), "{runtime}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("panicked at src/bin/seed.rs"),
            "{runtime}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_deadlock_is_a_hang_reported_as_124_on_every_runtime() {
    // Built (the first time, with the whole scenario crate) before any clock starts.
    let module = scenario("deadlock");
    for runtime in RUNTIMES {
        let started = Instant::now();
        let out = run_on(runtime, &module, &["--timeout", "2"]);
        assert_eq!(out.status.code(), Some(124), "{runtime}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("timed out after 2 s (deadlock?)"),
            "{runtime}: {}",
            stderr(&out)
        );
        // Generous: the point is that the watchdog ends it, not how fast a busy machine is.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{runtime}: took {:?}",
            started.elapsed()
        );
    }
}

/// The original report: on wasmer 4.3, a thread's panic without the crate (and without the
/// runtime shim) leaves `join()` waiting forever.
#[test]
fn without_the_crate_the_seed_hangs_on_wasmer_4_3() {
    let out = run_on("wasmer-4.3", &bare_scenario("seed"), &["--timeout", "3"]);
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("(deadlock?)"), "{}", stderr(&out));
}

/// The representative scenarios, judged by their own expectation files on each runtime (a
/// runtime's declared bug, if any, is part of that file, with its reason).
#[test]
fn representative_scenarios_meet_their_expectations_on_every_runtime() {
    let names = [
        "seed",
        "storm_32_threads",
        "exit_from_thread_main_sleeping",
        "lock_stdout_held_forever",
        "panic_in_main",
        "deadlock",
    ];
    let mut args = vec![
        "test".to_string(),
        repo().join("guest-tests/scenarios").display().to_string(),
        "--toolchain".into(),
        toolchain(),
        "--runtime".into(),
        RUNTIMES.join(","),
        "--no-native".into(),
        "--no-bare".into(),
        "--exact".into(),
    ];
    for name in names {
        args.extend(["--filter".into(), name.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_harness(&args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    let expected = format!("{} passed, 0 failed", names.len() * RUNTIMES.len());
    assert!(text.lines().last().is_some_and(|l| l.starts_with(&expected)), "{text}");
}

#[test]
fn an_unknown_runtime_is_a_usage_error() {
    let out = run_harness(&["run", "--runtime", "wasmtime", "x.wasm"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("one of: wasmer, sdk, wasmer-4.3"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}
