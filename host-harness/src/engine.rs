//! Running one guest module on embedded wasmer, in this process.
//!
//! This is what the watchdog's child process does (`wasix-harness __exec`): it never runs in
//! the process that reports, because a guest whose threads never stop can only be ended by
//! ending the process that hosts it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Error;
use wasmer::{Engine, ExternType, Module};
use wasmer_wasix::runners::MappedDirectory;
use wasmer_wasix::runners::wasi::{RuntimeOrEngine, WasiRunner};
use wasmer_types::ModuleHash;
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::{PluggableRuntime, WasiError, WasiRuntimeError};

use crate::guest_stdio::HostOutput;
use crate::module_cache::ModuleCache;
use crate::outcome::Outcome;
use crate::status::HarnessError;
use crate::trap_recorder::TrapRecorder;

/// The wasmer release line the harness embeds (kept in step with Cargo.toml).
pub const WASMER_VERSION: &str = "7.4";

/// The default cap on a guest's linear memory: what wasm32-wasmer-wasi modules declare.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// Everything needed to run one module once.
#[derive(Clone, Debug, Default)]
pub struct RunSpec {
    pub module: PathBuf,
    /// argv[1..]; argv[0] is the module's file name.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// (host directory, guest path) pairs preopened for the guest.
    pub dirs: Vec<(PathBuf, String)>,
    /// Compiled-module cache; `None` compiles every time.
    pub cache: Option<PathBuf>,
    /// Upper bound on the guest's linear memory, in bytes; `None` keeps the module's own.
    pub memory_limit: Option<u64>,
}

/// Where the guest's stdout and stderr go (the engine's caller decides; by default wasmer's
/// own stdio of this process), and what ends this process if wasmer does not finish a
/// requested exit (see [`crate::trap_recorder`]).
#[derive(Default)]
pub struct GuestOutput {
    pub stdout: Option<std::fs::File>,
    pub stderr: Option<std::fs::File>,
    pub exit_guard: Option<crate::trap_recorder::ExitGuard>,
}

/// Reads, validates and compiles (or loads from the cache) a module.
pub fn load_module(
    engine: &Engine,
    path: &Path,
    cache: Option<&ModuleCache>,
) -> Result<(Module, ModuleHash), HarnessError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| HarnessError::NoInput {
        path: shown.clone(),
        reason: crate::util::io_reason(&e),
    })?;
    load_module_bytes(engine, &bytes, &shown, cache)
}

/// Validates and compiles module bytes; `shown` names them in errors. Any input gives a
/// module or a one-line error, never a panic (this is what the `module_load` fuzz target
/// checks).
pub fn load_module_bytes(
    engine: &Engine,
    bytes: &[u8],
    shown: &str,
    cache: Option<&ModuleCache>,
) -> Result<(Module, ModuleHash), HarnessError> {
    let invalid = |reason: String| HarnessError::InvalidModule { path: shown.to_string(), reason };
    if bytes.is_empty() {
        return Err(invalid("the file is empty".into()));
    }
    if !bytes.starts_with(b"\0asm") {
        return Err(invalid("it does not start with the wasm magic bytes \\0asm".into()));
    }
    let hash = ModuleHash::new(bytes);
    let module = match cache.and_then(|c| c.load(engine, bytes)) {
        Some(module) => module,
        None => {
            // wasmer 7.4's translator panics on some types it does not support (found by the
            // module_load fuzz target: `nullexnref` in a function signature); that is an
            // invalid module for us, not a crash.
            let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Module::new(engine, bytes)))
                .map_err(|panic| {
                    let what = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("a panic in the compiler");
                    invalid(format!("wasmer cannot compile it: {}", crate::util::one_line(what)))
                })?;
            let module = compiled.map_err(|e| invalid(crate::util::one_line(&e.to_string())))?;
            if let Some(cache) = cache {
                cache.store(engine, bytes, &module);
            }
            module
        }
    };
    check_runnable(&module).map_err(|reason| HarnessError::NotRunnable { path: shown.to_string(), reason })?;
    Ok((module, hash))
}

/// Import namespaces that wasmer-wasix provides.
const KNOWN_IMPORT_MODULES: &[&str] =
    &["wasi_snapshot_preview1", "wasi_unstable", "wasix_32v1", "wasix_64v1", "wasi", "env"];

