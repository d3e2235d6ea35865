//! `wasix-harness run`: one module, its output passed straight through; a libtest binary runs
//! one test per instance and reports in libtest's format.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::args::{SandboxArgs, parse_dir, parse_env};
use crate::errors::{self, HarnessError};
use crate::list::libtest::{self, LibtestArgs};
use crate::list::{Case, CaseKind, LibtestCase};
use crate::reporter;
use crate::runner::{self, Schedule, SkipReason, Verdict};
use crate::sandbox::{self, MappedDir, RunInput, RunPolicy, Runtime, Stdin};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runtime: `wasmer` (7.4, embedded), `sdk` (@wasmer/sdk in Node) or `wasmer-4.3`.
    #[arg(long, value_name = "NAME", default_value_t = Runtime::default(), value_parser = |s: &str| s.parse::<Runtime>())]
    pub runtime: Runtime,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Set an environment variable for the guest (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Preopen a host directory for the guest as GUEST (repeatable); `HOST` alone maps it to
    /// the same path.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = parse_dir)]
    pub dirs: Vec<MappedDir>,
    /// Treat the module as a libtest binary: run each test in its own instance (the default
    /// when the module is detected as one).
    #[arg(long, conflicts_with = "no_libtest")]
    pub libtest: bool,
    /// Run a libtest binary as one plain program.
    #[arg(long)]
    pub no_libtest: bool,
    /// The module to run (a `.wasm` file built for wasm32-wasmer-wasi).
    #[arg(value_name = "FILE.wasm")]
    pub module: PathBuf,
    /// Arguments for the guest (after `--` if any start with `-`).
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Runs the module; one line on stderr explains any status the guest did not choose itself.
pub fn run(args: RunArgs) -> Result<i32, HarnessError> {
    args.runtime.check_available()?;
    let policy = args.sandbox.policy(vec![args.runtime]);
    if !args.no_libtest && (args.libtest || libtest::is_libtest(&args.module)) {
        let test_args = LibtestArgs::parse(&args.args);
        if !test_args.pass_through {
            return run_libtest(&args, &test_args, &policy);
        }
    }
    let input = RunInput {
        args: args.args.clone(),
        env: args.env.clone(),
        dirs: args.dirs.clone(),
        stdin: Stdin::Inherit,
        timeout: None,
        pass_through: true,
    };
    let run = sandbox::run(&policy.invocation(&args.module, input), args.runtime)?;
    for warning in &run.warnings {
        eprintln!("wasix-harness: warning: {warning}");
    }
    if let Some(line) = run.outcome.explanation() {
        eprintln!("wasix-harness: {line}");
    }
    Ok(run.outcome.status())
}

/// Lists the binary's tests, runs each in its own instance (with the same environment,
/// directories and limits as a plain run), and reports as libtest does.
fn run_libtest(
    args: &RunArgs,
    test_args: &LibtestArgs,
    policy: &RunPolicy,
) -> Result<i32, HarnessError> {
    let started = Instant::now();
    let tests = libtest::list(&args.module, test_args, policy)?;
    let group =
        args.module.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let cases: Vec<Case> = tests
        .into_iter()
        .map(|test| Case {
            name: test.name.clone(),
            group: group.clone(),
            kind: CaseKind::Libtest(Box::new(LibtestCase {
                module: args.module.clone(),
                test,
                run_ignored: test_args.run_ignored,
                native: None,
                env: args.env.clone(),
                dirs: args.dirs.iter().map(|d| (d.host.clone(), d.guest.clone())).collect(),
            })),
        })
        .collect();
    let schedule = Schedule {
        jobs: runner::default_jobs(),
        retries: 0,
        fail_fast: false,
        slow_after: std::time::Duration::from_secs(60),
    };
    reporter::libtest::start(cases.len());
    let results =
        runner::execute(&cases, policy, &schedule, |event| reporter::libtest::event(&event));
    let ok = reporter::libtest::finish(&results, started.elapsed());
    // cargo-nextest runs one test per process and reads only the status: a #[should_panic]
    // test that cannot run must not look like a pass there.
    let nextest = std::env::var_os("NEXTEST_EXECUTION_MODE").is_some();
    let none_ran = !results.is_empty()
        && results
            .iter()
            .all(|r| matches!(r.verdict, Verdict::Skipped(SkipReason::ShouldPanic { .. })));
    Ok(if ok && !(nextest && none_ran) { 0 } else { errors::LIBTEST_FAILED })
}
