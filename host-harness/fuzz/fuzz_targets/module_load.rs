//! Any bytes given to the harness as a module: a module or a one-line error, never a panic.
#![no_main]

use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use wasix_harness::sandbox::engine;

fuzz_target!(|data: &[u8]| {
    static QUIET: Once = Once::new();
    // libfuzzer-sys's panic hook aborts at the panic itself, even for one the harness catches
    // on purpose (wasmer's translator panics on some unsupported types; `load_module_bytes`
    // turns that into an invalid-module error). A panic that escapes this closure still
    // aborts: libfuzzer-sys runs the closure under catch_unwind.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    static ENGINE: OnceLock<wasmer::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| engine::engine(None));
    if let Err(e) = engine::load_module_bytes(engine, data, "fuzz.wasm", None) {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
});
