//! The README's "your own crate elsewhere", end to end: a crate OUTSIDE the repository, with
//! its own `rust-toolchain.toml` (`channel = "wasix"`), the plain runner line
//! `runner = ["wasix-harness", "run", "--"]` (the harness found on PATH, as after
//! `scripts/install`), and wasix-panic-exit as a path dependency. It builds, runs (a thread
//! panic exits 101), `cargo test`s and `cargo nextest run`s for wasm32-wasmer-wasi.
//!
//! Binary-only: cargo and the harness binary. `WASIX_TEST_TOOLCHAIN` names another rustup
//! toolchain to write into the crate's `rust-toolchain.toml` instead of `wasix`.

use std::path::Path;
use std::process::Command;

mod common;
use common::{repo, text, toolchain};

fn outside_crate() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("wasix-outside-").tempdir().unwrap();
    let root = dir.path();
    assert!(!root.starts_with(repo()), "the crate must live outside the repository");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    let crate_path = repo().display().to_string();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"outside\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nwasix-panic-exit = {{ path = {crate_path:?} }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("rust-toolchain.toml"),
        format!("[toolchain]\nchannel = {:?}\n", toolchain()),
    )
    .unwrap();
    // The README's line, word for word.
    std::fs::write(
        root.join(".cargo/config.toml"),
        "[target.wasm32-wasmer-wasi]\nrunner = [\"wasix-harness\", \"run\", \"--\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/main.rs"),
        "fn main() {\n    wasix_panic_exit::install();\n    println!(\"outside runs\");\n    \
         std::thread::spawn(|| panic!(\"dead lock?\")).join().unwrap();\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "pub fn double(x: u32) -> u32 {\n    x * 2\n}\n\n#[cfg(test)]\nmod tests {\n    \
         #[test]\n    fn doubles() {\n        assert_eq!(super::double(21), 42);\n    }\n\n    \
         #[test]\n    fn measures_time() {\n        let start = std::time::Instant::now();\n        \
         std::thread::sleep(std::time::Duration::from_millis(5));\n        \
         assert!(start.elapsed().as_millis() >= 5);\n    }\n}\n",
    )
    .unwrap();
    dir
}

/// cargo as a user types it in the crate's directory: nothing from the `cargo test` running
/// this file, the harness binary's directory first on PATH.
fn cargo(dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if (key.starts_with("CARGO") && key != "CARGO_HOME")
            || key.starts_with("RUSTUP_TOOLCHAIN")
            || key.starts_with("RUSTC")
            || key.starts_with("RUSTDOC")
            || key == "RUSTFLAGS"
            || key == "RUST_BACKTRACE"
            || key.starts_with("WASIX_")
        {
            cmd.env_remove(key);
        }
    }
    let harness_dir = Path::new(env!("CARGO_BIN_EXE_wasix-harness")).parent().unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![harness_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    cmd.current_dir(dir)
        .env("PATH", std::env::join_paths(dirs).unwrap())
        // Shared with the other tests' temp crates, so std is built once per profile.
        .env("CARGO_TARGET_DIR", repo().join("target").join("harness-test-guests"))
        .env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"));
    cmd
}

#[test]
fn a_crate_outside_the_repository_builds_runs_and_tests() {
    let dir = outside_crate();

    let build = cargo(dir.path())
        .args(["build", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    assert!(build.status.success(), "cargo build: {}", text(&build));

    let run = cargo(dir.path())
        .args(["run", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let all = text(&run);
    assert_eq!(run.status.code(), Some(101), "cargo run: {all}");
    assert!(all.contains("outside runs"), "{all}");
    assert!(all.contains("thread '<unnamed>' ("), "std's message: {all}");
    assert!(all.contains("panicked at src/main.rs:4:"), "{all}");
    assert!(all.contains("dead lock?"), "{all}");

    let test = cargo(dir.path())
        .args(["test", "--release", "--lib", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let all = text(&test);
    assert!(test.status.success(), "cargo test: {all}");
    assert!(all.contains("test tests::doubles ... ok"), "{all}");
    assert!(all.contains("test tests::measures_time ... ok"), "{all}");
    assert!(all.contains("2 passed; 0 failed"), "{all}");
}

#[test]
fn a_crate_outside_the_repository_runs_under_nextest() {
    if Command::new("cargo-nextest").arg("--version").output().is_err() {
        panic!(
            "cargo-nextest is not installed (scripts/test installs it: cargo install cargo-nextest --locked)"
        );
    }
    let dir = outside_crate();
    let out = cargo(dir.path())
        .args(["nextest", "run", "--release", "--lib", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let all = text(&out);
    assert!(out.status.success(), "cargo nextest run: {all}");
    assert!(all.contains("2 tests run: 2 passed"), "{all}");
}
