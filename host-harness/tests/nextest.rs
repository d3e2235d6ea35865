//! cargo-nextest with the harness as the target runner:
//! `cargo nextest run --target wasm32-wasmer-wasi` lists the tests through the runner
//! (`BINARY --list --format terse`), runs each one in its own harness process and wasmer
//! instance (`BINARY --exact NAME --nocapture`), and reports nextest's own results: passes,
//! failures, ignored tests as skipped, and JUnit.
//!
//! Binary-only: a fixture crate in a temp dir, cargo-nextest, and the harness binary as the
//! runner. `WASIX_TEST_TOOLCHAIN` names another rustup toolchain to test instead of `wasix`.

use std::path::Path;
use std::process::Command;

mod common;
use common::{repo, text, toolchain};

const LIB: &str = r#"pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(2, 2), 4);
    }

    #[test]
    fn sleeps_and_measures() {
        let start = std::time::Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(start.elapsed().as_millis() >= 5);
    }

    #[test]
    fn fails_an_assertion() {
        assert_eq!(super::add(2, 2), 5, "deliberately wrong");
    }

    #[test]
    fn panics_in_a_thread() {
        std::thread::spawn(|| panic!("thread gives up")).join().unwrap();
    }

    #[test]
    #[ignore]
    fn ignored() {}
}
"#;

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("wasix-nextest-").tempdir().unwrap();
    let root = dir.path();
    for sub in ["src", ".cargo", ".config"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let crate_path = repo().display().to_string();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"nextest-fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nwasix-panic-exit = {{ path = {crate_path:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("src/lib.rs"), LIB).unwrap();
    let harness = env!("CARGO_BIN_EXE_wasix-harness");
    std::fs::write(
        root.join(".cargo/config.toml"),
        format!("[target.wasm32-wasmer-wasi]\nrunner = [{harness:?}, \"run\", \"--\"]\n"),
    )
    .unwrap();
    std::fs::write(
        root.join(".config/nextest.toml"),
        "[profile.default]\nfail-fast = false\n\n[profile.default.junit]\npath = \"junit.xml\"\n",
    )
    .unwrap();
    dir
}

fn cargo(dir: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if (key.starts_with("CARGO") && key != "CARGO_HOME")
            || key.starts_with("RUSTUP_TOOLCHAIN")
            || key.starts_with("RUSTC")
            || key.starts_with("RUSTDOC")
            || key == "RUSTFLAGS"
            || key == "RUST_BACKTRACE"
            || key.starts_with("NEXTEST")
            || key.starts_with("WASIX_")
        {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir)
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .env("CARGO_TARGET_DIR", target_dir)
        .env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"));
    cmd
}

#[test]
fn nextest_runs_each_test_through_the_harness_and_reports_its_own_results() {
    if Command::new("cargo-nextest").arg("--version").output().is_err() {
        panic!(
            "cargo-nextest is not installed (scripts/test installs it: cargo install cargo-nextest --locked)"
        );
    }
    let dir = fixture();
    // Shared with the other tests' temp crates, so std is built once. nextest writes its JUnit
    // file to the crate's own target/nextest/default/junit.xml (seen with nextest 0.9.143),
    // or under the target dir.
    let target_dir = repo().join("target").join("harness-test-guests");
    let out = cargo(dir.path(), &target_dir)
        .args(["nextest", "run", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let all = text(&out);
    // nextest's status for failed tests.
    assert_eq!(out.status.code(), Some(100), "{all}");
    for (name, verdict) in [
        ("tests::adds", "PASS"),
        ("tests::sleeps_and_measures", "PASS"),
        ("tests::fails_an_assertion", "FAIL"),
        ("tests::panics_in_a_thread", "FAIL"),
    ] {
        assert!(
            all.lines().any(|l| l.contains(verdict) && l.trim_end().ends_with(name)),
            "{name} should be {verdict}: {all}"
        );
    }
    assert!(all.contains("deliberately wrong"), "the failure's message: {all}");
    assert!(all.contains("thread gives up"), "the thread panic's message: {all}");
    assert!(all.contains("4 tests run: 2 passed, 2 failed, 1 skipped"), "{all}");

    let junit = [dir.path().join("target"), target_dir]
        .iter()
        .find_map(|t| std::fs::read_to_string(t.join("nextest/default/junit.xml")).ok())
        .unwrap_or_else(|| panic!("no JUnit file\n{all}"));
    assert!(junit.contains(r#"tests="4""#), "{junit}");
    assert!(junit.contains(r#"failures="2""#), "{junit}");
    for name in ["tests::adds", "tests::sleeps_and_measures", "tests::fails_an_assertion"] {
        assert!(junit.contains(&format!(r#"name="{name}""#)), "{name} in {junit}");
    }
}
