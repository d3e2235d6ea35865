//! Deciding what to run: find guest crates, wasi-testsuite directories and modules under the
//! given paths, build the crates, and pair every binary with its expectations; then select.
//!
//! * [`case`]: the cases it hands the runner;
//! * [`build`]: building guest crates with cargo, in several variants;
//! * [`scenario`]: a scenario's expectation file;
//! * [`libtest`]: libtest binaries, listed one test per case;
//! * [`suite`]: wasi-testsuite directories;
//! * [`filter`]: filters and partitions.
//!
//! It imports [`crate::sandbox`] (listing a libtest binary's tests runs it, by the run
//! policy), and below.

pub(crate) mod build;
pub(crate) mod case;
pub(crate) mod filter;
pub(crate) mod libtest;
pub(crate) mod scenario;
pub(crate) mod suite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::errors::HarnessError;
use crate::sandbox::RunPolicy;
pub use build::{
    Binary, BuildOptions, Targets, Variant, build as build_crate, build_targets, scrub_env,
};
pub use case::{Case, CaseKind, LibtestCase, Scenario};
use libtest::{LibtestArgs, RunIgnored};
pub use scenario::Expectation;
pub use suite::parse_spec as parse_suite_spec;

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

/// Which builds of a guest crate to make, and which ignored tests of libtest binaries to run.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub build: BuildOptions,
    pub native: bool,
    pub bare: bool,
    /// Also build with the crate's own shim instead of the toolchain's (`WASIX_TOOLCHAIN_SHIM=0`).
    pub foreign: bool,
    /// Also build with the toolchain's unwinding variant, once per wasm exception encoding
    /// listed (the ones the runtimes take: `test --unwind`).
    pub unwind: Vec<crate::sandbox::Encoding>,
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
            reason: "no guest crate (a directory with a Cargo.toml [package]) or .wasm file found"
                .into(),
        });
    }
    Ok(sources)
}

/// Crates are looked for `depth` levels down; wasi-testsuite directories two levels further,
/// because the suite nests them as `tests/LANGUAGE/testsuite/TARGET/`.
fn collect_sources(dir: &Path, depth: u32, out: &mut Vec<Source>) {
    collect_sources_in(dir, 0, depth, out);
}

fn collect_sources_in(dir: &Path, level: u32, crate_levels: u32, out: &mut Vec<Source>) {
    if build::is_crate(dir) {
        // A crate deeper than that is some crate's own business (a vendored dependency).
        if level <= crate_levels {
            out.push(Source::Crate(dir.to_path_buf()));
        }
        return;
    }
    if suite::is_suite_dir(dir) {
        out.push(Source::Suite(dir.to_path_buf()));
        return;
    }
    if level == crate_levels + 2 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut children: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n != "target" && !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    children.sort();
    for child in children {
        collect_sources_in(&child, level + 1, crate_levels, out);
    }
}

/// Builds one crate in every requested variant and returns its scenarios and tests.
pub fn plan_crate(
    dir: &Path,
    opts: &PlanOptions,
    policy: &RunPolicy,
) -> Result<Vec<Case>, HarnessError> {
    let group = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let wasix = build::build(dir, Variant::Wasix, &opts.build)?;
    let mut others: Vec<(Variant, BTreeMap<String, PathBuf>)> = Vec::new();
    let unwinding = opts.unwind.iter().map(|&encoding| (Variant::Unwind(encoding), true));
    for (variant, wanted) in [
        (Variant::Foreign, opts.foreign),
        (Variant::Native, opts.native),
        (Variant::Bare, opts.bare),
    ]
    .into_iter()
    .chain(unwinding)
    {
        if wanted {
            let built = build::build(dir, variant, &opts.build)?
                .into_iter()
                .map(|b| (b.name, b.executable));
            others.push((variant, built.collect()));
        }
    }

    let mut cases = Vec::new();
    for bin in wasix {
        let expectation = Expectation::load(&bin.src_path.with_extension("toml"))?;
        let scenario_dir = bin.src_path.parent().unwrap_or(dir).to_path_buf();
        let mut builds = BTreeMap::from([(Variant::Wasix, bin.executable)]);
        for (variant, built) in &others {
            if let Some(exe) = built.get(&bin.name) {
                builds.insert(*variant, exe.clone());
            }
        }
        cases.push(Case {
            name: bin.name.clone(),
            group: group.clone(),
            kind: CaseKind::Scenario(Box::new(Scenario { expectation, dir: scenario_dir, builds })),
        });
    }
    cases.extend(plan_tests(dir, &group, opts, policy)?);
    Ok(cases)
}

/// A wasi-testsuite directory, one case per module.
pub fn plan_suite(dir: &Path) -> Result<Vec<Case>, HarnessError> {
    Ok(suite::plan_suite(dir)?.into_iter().map(suite_case).collect())
}

/// One module given by path: a libtest binary's tests, one case each (as `run` does), or a
/// module with its wasi-testsuite `NAME.json`, if any.
pub fn plan_module(
    file: &Path,
    run_ignored: RunIgnored,
    policy: &RunPolicy,
) -> Result<Vec<Case>, HarnessError> {
    let group = file.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let group = group.as_deref().unwrap_or(".");
    if libtest::is_libtest(file) {
        let name = file.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return libtest_cases(file, &name, group, None, run_ignored, policy);
    }
    Ok(vec![suite_case(suite::plan_module(file, group))])
}

fn suite_case(t: suite::SuiteCase) -> Case {
    Case { name: t.name.clone(), group: t.group.clone(), kind: CaseKind::Suite(Box::new(t)) }
}

/// One case per test of a libtest binary, named `PREFIX::TEST`.
fn libtest_cases(
    module: &Path,
    prefix: &str,
    group: &str,
    native: Option<PathBuf>,
    run_ignored: RunIgnored,
    policy: &RunPolicy,
) -> Result<Vec<Case>, HarnessError> {
    let args = LibtestArgs { run_ignored, ..LibtestArgs::default() };
    Ok(libtest::list(module, &args, policy)?
        .into_iter()
        .map(|test| Case {
            name: format!("{prefix}::{}", test.name),
            group: group.to_string(),
            kind: CaseKind::Libtest(Box::new(LibtestCase {
                module: module.to_path_buf(),
                test,
                run_ignored,
                native: native.clone(),
                env: Vec::new(),
                dirs: Vec::new(),
            })),
        })
        .collect())
}

/// The crate's libtest binaries (library and `tests/*.rs`), one case per test.
fn plan_tests(
    dir: &Path,
    group: &str,
    opts: &PlanOptions,
    policy: &RunPolicy,
) -> Result<Vec<Case>, HarnessError> {
    let binaries = build::build_targets(dir, Variant::Wasix, Targets::Tests, &opts.build)?;
    if binaries.is_empty() {
        return Ok(Vec::new());
    }
    let native: BTreeMap<String, PathBuf> = if opts.native {
        build::build_targets(dir, Variant::Native, Targets::Tests, &opts.build)?
            .into_iter()
            .map(|b| (b.name, b.executable))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut cases = Vec::new();
    for bin in binaries.iter().filter(|b| libtest::is_libtest(&b.executable)) {
        cases.extend(libtest_cases(
            &bin.executable,
            &bin.name,
            group,
            native.get(&bin.name).cloned(),
            opts.run_ignored,
            policy,
        )?);
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
