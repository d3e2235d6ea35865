//! The browsers as runtimes beyond the representative scenarios (tests/runtimes.rs): a crate's
//! `cargo test` with the runner line `wasix-harness run --runtime chromium --`, one test per
//! page with libtest's output, filters and status; and a browser that is not installed.

mod common;

use std::process::Command;

use common::*;

fn fixture() -> std::path::PathBuf {
    repo().join("host-harness/tests/fixtures/libtest-demo")
}

fn cargo_test_in(runtime: &str, extra: &[&str]) -> std::process::Output {
    let runner = format!("{} run --runtime {runtime} --", env!("CARGO_BIN_EXE_wasix-harness"));
    let mut cmd = Command::new("cargo");
    wasix_harness::list::scrub_env(&mut cmd);
    cmd.current_dir(fixture())
        .env("CARGO_TARGET_WASM32_WASMER_WASI_RUNNER", runner)
        .env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"))
        .args(["test", "--release", "--target", "wasm32-wasmer-wasi"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn cargo_test_in_chromium_reports_like_libtest() {
    let all = cargo_test_in("chromium", &[]);
    let text = stdout(&all);
    assert_eq!(all.status.code(), Some(101), "{text}\n{}", stderr(&all));
    assert!(text.contains("test tests::runs_after_the_failures ... ok"), "{text}");
    assert!(text.contains("test tests::threads_work_in_tests ... ok"), "{text}");
    assert!(text.contains("test tests::fails_an_assertion ... FAILED"), "{text}");
    assert!(text.contains("arithmetic is broken"), "{text}");
    assert!(text.contains("worker died"), "{text}");
    assert!(
        text.contains("test result: FAILED. 4 passed; 2 failed; 2 ignored;")
            && text.contains("1 #[should_panic] not run"),
        "{text}"
    );

    let filtered = cargo_test_in("chromium", &["adds"]);
    assert_eq!(filtered.status.code(), Some(0), "{}", stderr(&filtered));
    assert!(
        stdout(&filtered).contains("test result: ok. 1 passed; 0 failed;"),
        "{}",
        stdout(&filtered)
    );
}

#[test]
fn a_browser_that_is_not_installed_is_69_with_one_line() {
    let module = scenario("hello");
    for (runtime, var) in
        [("chromium", "WASIX_HARNESS_CHROMIUM"), ("firefox", "WASIX_HARNESS_FIREFOX")]
    {
        let out = harness()
            .env(var, "/nonexistent/browser")
            .args(["run", "--runtime", runtime])
            .arg(&module)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(69), "{runtime}: {}", stderr(&out));
        assert!(stderr(&out).contains("/nonexistent/browser is not installed"), "{}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

#[test]
fn a_browser_run_passes_args_env_and_stdin() {
    use std::io::Write;
    use std::process::Stdio;
    for runtime in ["chromium", "firefox"] {
        let args = harness()
            .args(["run", "--runtime", runtime])
            .arg(scenario("std_args"))
            .args(["--", "first", "sec ond"])
            .output()
            .unwrap();
        assert_eq!(args.status.code(), Some(0), "{runtime}: {}", stderr(&args));
        assert_eq!(stdout(&args), "2 args\n[first]\n[sec ond]\n", "{runtime}");

        let env = harness()
            .args(["run", "--runtime", runtime, "--env", "GREETING=hi there"])
            .args(["--env", "EMPTY_VALUE=", "--env", "WITH_EQUALS=a=b"])
            .arg(scenario("std_env_vars"))
            .output()
            .unwrap();
        assert_eq!(env.status.code(), Some(0), "{runtime}: {}", stderr(&env));
        assert!(stdout(&env).starts_with("hi there||a=b\n"), "{runtime}: {}", stdout(&env));

        let mut child = harness()
            .args(["run", "--runtime", runtime])
            .arg(scenario("std_stdin_read_to_end"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"1\n2\n").unwrap();
        let stdin = child.wait_with_output().unwrap();
        assert_eq!(stdin.status.code(), Some(0), "{runtime}: {}", stderr(&stdin));
        assert_eq!(stdout(&stdin), "unreachable: [1, 2]\n", "{runtime}");
    }
}
