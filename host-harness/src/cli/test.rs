//! `wasix-harness test`: list (build and select), run in parallel on each runtime, report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::args::{SandboxArgs, Secs, parse_secs};
use crate::errors::{self, HarnessError};
use crate::list::build::BuildOptions;
use crate::list::filter::{self, Filter, Partition};
use crate::list::libtest::RunIgnored;
use crate::list::{self, Case, PlanOptions, Source};
use crate::reporter::{self, Summary, human::Human};
use crate::runner::{self, Event, Schedule};
use crate::sandbox::{Encoding, RunPolicy, Runtime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// Lines and a table for people (on stderr and stdout).
    Human,
    /// One JSON event per line on stdout; the human lines move to stderr.
    Json,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Guest crates, wasi-testsuite directories (NAME.wasm + NAME.json), .wasm files, or
    /// directories holding them [default: guest-tests].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Cases run at the same time [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Run every case on each of these runtimes (comma-separated, or `all`): `wasmer` (7.4,
    /// embedded), `sdk` (@wasmer/sdk in Node), `wasmer-4.3`, `chromium`, `firefox` (the sdk in
    /// Debian's headless browsers).
    #[arg(long = "runtime", value_name = "NAME[,NAME...]", default_value = Runtime::default().name(),
          value_parser = crate::sandbox::parse_runtimes)]
    pub runtime: Vec<Vec<Runtime>>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Run only cases whose name contains PATTERN (repeatable).
    #[arg(long = "filter", short = 'E', value_name = "PATTERN")]
    pub filters: Vec<String>,
    /// Filters must equal the whole name.
    #[arg(long)]
    pub exact: bool,
    /// Leave out cases whose name contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Run one share of the cases: count:K/N (every N-th) or hash:K/N (by name hash).
    #[arg(long, value_name = "KIND:K/N")]
    pub partition: Option<Partition>,
    /// Run a failing case again up to N times; a later pass is reported as flaky.
    #[arg(long, value_name = "N", default_value = "0")]
    pub retries: u32,
    /// Stop starting cases after the first failure.
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,
    /// Run every case whatever fails (the default).
    #[arg(long)]
    pub no_fail_fast: bool,
    /// How results are printed.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Also write the native-parity table (Markdown) here.
    #[arg(long, value_name = "PATH")]
    pub parity: Option<PathBuf>,
    /// Do not build and run the native comparison.
    #[arg(long)]
    pub no_native: bool,
    /// Do not build and run the without-crate comparison.
    #[arg(long)]
    pub no_bare: bool,
    /// Also build every scenario with the crate's own shim instead of the toolchain's
    /// (`WASIX_TOOLCHAIN_SHIM=0`, as wasmer's own toolchain builds) and judge it the same way.
    #[arg(long)]
    pub foreign: bool,
    /// Also build every scenario with the toolchain's unwinding variant
    /// (`WASIX_TOOLCHAIN_PANIC=unwind`, in the wasm exception encoding each runtime takes) and
    /// judge it on every runtime by the scenario's `[unwind]` expectations: one more column.
    #[arg(long)]
    pub unwind: bool,
    /// Run only the ignored tests of libtest binaries.
    #[arg(long, conflicts_with = "include_ignored")]
    pub ignored: bool,
    /// Run ignored tests of libtest binaries too.
    #[arg(long)]
    pub include_ignored: bool,
    /// List the selected cases and exit.
    #[arg(long)]
    pub list: bool,
    /// Name a run as slow once it passes this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = Secs(runner::DEFAULT_SLOW), value_parser = parse_secs)]
    pub slow: Secs,
    /// The rustup toolchain that builds WASIX guests.
    #[arg(long, value_name = "NAME", default_value = "wasix")]
    pub toolchain: String,
    /// Shared target directory for guest builds [default: target/guests in the enclosing git
    /// checkout, else in the crate].
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
}

impl TestArgs {
    /// The runtimes, in order, without repeats.
    pub fn runtimes(&self) -> Vec<Runtime> {
        let mut seen = std::collections::HashSet::new();
        self.runtime.iter().flatten().copied().filter(|r| seen.insert(*r)).collect()
    }
}

