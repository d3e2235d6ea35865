//! Command-line interface: argument definitions and the `run` / `__exec` commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::{self, RunSpec};
use crate::module_cache::ModuleCache;
use crate::status::{self, HarnessError};
use crate::watchdog::{self, Output, Request, Stdin};

const AFTER_HELP: &str = "\
Exit status of `run`: the guest's own exit status, or
  124  the guest ran past --timeout (reported as `timed out after N s (deadlock?)`)
  132  the guest trapped (unreachable, out-of-bounds access, stack overflow, ...)
   65  the file is not a valid WebAssembly module (empty, not wasm, truncated)
   66  the file is missing or unreadable
   69  the module cannot run here (no `_start`, imports no runtime provides)
   70  the harness failed internally (the guest's host process died)
    2  the command line is wrong
Exit status of `test`: 0 when everything passed, 100 when anything failed, or one of the
statuses above for input the harness cannot use.";

/// Run WASIX guest modules on embedded wasmer and report what really happened: exit status,
/// trap, or hang.
#[derive(Debug, Parser)]
#[command(name = "wasix-harness", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one module, passing its stdout and stderr through, and exit with its status.
    ///
    /// The guest runs in a child process under a watchdog: a guest that deadlocks is killed
    /// at --timeout and reported with status 124, and nothing is left running.
    Run(RunArgs),
    /// Build guest crates and run every scenario against its expectations, in parallel.
    ///
    /// Each binary `src/bin/NAME.rs` of a guest crate is a scenario described by
    /// `src/bin/NAME.toml` (expected status, output, native parity). Each is built three ways
    /// (WASIX with the crate, WASIX without it, native) and the runs are compared. Ends with
    /// `N passed, N failed, N skipped`.
    Test(crate::test_cmd::TestArgs),
    /// Internal: run one module in this process (the watchdog's child).
    #[command(name = "__exec", hide = true)]
    Exec(ExecArgs),
}

/// Options that describe the guest's environment.
#[derive(Debug, Args, Clone, Default)]
pub struct GuestArgs {
    /// Set an environment variable for the guest (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Preopen a host directory for the guest as GUEST (repeatable); `HOST` alone maps it to
    /// the same path.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = parse_dir)]
    pub dirs: Vec<(PathBuf, String)>,
    /// Compile the module even if a compiled copy is cached.
    #[arg(long)]
    pub no_cache: bool,
    /// Where compiled modules are cached [default: $WASIX_HARNESS_CACHE, else
    /// $XDG_CACHE_HOME/wasix-harness, else ~/.cache/wasix-harness].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Cap on the guest's linear memory (bytes, or with K/M/G); past it allocations fail.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub memory_limit: u64,
}

impl GuestArgs {
    pub fn cache(&self) -> Option<PathBuf> {
        if self.no_cache { None } else { self.cache_dir.clone().or_else(ModuleCache::default_dir) }
    }

