//! Deciding what to run: find guest crates and modules under the given paths, build them, and
//! pair every binary with its expectations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::time::Duration;

use crate::expectation::Expectation;
use crate::guest_build::{self, BuildOptions, Targets, Variant};
use crate::libtest::{self, ListedTest, RunIgnored, TestArgs};
use crate::status::HarnessError;

/// One thing to run and judge.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique, stable name: the filter and partition key, and the report's test name.
    pub name: String,
    /// Group in reports (the crate or directory it came from).
    pub group: String,
    pub kind: CaseKind,
}

#[derive(Clone, Debug)]
pub enum CaseKind {
    /// A guest program with an expectation file, run as WASIX and compared with its native
    /// and bare builds.
    Scenario(Box<Scenario>),
    /// One test of a libtest binary, run alone in its own instance.
    Libtest(Box<LibtestCase>),
    /// A module with a wasi-testsuite JSON spec.
    Suite(Box<crate::testsuite::SuiteCase>),
}

/// Something under the given paths that yields cases.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A guest crate: its scenario binaries and its libtest binaries.
    Crate(PathBuf),
    /// A directory in the wasi-testsuite layout.
    Suite(PathBuf),
    /// One module (with an optional wasi-testsuite `NAME.json`).
    Module(PathBuf),
}

#[derive(Clone, Debug)]
pub struct LibtestCase {
    pub module: PathBuf,
    pub test: ListedTest,
    pub run_ignored: RunIgnored,
    /// The native build of the same test binary, for the verdict native `cargo test` gives.
    pub native: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub expectation: Expectation,
    /// Where relative paths in the expectation are resolved.
    pub dir: PathBuf,
    pub wasix: PathBuf,
    pub bare: Option<PathBuf>,
    pub native: Option<PathBuf>,
}

/// Which builds of a guest crate to make.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub build: BuildOptions,
    pub native: bool,
    pub bare: bool,
    /// For listing the tests of libtest binaries.
    pub list_timeout: Duration,
    pub cache: Option<PathBuf>,
    pub run_ignored: RunIgnored,
}

/// Finds what to run under `paths`: a guest crate, a wasi-testsuite directory or a `.wasm`
/// file itself, or those one or two levels below a directory (so `guest-tests/` finds
/// `guest-tests/*/`).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Source>, HarnessError> {
    let mut sources = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(HarnessError::NoInput {
                path: path.display().to_string(),
                reason: "No such file or directory".into(),
            });
        }
        if path.is_file() {
            if path.extension().is_some_and(|x| x == "wasm") {
                sources.push(Source::Module(path.clone()));
                continue;
            }
            return Err(HarnessError::BadSpec {
                path: path.display().to_string(),
                reason: "expected a guest crate, a directory of tests, or a .wasm file".into(),
            });
        }
        collect_sources(path, 2, &mut sources);
    }
    sources.sort();
    sources.dedup();
    if sources.is_empty() {
        return Err(HarnessError::NoInput {
            path: paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
            reason: "no guest crate (a directory with a Cargo.toml [package]) or .wasm file found".into(),
        });
    }
    Ok(sources)
}

fn collect_sources(dir: &Path, depth: u32, out: &mut Vec<Source>) {
    if guest_build::is_crate(dir) {
        out.push(Source::Crate(dir.to_path_buf()));
        return;
    }
    if crate::testsuite::is_suite_dir(dir) {
        out.push(Source::Suite(dir.to_path_buf()));
        return;
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut children: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "target" && !n.to_string_lossy().starts_with('.')))
        .collect();
    children.sort();
    for child in children {
        collect_sources(&child, depth - 1, out);
    }
}

/// Builds one crate in every requested variant and returns its scenarios.
pub fn plan_crate(dir: &Path, opts: &PlanOptions) -> Result<Vec<Case>, HarnessError> {
    let group = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let wasix = guest_build::build(dir, Variant::Wasix, &opts.build)?;
    let by_name = |variant: Variant| -> Result<BTreeMap<String, PathBuf>, HarnessError> {
        Ok(guest_build::build(dir, variant, &opts.build)?
            .into_iter()
            .map(|b| (b.name, b.executable))
            .collect())
    };
    let native = if opts.native { by_name(Variant::Native)? } else { BTreeMap::new() };
    let bare = if opts.bare { by_name(Variant::Bare)? } else { BTreeMap::new() };

    let mut cases = Vec::new();
    for bin in wasix {
        let toml = bin.src_path.with_extension("toml");
        let expectation = Expectation::load(&toml)?;
        let dir = bin.src_path.parent().unwrap_or(dir).to_path_buf();
        cases.push(Case {
            name: bin.name.clone(),
            group: group.clone(),
            kind: CaseKind::Scenario(Box::new(Scenario {
                expectation,
                dir,
                wasix: bin.executable,
                bare: bare.get(&bin.name).cloned(),
                native: native.get(&bin.name).cloned(),
            })),
        });
    }
    cases.extend(plan_tests(dir, &group, opts)?);
    Ok(cases)
}

/// The crate's libtest binaries (library and `tests/*.rs`), one case per test.
fn plan_tests(dir: &Path, group: &str, opts: &PlanOptions) -> Result<Vec<Case>, HarnessError> {
    let binaries = guest_build::build_targets(dir, Variant::Wasix, Targets::Tests, &opts.build)?;
    if binaries.is_empty() {
        return Ok(Vec::new());
    }
    let native: BTreeMap<String, PathBuf> = if opts.native {
        guest_build::build_targets(dir, Variant::Native, Targets::Tests, &opts.build)?
            .into_iter()
            .map(|b| (b.name, b.executable))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut cases = Vec::new();
    for bin in binaries.iter().filter(|b| libtest::is_libtest(&b.executable)) {
        let args = TestArgs { run_ignored: opts.run_ignored, ..TestArgs::default() };
        for test in libtest::list(&bin.executable, &args, opts.list_timeout, opts.cache.as_deref())? {
            cases.push(Case {
                name: format!("{}::{}", bin.name, test.name),
                group: group.to_string(),
                kind: CaseKind::Libtest(Box::new(LibtestCase {
                    module: bin.executable.clone(),
                    test,
                    run_ignored: opts.run_ignored,
                    native: native.get(&bin.name).cloned(),
                })),
            });
        }
    }
    Ok(cases)
}

/// Makes names unique across crates by prefixing the group where two cases share a name.
pub fn disambiguate(cases: &mut [Case]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for case in cases.iter() {
        *counts.entry(case.name.clone()).or_default() += 1;
    }
    for case in cases.iter_mut() {
        if counts[&case.name] > 1 {
            case.name = format!("{}/{}", case.group, case.name);
        }
    }
}
