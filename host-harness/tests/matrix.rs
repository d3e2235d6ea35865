//! The whole scenario matrix of guest-tests/: every scenario built five ways with the real
//! toolchain (with the crate, with the crate's own shim only, without the crate, with the
//! toolchain's unwinding variant, native) and run on every runtime, the machine-readable
//! reports, and the committed parity table regenerating identically.

mod common;

use common::*;

#[test]
fn every_scenario_meets_its_expectations_and_the_reports_agree() {
    let out_dir = tempfile::tempdir().unwrap();
    let junit = out_dir.path().join("junit.xml");
    let parity = out_dir.path().join("parity.md");
    let guest_tests = repo().join("guest-tests").join("scenarios");
    let out = harness()
        .current_dir(repo())
        .args(["test", "--toolchain", &toolchain(), "--runtime", "all", "--foreign", "--unwind"])
        // One retry, as nextest gives: in a browser a run was seen, once in 4 whole matrices on
        // a 2-core machine at load 18, to hang or never start where every other run of it
        // passes. A case that passes on its retry is reported flaky (and listed below), never
        // silently; on the embedded wasmers none may be.
        .args(["--retries", "1"])
        .args(["--message-format", "json", "--junit"])
        .arg(&junit)
        .arg("--parity")
        .arg(&parity)
        .arg(&guest_tests)
        .output()
        .expect("the harness runs");
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let failed: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "failed" && e["type"] == "case")
        .map(|e| format!("{}: {}", e["name"], e["problems"]))
        .collect();
    assert!(failed.is_empty(), "failed scenarios:\n{}\n{}", failed.join("\n"), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let flaky: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "case" && e["flaky"] == true)
        .map(|e| format!("{}@{}", e["name"], e["runtime"]))
        .collect();
    if !flaky.is_empty() {
        eprintln!("flaky (passed on a retry): {}", flaky.join(", "));
    }
    assert!(
        flaky.iter().all(|c| !c.ends_with("@\"wasmer\"") && !c.contains("wasmer-4.3")),
        "a run on an embedded wasmer passed only on a retry: {flaky:?}"
    );
    assert!(flaky.len() <= 3, "too many cases passed only on a retry: {flaky:?}");

    let suite = events.last().expect("a closing event");
    assert_eq!(suite["type"], "suite");
    assert_eq!(suite["event"], "passed");
    let passed = suite["passed"].as_u64().unwrap();
    assert!(passed >= 6, "only {passed} scenarios ran");
    let finished = events.iter().filter(|e| e["type"] == "case" && e["event"] == "passed").count();
    assert_eq!(finished as u64, passed);
    for runtime in ["wasmer", "sdk", "wasmer-4.3", "chromium", "firefox"] {
        let ran = events.iter().filter(|e| e["type"] == "case" && e["runtime"] == runtime).count();
        assert!(ran >= 6, "only {ran} cases ran on {runtime}");
    }
    // The unwinding column: judged on every runtime with wasm exceptions, and a clear skip
    // (status 69, what to build instead) on wasmer 4.3, which has none.
    let unwound = |runtime: &str, event: &str| {
        events
            .iter()
            .filter(|e| e["type"] == "case" && e["build"] == "unwind" && e["runtime"] == runtime)
            .filter(|e| e["event"] == event)
            .count()
    };
    assert!(unwound("wasmer", "passed") >= 100, "{}", unwound("wasmer", "passed"));
    assert!(unwound("sdk", "passed") >= 90, "{}", unwound("sdk", "passed"));
    assert_eq!(unwound("wasmer-4.3", "passed"), 0);
    for e in events.iter().filter(|e| e["build"] == "unwind" && e["runtime"] == "wasmer-4.3") {
        assert_eq!(e["run"]["status"], 69, "{e}");
        let reason = e["skip_reason"].as_str().unwrap_or_default();
        assert!(reason.contains("needs wasm exceptions"), "{e}");
    }
    let skipped = suite["skipped"].as_u64().unwrap();

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count() as u64, passed + skipped, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");

    let generated = std::fs::read_to_string(&parity).unwrap();
    let committed = std::fs::read_to_string(repo().join("docs/parity.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/parity.md is out of date: run scripts/parity and commit it.\n--- generated ---\n{generated}"
    );
}

#[test]
fn a_failing_expectation_fails_the_run_with_status_100() {
    // A copy of the seed crate whose expectation is wrong on purpose.
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("wrong");
    std::fs::create_dir_all(krate.join("src/bin")).unwrap();
    let root = repo();
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"wrong\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
             wasix-panic-exit = {{ path = {:?} }}\n\n[workspace]\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(
        root.join("guest-tests/scenarios/src/bin/seed.rs"),
        krate.join("src/bin/seed.rs"),
    )
    .unwrap();
    std::fs::write(krate.join("src/bin/seed.toml"), "expect = 0\n").unwrap();
    let out = harness()
        .args(["test", "--no-bare", "--no-native", "--target-dir"])
        .arg(root.join("target/guests"))
        .arg(&krate)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 passed, 1 failed, 0 skipped"), "{}", stdout(&out));
    assert!(stderr(&out).contains("expected exit 0, got exit 101"), "{}", stderr(&out));
}
