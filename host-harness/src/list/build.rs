//! Building guest crates with cargo, four ways, and finding their binaries.
//!
//! * **wasix**: `cargo build --release --target wasm32-wasmer-wasi` with the `wasix` toolchain
//!   (the crate's hook and the runtime shim are in);
//! * **foreign**: the same with `WASIX_TOOLCHAIN_SHIM=0`, which makes the toolchain link no
//!   shim of its own, as wasmer's own toolchain would: the crate's copy of the shim is used;
//! * **bare**: the same, with `WASIX_PANIC_EXIT_BARE=1`, which makes the toolchain leave the
//!   runtime shim out and compile `wasix-panic-exit` as a no-op: what the runtime does alone;
//! * **unwind** (`test --unwind`): the same as wasix with the toolchain's unwinding variant,
//!   `WASIX_TOOLCHAIN_PANIC=unwind` and `WASIX_TOOLCHAIN_EH` set to the wasm exception
//!   encoding of the runtime it is for (one build per encoding the runtimes need);
//! * **native**: `cargo build --release` for the host, the reference behaviour.
//!
//! Each variant has its own target directory under the repository's `target/guests/`, shared
//! by all crates, so std is compiled once per variant rather than once per crate.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::errors::HarnessError;
use crate::sandbox::Encoding;

pub const WASIX_TARGET: &str = "wasm32-wasmer-wasi";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Wasix,
    Foreign,
    Bare,
    Native,
    /// The toolchain's unwinding variant, in one wasm exception encoding.
    Unwind(Encoding),
}

impl Variant {
    /// Its name in tables and reports; the unwinding builds of every encoding share one
    /// (`unwind`): each runtime runs the one it takes, so they make one column.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Wasix => "wasix",
            Variant::Foreign => "foreign",
            Variant::Bare => "bare",
            Variant::Native => "native",
            Variant::Unwind(_) => "unwind",
        }
    }

    /// Its own name: its target directory, and what a failed build says.
    pub fn dir_name(self) -> &'static str {
        match self {
            Variant::Unwind(Encoding::Exnref) => "unwind-exnref",
            Variant::Unwind(Encoding::Legacy) => "unwind-legacy",
            other => other.label(),
        }
    }
}

/// One binary target of a guest crate, as cargo built it.
#[derive(Clone, Debug)]
pub struct Binary {
    pub name: String,
    /// The binary's main source file; its expectations sit beside it.
    pub src_path: PathBuf,
    pub executable: PathBuf,
}

#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Root of the shared target directories (`<repo>/target/guests`).
    pub target_root: PathBuf,
    /// The rustup toolchain for WASIX builds.
    pub toolchain: String,
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    target: Option<CargoTarget>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

/// Which of a crate's targets to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Its binaries (`cargo build --bins`): the scenarios.
    Bins,
    /// Its libtest binaries (`cargo test --no-run`) for the library and `tests/*.rs`.
    Tests,
}

/// The test targets worth building: a crate without a library or `tests/` has none (its
/// binaries' unit-test harnesses are left out on purpose: scenarios seldom have tests).
fn test_target_args(dir: &Path) -> Vec<&'static str> {
    let mut args = Vec::new();
    if dir.join("src/lib.rs").is_file() {
        args.push("--lib");
    }
    if dir.join("tests").is_dir() {
        args.extend(["--test", "*"]);
    }
    args
}

/// Builds the crate's `targets` at `dir` as `variant` and lists the executables.
pub fn build(
    dir: &Path,
    variant: Variant,
    opts: &BuildOptions,
) -> Result<Vec<Binary>, HarnessError> {
    build_targets(dir, variant, Targets::Bins, opts)
}

