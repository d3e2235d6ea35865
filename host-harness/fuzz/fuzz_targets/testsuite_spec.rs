//! Any text as a wasi-testsuite NAME.json: parsed or a one-line error, never a panic, and
//! never a directory outside the test's own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasix_harness::list::suite::parse_spec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let base = std::env::temp_dir();
    match parse_spec(text, &base) {
        Ok(spec) => {
            for (host, _) in &spec.dirs {
                assert!(host.starts_with(&base), "{} escapes {}", host.display(), base.display());
            }
        }
        Err(e) => assert!(!e.contains('\n'), "multi-line error: {e}"),
    }
});
