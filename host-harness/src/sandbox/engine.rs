//! Running one guest module on embedded wasmer 7.4, in this process: the `wasmer` runtime's
//! child (`wasix-harness __sandbox`).
//!
//! It never runs in the process that reports, because a guest whose threads never stop can
//! only be ended by ending the process that hosts it.

use std::fs::File;
use std::sync::Arc;

use anyhow::Error;
use wasix_sandbox_protocol::{Channel, Report, Run};
use wasmer::{Engine, Module};
use wasmer_types::ModuleHash;
use wasmer_wasix::runners::MappedDirectory;
use wasmer_wasix::runners::wasi::{PackageOrHash, RuntimeOrEngine, WasiRunner};
use wasmer_wasix::runtime::task_manager::VirtualTaskManagerExt;
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::{PluggableRuntime, WasiError, WasiRuntimeError};

use super::exit_guard::{ExitGuard, WatchedRuntime};
use super::module_cache::{ModuleCache, Warn};
use super::runtime::Runtime;
use super::stdio::HostOutput;
use crate::errors::HarnessError;

/// Where the guest's stdout and stderr go (the engine's caller decides; by default wasmer's
/// own stdio of this process), what ends this process if wasmer does not finish a requested
/// exit (see [`super::exit_guard`]), and who hears that the guest starts and the warnings.
#[derive(Default)]
pub struct GuestOutput {
    pub stdout: Option<File>,
    pub stderr: Option<File>,
    pub exit_guard: Option<ExitGuard>,
    pub started: Option<Box<dyn Fn() + Send + Sync>>,
    pub warn: Option<Warn>,
}

/// The child's whole life (`wasix-harness __sandbox`): read the run from the control channel,
/// run the guest with this process's stdio, send the outcome, and leave at once. Exiting with
/// `std::process::exit` (instead of returning) ends guest threads that are still alive.
pub fn serve() -> ! {
    // SAFETY: the parent starts this hidden command with the protocol's two descriptors, and
    // nothing else in this process owns them.
    let (run, module, channel) = match unsafe { wasix_sandbox_protocol::child::connect() } {
        Ok(connected) => connected,
        Err(e) => {
            eprintln!("wasix-harness __sandbox: {e}");
            std::process::exit(crate::errors::INTERNAL)
        }
    };
    let channel = Arc::new(channel);
    let mut output = guest_output();
    let guard_channel = Arc::clone(&channel);
    output.exit_guard = Some(Arc::new(move |report| finish(&guard_channel, &report)));
    let started_channel = Arc::clone(&channel);
    output.started = Some(Box::new(move || started_channel.started()));
    let warn_channel = Arc::clone(&channel);
    output.warn = Some(Arc::new(move |message: &str| warn_channel.warning(message)));
    let report = run_guest(&run, &module, output);
    finish(&channel, &report)
}

/// Sends the outcome to the watchdog and ends this process (and any guest thread in it).
fn finish(channel: &Channel<File>, report: &Report) -> ! {
    channel.outcome(report);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(report.process_status())
}

/// The guest gets this process's stdout and stderr (duplicated); the process's own stderr then
/// goes to the log descriptor, so wasmer's diagnostics (it prints traps itself) never mix with
/// the guest's output. The watchdog shows the log's last line if the child dies.
fn guest_output() -> GuestOutput {
    use std::os::fd::AsFd;
    let dup = |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned().ok().map(File::from);
    let output = GuestOutput {
        stdout: dup(std::io::stdout().as_fd()),
        stderr: dup(std::io::stderr().as_fd()),
        ..GuestOutput::default()
    };
    if output.stderr.is_some() {
        // SAFETY: dup2 of the protocol's log descriptor onto fd 2 of this process; both are
        // valid (the parent passed the log), and the log descriptor itself is then closed.
        unsafe {
            if libc::dup2(wasix_sandbox_protocol::LOG_FD, 2) >= 0 {
                libc::close(wasix_sandbox_protocol::LOG_FD);
            }
        }
    }
    output
}