    /// The run of `module` with `args` in the environment these options describe.
    pub fn spec(&self, module: PathBuf, args: Vec<String>) -> RunSpec {
        RunSpec {
            module,
            args,
            env: self.env.clone(),
            dirs: self.dirs.clone(),
            cache: self.cache(),
            memory_limit: Some(self.memory_limit),
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Kill the guest after this many seconds and exit with 124.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    #[command(flatten)]
    pub guest: GuestArgs,
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

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// File the outcome is written to, as JSON.
    #[arg(long)]
    pub report: PathBuf,
    #[command(flatten)]
    pub guest: GuestArgs,
    pub module: PathBuf,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `wasix-harness run`: the guest's output passes straight through; one line explains any
/// status that the guest did not choose itself.
pub fn run(args: RunArgs) -> Result<i32, HarnessError> {
    if !args.no_libtest && (args.libtest || crate::libtest::is_libtest(&args.module)) {
        let test_args = crate::libtest::TestArgs::parse(&args.args);
        if !test_args.pass_through {
            return crate::libtest_runner::run(&args.module, &test_args, args.timeout, args.guest.cache().as_deref());
        }
    }
    let spec = args.guest.spec(args.module, args.args);
    let report = watchdog::run(&Request {
        spec,
        timeout: args.timeout,
        stdin: Stdin::Inherit,
        output: Output::PassThrough,
    })?;
    if let Some(line) = report.outcome.explanation() {
        eprintln!("wasix-harness: {line}");
    }
    Ok(report.outcome.status())
}

/// The watchdog's child: run the module here, write the outcome, and leave at once. Exiting
/// with `std::process::exit` (instead of returning) ends guest threads that are still alive.
pub fn exec(args: ExecArgs) -> ! {
    let spec = args.guest.spec(args.module, args.args);
    let mut output = guest_output(&args.report);
    let report = args.report.clone();
    output.exit_guard = Some(std::sync::Arc::new(move |outcome| finish_exec(&report, &outcome)));
    let outcome = engine::run(&spec, output);
    finish_exec(&args.report, &outcome)
}

/// Writes the outcome for the watchdog and ends this process (and any guest thread in it).
fn finish_exec(report: &std::path::Path, outcome: &crate::outcome::Outcome) -> ! {
    let written = serde_json::to_vec(outcome)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(report, json));
    if let Err(e) = written {
        eprintln!("wasix-harness: cannot write the run report: {e}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(outcome.status())
}

/// The guest gets this process's stdout and stderr (duplicated); the process's own stderr then
/// goes to a log beside the report, so wasmer's diagnostics (it prints traps itself) never mix
/// with the guest's output. The watchdog shows the log's last line if the child dies.
fn guest_output(report: &std::path::Path) -> engine::GuestOutput {
    use std::os::fd::AsFd;
    let dup = |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned().ok().map(std::fs::File::from);
    let output = engine::GuestOutput {
        stdout: dup(std::io::stdout().as_fd()),
        stderr: dup(std::io::stderr().as_fd()),
        exit_guard: None,
    };
    if output.stderr.is_some() {
        if let Ok(log) = std::fs::File::create(crate::watchdog::log_path(report)) {
            use std::os::fd::AsRawFd;
            // SAFETY: dup2 onto fd 2 of this process; both descriptors are valid.
            unsafe { libc::dup2(log.as_raw_fd(), 2) };
        }
    }
    output
}

/// clap's errors are several lines with usage; print the one that matters.
pub fn report_usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(status::USAGE as u8)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string();
    // "the following required arguments were not provided:" names them on the next line.
    if first.ends_with(':') {
        if let Some(next) = lines.next() {
            first = format!("{first} {next}");
        }
    }
    eprintln!("wasix-harness: error: {first} (see `wasix-harness --help`)");
    ExitCode::from(status::USAGE as u8)
}

pub fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("`{text}` is not between 0 and 86400 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `4096`, `64K`, `512M`, `1G` (binary multiples).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let (digits, shift) = match upper.trim_end_matches('B').chars().last() {
        Some('K') => (&upper[..upper.trim_end_matches('B').len() - 1], 10),
        Some('M') => (&upper[..upper.trim_end_matches('B').len() - 1], 20),
        Some('G') => (&upper[..upper.trim_end_matches('B').len() - 1], 30),
        _ => (upper.trim_end_matches('B'), 0),
    };
    let value: u64 = digits.trim().parse().map_err(|_| format!("`{text}` is not a size like 4096, 64K, 512M or 1G"))?;
    value.checked_shl(shift).filter(|v| *v > 0 && *v <= 4 << 30).ok_or_else(|| format!("`{text}` is not between 1 byte and 4G"))
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

fn parse_dir(text: &str) -> Result<(PathBuf, String), String> {
    let (host, guest) = match text.split_once("::") {
        Some((host, guest)) => (host, guest.to_string()),
        None => (text, text.to_string()),
    };
    let host = PathBuf::from(host);
    if !host.is_dir() {
        return Err(format!("`{}` is not a directory", host.display()));
    }
    Ok((host, guest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_accepts_fractions_and_rejects_nonsense() {
        assert_eq!(parse_secs("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64K").unwrap(), 64 << 10);
        assert_eq!(parse_size("512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert!(parse_size("5G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn env_needs_a_key() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("=x").is_err());
        assert!(parse_env("novalue").is_err());
    }

    #[test]
    fn run_keeps_guest_flags_for_the_guest() {
        let cli = Cli::try_parse_from(["wasix-harness", "run", "m.wasm", "--exact", "t"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(args.args, ["--exact", "t"]);
        assert_eq!(args.timeout, Duration::from_secs(10));
    }
}
