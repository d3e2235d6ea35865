//! Any bytes given to the harness as a module: a module or a one-line error, never a panic.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static QUIET: Once = Once::new();
    // libfuzzer-sys's panic hook aborts at the panic itself, even for one the harness catches
    // on purpose (wasmer's translator panics on some unsupported types; `load_module_bytes`
    // turns that into an invalid-module error). A panic that escapes this closure still
    // aborts: libfuzzer-sys runs the closure under catch_unwind.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    checks::module_load(data);
});
