//! libtest binaries: one test per instance, the verdicts native `cargo test` gives, and the
//! cargo runner set-up that makes `cargo test --target wasm32-wasmer-wasi` use the harness.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;

fn fixture() -> std::path::PathBuf {
    repo().join("host-harness/tests/fixtures/libtest-demo")
}

#[test]
fn each_test_runs_alone_and_gets_the_native_verdict() {
    let out = harness()
        .args(["test", "--no-bare", "--message-format", "json", "--target-dir"])
        .arg(repo().join("target/guests"))
        .arg(fixture())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    let mut verdicts = BTreeMap::new();
    for line in stdout(&out).lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["type"] == "case" && event["event"] != "started" {
            let name = event["name"]
                .as_str()
                .unwrap()
                .trim_start_matches("libtest_demo::tests::")
                .to_string();
            verdicts.insert(
                name,
                (event["event"].as_str().unwrap().to_string(), event["skip_reason"].clone()),
            );
        }
    }
    let verdict = |name: &str| verdicts.get(name).map(|v| v.0.as_str()).unwrap_or("missing");
    // Native `cargo test` passes these, fails these two, ignores one (and passes should_panic).
    for name in ["adds", "clocks_work_in_tests", "threads_work_in_tests", "runs_after_the_failures"]
    {
        assert_eq!(verdict(name), "passed", "{name}: {verdicts:?}");
    }
    for name in ["fails_an_assertion", "panics_in_a_thread"] {
        assert_eq!(verdict(name), "failed", "{name}: {verdicts:?}");
    }
    assert_eq!(verdict("ignored_but_passes"), "skipped");
    assert_eq!(verdicts["ignored_but_passes"].1, "ignored");
    assert_eq!(verdict("should_panic_with_boom"), "skipped");
    let reason = verdicts["should_panic_with_boom"].1.as_str().unwrap().to_string();
    assert!(reason.contains("#[should_panic]") && reason.contains("natively: Ok"), "{reason}");
    assert!(stdout(&out).contains("\"passed\":4,"), "{}", stdout(&out));
}

#[test]
fn cargo_test_through_the_runner_reports_like_libtest() {
    let cargo = |extra: &[&str]| {
        let mut cmd = Command::new("cargo");
        wasix_harness::list::scrub_env(&mut cmd);
        cmd.current_dir(fixture())
            .args(["test", "--release", "--target", "wasm32-wasmer-wasi"])
            .args(extra)
            .output()
            .unwrap()
    };
    let all = cargo(&[]);
    assert_eq!(all.status.code(), Some(101), "{}", stderr(&all));
    let text = stdout(&all);
    assert!(text.contains("test tests::runs_after_the_failures ... ok"), "{text}");
    assert!(text.contains("test tests::fails_an_assertion ... FAILED"), "{text}");
    assert!(text.contains("arithmetic is broken"), "{text}");
    assert!(
        text.contains("test result: FAILED. 4 passed; 2 failed; 2 ignored;")
            && text.contains("1 #[should_panic] not run"),
        "{text}"
    );

    let filtered = cargo(&["adds"]);
    assert_eq!(filtered.status.code(), Some(0), "{}", stderr(&filtered));
    assert!(
        stdout(&filtered).contains("test result: ok. 1 passed; 0 failed;"),
        "{}",
        stdout(&filtered)
    );
}

/// The fixture's libtest binary, built once per test binary by the project's toolchain. Its
/// file name carries a hash of the checkout's path and toolchain, so it is asked of cargo,
/// never written down.
fn fixture_wasm() -> std::path::PathBuf {
    use wasix_harness::list::{Targets, Variant, build_targets};
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let binaries =
                build_targets(&fixture(), Variant::Wasix, Targets::Tests, &build_options())
                    .unwrap_or_else(|e| panic!("building the libtest fixture failed: {e}"));
            match binaries.as_slice() {
                [one] => one.executable.clone(),
                other => panic!("the libtest fixture should have one test binary: {other:?}"),
            }
        })
        .clone()
}

#[test]
fn run_ignored_selects_only_the_ignored_tests() {
    let out = run_harness(&["run", fixture_wasm().to_str().unwrap(), "--ignored"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("test tests::ignored_but_passes ... ok"), "{text}");
    assert!(text.contains("test result: ok. 1 passed; 0 failed;"), "{text}");
    assert!(!text.contains("fails_an_assertion"), "{text}");
}

#[test]
fn run_on_a_libtest_binary_keeps_env_and_memory_limit() {
    let wasm = fixture_wasm();
    // The memory limit is the run policy's: it reaches the listing as it reaches each test's
    // instance (there is no other limit for listing), and the module needs 17 pages at start.
    let out = run_harness(&["run", "--memory-limit", "64K", wasm.to_str().unwrap(), "adds"]);
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(stderr(&out).contains("more than the limit of 1 pages"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    // The environment reaches it too: with RUST_BACKTRACE set, std drops its hint about it.
    let hint = "run with `RUST_BACKTRACE=1`";
    let plain = run_harness(&["run", wasm.to_str().unwrap(), "fails_an_assertion"]);
    assert!(format!("{}{}", stdout(&plain), stderr(&plain)).contains(hint));
    let with_env = run_harness(&[
        "run",
        "--env",
        "RUST_BACKTRACE=1",
        wasm.to_str().unwrap(),
        "fails_an_assertion",
    ]);
    assert!(!format!("{}{}", stdout(&with_env), stderr(&with_env)).contains(hint));
}

#[test]
fn an_option_value_is_not_taken_for_a_test_name() {
    // `7` used to be kept as a name filter, which selects nothing.
    let wasm = fixture_wasm();
    let out = run_harness(&["run", wasm.to_str().unwrap(), "--ignored", "--shuffle-seed", "7"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 passed"), "{}", stdout(&out));
}

/// `test FILE.wasm` on a libtest binary runs it as `run` does: one case per test, with
/// `--ignored` and the other selections, instead of one plain run where the first failure or
/// hang hides every other result.
#[test]
fn test_on_a_libtest_binary_runs_each_test_as_its_own_case() {
    let wasm = fixture_wasm();
    let events = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["test", "--message-format", "json"];
        args.extend_from_slice(extra);
        args.push(wasm.to_str().unwrap());
        let out = run_harness(&args);
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let all = events(&[]);
    let verdict = |events: &[serde_json::Value], test: &str| {
        events
            .iter()
            .find(|e| {
                e["type"] == "case"
                    && e["event"] != "started"
                    && e["name"].as_str().unwrap().ends_with(test)
            })
            .map(|e| e["event"].as_str().unwrap().to_string())
    };
    assert_eq!(verdict(&all, "::tests::adds").as_deref(), Some("passed"), "{all:?}");
    assert_eq!(verdict(&all, "::tests::fails_an_assertion").as_deref(), Some("failed"));
    assert_eq!(verdict(&all, "::tests::runs_after_the_failures").as_deref(), Some("passed"));
    assert_eq!(verdict(&all, "::tests::ignored_but_passes").as_deref(), Some("skipped"));
    let ignored = events(&["--ignored"]);
    let ran: Vec<_> =
        ignored.iter().filter(|e| e["type"] == "case" && e["event"] == "passed").collect();
    assert_eq!(ran.len(), 1, "{ignored:?}");
    assert!(ran[0]["name"].as_str().unwrap().ends_with("::tests::ignored_but_passes"));
}
