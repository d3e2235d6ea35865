//! libtest binaries, one test per instance.
//!
//! With `panic = "abort"` (the only strategy on WASIX) the first failing test ends the whole
//! test binary, hiding every later result. Like cargo-nextest does natively, the harness lists
//! the tests (`--list --format terse`) and runs each in its own instance (`--exact NAME`), so
//! a panicking test is one failure among complete results.
//!
//! `#[should_panic]` tests cannot run: libtest on wasm targets marks them ignored itself (it
//! cannot catch a panic there and has no subprocess to run them in), even with
//! `--include-ignored`. The harness finds them (listing with and without
//! `--exclude-should-panic`) and names them as not run, instead of hiding them among the
//! ignored.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::errors::HarnessError;
use crate::outcome::Outcome;
use crate::sandbox::engine::DEFAULT_MEMORY_LIMIT;
use crate::sandbox::watchdog::{self, DEFAULT_CAPTURE_LIMIT};
use crate::sandbox::{GuestRun, Invocation, Output, RunSpec, Runtime, Stdin};

/// Whether the module is a libtest test binary (it carries libtest's option strings).
pub fn is_libtest(module: &Path) -> bool {
    let Ok(bytes) = std::fs::read(module) else { return false };
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    has(b"RUST_TEST_THREADS") && has(b"exclude-should-panic")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedTest {
    pub name: String,
    pub ignored: bool,
    pub should_panic: bool,
}

/// libtest's arguments split into what selects tests (kept for listing) and what only shapes
/// output (dropped: the harness runs each test itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibtestArgs {
    pub selection: Vec<String>,
    /// `--ignored`: run only ignored tests; `--include-ignored`: run them too.
    pub run_ignored: RunIgnored,
    /// The caller asked for something the harness does not take over (`--list`, `--bench`,
    /// `--help`): pass the arguments to the binary unchanged.
    pub pass_through: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunIgnored {
    #[default]
    No,
    Only,
    Also,
}

impl LibtestArgs {
    pub fn parse(args: &[String]) -> Self {
        let mut parsed = LibtestArgs::default();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--list" | "--bench" | "--help" | "-h" => parsed.pass_through = true,
                "--ignored" => parsed.run_ignored = RunIgnored::Only,
                "--include-ignored" => parsed.run_ignored = RunIgnored::Also,
                "--exact" => parsed.selection.push(arg.clone()),
                "--skip" => {
                    parsed.selection.push(arg.clone());
                    if let Some(value) = iter.next() {
                        parsed.selection.push(value.clone());
                    }
                }
                // Output and scheduling options, with their values: ours to decide.
                "--test-threads" | "--format" | "--color" | "--logfile" | "-Z"
                | "--report-time" => {
                    if !arg.contains('=') && !matches!(arg.as_str(), "--report-time") {
                        iter.next();
                    }
                }
                a if a.starts_with('-') => {}
                _ => parsed.selection.push(arg.clone()),
            }
        }
        parsed
    }
}

/// Lists the tests that `args` select, with their ignored and should_panic marks.
pub fn list(
    module: &Path,
    args: &LibtestArgs,
    runtime: Runtime,
    timeout: Duration,
    cache: Option<&Path>,
) -> Result<Vec<ListedTest>, HarnessError> {
    let names = |extra: &[&str]| -> Result<Vec<String>, HarnessError> {
        let mut list_args = vec!["--list".to_string(), "--format".into(), "terse".into()];
        list_args.extend(extra.iter().map(|s| s.to_string()));
        list_args.extend(args.selection.iter().cloned());
        let report = run_module(module, list_args, runtime, timeout, cache)?;
        if report.outcome != (Outcome::Exited { code: 0 }) {
            return Err(HarnessError::NotRunnable {
                path: module.display().to_string(),
                runtime: runtime.describe(),
                reason: format!(
                    "listing its tests failed ({}): {}",
                    report.outcome,
                    crate::text::one_line(&report.stderr.text())
                ),
            });
        }
        Ok(report
            .stdout
            .text()
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_string)
            .collect())
    };
    let all = names(&[])?;
    let ignored: BTreeSet<String> = names(&["--ignored"])?.into_iter().collect();
    let plain: BTreeSet<String> =
        names(&["-Zunstable-options", "--exclude-should-panic"])?.into_iter().collect();
    Ok(all
        .into_iter()
        // `--ignored` selects the ignored tests only; listing shows them all.
        .filter(|name| args.run_ignored != RunIgnored::Only || ignored.contains(name))
        .map(|name| ListedTest {
            ignored: ignored.contains(&name),
            should_panic: !plain.contains(&name),
            name,
        })
        .collect())
}

/// The arguments that run exactly one test, with its output on the real streams.
pub fn single_test_args(test: &ListedTest) -> Vec<String> {
    let mut args = vec![
        "--exact".to_string(),
        test.name.clone(),
        "--nocapture".into(),
        "--test-threads".into(),
        "1".into(),
    ];
    if test.ignored {
        args.push("--include-ignored".into());
    }
    args
}

fn run_module(
    module: &Path,
    args: Vec<String>,
    runtime: Runtime,
    timeout: Duration,
    cache: Option<&Path>,
) -> Result<GuestRun, HarnessError> {
    watchdog::run(&Invocation {
        spec: RunSpec {
            module: module.to_path_buf(),
            args,
            // libtest accepts -Z flags (for --exclude-should-panic) only with this set.
            env: vec![("RUSTC_BOOTSTRAP".into(), "1".into())],
            dirs: Vec::new(),
            cache: cache.map(Path::to_path_buf),
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
        },
        runtime,
        timeout,
        stdin: Stdin::Null,
        output: Output::Capture { limit: DEFAULT_CAPTURE_LIMIT },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keeps_selection_and_drops_output_options() {
        let parsed = LibtestArgs::parse(&strings(&[
            "adds",
            "--exact",
            "--skip",
            "slow",
            "--nocapture",
            "--test-threads",
            "4",
            "--format=json",
            "-q",
        ]));
        assert_eq!(parsed.selection, strings(&["adds", "--exact", "--skip", "slow"]));
        assert_eq!(parsed.run_ignored, RunIgnored::No);
        assert!(!parsed.pass_through);
    }

    #[test]
    fn notices_ignored_modes_and_pass_through() {
        assert_eq!(LibtestArgs::parse(&strings(&["--ignored"])).run_ignored, RunIgnored::Only);
        assert_eq!(
            LibtestArgs::parse(&strings(&["--include-ignored"])).run_ignored,
            RunIgnored::Also
        );
        assert!(LibtestArgs::parse(&strings(&["--list"])).pass_through);
    }

    #[test]
    fn a_single_test_runs_exactly_and_uncaptured() {
        let t = ListedTest { name: "a::b".into(), ignored: true, should_panic: false };
        assert_eq!(
            single_test_args(&t),
            strings(&[
                "--exact",
                "a::b",
                "--nocapture",
                "--test-threads",
                "1",
                "--include-ignored"
            ])
        );
    }
}
