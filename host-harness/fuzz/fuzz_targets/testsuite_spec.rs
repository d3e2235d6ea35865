//! Any text as a wasi-testsuite NAME.json: parsed or a one-line error, never a panic, and
//! never a directory outside the test's own.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::testsuite_spec(data));
