//! Shared by the integration tests: the repository's paths, the harness binary, and the
//! guest scenarios built once per test binary with the real toolchain.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use wasix_harness::list::{self as guest_build, BuildOptions, Variant};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root").to_path_buf()
}

/// Library-level runs (watchdog::run) start guests with the real harness binary.
pub fn use_harness_binary() {
    wasix_harness::sandbox::set_child_binary(env!("CARGO_BIN_EXE_wasix-harness").into());
}

pub fn harness() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasix-harness"));
    cmd.env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"));
    cmd
}

pub fn build_options() -> BuildOptions {
    BuildOptions { target_root: repo().join("target").join("guests"), toolchain: toolchain() }
}

/// The `.wasm` of scenario `name` from guest-tests/scenarios (WASIX build, with the crate).
pub fn scenario(name: &str) -> PathBuf {
    static BUILT: OnceLock<Vec<guest_build::Binary>> = OnceLock::new();
    built(&BUILT, Variant::Wasix, name)
}

/// The `.wasm` of scenario `name` built without the crate and without the runtime shim: what
/// the runtime does alone.
pub fn bare_scenario(name: &str) -> PathBuf {
    static BUILT: OnceLock<Vec<guest_build::Binary>> = OnceLock::new();
    built(&BUILT, Variant::Bare, name)
}

fn built(cell: &OnceLock<Vec<guest_build::Binary>>, variant: Variant, name: &str) -> PathBuf {
    let binaries = cell.get_or_init(|| {
        let dir = repo().join("guest-tests").join("scenarios");
        guest_build::build_crate(&dir, variant, &build_options())
            .unwrap_or_else(|e| panic!("building guest-tests/scenarios ({variant:?}) failed: {e}"))
    });
    binaries
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no scenario binary {name}"))
        .executable
        .clone()
}

/// Runs `wasix-harness ARGS` and returns its output.
pub fn run_harness(args: &[&str]) -> Output {
    harness().args(args).output().expect("the harness binary runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A module assembled from WebAssembly text, written to a temp dir that lives as long as the
/// returned guard.
pub fn wat_module(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("module.wasm");
    std::fs::write(&path, wat::parse_str(text).expect("valid wat")).expect("write module");
    (dir, path)
}

/// The rustup toolchain the tests build guests with (`WASIX_TEST_TOOLCHAIN`, else `wasix`).
pub fn toolchain() -> String {
    std::env::var("WASIX_TEST_TOOLCHAIN").unwrap_or_else(|_| "wasix".into())
}

/// A command's status and both streams, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The sandbox probe guest (`tests/fixtures/sandbox-probe`: WASI preview 1 calls only, so it
/// runs on every runtime), built once per test binary with the real toolchain.
pub fn probe_module() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = repo().join("host-harness/tests/fixtures/sandbox-probe");
            let built = guest_build::build_crate(&dir, Variant::Wasix, &build_options())
                .unwrap_or_else(|e| panic!("building the probe guest failed: {e}"));
            built.into_iter().next().expect("the probe binary").executable
        })
        .clone()
}
