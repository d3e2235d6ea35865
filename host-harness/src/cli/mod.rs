//! The command line: the options `run` and `test` share (declared once, flattened into
//! each), the commands, and their parsers. `main` parses, dispatches and exits.

mod args;
mod run;
mod signals;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::errors;

/// Run WASIX guest modules on embedded wasmer (or `@wasmer/sdk`, or wasmer 4.3) and report
/// what really happened: exit status, trap, or hang.
#[derive(Debug, Parser)]
#[command(name = "wasix-harness", version, after_help = errors::status_help(), max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// Internal: the embedded wasmer's child process (the sandbox protocol on its
    /// descriptors 3 and 4).
    #[command(name = "__sandbox", hide = true)]
    Sandbox,
}

/// The whole program: parse, dispatch, and the exit status (the guest's, or the harness's own
/// with one line saying why).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return report_usage_error(e),
    };
    let status = match cli.command {
        Command::Run(args) => {
            signals::install();
            run::run(args)
        }
        Command::Test(args) => {
            signals::install();
            test::test(args)
        }
        Command::Sandbox => crate::sandbox::serve(),
    };
    let status = status.unwrap_or_else(|e| {
        eprintln!("wasix-harness: error: {e}");
        e.status()
    });
    ExitCode::from(status.clamp(0, 255) as u8)
}

/// clap's errors are several lines with usage; print the one that matters.
fn report_usage_error(err: clap::Error) -> ExitCode {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Runtime;
    use std::time::Duration;

    #[test]
    fn run_keeps_guest_flags_for_the_guest() {
        let cli = Cli::try_parse_from(["wasix-harness", "run", "m.wasm", "--exact", "t"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(args.args, ["--exact", "t"]);
        assert_eq!(args.sandbox.timeout.0, Duration::from_secs(10));
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
}
