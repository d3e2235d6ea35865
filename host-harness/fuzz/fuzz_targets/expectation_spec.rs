//! Any text as a scenario expectation file: parsed or a one-line error, never a panic.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::expectation_spec(data));
