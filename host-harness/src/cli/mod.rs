//! The command line: the options `run` and `test` share (declared once, flattened into
//! each), the commands, and their parsers. `main` parses, dispatches and exits.

pub mod run;
pub mod test;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::errors;
use crate::sandbox::MappedDir;
use crate::sandbox::module_cache::ModuleCache;

/// Run WASIX guest modules on embedded wasmer (or `@wasmer/sdk`, or wasmer 4.3) and report
/// what really happened: exit status, trap, or hang.
#[derive(Debug, Parser)]
#[command(name = "wasix-harness", version, after_help = errors::status_help(), max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one module, passing its stdout and stderr through, and exit with its status.
    ///
    /// The guest runs in a child process under a watchdog: a guest that deadlocks is killed
    /// at --timeout and reported with status 124, and nothing is left running. A libtest
    /// binary (what `cargo test` builds) runs one test per instance.
    #[command(after_help = errors::status_help())]
    Run(run::RunArgs),
    /// Build guest crates and run every scenario against its expectations, in parallel.
    ///
    /// Each binary `src/bin/NAME.rs` of a guest crate is a scenario described by
    /// `src/bin/NAME.toml` (expected status, output, native parity, per-runtime differences).
    /// Each is built three ways (WASIX with the crate, WASIX without it, native) and run on
    /// each --runtime; the runs are compared. Also runs libtest binaries one test per
    /// instance, and wasi-testsuite directories. Ends with `N passed, N failed, N skipped`.
    #[command(after_help = errors::status_help())]
    Test(test::TestArgs),
    /// Internal: the embedded wasmer's child process (one request in, one report out).
    #[command(name = "__sandbox", hide = true)]
    Sandbox { request: PathBuf },
}

/// How every guest run is sandboxed: shared by `run` and `test`.
#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Kill a guest after this many seconds and report a hang (status 124).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Cap on a guest's linear memory (bytes, or with K/M/G); past it allocations fail.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub memory_limit: u64,
    /// Compile the module even if a compiled copy is cached.
    #[arg(long)]
    pub no_cache: bool,
    /// Where compiled modules are cached [default: $WASIX_HARNESS_CACHE, else
    /// $XDG_CACHE_HOME/wasix-harness, else ~/.cache/wasix-harness].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl SandboxArgs {
    /// The compiled-module cache to use, if any.
    pub fn cache(&self) -> Option<PathBuf> {
        if self.no_cache { None } else { self.cache_dir.clone().or_else(ModuleCache::default_dir) }
    }
}

/// clap's errors are several lines with usage; print the one that matters.
pub fn report_usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(errors::USAGE as u8)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first =
        lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string();
    // "the following required arguments were not provided:" names them on the next line.
    if first.ends_with(':')
        && let Some(next) = lines.next()
    {
        first = format!("{first} {next}");
    }
    eprintln!("wasix-harness: error: {first} (see `wasix-harness --help`)");
    ExitCode::from(errors::USAGE as u8)
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
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 4096, 64K, 512M or 1G"))?;
    value
        .checked_shl(shift)
        .filter(|v| *v > 0 && *v <= 4 << 30)
        .ok_or_else(|| format!("`{text}` is not between 1 byte and 4G"))
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

fn parse_dir(text: &str) -> Result<MappedDir, String> {
    // The last `::` separates them: a host path may contain `::`, a guest path may not.
    let (host, guest) = match text.rsplit_once("::") {
        Some((host, guest)) => (host, guest.to_string()),
        None => (text, text.to_string()),
    };
    let host = PathBuf::from(host);
    if !host.is_dir() {
        return Err(format!("`{}` is not a directory", host.display()));
    }
    Ok(MappedDir { host, guest })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Runtime;

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
        assert_eq!(args.sandbox.timeout, Duration::from_secs(10));
        assert_eq!(args.runtime, Runtime::Wasmer);
    }

    #[test]
    fn runtimes_are_chosen_by_name() {
        let cli =
            Cli::try_parse_from(["wasix-harness", "run", "--runtime", "sdk", "m.wasm"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(args.runtime, Runtime::Sdk);
        let cli = Cli::try_parse_from(["wasix-harness", "test", "--runtime", "wasmer,wasmer-4.3"])
            .unwrap();
        let Command::Test(args) = cli.command else { panic!("not test") };
        assert_eq!(args.runtimes(), [Runtime::Wasmer, Runtime::Wasmer43]);
        assert!(
            Cli::try_parse_from(["wasix-harness", "run", "--runtime", "v8", "m.wasm"]).is_err()
        );
    }

    #[test]
    fn a_dir_splits_at_the_last_double_colon() {
        let tmp = tempfile::tempdir().unwrap();
        let host = tmp.path().join("a::b");
        std::fs::create_dir(&host).unwrap();
        let dir = parse_dir(&format!("{}::/g", host.display())).unwrap();
        assert_eq!((dir.host, dir.guest.as_str()), (host, "/g"));
    }
}
