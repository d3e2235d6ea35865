//! `cargo test --target wasm32-wasmer-wasi` works whatever the crate's profiles say about
//! panics: `panic = "abort"` in dev and release, `panic = "unwind"`, or nothing. (With
//! `panic = "abort"`, `-Zbuild-std` used to build std twice and fail in cfg-if with
//! `error[E0152]: duplicate lang item in crate core: sized`; the toolchain's cargo now gives
//! every profile the target's own strategy.)
//!
//! Binary-only: temp crates, the `wasix` toolchain's cargo and the harness binary as the cargo
//! runner, checked by what cargo prints and returns. `WASIX_TEST_TOOLCHAIN` names another rustup
//! toolchain to test instead of `wasix`.

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
    fn fails_an_assertion() {
        assert_eq!(super::add(2, 2), 5, "deliberately wrong");
    }

    #[test]
    #[ignore]
    fn ignored() {}
}
"#;

/// A crate in a temp dir with `profiles` appended to its Cargo.toml, the crate as a
/// dependency and the harness binary as the runner.
fn temp_crate(name: &str, profiles: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(&format!("wasix-{name}-")).tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    let crate_path = repo().display().to_string();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nwasix-panic-exit = {{ path = {crate_path:?} }}\n\n{profiles}\n\
             [workspace]\n"
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
    dir
}

/// `cargo` of the toolchain under test, with nothing inherited from the `cargo test` that runs
/// this file (its toolchain, flags, target directory).
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
    cmd.current_dir(dir)
        .env("RUSTUP_TOOLCHAIN", toolchain())
        // Shared by every temp crate of these tests, so std is built once per profile.
        .env("CARGO_TARGET_DIR", repo().join("target").join("harness-test-guests"))
        .env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"));
    cmd
}

/// `cargo test [--release] --target wasm32-wasmer-wasi` runs all three tests, each in its own
/// instance: one passes, one fails (so cargo fails), one is ignored.
fn check_cargo_test(name: &str, profiles: &str) {
    let dir = temp_crate(name, profiles);
    for release in [false, true] {
        let mut cmd = cargo(dir.path());
        cmd.args(["test", "--target", "wasm32-wasmer-wasi"]);
        if release {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("cargo runs");
        let all = text(&out);
        let what = format!("{name}, release={release}:\n{all}");
        assert!(!all.contains("error[E"), "a compile error: {what}");
        assert!(all.contains("test tests::adds ... ok"), "{what}");
        assert!(all.contains("test tests::fails_an_assertion ... FAILED"), "{what}");
        assert!(all.contains("deliberately wrong"), "the failing test's message: {what}");
        assert!(all.contains("1 passed; 1 failed; 1 ignored"), "{what}");
        assert_eq!(out.status.code(), Some(101), "cargo test fails as libtest does: {what}");
    }
}

#[test]
fn cargo_test_with_panic_abort_in_dev_and_release() {
    check_cargo_test(
        "profile-abort",
        "[profile.dev]\npanic = \"abort\"\n\n[profile.release]\npanic = \"abort\"\n",
    );
}

#[test]
fn cargo_test_with_panic_unwind_in_dev_and_release() {
    check_cargo_test(
        "profile-unwind",
        "[profile.dev]\npanic = \"unwind\"\n\n[profile.release]\npanic = \"unwind\"\n",
    );
}

#[test]
fn cargo_test_without_a_panic_setting() {
    check_cargo_test("profile-none", "");
}

#[test]
fn a_binary_with_panic_abort_still_exits_101_on_a_thread_panic() {
    let dir = temp_crate("profile-abort-bin", "[profile.release]\npanic = \"abort\"\n");
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() {\n    wasix_panic_exit::install();\n    \
         std::thread::spawn(|| panic!(\"dead lock?\")).join().unwrap();\n}\n",
    )
    .unwrap();
    let out = cargo(dir.path())
        .args(["run", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(101), "{all}");
    assert!(all.contains("panicked at src/main.rs:3:"), "{all}");
    assert!(all.contains("dead lock?"), "{all}");
}
