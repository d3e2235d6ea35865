//! What each fuzz target checks, shared by the cargo-fuzz targets (`scripts/fuzz`) and by the
//! replay of the seeds and the corpus in the normal test build (`tests/fuzz_replay.rs`), so the
//! test command exercises the same checks without a nightly build.

/// Any bytes given to the harness as a module: the parent's check and wasmer's compiler turn
/// them into a module or a one-line error, never a panic.
pub fn module_load(data: &[u8]) {
    use std::sync::OnceLock;
    use wasix_harness::sandbox;
    if let Err(e) = sandbox::check_module(data, "fuzz.wasm") {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
        // Only a module that does not validate stops here: wasmer's compiler gets every valid
        // one, runnable or not, so its robustness is fuzzed too.
        if e.status() == 65 {
            return;
        }
    }
    static ENGINE: OnceLock<wasmer::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| sandbox::wasmer_engine(None));
    if let Err(e) = sandbox::load_module_bytes(engine, data, "fuzz.wasm", None) {
        assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    }
}

/// Any text as a scenario expectation file: parsed or a one-line error, never a panic.
pub fn expectation_spec(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = wasix_harness::list::Expectation::parse(text)
    {
        assert!(!e.contains('\n'), "multi-line error: {e}");
    }
}

/// Any text as a wasi-testsuite NAME.json: parsed or a one-line error, never a panic, and
/// never a directory outside the test's own.
pub fn testsuite_spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let base = std::env::temp_dir();
    match wasix_harness::list::parse_suite_spec(text, &base) {
        Ok(spec) => {
            for (host, _) in &spec.dirs {
                assert!(host.starts_with(&base), "{} escapes {}", host.display(), base.display());
            }
        }
        Err(e) => assert!(!e.contains('\n'), "multi-line error: {e}"),
    }
}
