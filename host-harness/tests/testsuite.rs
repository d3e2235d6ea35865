//! `wasix-harness test DIR` on a directory in the wasi-testsuite layout.

mod common;

use common::*;

const HELLO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const EXIT))))"#;

fn module(exit: i32) -> Vec<u8> {
    wat::parse_str(HELLO.replace("EXIT", &exit.to_string())).unwrap()
}

#[test]
fn a_wasi_testsuite_directory_runs_with_both_spec_forms() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("my-suite");
    std::fs::create_dir(&suite).unwrap();
    std::fs::write(suite.join("manifest.json"), r#"{"name": "demo"}"#).unwrap();
    std::fs::write(suite.join("hello.wasm"), module(0)).unwrap();
    std::fs::write(suite.join("hello.json"), r#"{"stdout": "hello\n"}"#).unwrap();
    std::fs::write(suite.join("three.wasm"), module(3)).unwrap();
    std::fs::write(
        suite.join("three.json"),
        r#"{"operations": [{"type": "run", "args": ["x"]}, {"type": "read", "id": "stdout", "payload": "hel"}, {"type": "wait", "exit_code": 3}]}"#,
    )
    .unwrap();
    std::fs::write(suite.join("nospec.wasm"), module(0)).unwrap();
    std::fs::write(suite.join("wrong.wasm"), module(1)).unwrap();
    std::fs::write(suite.join("wrong.json"), r#"{"exit_code": 0}"#).unwrap();
    std::fs::write(suite.join("left-over.cleanup"), "old output").unwrap();

    let out = run_harness(&["test", "--message-format", "json", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    assert!(suite.join("left-over.cleanup").exists(), "the suite itself is never changed");
    let events: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let verdict = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == name && e["event"] != "started")
            .map(|e| e["event"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no result for {name}: {events:?}"))
    };
    assert_eq!(verdict("demo/hello"), "passed");
    assert_eq!(verdict("demo/three"), "passed");
    assert_eq!(verdict("demo/nospec"), "passed");
    assert_eq!(verdict("demo/wrong"), "failed");
    let suite_event = events.last().unwrap();
    assert_eq!(
        (suite_event["passed"].as_u64(), suite_event["failed"].as_u64()),
        (Some(3), Some(1))
    );
}

#[test]
fn a_malformed_spec_fails_its_own_case_only_and_not_when_filtered_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.wasm"), module(0)).unwrap();
    std::fs::write(dir.path().join("bad.json"), r#"{"dirs": ["../../etc"]}"#).unwrap();
    std::fs::write(dir.path().join("good.wasm"), module(0)).unwrap();
    let out = run_harness(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(report.contains("inside the test's directory"), "{report}");
    assert!(report.contains("1 passed, 1 failed"), "{report}");
    // Filtered out, it is not even an error.
    let out = run_harness(&["test", "--filter", "good", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 passed, 0 failed"), "{}", stdout(&out));
}

#[test]
fn partitions_split_a_suite_without_overlap() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..7 {
        std::fs::write(dir.path().join(format!("t{i}.wasm")), module(0)).unwrap();
    }
    let mut seen = Vec::new();
    for k in 1..=3 {
        let out = run_harness(&[
            "test",
            "--list",
            "--partition",
            &format!("hash:{k}/3"),
            dir.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        seen.extend(stdout(&out).lines().map(str::to_string));
    }
    seen.sort();
    assert_eq!(seen.len(), 7, "{seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 7, "{seen:?}");
}

#[test]
fn listing_changes_nothing_and_runs_work_on_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path();
    std::fs::create_dir_all(suite.join("fs-tests.dir/old.cleanup")).unwrap();
    std::fs::write(suite.join("fs-tests.dir/kept"), "x").unwrap();
    std::fs::write(suite.join("t.wasm"), module(0)).unwrap();
    std::fs::write(suite.join("t.json"), r#"{"dirs": ["fs-tests.dir"]}"#).unwrap();
    let out = run_harness(&["test", "--list", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run_harness(&["test", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        suite.join("fs-tests.dir/old.cleanup").exists(),
        "listing and running changed the suite"
    );
}

#[test]
fn an_unknown_spec_key_fails_only_its_test_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new.wasm"), module(0)).unwrap();
    std::fs::write(dir.path().join("new.json"), r#"{"root": "/", "exit_code": 0}"#).unwrap();
    std::fs::write(dir.path().join("old.wasm"), module(0)).unwrap();
    let out = run_harness(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("unknown spec key `root`"), "{text}");
    assert!(text.contains("1 passed, 1 failed"), "{text}");
}

/// The real wasi-testsuite (`../shared/wasi-testsuite`, as CI runs it) when it is there:
/// every test passes or is a declared difference with its evidence.
#[test]
fn the_wasi_testsuite_passes_or_fails_only_as_declared() {
    let tests = repo().join("../shared/wasi-testsuite/tests");
    if !tests.is_dir() {
        eprintln!("skipped: no {}", tests.display());
        return;
    }
    let out = harness()
        .current_dir(repo())
        .args(["test", "--jobs", "2", "../shared/wasi-testsuite/tests"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let last = stdout(&out).lines().last().unwrap_or_default().to_string();
    let passed: u32 = last.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    // 41 pass on wasmer 7.4; the rest are declared (wasi_testsuite_differences.toml).
    assert!(passed >= 41, "{last}");
}