pub fn test(args: TestArgs) -> Result<i32, HarnessError> {
    let started = Instant::now();
    let paths =
        if args.paths.is_empty() { vec![PathBuf::from("guest-tests")] } else { args.paths.clone() };
    let human = args.message_format == MessageFormat::Human;
    let runtimes = args.runtimes();
    // A runtime that is not installed is a loud failure before anything runs, not a skip.
    for runtime in &runtimes {
        runtime.check_available()?;
    }

    let policy = args.sandbox.policy(runtimes.clone());
    let cases = collect(&paths, &args, &policy)?;
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let filter =
        Filter { patterns: args.filters.clone(), exact: args.exact, skip: args.skip.clone() };
    let keep: std::collections::HashSet<usize> =
        filter::select(&names, &filter, args.partition).into_iter().collect();
    let cases: Vec<Case> =
        cases.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, c)| c).collect();

    if args.list {
        for case in &cases {
            println!("{}", case.name);
        }
        return Ok(0);
    }

    let schedule = Schedule {
        jobs: args.jobs.map(|j| j as usize).unwrap_or_else(runner::default_jobs),
        retries: args.retries,
        fail_fast: args.fail_fast && !args.no_fail_fast,
        slow_after: args.slow.0,
    };
    let mut people = Human::new(cases.len());
    let on: Vec<String> = runtimes.iter().map(|r| r.describe()).collect();
    people.line(&format!(
        "running {} cases with {} jobs on {}",
        cases.len(),
        schedule.jobs,
        on.join(", ")
    ));
    let results = runner::execute(&cases, &policy, &schedule, |event: Event<'_>| {
        people.event(&event);
        if !human {
            reporter::json::event(&event);
        }
    });
    people.finish();

    let took = started.elapsed();
    let summary = Summary::of(&results);
    if let Some(path) = &args.junit {
        reporter::junit::write(path, &results, took)?;
    }
    if let Some(path) = &args.parity {
        reporter::parity::write(path, &results)?;
    }
    let table = reporter::human::table(&results);
    let closing = reporter::human::summary_line(&summary, took);
    if human {
        println!("\n{table}\n{closing}");
    } else {
        eprintln!("\n{table}\n{closing}");
        reporter::json::suite(&summary, took.as_secs_f64());
    }
    Ok(if summary.failed > 0 { errors::TESTS_FAILED } else { 0 })
}

/// Builds every crate under `paths` and lists its cases, with progress on stderr.
fn collect(
    paths: &[PathBuf],
    args: &TestArgs,
    policy: &RunPolicy,
) -> Result<Vec<Case>, HarnessError> {
    let sources = list::discover(paths)?;
    let target_root = match &args.target_dir {
        Some(dir) => dir.clone(),
        None => {
            let first = sources.iter().find_map(|s| match s {
                Source::Crate(dir) => Some(dir.clone()),
                _ => None,
            });
            default_target_root(first.as_deref().unwrap_or(Path::new(".")))
        }
    };
    let opts = PlanOptions {
        build: BuildOptions { target_root, toolchain: args.toolchain.clone() },
        native: !args.no_native,
        bare: !args.no_bare,
        foreign: args.foreign,
        unwind: if args.unwind { unwind_encodings(&policy.runtimes) } else { Vec::new() },
        run_ignored: if args.ignored {
            RunIgnored::Only
        } else if args.include_ignored {
            RunIgnored::Also
        } else {
            RunIgnored::No
        },
    };
    let mut cases = Vec::new();
    for source in &sources {
        match source {
            Source::Crate(dir) => {
                let t = Instant::now();
                eprintln!("building {} ...", dir.display());
                let found = list::plan_crate(dir, &opts, policy)?;
                eprintln!(
                    "built {} ({} cases) in {}",
                    dir.display(),
                    found.len(),
                    reporter::secs(t.elapsed())
                );
                cases.extend(found);
            }
            Source::Suite(dir) => cases.extend(list::plan_suite(dir)?),
            Source::Module(file) => {
                cases.extend(list::plan_module(file, opts.run_ignored, policy)?)
            }
        }
    }
    list::disambiguate(&mut cases);
    Ok(cases)
}

/// The unwinding builds the runtimes need: each one's encoding, once.
fn unwind_encodings(runtimes: &[Runtime]) -> Vec<Encoding> {
    let mut encodings: Vec<Encoding> = runtimes.iter().map(|r| r.unwind_encoding()).collect();
    encodings.sort();
    encodings.dedup();
    encodings
}

fn default_target_root(crate_dir: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(crate_dir).unwrap_or_else(|_| crate_dir.to_path_buf());
    let root = abs.ancestors().find(|a| a.join(".git").exists()).unwrap_or(&abs);
    root.join("target").join("guests")
}
