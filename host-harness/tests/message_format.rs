//! The crate prints std's panic message exactly: for the same program built with the same
//! toolchain (Debian's rustc 1.96 behind the `wasix` toolchain),
//! * on WASIX, the crate's message is byte for byte what std's own default hook prints there
//!   (the crate compiled as a no-op, `WASIX_PANIC_EXIT_BARE=1`), for every `RUST_BACKTRACE`;
//! * it matches the native build's first message (`thread 'NAME' (ID) panicked at ...`, the
//!   payload, the `note:` line), thread ids aside (native prints the OS thread id; WASI has
//!   none, so std prints its own thread id number).
//!
//! Binary-only: cargo and the harness binary. `WASIX_TEST_TOOLCHAIN` names another rustup
//! toolchain to test instead of `wasix`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{repo, toolchain};

const MAIN: &str = r#"fn main() {
    wasix_panic_exit::install();
    match std::env::args().nth(1).unwrap_or_default().as_str() {
        "main" => panic!("in main {}", 1),
        "any" => std::thread::spawn(|| std::panic::panic_any(5u32)).join().unwrap(),
        "long" => std::thread::spawn(|| panic!("{}", "x".repeat(600))).join().unwrap(),
        _ => std::thread::Builder::new()
            .name("worker-7".into())
            .spawn(|| panic!("named {}", 7))
            .unwrap()
            .join()
            .unwrap(),
    }
}
"#;

fn scrubbed(program: &str) -> Command {
    let mut cmd = Command::new(program);
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
    cmd
}

/// Builds the program: natively, or for WASIX with the crate (`bare` = false) or without.
fn build(dir: &Path, wasix: bool, bare: bool) -> PathBuf {
    let variant = match (wasix, bare) {
        (false, _) => "native",
        (true, false) => "wasix",
        (true, true) => "bare",
    };
    // The WASIX build shares the other tests' target directory (std is built once); a bare
    // build must not share it (the toolchain compiles the crate differently).
    let target_dir = match variant {
        "wasix" => repo().join("target").join("harness-test-guests"),
        other => repo().join("target").join(format!("harness-test-guests-{other}")),
    };
    let mut cmd = scrubbed("cargo");
    cmd.current_dir(dir)
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["build", "--release"]);
    if wasix {
        cmd.args(["--target", "wasm32-wasmer-wasi"]);
    }
    if bare {
        cmd.env("WASIX_PANIC_EXIT_BARE", "1");
    }
    let out = cmd.output().expect("cargo runs");
    assert!(out.status.success(), "{variant} build: {}", String::from_utf8_lossy(&out.stderr));
    if wasix {
        target_dir.join("wasm32-wasmer-wasi/release/message-format.wasm")
    } else {
        target_dir.join("release/message-format")
    }
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run_wasix(module: &Path, case: &str, backtrace: Option<&str>) -> String {
    let mut cmd = scrubbed(env!("CARGO_BIN_EXE_wasix-harness"));
    cmd.env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache")).arg("run");
    if let Some(value) = backtrace {
        cmd.args(["--env", &format!("RUST_BACKTRACE={value}")]);
    }
    cmd.arg(module).args(["--", case]);
    let text = stderr_of(&cmd.output().expect("the harness runs"));
    // The harness's own line about how the guest ended (bare builds trap) is not the guest's.
    text.lines().filter(|l| !l.starts_with("wasix-harness:")).map(|l| format!("{l}\n")).collect()
}

fn run_native(binary: &Path, case: &str, backtrace: Option<&str>) -> String {
    let mut cmd = scrubbed(binary.to_str().unwrap());
    if let Some(value) = backtrace {
        cmd.env("RUST_BACKTRACE", value);
    }
    stderr_of(&cmd.arg(case).output().expect("the native build runs"))
}

/// `(ID)` for the number in `thread 'NAME' (N) panicked`.
fn without_thread_ids(text: &str) -> String {
    text.lines()
        .map(|line| match (line.find("' ("), line.find(") panicked at ")) {
            (Some(open), Some(close)) if open < close => {
                format!("{}' (ID{}\n", &line[..open], &line[close..])
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn the_crate_prints_std_s_message_byte_for_byte() {
    let dir = tempfile::Builder::new().prefix("wasix-message-format-").tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let crate_path = repo().display().to_string();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"message-format\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nwasix-panic-exit = {{ path = {crate_path:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();
    let with_crate = build(dir.path(), true, false);
    let std_alone = build(dir.path(), true, true);
    let native = build(dir.path(), false, false);

    for case in ["named", "main", "any", "long"] {
        for backtrace in [None, Some("0"), Some("1"), Some("full")] {
            let what = format!("case {case}, RUST_BACKTRACE={backtrace:?}");
            let crate_text = run_wasix(&with_crate, case, backtrace);
            let std_text = run_wasix(&std_alone, case, backtrace);
            assert!(crate_text.contains(" panicked at src/main.rs:"), "{what}: {crate_text:?}");
            assert_eq!(crate_text, std_text, "{what}: the crate's message vs std's on WASIX");

            // Natively the first message is followed by frames (RUST_BACKTRACE) and by the
            // re-panic of `join().unwrap()` in main; the WASIX process has ended by then.
            let native_text = without_thread_ids(&run_native(&native, case, backtrace));
            let first: String = without_thread_ids(&crate_text)
                .lines()
                .take_while(|l| !l.starts_with("stack backtrace:"))
                .map(|l| format!("{l}\n"))
                .collect();
            assert!(native_text.starts_with(&first), "{what}: native {native_text:?} vs {first:?}");
        }
    }
}