fn not_started(e: &HarnessError) -> Report {
    Report::NotStarted { status: e.status(), message: e.to_string() }
}

/// Compiles module bytes (checked by the parent: `module_check`), or loads them from the
/// cache; `shown` names them in errors. Any input gives a module or a one-line error, never a
/// panic (the `module_load` fuzz target checks this).
pub fn load_module_bytes(
    engine: &Engine,
    bytes: &[u8],
    shown: &str,
    cache: Option<&ModuleCache>,
) -> Result<(Module, ModuleHash), HarnessError> {
    let invalid = |reason: String| HarnessError::InvalidModule { path: shown.to_string(), reason };
    let hash = ModuleHash::new(bytes);
    if let Some(module) = cache.and_then(|c| c.load(engine, bytes)) {
        return Ok((module, hash));
    }
    // wasmer 7.4's translator panics on some types it does not support (found by the
    // module_load fuzz target: `nullexnref` in a function signature); that is an invalid
    // module for us, not a crash.
    let compiled =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Module::new(engine, bytes)))
            .map_err(|panic| {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("a panic in the compiler");
                invalid(format!("wasmer cannot compile it: {}", crate::text::one_line(what)))
            })?;
    let module = compiled.map_err(|e| invalid(crate::text::one_line(&e.to_string())))?;
    if let Some(cache) = cache {
        cache.store(engine, bytes, &module);
    }
    Ok((module, hash))
}

fn not_runnable(path: &str, reason: String) -> HarnessError {
    HarnessError::NotRunnable {
        path: path.to_string(),
        runtime: Runtime::Wasmer.describe(),
        reason,
    }
}

/// The engine every run uses: Cranelift, wasmer's default compiler, with the memory cap.
pub fn engine(memory_limit: Option<u64>) -> Engine {
    let mut engine: Engine =
        wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::default()).engine().into();
    if let Some(limit) = memory_limit {
        super::memory_limit::apply(&mut engine, limit);
    }
    engine
}

/// Runs the module (its bytes) to its end in this process and says how it ended. The
/// `started` hook of `output` hears the guest's start, right before its first instruction.
pub fn run_guest(run: &Run, module: &[u8], output: GuestOutput) -> Report {
    let engine = engine(run.memory_limit);
    let warn: Warn = output.warn.clone().unwrap_or_else(|| Arc::new(|_: &str| {}));
    let cache = run.cache_dir.as_deref().and_then(|dir| ModuleCache::open(dir, warn));
    let (module, hash) = match load_module_bytes(&engine, module, &run.module, cache.as_ref()) {
        Ok(loaded) => loaded,
        Err(e) => return not_started(&e),
    };
    // The guest starts now: from here on the watchdog's guest timeout applies (before, the
    // compile limit did).
    if let Some(started) = &output.started {
        started();
    }

    // wasmer's own runtime (what `RuntimeOrEngine::Engine` would build), wrapped so that a
    // trap is known as a trap and not only as the exit status wasmer substitutes for it.
    let tokio = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return Report::Crashed { message: format!("cannot start an async runtime: {e}") };
        }
    };
    let _entered = tokio.enter();
    let mut pluggable =
        PluggableRuntime::new(Arc::new(TokioTaskManager::new(tokio.handle().clone())));
    pluggable.set_engine(engine);
    let recorder = WatchedRuntime::new(Arc::new(pluggable), output.exit_guard.clone());
    let first_trap = recorder.first_trap();
    let exit_status = recorder.exit_status();

    let mut runner = WasiRunner::new();
    if let Some(file) = output.stdout {
        runner.with_stdout(Box::new(HostOutput::new(file, 1)));
    }
    if let Some(file) = output.stderr {
        runner.with_stderr(Box::new(HostOutput::new(file, 2)));
    }
    runner.with_args(run.args.iter().cloned());
    runner.with_envs(run.env.iter().cloned());
    runner.with_mapped_directories(
        run.dirs
            .iter()
            .map(|dir| MappedDirectory { host: dir.host.clone(), guest: dir.guest.clone() }),
    );
    let result = run_with_named_preopens(&runner, run, recorder, module, hash);
    if let Some(message) = first_trap.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Report::Trapped { message };
    }
    match result {
        Ok(()) => Report::Exited { code: exit_status(0) },
        Err(e) => match classify(&run.module, e) {
            Report::Exited { code } => Report::Exited { code: exit_status(code) },
            other => other,
        },
    }
}

