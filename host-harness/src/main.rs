//! `wasix-harness`: runs WASIX guest modules on embedded wasmer with a watchdog, and tests
//! guest crates against their expected outcomes. See `wasix-harness --help`.


use std::process::ExitCode;

use clap::Parser;

use wasix_harness::cli::{self, Cli, Command};
use wasix_harness::status::HarnessError;
use wasix_harness::test_cmd;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::report_usage_error(e),
    };
    let status = match dispatch(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("wasix-harness: error: {e}");
            e.status()
        }
    };
    ExitCode::from(status.clamp(0, 255) as u8)
}

fn dispatch(cli: Cli) -> Result<i32, HarnessError> {
    match cli.command {
        Command::Run(args) => cli::run(args),
        Command::Test(args) => test_cmd::test(args),
        Command::Exec(args) => cli::exec(args),
    }
}