fn check_runnable(module: &Module) -> Result<(), String> {
    let has_start = module
        .exports()
        .any(|e| e.name() == "_start" && matches!(e.ty(), ExternType::Function(_)));
    if !has_start {
        return Err("it exports no `_start` function (a library or reactor, not a command?)".into());
    }
    if let Some(import) = module.imports().find(|i| !KNOWN_IMPORT_MODULES.contains(&i.module())) {
        return Err(format!(
            "it imports `{}.{}`, which no WASI or WASIX runtime provides",
            // Names are arbitrary bytes: escaped, so the error stays one readable line.
            import.module().escape_debug(),
            import.name().escape_debug()
        ));
    }
    let has_memory = module.exports().any(|e| matches!(e.ty(), ExternType::Memory(_)))
        || module.imports().any(|i| matches!(i.ty(), ExternType::Memory(_)));
    if !has_memory {
        return Err("it has no memory (exported or imported), which every WASI program needs".into());
    }
    Ok(())
}

/// The engine every run uses: Cranelift, wasmer's default compiler, with the memory cap.
pub fn engine(memory_limit: Option<u64>) -> Engine {
    let mut engine: Engine = wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::default()).engine().into();
    if let Some(limit) = memory_limit {
        crate::memory_limit::apply(&mut engine, limit);
    }
    engine
}

/// Runs the module to its end in this process and says how it ended.
pub fn run(spec: &RunSpec, output: GuestOutput) -> Outcome {
    let engine = engine(spec.memory_limit);
    let cache = spec.cache.as_deref().map(ModuleCache::new);
    let (module, hash) = match load_module(&engine, &spec.module, cache.as_ref()) {
        Ok(loaded) => loaded,
        Err(e) => return Outcome::not_started(&e),
    };
    let program = spec
        .module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest.wasm".into());

    // wasmer's own runtime (what `RuntimeOrEngine::Engine` would build), wrapped so that a
    // trap is known as a trap and not only as the exit status wasmer substitutes for it.
    let tokio = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Outcome::Crashed { message: format!("cannot start an async runtime: {e}") },
    };
    let _entered = tokio.enter();
    let mut pluggable = PluggableRuntime::new(Arc::new(TokioTaskManager::new(tokio.handle().clone())));
    pluggable.set_engine(engine);
    let recorder = TrapRecorder::new(Arc::new(pluggable), output.exit_guard.clone());
    let first_trap = recorder.first_trap();

    let mut runner = WasiRunner::new();
    if let Some(file) = output.stdout {
        runner.with_stdout(Box::new(HostOutput::new(file, 1)));
    }
    if let Some(file) = output.stderr {
        runner.with_stderr(Box::new(HostOutput::new(file, 2)));
    }
    runner.with_args(spec.args.iter().cloned());
    runner.with_envs(spec.env.iter().cloned());
    runner.with_mapped_directories(spec.dirs.iter().map(|(host, guest)| MappedDirectory {
        host: host.clone(),
        guest: guest.clone(),
    }));
    let result = runner.run_wasm(RuntimeOrEngine::Runtime(Arc::new(recorder)), &program, module, hash);
    if let Some(message) = first_trap.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Outcome::Trapped { message };
    }
    match result {
        Ok(()) => Outcome::Exited { code: 0 },
        Err(e) => classify(&spec.module, e),
    }
}

/// Turns wasmer's error into an outcome: an exit status, a trap, or a module that never ran.
fn classify(path: &Path, err: Error) -> Outcome {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<WasiRuntimeError>() {
            if let Some(code) = e.as_exit_code() {
                return Outcome::Exited { code: code.raw() };
            }
            match e {
                WasiRuntimeError::Runtime(trap) => {
                    return Outcome::Trapped { message: crate::util::one_line(&trap.message()) };
                }
                WasiRuntimeError::Init(_)
                | WasiRuntimeError::Export(_)
                | WasiRuntimeError::Instantiation(_) => {
                    return Outcome::not_started(&HarnessError::NotRunnable {
                        path: path.display().to_string(),
                        reason: crate::util::one_line(&e.to_string()),
                    });
                }
                _ => {}
            }
        }
        if let Some(WasiError::Exit(code)) = cause.downcast_ref::<WasiError>() {
            return Outcome::Exited { code: code.raw() };
        }
        if let Some(trap) = cause.downcast_ref::<wasmer::RuntimeError>() {
            return Outcome::Trapped { message: crate::util::one_line(&trap.message()) };
        }
        // wasmer could not set the module up (missing exports, a bad memory import, ...).
        if cause.downcast_ref::<wasmer_wasix::SpawnError>().is_some() {
            return Outcome::not_started(&HarnessError::NotRunnable {
                path: path.display().to_string(),
                reason: crate::util::one_line(&format!("{err:#}")),
            });
        }
    }
    Outcome::Crashed { message: crate::util::one_line(&format!("{err:#}")) }
}
