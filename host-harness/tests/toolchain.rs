//! The toolchain as users meet it: a new crate dropped into guest-tests/ builds with exactly
//! `cargo build --release --target wasm32-wasmer-wasi`, and its module runs under the harness.

mod common;

use std::process::Command;

use common::*;

#[test]
fn a_new_crate_in_guest_tests_builds_with_the_plain_cargo_command() {
    let dir = repo().join("guest-tests").join(format!("tmp-new-crate-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    std::fs::create_dir_all(dir.join("src")).unwrap();
    // No [workspace] of its own: the repository root must not claim it.
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"brand-new\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nwasix-panic-exit = { path = \"../..\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    wasix_panic_exit::install();\n    \
         std::thread::spawn(|| panic!(\"dead lock?\")).join().unwrap();\n}\n",
    )
    .unwrap();

    let mut cargo = Command::new("cargo");
    wasix_harness::list::scrub_env(&mut cargo);
    let out = cargo
        .current_dir(&dir)
        .args(["build", "--release", "--target", "wasm32-wasmer-wasi"])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build failed:\n{}", stderr(&out));

    let module = dir.join("target/wasm32-wasmer-wasi/release/brand-new.wasm");
    assert!(module.is_file(), "no module at {}", module.display());
    let run = run_harness(&["run", module.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(101), "{}", stderr(&run));
    assert!(stderr(&run).contains("dead lock?"), "{}", stderr(&run));
}

struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
