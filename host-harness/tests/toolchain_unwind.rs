//! The toolchain's unwinding variant (`WASIX_TOOLCHAIN_PANIC=unwind`, README "Unwinding"):
//! a crate outside the checkout, built by the real toolchain with each exception encoding and
//! run by the real runtimes, ends as its native build does; `#[should_panic]` tests run; a
//! destructor that panics while unwinding aborts (134); a wrong value is a one-line error.
//!
//! Binary-only: cargo, rustc and the harness binary. `WASIX_TEST_TOOLCHAIN` names another
//! rustup toolchain to test instead of `wasix`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{harness, repo, text, toolchain};

/// The program of issue 15 plus a panicking destructor (run with an argument) and a library
/// with passing and failing `#[should_panic]` tests.
const MAIN: &str = r#"struct D(&'static str);
impl Drop for D {
    fn drop(&mut self) {
        println!("drop {}", self.0);
    }
}
struct Bomb;
impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("drop panicked during unwinding");
    }
}
fn main() {
    if std::env::args().count() > 1 {
        let caught = std::panic::catch_unwind(|| {
            let _bomb = Bomb;
            panic!("first panic");
        });
        println!("unreachable: {}", caught.is_err());
        return;
    }
    println!("cfg(panic = \"unwind\"): {}", cfg!(panic = "unwind"));
    let r = std::panic::catch_unwind(|| {
        let _d = D("in catch");
        panic!("caught one");
    });
    println!("catch_unwind -> is_err={}", r.is_err());
    let j = std::thread::spawn(|| {
        let _d = D("in thread");
        panic!("thread panic");
    })
    .join();
    println!("join -> is_err={}", j.is_err());
    j.unwrap();
}
"#;

const LIB: &str = r#"pub fn divide(a: u32, b: u32) -> u32 {
    if b == 0 {
        panic!("divide by zero");
    }
    a / b
}
#[cfg(test)]
mod tests {
    #[test]
    fn divides() {
        assert_eq!(super::divide(6, 3), 2);
    }
    #[test]
    #[should_panic(expected = "divide by zero")]
    fn zero_panics() {
        super::divide(1, 0);
    }
    #[test]
    #[should_panic]
    fn does_not_panic_but_should() {
        super::divide(4, 2);
    }
}
"#;

const NATIVE_OUTPUT: &str = "cfg(panic = \"unwind\"): true\ndrop in catch\n\
    catch_unwind -> is_err=true\ndrop in thread\njoin -> is_err=true\n";

/// The crate in a temp directory, as the package `name`: each test has its own name, so tests
/// that build into the shared target directory at once never replace each other's binaries.
fn user_crate(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("wasix-unwind-").tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), LIB).unwrap();
    dir
}

