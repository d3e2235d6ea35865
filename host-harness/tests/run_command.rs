//! `wasix-harness run` on real guests built by the real toolchain, and on bad input.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn run(module: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend_from_slice(extra);
    let module = module.to_str().expect("utf-8 path");
    args.push(module);
    run_harness(&args)
}

#[test]
fn seed_with_the_crate_exits_101_with_the_message() {
    let out = run(&scenario("seed"), &[]);
    assert_eq!(out.status.code(), Some(101), "{}", stderr(&out));
    assert!(stderr(&out).contains("dead lock?"), "{}", stderr(&out));
    assert!(stderr(&out).contains("panicked at src/bin/seed.rs"), "{}", stderr(&out));
}

#[test]
fn seed_without_install_aborts_with_134_through_the_shim() {
    let out = run(&scenario("seed_no_install"), &[]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(stderr(&out).contains("dead lock?"));
}

#[test]
fn panic_in_main_exits_101() {
    let out = run(&scenario("panic_in_main"), &[]);
    assert_eq!(out.status.code(), Some(101), "{}", stderr(&out));
}

#[test]
fn exit_from_a_spawned_thread_keeps_its_status() {
    let out = run(&scenario("exit_from_thread"), &[]);
    assert_eq!(out.status.code(), Some(42), "{}", stderr(&out));
}

#[test]
fn clocks_and_sleep_work_in_main_and_threads() {
    let out = run(&scenario("time_and_sleep"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "main: ok\nthread: ok\n");
}

#[test]
fn a_deadlock_is_reported_as_a_hang_by_the_watchdog() {
    // Built (the first time, with the whole scenario crate) before the clock starts.
    let module = scenario("deadlock");
    let started = Instant::now();
    let out = run(&module, &["--timeout", "1"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out after 1 s (deadlock?)"), "{}", stderr(&out));
    // Generous: the watchdog must end it; how fast depends on the machine's load.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_trap_gets_one_line_and_status_132() {
    let (_dir, module) = wat_module(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") unreachable))"#,
    );
    let out = run(&module, &[]);
    assert_eq!(out.status.code(), Some(132), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("wasix-harness: guest trapped:"), "{err}");
}

#[test]
fn bad_inputs_get_one_line_and_a_distinct_status() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read(scenario("seed")).unwrap();
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("empty.wasm", vec![], 65, "the file is empty"),
        ("text.wasm", b"hello, world\n".to_vec(), 65, "wasm magic"),
        ("truncated.wasm", seed[..seed.len() / 3].to_vec(), 65, "not a valid WebAssembly module"),
        (
            "no_start.wasm",
            wat::parse_str("(module (memory (export \"memory\") 1))").unwrap(),
            69,
            "_start",
        ),
        (
            "newline_in_import_name.wasm",
            wat::parse_str(
                r#"(module (import "evil\nmodule" "x" (func)) (func (export "_start")))"#,
            )
            .unwrap(),
            69,
            "evil\\nmodule",
        ),
        (
            // Found by the module_load fuzz target: wasmer's translator panics on this type.
            "unsupported_reftype.wasm",
            wat::parse_str(
                r#"(module (memory (export "memory") 1) (func (export "_start"))
                           (func (param nullexnref)))"#,
            )
            .unwrap(),
            65,
            "wasmer cannot compile it",
        ),
        (
            "start_with_parameters.wasm",
            wat::parse_str(
                r#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#,
            )
            .unwrap(),
            69,
            "not `[] -> []`",
        ),
        (
            "unknown_wasi_function.wasm",
            wat::parse_str(
                r#"(module (import "wasi_snapshot_preview1" "launch" (func))
                           (memory (export "memory") 1) (func (export "_start")))"#,
            )
            .unwrap(),
            69,
            "wasi_snapshot_preview1.launch",
        ),
        (
            "no_memory.wasm",
            wat::parse_str("(module (func (export \"_start\")))").unwrap(),
            69,
            "no memory",
        ),
        (
            "unknown_import.wasm",
            wat::parse_str(r#"(module (import "acme" "rocket" (func)) (func (export "_start")))"#)
                .unwrap(),
            69,
            "acme.rocket",
        ),
    ];
    for (name, bytes, status, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run(&path, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(status), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let out = run(&dir.path().join("missing.wasm"), &[]);
    assert_eq!(out.status.code(), Some(66), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
}

#[test]
fn usage_errors_are_one_line_with_status_2() {
    for args in [&["run"][..], &["run", "--timeout", "soon", "x.wasm"], &["frobnicate"]] {
        let out = run_harness(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn help_explains_the_statuses() {
    let out = run_harness(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("--timeout"), "{help}");
    assert!(help.contains("124"), "{help}");
}

#[test]
fn the_memory_cap_turns_a_memory_bomb_into_an_allocation_failure() {
    let out = run(&scenario("limit_memory_bomb"), &["--memory-limit", "256M"]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("memory allocation of 67108864 bytes failed"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("allocated"), "{}", stdout(&out));
}