pub fn build_targets(
    dir: &Path,
    variant: Variant,
    targets: Targets,
    opts: &BuildOptions,
) -> Result<Vec<Binary>, HarnessError> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(dir);
    scrub_env(&mut cmd);
    cmd.env("CARGO_TARGET_DIR", opts.target_root.join(variant.dir_name()));
    match targets {
        Targets::Bins => cmd.args(["build", "--release", "--bins"]),
        Targets::Tests => {
            let which = test_target_args(dir);
            if which.is_empty() {
                return Ok(Vec::new());
            }
            cmd.args(["test", "--no-run", "--release"]).args(which)
        }
    };
    cmd.args(["--message-format", "json-render-diagnostics"]);
    match variant {
        Variant::Native => {}
        wasix => {
            cmd.env("RUSTUP_TOOLCHAIN", &opts.toolchain).args(["--target", WASIX_TARGET]);
            match wasix {
                Variant::Bare => cmd.env("WASIX_PANIC_EXIT_BARE", "1"),
                Variant::Foreign => cmd.env("WASIX_TOOLCHAIN_SHIM", "0"),
                Variant::Unwind(encoding) => cmd
                    .env("WASIX_TOOLCHAIN_PANIC", "unwind")
                    .env("WASIX_TOOLCHAIN_EH", encoding.name()),
                _ => &mut cmd,
            };
        }
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let failed = |reason: String| HarnessError::BuildFailed {
        path: format!("{} ({})", dir.display(), variant.dir_name()),
        reason,
    };
    let output = cmd.output().map_err(|e| failed(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first_error = stderr
            .lines()
            .find(|l| l.trim_start().starts_with("error"))
            .unwrap_or_else(|| stderr.lines().last().unwrap_or("cargo failed"));
        return Err(failed(crate::text::one_line(first_error)));
    }
    let mut binaries = Vec::new();
    for line in output.stdout.split(|&b| b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<CargoMessage>(line) else { continue };
        if msg.reason != "compiler-artifact" {
            continue;
        }
        let (Some(executable), Some(target)) = (msg.executable, msg.target) else { continue };
        let wanted = match targets {
            Targets::Bins => target.kind.iter().any(|k| k == "bin"),
            Targets::Tests => true,
        };
        if wanted {
            binaries.push(Binary { name: target.name, src_path: target.src_path, executable });
        }
    }
    binaries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(binaries)
}

/// Cargo and rustup tell child processes which toolchain, flags and target directory they
/// run under; a guest build must not inherit the harness's own (e.g. under `cargo test`),
/// nor the toolchain's switches from the caller's shell (`WASIX_TOOLCHAIN_STD`, `_PANIC`,
/// `_EH`: guests are built with the toolchain's defaults, the WASIX std and abort, and the
/// unwind variant sets its own; `--toolchain` names another toolchain).
pub fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let inherited_build_setting = key.starts_with("CARGO_")
            && key != "CARGO_HOME"
            && key != "CARGO_NET_OFFLINE"
            && key != "CARGO_REGISTRIES_CRATES_IO_PROTOCOL";
        if inherited_build_setting
            || key.starts_with("__CARGO")
            || matches!(
                key,
                "CARGO"
                    | "RUSTUP_TOOLCHAIN"
                    | "RUSTC"
                    | "RUSTDOC"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "RUSTFLAGS"
                    | "RUSTDOCFLAGS"
                    | "RUSTC_BOOTSTRAP"
                    | "RUST_RECURSION_COUNT"
                    | "WASIX_PANIC_EXIT_BARE"
                    | "WASIX_TOOLCHAIN_SHIM"
                    | "WASIX_TOOLCHAIN_STD"
                    | "WASIX_TOOLCHAIN_PANIC"
                    | "WASIX_TOOLCHAIN_EH"
            )
        {
            cmd.env_remove(key);
        }
    }
}

/// Whether `dir` is a cargo package (not just a virtual workspace).
pub fn is_crate(dir: &Path) -> bool {
    crate::input::read_regular_text(&dir.join("Cargo.toml"), crate::input::MAX_CONFIG)
        .map(|text| text.lines().any(|l| l.trim() == "[package]"))
        .unwrap_or(false)
}
