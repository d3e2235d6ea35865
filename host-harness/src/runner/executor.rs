//! Making a case's runs: every run of a case (its judged run on a target, and its native and
//! without-crate comparisons) is made here, from the run policy, and nothing here judges.
//!
//! A case decides only what is its own (arguments, environment, directories, stdin, a
//! timeout of its own): [`RunPolicy::invocation`] makes the run from that.

use std::path::Path;

use super::result::{SkipReason, Target};
use crate::list::build::Variant;
use crate::list::libtest::{self, RunIgnored};
use crate::list::scenario::{Expectation, NativeParity, OnRuntime};
use crate::list::suite::SuiteCase;
use crate::list::{Case, CaseKind, LibtestCase, Scenario};
use crate::sandbox::{self, GuestRun, MappedDir, RunInput, RunPolicy, Runtime, ScratchDir, Stdin};

/// The runs made once per case, whatever the targets: the native build and the build without
/// the crate (on the embedded wasmer).
#[derive(Default)]
pub(super) struct Comparisons {
    pub native: Option<GuestRun>,
    pub bare: Option<GuestRun>,
    /// What went wrong making them (reported on the case's first target).
    pub problems: Vec<String>,
}

/// What became of a case's run on one target.
pub(super) enum Made {
    Ran(GuestRun),
    /// Not run, for this reason.
    Skipped(SkipReason),
    /// It could not be made (a scratch directory, a missing build, an unknown spec key).
    Failed(String),
}

pub(super) fn comparisons(case: &Case, policy: &RunPolicy) -> Comparisons {
    let mut cmp = Comparisons::default();
    match &case.kind {
        CaseKind::Scenario(s) => {
            if let Some(native) = s
                .builds
                .get(&Variant::Native)
                .filter(|_| s.expectation.native != NativeParity::Skip)
            {
                match scenario_run(native, &s.expectation, s, None, policy) {
                    Ok(run) => cmp.native = Some(run),
                    Err(e) => cmp.problems.push(format!("native run: {e}")),
                }
            }
            if let Some(bare) = s.builds.get(&Variant::Bare) {
                match scenario_run(bare, &s.expectation, s, Some(Runtime::Wasmer), policy) {
                    Ok(run) => cmp.bare = Some(run),
                    Err(e) => cmp.problems.push(format!("bare run: {e}")),
                }
            }
        }
        CaseKind::Libtest(t) => {
            if let Some(exe) = &t.native {
                let input =
                    RunInput { args: libtest::single_test_args(&t.test), ..RunInput::default() };
                match sandbox::run_native(&policy.invocation(exe, input), exe, None) {
                    Ok(run) => cmp.native = Some(run),
                    Err(e) => cmp.problems.push(format!("native run: {e}")),
                }
            }
        }
        CaseKind::Suite(_) => {}
    }
    cmp
}

/// The case's run on `target`, unless it is not to run there.
pub(super) fn make(case: &Case, target: Target, policy: &RunPolicy) -> Made {
    match &case.kind {
        CaseKind::Scenario(s) => {
            let exp = match on_target(s, target) {
                OnRuntime::Run { expectation, .. } => expectation,
                OnRuntime::Skip(reason) => return Made::Skipped(SkipReason::Declared(reason)),
            };
            let Some(exe) = s.builds.get(&target.build) else {
                return Made::Failed(format!("no {} build", target.build.dir_name()));
            };
            result(scenario_run(exe, &exp, s, Some(target.runtime), policy))
        }
        CaseKind::Libtest(t) => libtest_run(t, target.runtime, policy),
        CaseKind::Suite(t) => suite_run(t, target.runtime, policy),
    }
}

/// A scenario's expectation on a target, its declared difference applied.
pub(super) fn on_target(s: &Scenario, target: Target) -> OnRuntime {
    match target.build {
        Variant::Foreign => s.expectation.on_foreign_build(),
        Variant::Unwind(_) => s.expectation.on_unwind(target.runtime),
        _ => s.expectation.on_runtime(target.runtime),
    }
}

fn result(run: Result<GuestRun, String>) -> Made {
    match run {
        Ok(run) => Made::Ran(run),
        Err(e) => Made::Failed(e),
    }
}

fn libtest_run(t: &LibtestCase, runtime: Runtime, policy: &RunPolicy) -> Made {
    if t.test.ignored && t.run_ignored == RunIgnored::No {
        return Made::Skipped(SkipReason::Ignored);
    }
    // libtest runs a #[should_panic] test only in a binary that unwinds (the toolchain's
    // patched libtest, under catch_unwind), and then judges it itself; elsewhere it marks it
    // ignored. Whether it unwinds is read from the module: it catches wasm exceptions.
    if t.test.should_panic && !sandbox::load_module(&t.module).is_ok_and(|m| m.needs.catches()) {
        // The native verdict is the judge's to add.
        return Made::Skipped(SkipReason::ShouldPanic { natively: None });
    }
    let dirs = t
        .dirs
        .iter()
        .map(|(host, guest)| MappedDir { host: host.clone(), guest: guest.clone() })
        .collect();
    let input = RunInput {
        args: libtest::single_test_args(&t.test),
        env: t.env.clone(),
        dirs,
        ..RunInput::default()
    };
    result(sandbox::run(&policy.invocation(&t.module, input), runtime).map_err(|e| e.to_string()))
}

