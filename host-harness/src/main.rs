//! `wasix-harness`: runs WASIX guest modules on embedded wasmer (or `@wasmer/sdk`, or wasmer
//! 4.3) with a watchdog, and tests guest crates against their expected outcomes. See
//! `wasix-harness --help`.

fn main() -> std::process::ExitCode {
    wasix_harness::cli::main()
}