/// What `WasiRunner::run_wasm` does, plus one thing it cannot: a directory mapped under a
/// relative name (`fs-tests.dir`) is also preopened under exactly that name, as WASI runtimes
/// (and the wasi-testsuite, which looks its scratch directory up by name) expect. `WasiRunner`
/// preopens only `.` and `/`; the relative name is mounted at `/NAME`.
fn run_with_named_preopens(
    runner: &WasiRunner,
    run: &Run,
    runtime: WatchedRuntime,
    module: Module,
    hash: ModuleHash,
) -> Result<(), Error> {
    let program = run.program.as_str();
    let wasi = webc::metadata::annotations::Wasi::new(program);
    let mut builder = runner.prepare_webc_env(
        program,
        &wasi,
        PackageOrHash::Hash(hash),
        RuntimeOrEngine::Runtime(Arc::new(runtime)),
        None,
    )?;
    for dir in run.dirs.iter().filter(|d| !d.guest.starts_with('/') && d.guest != ".") {
        let name = dir.guest.trim_start_matches("./");
        builder.add_map_dir(name, format!("/{name}"))?;
    }
    let env = builder.build()?;
    let runtime = env.runtime.clone();
    let tasks = runtime.task_manager().clone();
    let mut handle = wasmer_wasix::bin_factory::spawn_exec_module(module, env, &runtime)?;
    let code = tasks.spawn_and_block_on(async move { handle.wait_finished().await })?.map_err(
        // The owned error keeps its kind (trap, exit, instantiation) for `classify`; a
        // shared one keeps at least its exit status.
        |shared| match Arc::try_unwrap(shared) {
            Ok(owned) => Error::from(owned),
            Err(shared) => match shared.as_exit_code() {
                Some(code) => WasiRuntimeError::Wasi(WasiError::Exit(code)).into(),
                None => Error::msg(shared.to_string()),
            },
        },
    )?;
    if code.raw() == 0 { Ok(()) } else { Err(WasiRuntimeError::Wasi(WasiError::Exit(code)).into()) }
}

/// Turns wasmer's error into an outcome: an exit status, a trap, or a module that never ran.
fn classify(shown: &str, err: Error) -> Report {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<WasiRuntimeError>() {
            if let Some(code) = e.as_exit_code() {
                return Report::Exited { code: code.raw() };
            }
            match e {
                WasiRuntimeError::Runtime(trap) => {
                    return Report::Trapped { message: crate::text::one_line(&trap.message()) };
                }
                WasiRuntimeError::Init(_)
                | WasiRuntimeError::Export(_)
                | WasiRuntimeError::Instantiation(_) => {
                    let reason = crate::text::one_line(&e.to_string());
                    return not_started(&not_runnable(shown, reason));
                }
                _ => {}
            }
        }
        if let Some(WasiError::Exit(code)) = cause.downcast_ref::<WasiError>() {
            return Report::Exited { code: code.raw() };
        }
        if let Some(trap) = cause.downcast_ref::<wasmer::RuntimeError>() {
            return Report::Trapped { message: crate::text::one_line(&trap.message()) };
        }
        // wasmer could not set the module up (missing exports, a bad memory import, ...).
        if cause.downcast_ref::<wasmer_wasix::SpawnError>().is_some() {
            let reason = crate::text::one_line(&format!("{err:#}"));
            return not_started(&not_runnable(shown, reason));
        }
    }
    Report::Crashed { message: crate::text::one_line(&format!("{err:#}")) }
}
