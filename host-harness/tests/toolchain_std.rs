//! The std the toolchain builds: `-Zbuild-std` compiles the toolchain's own copy of std's
//! sources (scripts/provision: Debian's, with toolchain/std-patches/ applied), one tree per
//! variant, `WASIX_TOOLCHAIN_STD` selects it, and `rustc -vV` names it, so that cargo never
//! mixes two variants' artifacts.
//!
//! Binary-only: cargo, rustc and the harness binary. `WASIX_TEST_TOOLCHAIN` names another
//! rustup toolchain to test instead of `wasix`.

use std::path::Path;
use std::process::Command;

mod common;
use common::{repo, text, toolchain};

/// cargo or rustc of the toolchain under test, with nothing inherited from the `cargo test`
/// running this file, and the variant chosen explicitly (`None`: the default).
fn tool(program: &str, std_variant: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    wasix_harness::list::scrub_env(&mut cmd);
    cmd.env("RUSTUP_TOOLCHAIN", toolchain());
    cmd.env_remove("WASIX_TOOLCHAIN_STD");
    if let Some(variant) = std_variant {
        cmd.env("WASIX_TOOLCHAIN_STD", variant);
    }
    cmd
}

/// A std-only crate in a temp dir: main waits in `Mutex::lock` for a mutex that a spawned
/// thread holds until it calls `std::process::exit(9)`.
fn mutex_crate() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("wasix-std-").tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"std-variant\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        r#"use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());
static HELD: AtomicBool = AtomicBool::new(false);

fn main() {
    std::thread::spawn(|| {
        let _guard = LOCK.lock().unwrap();
        HELD.store(true, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::process::exit(9);
    });
    while !HELD.load(Ordering::SeqCst) {
        std::hint::spin_loop();
    }
    let _guard = LOCK.lock(); // the holder exits first
    std::process::exit(1);
}
"#,
    )
    .unwrap();
    dir
}

/// Builds the crate in `dir` with the given std variant; returns cargo's JSON messages and the
/// module's path.
fn build(dir: &Path, std_variant: Option<&str>) -> (String, std::path::PathBuf) {
    // One target directory per variant: the module's path is the same in each.
    let target_dir =
        repo().join("target").join("toolchain-std-test").join(std_variant.unwrap_or("default"));
    let out = tool("cargo", std_variant)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["build", "--release", "--target", "wasm32-wasmer-wasi"])
        .args(["--message-format", "json"])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build ({std_variant:?}): {}", text(&out));
    let messages = String::from_utf8_lossy(&out.stdout).into_owned();
    let module = messages
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| l.split("\"executable\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .find(|path| path.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("no module in cargo's output:\n{messages}"))
        .into();
    (messages, module)
}

/// The source directory of std's `package_id` in cargo's JSON messages.
fn std_source(messages: &str) -> String {
    messages
        .lines()
        .filter_map(|l| l.split("\"package_id\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .find(|id| id.contains("/library/std#"))
        .unwrap_or_else(|| panic!("std was not built:\n{messages}"))
        .to_string()
}

#[test]
fn rustc_vv_names_the_std_variant_and_a_wrong_one_is_a_one_line_error() {
    let last_line = |variant: Option<&str>| {
        let out = tool("rustc", variant).arg("-vV").output().expect("rustc runs");
        assert!(out.status.success(), "rustc -vV: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string()
    };
    let default = last_line(None);
    assert!(
        default.starts_with("wasix-toolchain: ") && default.ends_with(" std=wasix"),
        "{default}"
    );
    assert!(last_line(Some("wasix")).ends_with(" std=wasix"));
    assert!(last_line(Some("wasip1")).ends_with(" std=wasip1"));

    let dir = mutex_crate();
    let out = tool("cargo", Some("wasip2"))
        .current_dir(dir.path())
        .args(["build", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        stderr.trim_end(),
        "wasix toolchain: WASIX_TOOLCHAIN_STD=wasip2: expected wasix (the default) or wasip1"
    );
}

#[test]
fn std_is_built_from_the_toolchains_own_tree_of_each_variant() {
    let dir = mutex_crate();
    for (variant, tree) in [(None, "wasix"), (Some("wasip1"), "wasip1")] {
        let (messages, module) = build(dir.path(), variant);
        let source = std_source(&messages);
        assert!(
            source.contains(&format!("/lib/rustlib/src/{tree}/library/std#")),
            "std of {variant:?} built from {source}"
        );
        assert!(!source.contains("file:///usr/lib/rustlib/"), "Debian's own files: {source}");
        assert!(module.is_file(), "{}", module.display());
    }
}

fn run_on(runtime: &str, module: &Path, timeout: &str) -> std::process::Output {
    common::harness()
        .args(["run", "--runtime", runtime, "--timeout", timeout])
        .arg(module)
        .output()
        .expect("the harness runs")
}

/// The point of the `wasix` std (toolchain/std-patches/wasix-futex.patch): its `Mutex` waits
/// in the WASIX `futex_wait` call, which wasmer 4.3 interrupts to run the shim's exit signal,
/// where Debian's std waits in `memory.atomic.wait32`, which it never interrupts.
#[test]
fn another_threads_exit_ends_main_waiting_in_a_mutex_on_wasmer_4_3_with_the_wasix_std_only() {
    let dir = mutex_crate();
    let (_, wasix) = build(dir.path(), None);
    let (_, wasip1) = build(dir.path(), Some("wasip1"));
    for module in [&wasix, &wasip1] {
        let out = run_on("wasmer", module, "10");
        assert_eq!(out.status.code(), Some(9), "wasmer, {}: {}", module.display(), text(&out));
    }
    let out = run_on("wasmer-4.3", &wasix, "10");
    assert_eq!(out.status.code(), Some(9), "wasmer 4.3, wasix std: {}", text(&out));
    let out = run_on("wasmer-4.3", &wasip1, "3");
    assert_eq!(out.status.code(), Some(124), "wasmer 4.3, wasip1 std: {}", text(&out));
}
