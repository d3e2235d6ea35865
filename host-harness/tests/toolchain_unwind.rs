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

fn user_crate() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("wasix-unwind-").tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"unwinds\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), LIB).unwrap();
    dir
}

/// cargo or rustc of the toolchain under test, nothing inherited, the panic variant explicit.
fn tool(program: &str, panic: Option<&str>, eh: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    wasix_harness::list::build::scrub_env(&mut cmd);
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
fn build(dir: &Path, eh: &str) -> (PathBuf, PathBuf) {
    let target_dir = repo().join("target").join("toolchain-unwind-test").join(eh);
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
    (target_dir.join("wasm32-wasmer-wasi/release/unwinds.wasm"), tests)
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

    let dir = user_crate();
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
    let dir = user_crate();
    for (eh, runtime) in [("exnref", "wasmer"), ("legacy", "sdk")] {
        let (program, tests) = build(dir.path(), eh);
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

        // Refused at load, never run (65 today; 69 "needs wasm exceptions" once the harness
        // knows the variant).
        let out = run("wasmer-4.3", &[program]);
        assert!(matches!(out.status.code(), Some(65 | 69)), "wasmer 4.3: {}", text(&out));
    }
}