/// cargo or rustc of the toolchain under test, nothing inherited, the panic variant explicit.
fn tool(program: &str, panic: Option<&str>, eh: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    wasix_harness::list::scrub_env(&mut cmd);
    cmd.env("RUSTUP_TOOLCHAIN", toolchain());
    for (key, value) in [("WASIX_TOOLCHAIN_PANIC", panic), ("WASIX_TOOLCHAIN_EH", eh)] {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

/// Builds the program and the library's test binary with one encoding; returns both modules.
fn build(dir: &Path, name: &str, eh: &str) -> (PathBuf, PathBuf) {
    // The directory of the harness's own unwinding builds (`test --unwind`): std is built once
    // per encoding for both.
    let target_dir = repo().join("target").join("guests").join(format!("unwind-{eh}"));
    let out = tool("cargo", Some("unwind"), Some(eh))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["test", "--no-run", "--release", "--target", "wasm32-wasmer-wasi", "--lib"])
        .args(["--message-format", "json"])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo test --no-run ({eh}): {}", text(&out));
    let messages = String::from_utf8_lossy(&out.stdout).into_owned();
    let tests = messages
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| l.split("\"executable\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .find(|path| path.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("no test binary in cargo's output:\n{messages}"))
        .into();
    let out = tool("cargo", Some("unwind"), Some(eh))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["build", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build ({eh}): {}", text(&out));
    (target_dir.join(format!("wasm32-wasmer-wasi/release/{name}.wasm")), tests)
}

fn run(runtime: &str, args: &[&str]) -> Output {
    harness().args(["run", "--runtime", runtime]).args(args).output().expect("harness runs")
}

#[test]
fn rustc_vv_names_the_panic_variant_and_a_wrong_one_is_a_one_line_error() {
    let last_line = |panic: Option<&str>, eh: Option<&str>| {
        let out = tool("rustc", panic, eh).arg("-vV").output().expect("rustc runs");
        assert!(out.status.success(), "rustc -vV: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string()
    };
    let abort = last_line(None, None);
    assert!(!abort.contains("panic="), "the abort build's line is unchanged: {abort}");
    assert_eq!(last_line(Some("abort"), Some("legacy")), abort, "EH only matters with unwind");
    assert!(last_line(Some("unwind"), None).ends_with(" panic=unwind eh=exnref"));
    assert!(last_line(Some("unwind"), Some("legacy")).ends_with(" panic=unwind eh=legacy"));

    let dir = user_crate("unwinds_variant");
    for (panic, eh, line) in [
        (
            "unwnd",
            None,
            "wasix toolchain: WASIX_TOOLCHAIN_PANIC=unwnd: expected abort (the default) or unwind",
        ),
        (
            "unwind",
            Some("gc"),
            "wasix toolchain: WASIX_TOOLCHAIN_EH=gc: expected exnref (the default) or legacy",
        ),
    ] {
        let out = tool("cargo", Some(panic), eh)
            .current_dir(dir.path())
            .args(["build", "--target", "wasm32-wasmer-wasi"])
            .output()
            .expect("cargo runs");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), line);
    }
}

/// wasmer 7.4 takes exnref, the sdk on the project's Node takes legacy; each gives the native
/// output and status, runs `#[should_panic]` tests as libtest does natively, and aborts when a
/// destructor panics while unwinding. wasmer 4.3 has no wasm exceptions.
#[test]
fn an_unwinding_build_ends_as_natively_on_each_runtime_that_has_wasm_exceptions() {
    let dir = user_crate("unwinds");
    for (eh, runtime) in [("exnref", "wasmer"), ("legacy", "sdk")] {
        let (program, tests) = build(dir.path(), "unwinds", eh);
        let program = program.to_str().unwrap();

        let out = run(runtime, &[program]);
        assert_eq!(out.status.code(), Some(101), "{eh} on {runtime}: {}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), NATIVE_OUTPUT, "{eh} on {runtime}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for message in ["caught one", "thread panic", "called `Result::unwrap()` on an `Err`"] {
            assert!(stderr.contains(message), "{eh} on {runtime}: {stderr}");
        }

        let out = run(runtime, &[program, "--", "bomb"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{eh} on {runtime}: {}", text(&out));
        assert!(stderr.contains("panic in a destructor during cleanup"), "{stderr}");
        assert!(stderr.contains("thread caused non-unwinding panic. aborting."), "{stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("unreachable"));

        let out = run(runtime, &["--no-libtest", tests.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(101), "{eh} on {runtime}: {}", text(&out));
        assert!(stdout.contains("test tests::zero_panics - should panic ... ok"), "{stdout}");
        assert!(
            stdout.contains("test tests::does_not_panic_but_should - should panic ... FAILED"),
            "{stdout}"
        );
        assert!(stdout.contains("test result: FAILED. 2 passed; 1 failed; 0 ignored"), "{stdout}");

        // One test per instance (the cargo runner's mode): the #[should_panic] tests run, and
        // each gets libtest's own verdict.
        let out = run(runtime, &[tests.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(101), "{eh} on {runtime}: {}", text(&out));
        assert!(stdout.contains("test tests::zero_panics ... ok"), "{stdout}");
        assert!(stdout.contains("test tests::does_not_panic_but_should ... FAILED"), "{stdout}");
        assert!(stdout.contains("note: test did not panic as expected"), "{stdout}");
        assert!(stdout.contains("test result: FAILED. 2 passed; 1 failed; 0 ignored"), "{stdout}");
        assert!(!stdout.contains("not run"), "{stdout}");
        // And in `test`, one case per test, judged the same way.
        let out = harness()
            .args(["test", "--runtime", runtime, "--filter", "panic"])
            .arg(&tests)
            .output()
            .expect("harness runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(100), "{eh} on {runtime}: {}", text(&out));
        assert!(stdout.contains("1 passed, 1 failed, 0 skipped"), "{stdout}");
    }
}

/// A runtime that cannot load an unwinding module refuses it before any child starts, with
/// one line and status 69 that say what to build instead: never as if the file were broken.
#[test]
fn a_runtime_without_the_module_s_exception_encoding_refuses_it_in_one_line_with_69() {
    let dir = user_crate("unwinds_refused");
    let (exnref, exnref_tests) = build(dir.path(), "unwinds_refused", "exnref");
    let (legacy, _) = build(dir.path(), "unwinds_refused", "legacy");
    // A program's run ends with the line as its outcome; a libtest binary's listing, which
    // comes before any test runs, fails the command with it as its error.
    let refused_as = |prefix: &str, out: &Output, module: &Path, on: &str, reason: &str| {
        assert_eq!(out.status.code(), Some(69), "{}", text(out));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            format!("wasix-harness: {prefix}{} cannot run on {on}: {reason}", module.display()),
        );
        assert!(out.stdout.is_empty(), "{}", text(out));
    };
    let refused = |out: &Output, module: &Path, on: &str, reason: &str| {
        refused_as("", out, module, on, reason)
    };
    let no_exceptions = "needs wasm exceptions, which this runtime does not have in any \
                         encoding; build without WASIX_TOOLCHAIN_PANIC=unwind";
    refused(
        &run("wasmer-4.3", &[exnref.to_str().unwrap()]),
        &exnref,
        "wasmer 4.3.7",
        no_exceptions,
    );
    refused(
        &run("wasmer-4.3", &[legacy.to_str().unwrap()]),
        &legacy,
        "wasmer 4.3.7",
        no_exceptions,
    );
    refused(
        &run("wasmer", &[legacy.to_str().unwrap()]),
        &legacy,
        "wasmer 7.4",
        "needs wasm legacy exceptions; build with WASIX_TOOLCHAIN_EH=exnref",
    );
    // A libtest binary too: its listing is refused, with the same line as an error.
    refused_as(
        "error: ",
        &run("wasmer-4.3", &[exnref_tests.to_str().unwrap()]),
        &exnref_tests,
        "wasmer 4.3.7",
        no_exceptions,
    );

    // The sdk takes what its Node's V8 takes: its pinned Node 24 runs exnref; a Node before 24,
    // named with WASIX_HARNESS_NODE (Debian's `node` on PATH here, when it is one), does not.
    let on_sdk = |node: Option<&str>| {
        let mut cmd = harness();
        cmd.env_remove("WASIX_HARNESS_NODE");
        if let Some(node) = node {
            cmd.env("WASIX_HARNESS_NODE", node);
        }
        cmd.args(["run", "--runtime", "sdk"]).arg(&exnref).output().expect("harness runs")
    };
    let out = on_sdk(None);
    assert_eq!(out.status.code(), Some(101), "the pinned Node: {}", text(&out));
    let node_major: Option<u32> =
        Command::new("node").arg("--version").output().ok().and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .trim_start_matches('v')
                .split('.')
                .next()?
                .parse()
                .ok()
        });
    if let Some(major @ ..24) = node_major {
        refused(
            &on_sdk(Some("node")),
            &exnref,
            &format!("@wasmer/sdk 0.16.0 (Node {major}, WASIX_HARNESS_NODE)"),
            "needs wasm exnref exceptions; build with WASIX_TOOLCHAIN_EH=legacy",
        );
    }
}

/// `cargo test` of a crate outside the checkout, built to unwind, through the runner line
/// (`wasix-harness run`, one test per instance): a passing `#[should_panic]` test is reported
/// passed, a failing one failed, as native `cargo test` reports them.
#[test]
fn cargo_test_runs_should_panic_tests_when_the_crate_unwinds() {
    let dir = user_crate("unwinds_cargo_test");
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        format!(
            "[target.wasm32-wasmer-wasi]\nrunner = [{:?}, \"run\", \"--\"]\n",
            env!("CARGO_BIN_EXE_wasix-harness")
        ),
    )
    .unwrap();
    let cargo_test = |extra: &[&str]| {
        tool("cargo", Some("unwind"), None)
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", repo().join("target/guests/unwind-exnref"))
            .env("WASIX_HARNESS_CACHE", repo().join("target/harness-test-cache"))
            .args(["test", "--release", "--target", "wasm32-wasmer-wasi", "--lib"])
            .args(extra)
            .output()
            .expect("cargo runs")
    };
    let all = cargo_test(&[]);
    let stdout = String::from_utf8_lossy(&all.stdout);
    assert_eq!(all.status.code(), Some(101), "{}", text(&all));
    assert!(stdout.contains("test tests::zero_panics ... ok"), "{stdout}");
    assert!(stdout.contains("test tests::does_not_panic_but_should ... FAILED"), "{stdout}");
    assert!(stdout.contains("test result: FAILED. 2 passed; 1 failed; 0 ignored"), "{stdout}");
    let passing = cargo_test(&["zero_panics"]);
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert_eq!(passing.status.code(), Some(0), "{}", text(&passing));
    assert!(stdout.contains("test tests::zero_panics ... ok"), "{stdout}");
    assert!(stdout.contains("test result: ok. 1 passed; 0 failed"), "{stdout}");
}

/// `wasix-harness test --unwind` on a crate outside the checkout: its program is built a
/// fifth way and judged on every runtime by its `[unwind]` expectations; wasmer 4.3, which
/// has no wasm exceptions, is a skip that says so.
#[test]
fn test_unwind_judges_the_unwinding_build_by_its_own_expectations() {
    let dir = user_crate("unwinds_matrix");
    let stdout_equals = NATIVE_OUTPUT.replace('\n', "\\n").replace('"', "\\\"");
    std::fs::write(
        dir.path().join("src/main.toml"),
        format!(
            "expect = 134\nnative = \"differs\"\n\
             reason = \"without unwinding catch_unwind catches nothing and the panic aborts\"\n\
             stdout_equals = \"cfg(panic = \\\"unwind\\\"): false\\n\"\n\
             [unwind]\nexpect = 101\nnative = \"same\"\nstdout_equals = \"{stdout_equals}\"\n"
        ),
    )
    .unwrap();
    let out = harness()
        .args(["test", "--unwind", "--runtime", "all", "--no-bare", "--toolchain"])
        .arg(toolchain())
        .args(["--message-format", "json", "--filter", "unwinds_matrix", "--exact", "--target-dir"])
        .arg(repo().join("target/guests"))
        .arg(dir.path())
        .output()
        .expect("harness runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|e: &serde_json::Value| e["type"] == "case" && e["event"] != "started")
        .collect();
    let event = |target: &str| {
        events
            .iter()
            .find(|e| e["name"] == format!("unwinds_matrix@{target}"))
            .unwrap_or_else(|| panic!("no unwinds_matrix@{target}: {events:?}"))
    };
    for target in ["wasmer", "sdk", "wasmer-4.3", "wasmer/unwind", "sdk/unwind"] {
        assert_eq!(event(target)["event"], "passed", "{target}: {}", event(target));
    }
    assert_eq!(event("wasmer/unwind")["run"]["outcome"]["code"], 101);
    let skipped = event("wasmer-4.3/unwind");
    assert_eq!(skipped["event"], "skipped", "{skipped}");
    let reason = skipped["skip_reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("cannot run on wasmer 4.3.7: needs wasm exceptions"), "{reason}");
}
