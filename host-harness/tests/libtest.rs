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
        wasix_harness::list::build::scrub_env(&mut cmd);
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
