//! Any bytes given to the harness as a module: a module or a one-line error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wasix_harness::engine;

fuzz_target!(|data: &[u8]| {
    static ENGINE: OnceLock<wasmer::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| engine::engine(None));
    if let Err(e) = engine::load_module_bytes(engine, data, "fuzz.wasm", None) {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
});
