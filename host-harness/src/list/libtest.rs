//! libtest binaries, one test per instance.
//!
//! With `panic = "abort"` (the only strategy on WASIX) the first failing test ends the whole
//! test binary, hiding every later result. Like cargo-nextest does natively, the harness lists
//! the tests (`--list --format terse`) and runs each in its own instance (`--exact NAME`), so
//! a panicking test is one failure among complete results.
//!
//! `#[should_panic]` tests cannot run in a binary that cannot unwind: libtest on wasm targets
//! marks them ignored itself (it cannot catch a panic there and has no subprocess to run them
//! in), even with `--include-ignored`. The harness finds them (listing with and without
//! `--exclude-should-panic`) and names them as not run, instead of hiding them among the
//! ignored. A binary built to unwind (the toolchain's `WASIX_TOOLCHAIN_PANIC=unwind`, whose
//! patched libtest runs them under `catch_unwind`; the module catches wasm exceptions) runs
//! them like any test, and libtest judges them.

use std::collections::BTreeSet;
use std::path::Path;

use crate::errors::HarnessError;
use crate::outcome::Outcome;
use crate::sandbox::{self, RunInput, RunPolicy};

/// Whether the module is a libtest binary: its `name` section names libtest's entry point
/// `test::test_main_static` (what `cargo test`'s generated `main` calls). Strings in a
/// module's data prove nothing (any program can print libtest's option names); a function's
/// name is structural. The file is walked section by section, reading only the headers and
/// the `name` section, so a huge or endless file costs nothing.
pub fn is_libtest(module: &Path) -> bool {
    name_section(module).is_some_and(|names| names_function(&names, "test_main_static"))
}

/// The content of the module's `name` custom section, read with bounds.
fn name_section(module: &Path) -> Option<Vec<u8>> {
    use std::io::{BufReader, Read, Seek, SeekFrom};
    /// A name section far bigger than this is not one a compiler wrote.
    const MAX_NAMES: u64 = 64 << 20;
    let (file, len) = crate::input::open_regular(module, crate::input::MAX_MODULE).ok()?;
    let mut file = BufReader::new(file);
    let mut header = [0u8; 8];
    file.read_exact(&mut header).ok()?;
    if &header != b"\0asm\x01\0\0\0" {
        return None;
    }
    fn leb(file: &mut impl Read) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..5 {
            let mut byte = [0u8; 1];
            file.read_exact(&mut byte).ok()?;
            value |= u64::from(byte[0] & 0x7f) << (7 * i);
            if byte[0] & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let mut pos = 8u64;
    while pos < len {
        let mut id = [0u8; 1];
        file.read_exact(&mut id).ok()?;
        let size = leb(&mut file)?;
        let start = file.stream_position().ok()?;
        let end = start.checked_add(size).filter(|e| *e <= len)?;
        if id[0] == 0 && leb(&mut file)? == 4 {
            let mut name = [0u8; 4];
            file.read_exact(&mut name).ok()?;
            let here = file.stream_position().ok()?;
            if &name == b"name" && end.checked_sub(here)? <= MAX_NAMES {
                let mut content = vec![0u8; (end - here) as usize];
                file.read_exact(&mut content).ok()?;
                return Some(content);
            }
        }
        file.seek(SeekFrom::Start(end)).ok()?;
        pos = end;
    }
    None
}

/// Whether a function name in a `name` section's content contains `needle`.
fn names_function(content: &[u8], needle: &str) -> bool {
    let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(content, 0));
    reader.into_iter().filter_map(Result::ok).any(|name| match name {
        wasmparser::Name::Function(map) => {
            map.into_iter().filter_map(Result::ok).any(|naming| naming.name.contains(needle))
        }
        _ => false,
    })
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
                // Output and scheduling options with a separate value (`--opt VALUE`): ours to
                // decide, and their value must not be taken for a name filter. These are all
                // of libtest 1.96's options that take one (`--opt=VALUE` is one argument).
                "--test-threads" | "--format" | "--color" | "--logfile" | "-Z"
                | "--shuffle-seed" => {
                    iter.next();
                }
                a if a.starts_with('-') => {}
                _ => parsed.selection.push(arg.clone()),
            }
        }
        parsed
    }
}

/// Lists the tests that `args` select, with their ignored and should_panic marks, by running
/// the binary as the policy runs everything (on its listing runtime).
pub fn list(
    module: &Path,
    args: &LibtestArgs,
    policy: &RunPolicy,
) -> Result<Vec<ListedTest>, HarnessError> {
    let runtime = policy.listing_runtime();
    let names = |extra: &[&str]| -> Result<Vec<String>, HarnessError> {
        let mut list_args = vec!["--list".to_string(), "--format".into(), "terse".into()];
        list_args.extend(extra.iter().map(|s| s.to_string()));
        list_args.extend(args.selection.iter().cloned());
        let input = RunInput {
            args: list_args,
            // libtest accepts -Z flags (for --exclude-should-panic) only with this set.
            env: vec![("RUSTC_BOOTSTRAP".into(), "1".into())],
            ..RunInput::default()
        };
        let report = sandbox::run(&policy.invocation(module, input), runtime)?;
        if let Outcome::CannotLoad { runtime, reason, .. } = report.outcome {
            // The runtime's own one line (status 69), not a failed listing.
            return Err(HarnessError::NotRunnable {
                path: module.display().to_string(),
                runtime,
                reason,
            });
        }
        if report.outcome != (Outcome::Exited { code: 0 }) {
            return Err(HarnessError::NotRunnable {
                path: module.display().to_string(),
                runtime: runtime.describe(),
                reason: format!(
                    "listing its tests failed ({}){}",
                    report.outcome.explanation().unwrap_or_else(|| report.outcome.to_string()),
                    match crate::text::one_line(&report.stderr.text()) {
                        stderr if stderr.is_empty() => String::new(),
                        stderr => format!(": {stderr}"),
                    }
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
    fn an_option_value_is_not_a_name_filter() {
        let parsed =
            LibtestArgs::parse(&strings(&["--shuffle-seed", "42", "adds", "--color", "never"]));
        assert_eq!(parsed.selection, strings(&["adds"]));
    }

    #[test]
    fn libtest_is_recognised_by_structure_not_by_strings() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, wat::parse_str(text).unwrap()).unwrap();
            path
        };
        // libtest's option strings in data: what used to pass for a libtest binary.
        let pretender = write(
            "pretender.wasm",
            r#"(module (memory 1) (data (i32.const 0) "RUST_TEST_THREADS exclude-should-panic"))"#,
        );
        assert!(!is_libtest(&pretender));
        let real = write(
            "real.wasm",
            r#"(module (func $_ZN4test16test_main_static17h0123456789abcdefE) (memory 1))"#,
        );
        assert!(is_libtest(&real));
        assert!(!is_libtest(Path::new("/dev/zero")));
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
