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
use crate::runner::{self, RunOptions, SkipReason, Verdict};
use crate::sandbox::watchdog::{self, DEFAULT_CAPTURE_LIMIT};
use crate::sandbox::{Invocation, MappedDir, Output, RunSpec, Runtime, Stdin};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runtime: `wasmer` (7.4, embedded), `sdk` (@wasmer/sdk in Node) or `wasmer-4.3`.
    #[arg(long, value_name = "NAME", default_value = "wasmer", value_parser = |s: &str| s.parse::<Runtime>())]
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

impl RunArgs {
    fn spec(&self, args: Vec<String>) -> RunSpec {
        RunSpec {
            module: self.module.clone(),
            args,
            env: self.env.clone(),
            dirs: self.dirs.clone(),
            cache: self.sandbox.cache(),
            memory_limit: Some(self.sandbox.memory_limit),
        }
    }
}

/// Runs the module; one line on stderr explains any status the guest did not choose itself.
pub fn run(args: RunArgs) -> Result<i32, HarnessError> {
    args.runtime.check_available()?;
    if !args.no_libtest && (args.libtest || libtest::is_libtest(&args.module)) {
        let test_args = LibtestArgs::parse(&args.args);
        if !test_args.pass_through {
            return run_libtest(&args, &test_args);
        }
    }
    let run = watchdog::run(&Invocation {
        spec: args.spec(args.args.clone()),
        runtime: args.runtime,
        timeout: args.sandbox.timeout,
        compile_timeout: args.sandbox.compile_timeout,
        stdin: Stdin::Inherit,
        output: Output::PassThrough,
    })?;
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
fn run_libtest(args: &RunArgs, test_args: &LibtestArgs) -> Result<i32, HarnessError> {
    let started = Instant::now();
    let tests = libtest::list(
        &args.module,
        test_args,
        args.runtime,
        args.sandbox.timeout,
        args.sandbox.compile_timeout,
        args.sandbox.cache().as_deref(),
    )?;
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
    let opts = RunOptions {
        jobs: runner::default_jobs(),
        default_timeout: args.sandbox.timeout,
        compile_timeout: args.sandbox.compile_timeout,
        retries: 0,
        fail_fast: false,
        capture_limit: DEFAULT_CAPTURE_LIMIT,
        cache: args.sandbox.cache(),
        memory_limit: args.sandbox.memory_limit,
        slow_after: std::time::Duration::from_secs(60),
        runtimes: vec![args.runtime],
    };
    reporter::libtest::start(cases.len());
    let results = runner::execute(&cases, &opts, |event| reporter::libtest::event(&event));
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