/// A wasi-testsuite module: its spec's arguments, environment and directories.
///
/// The spec's directories are copied into a private temporary directory for each run (and
/// each retry), without `*.cleanup` leftovers: what a test writes never touches the suite,
/// which may be read-only (CI mounts it so), and every run starts from the same files. Stdin
/// is held open and empty, as the suite's own runner does (the `*_wasi_read` threads tests
/// block reading it while another thread exits).
fn suite_run(t: &SuiteCase, runtime: Runtime, policy: &RunPolicy) -> Made {
    let spec = match &t.spec {
        Ok(spec) => spec,
        Err(e) => return Made::Failed(e.clone()),
    };
    if !spec.unknown_keys.is_empty() {
        return Made::Failed(format!(
            "unknown spec key{} {} (this harness knows {})",
            if spec.unknown_keys.len() > 1 { "s" } else { "" },
            spec.unknown_keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            crate::list::suite::KNOWN_KEYS.join(", ")
        ));
    }
    let scratch = match scratch_dir("wasix-harness-suite-") {
        Ok(dir) => dir,
        Err(e) => return Made::Failed(e),
    };
    let mut dirs = Vec::new();
    let mut budget = MAX_SUITE_COPY;
    for (i, (host, guest)) in spec.dirs.iter().enumerate() {
        // Not the guest's name: `/` (a `root`) would be the host's own root.
        let copy = scratch.path().join(i.to_string());
        if let Err(e) = copy_tree(host, &copy, &mut budget) {
            return Made::Failed(format!("cannot copy {} for the run: {e}", host.display()));
        }
        dirs.push(MappedDir { host: copy, guest: guest.clone() });
    }
    let input = RunInput {
        args: spec.args.clone(),
        env: spec.env.clone(),
        dirs,
        stdin: Stdin::HeldOpen,
        ..RunInput::default()
    };
    result(sandbox::run(&policy.invocation(&t.module, input), runtime).map_err(|e| e.to_string()))
}

/// The most a wasi-testsuite case's directories may hold: they are copied for every run (and
/// retry), before its timeout starts. The suite's own are a few kilobytes.
const MAX_SUITE_COPY: u64 = 64 << 20;

/// A fresh private temporary directory, removed when dropped or by a signal.
fn scratch_dir(prefix: &str) -> Result<ScratchDir, String> {
    ScratchDir::new(prefix).map_err(|e| format!("cannot create a scratch directory: {e}"))
}

/// Copies a directory tree, symlinks as symlinks (the suite has dangling ones on purpose),
/// leaving out `*.cleanup` entries (what an earlier run left behind), and refuses before
/// copying a file that would take more than `budget` bytes in all (sparse files by their
/// length: a copy may fill them).
fn copy_tree(from: &Path, to: &Path, budget: &mut u64) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if Path::new(&name).extension().is_some_and(|x| x == "cleanup") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst, budget)?;
        } else if kind.is_file() {
            let len = entry.metadata()?.len();
            *budget = budget.checked_sub(len).ok_or_else(|| {
                std::io::Error::other(format!(
                    "{} would take the directories past {} MiB, the most a test's directories may hold",
                    src.display(),
                    MAX_SUITE_COPY >> 20
                ))
            })?;
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// One run of one build of a scenario, with its expectation's arguments, environment, stdin
/// and scratch directory: on `runtime`, or natively (`None`).
fn scenario_run(
    exe: &Path,
    exp: &Expectation,
    s: &Scenario,
    runtime: Option<Runtime>,
    policy: &RunPolicy,
) -> Result<GuestRun, String> {
    let scratch = match &exp.scratch_dir {
        Some(_) => Some(scratch_dir("wasix-harness-scratch-")?),
        None => None,
    };
    let mut env: Vec<(String, String)> =
        exp.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut dirs = Vec::new();
    if let (Some(tmp), Some(guest)) = (&scratch, &exp.scratch_dir) {
        let seen_as =
            if runtime.is_none() { tmp.path().display().to_string() } else { guest.clone() };
        env.push(("SCRATCH_DIR".into(), seen_as));
        dirs.push(MappedDir { host: tmp.path().to_path_buf(), guest: guest.clone() });
    }
    let input = RunInput {
        args: exp.args.clone(),
        env,
        dirs,
        stdin: match (&exp.stdin, exp.stdin_open) {
            (_, true) => Stdin::HeldOpen,
            (Some(text), false) => Stdin::Bytes(text.clone().into_bytes()),
            (None, false) => Stdin::Null,
        },
        timeout: exp.timeout(),
        pass_through: false,
    };
    let inv = policy.invocation(exe, input);
    let run = match runtime {
        Some(runtime) => sandbox::run(&inv, runtime),
        None => sandbox::run_native(&inv, exe, Some(&s.dir)),
    };
    run.map_err(|e| e.to_string())
}
