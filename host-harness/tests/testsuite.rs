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
    std::fs::write(dir.path().join("new.json"), r#"{"proposals": [], "exit_code": 0}"#).unwrap();
    std::fs::write(dir.path().join("old.wasm"), module(0)).unwrap();
    let out = run_harness(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("unknown spec key `proposals`"), "{text}");
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

/// The suite's current form (`prod/testsuite-base`): `root` names the directory the guest sees
/// as `/`, at the top level or in the `run` operation; the older `dirs` form still works.
#[test]
fn the_suite_s_current_root_form_maps_its_directory_as_the_guest_s_root() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path();
    std::fs::create_dir(suite.join("fs-tests.dir")).unwrap();
    std::fs::write(suite.join("fs-tests.dir/file"), "ROOTED").unwrap();
    let probe = std::fs::read(probe_module()).unwrap();
    for (name, spec) in [
        ("flat", r#"{"root": "fs-tests.dir", "args": ["read", "/file"], "stdout": "ROOTED"}"#),
        (
            "ops",
            r#"{"operations": [{"type": "run", "root": "fs-tests.dir", "args": ["read", "/file"]},
                              {"type": "read", "id": "stdout", "payload": "ROOTED"}, {"type": "wait"}]}"#,
        ),
        (
            "old",
            r#"{"dirs": ["fs-tests.dir"], "args": ["read", "/fs-tests.dir/file"], "stdout": "ROOTED"}"#,
        ),
    ] {
        std::fs::write(suite.join(format!("{name}.wasm")), &probe).unwrap();
        std::fs::write(suite.join(format!("{name}.json")), spec).unwrap();
    }
    let out = run_harness(&["test", "--runtime", "all", suite.to_str().unwrap()]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Every case passes on the two wasmers; the runtimes on the sdk (Node, Chromium, Firefox)
    // copy the directory in, root included, but cannot map a relative name (the old form's
    // `fs-tests.dir`): a skip, not a pass.
    assert!(text.contains("12 passed, 0 failed, 3 skipped"), "{text}");
}

/// A guest's output holding what XML cannot (U+FFFE, U+FFFF) leaves the JUnit report valid.
#[test]
fn junit_stays_valid_xml_whatever_the_guest_prints() {
    let dir = tempfile::tempdir().unwrap();
    let module = wat::parse_str(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "a\ef\bf\beb\ef\bf\bfc\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 9))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 1))))"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("noncharacters.wasm"), module).unwrap();
    let junit = dir.path().join("junit.xml");
    let out =
        run_harness(&["test", "--junit", junit.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("a\\u{fffe}b\\u{ffff}c"), "{xml}");
    // Python's parser, which rejected the report before.
    let parsed = std::process::Command::new("python3")
        .args(["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])"])
        .arg(&junit)
        .output()
        .expect("python3 runs");
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
}

/// A case named with a terminal escape sequence cannot drive the terminal.
#[test]
fn case_names_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("\x1b]0;pwned\x07\x1b[2J.wasm"), module(0)).unwrap();
    let out = run_harness(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!report.contains('\x1b') && !report.contains('\x07'), "{report:?}");
    assert!(report.contains("\\u{1b}]0;pwned"), "{report}");
}

/// A test directory's copy is bounded: a huge (sparse) file fails the case at once, and
/// nothing is copied.
#[test]
fn a_huge_file_in_a_test_s_directory_is_refused_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fs-tests.dir");
    std::fs::create_dir(&data).unwrap();
    std::fs::File::create(data.join("sparse")).unwrap().set_len(4 << 30).unwrap();
    std::fs::write(dir.path().join("t.wasm"), module(0)).unwrap();
    std::fs::write(dir.path().join("t.json"), r#"{"dirs": ["fs-tests.dir"]}"#).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = harness()
        .env("TMPDIR", tmp.path())
        .args(["test", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(report.contains("the most a test's directories may hold"), "{report}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "a copy was left");
}

/// JSON events carry a passed case's output cut to its start and end; a failed one's whole.
#[test]
fn json_events_keep_whole_output_only_for_failures() {
    let dir = tempfile::tempdir().unwrap();
    // 1 MiB on stdout, 64 KiB at a time, then the exit status.
    let flood = |exit: i32| {
        wat::parse_str(format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 65536) (i32.const 120) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const 65536))
    (loop $more
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 16))))
    (call $exit (i32.const {exit}))))"#
        ))
        .unwrap()
    };
    std::fs::write(dir.path().join("passes.wasm"), flood(0)).unwrap();
    std::fs::write(dir.path().join("fails.wasm"), flood(1)).unwrap();
    let out = run_harness(&["test", "--message-format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let events: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let stdout_of = |event: &str| {
        let e = events.iter().find(|e| e["event"] == event).unwrap();
        (e["run"]["stdout"].as_str().unwrap().len(), e["run"]["stdout_dropped_bytes"].as_u64())
    };
    let (passed_len, passed_dropped) = stdout_of("passed");
    assert!(passed_len < 70 << 10, "a passed case carried {passed_len} bytes");
    assert_eq!(passed_dropped, Some((1 << 20) - (64 << 10)));
    assert_eq!(stdout_of("failed"), (1 << 20, Some(0)));
}
