//! `wasix-harness`: runs WASIX guest modules on embedded wasmer (or `@wasmer/sdk`, or wasmer
//! 4.3) with a watchdog, and tests guest crates against their expected outcomes. See
//! `wasix-harness --help`.

use std::process::ExitCode;

use clap::Parser;

use wasix_harness::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::report_usage_error(e),
    };
    let status = match cli.command {
        Command::Run(args) => {
            cli::signals::install();
            cli::run::run(args)
        }
        Command::Test(args) => {
            cli::signals::install();
            cli::test::test(args)
        }
        Command::Sandbox => wasix_harness::sandbox::serve(),
    };
    let status = status.unwrap_or_else(|e| {
        eprintln!("wasix-harness: error: {e}");
        e.status()
    });
    ExitCode::from(status.clamp(0, 255) as u8)
}
