//! Any text as a scenario expectation file: parsed or a one-line error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasix_harness::list::scenario::Expectation;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = Expectation::parse(text) {
            assert!(!e.contains('\n'), "multi-line error: {e}");
        }
    }
});
