//! `wasix-runner-wasmer-4.3`: runs one WASIX guest on embedded wasmer 4.3.7 (wasmer-wasix
//! 0.27.0), the runtime of the original bug report, for `wasix-harness`.
//!
//! It speaks the sandbox protocol (`wasix-sandbox-protocol`, described in
//! `host-harness/runtimes/PROTOCOL.md`): the run and the module's bytes arrive on descriptor 3;
//! the guest's stdin, stdout and stderr are this process's own (written synchronously, see
//! [`stdio`]); the runner's own diagnostics (wasmer's log and trap prints) go to descriptor 4;
//! `started` and the outcome go back on descriptor 3, and the process ends at once, without
//! waiting for guest threads. The parent owns the clock.
//!
//! Modules built with today's wasix-libc load here through the import adapter ([`adapter`]).

mod adapter;
mod memory_limit;
mod probestack;
mod stdio;
mod trap_recorder;

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::sync::Arc;

use wasix_sandbox_protocol::{status, Channel, Report, Run};
use wasmer::{Engine, Module};
use wasmer_types::ModuleHash;
use wasmer_wasix::runners::wasi::WasiRunner;
use wasmer_wasix::runners::MappedDirectory;
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::{PluggableRuntime, WasiError, WasiRuntimeError};

/// The wasmer release this runner embeds (kept in step with Cargo.toml).
pub const WASMER_VERSION: &str = "4.3.7";

/// One line: newlines and runs of spaces folded, at most 300 characters.
pub fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(299).collect::<String>())
    } else {
        line
    }
}

fn main() {
    if std::env::args_os().len() > 1 {
        eprintln!(
            "usage: wasix-runner-wasmer-4.3 (started by wasix-harness, which speaks the sandbox \
             protocol on its descriptors 3 and 4)"
        );
        std::process::exit(2);
    }
    // SAFETY: wasix-harness starts this runner with the protocol's two descriptors, and nothing
    // else in this process owns them.
    let (run, module, channel) = match unsafe { wasix_sandbox_protocol::child::connect() } {
        Ok(connected) => connected,
        Err(e) => {
            eprintln!("wasix-runner-wasmer-4.3: {e}");
            std::process::exit(status::INTERNAL);
        }
    };
    let channel = Arc::new(channel);

    // The guest gets the real stdout/stderr (duplicated); fds 1 and 2 then point at the log,
    // where wasmer's own prints (tracing, trap messages) end up.
    let (guest_stdout, guest_stderr) = match redirect_streams() {
        Ok(streams) => streams,
        Err(e) => {
            finish(&channel, Report::Crashed { message: format!("cannot set up stdio: {e}") })
        }
    };
    log(&format!("wasmer {WASMER_VERSION}: running {}", run.module));
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_guest(&run, &module, guest_stdout, guest_stderr, &channel)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Report::Crashed { message: format!("the runner panicked: {}", one_line(what)) }
    });
    finish(&channel, report)
}

fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "wasix-runner-wasmer-4.3: {line}");
}

fn redirect_streams() -> std::io::Result<(File, File)> {
    let dup = |fd: i32| -> std::io::Result<File> {
        // SAFETY: dup returns a new descriptor that this File then owns.
        let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 5) };
        if new < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(unsafe { File::from_raw_fd(new) })
    };
    let stdout = dup(1)?;
    let stderr = dup(2)?;
    for fd in [1, 2] {
        // SAFETY: both descriptors are valid; dup2 replaces fd atomically.
        if unsafe { libc::dup2(wasix_sandbox_protocol::LOG_FD, fd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // SAFETY: the log descriptor is copied onto fds 1 and 2; the original is no longer used.
    unsafe { libc::close(wasix_sandbox_protocol::LOG_FD) };
    Ok((stdout, stderr))
}

/// Sends the outcome (the first one counts) and ends this process at once.
fn finish(channel: &Channel<File>, report: Report) -> ! {
    // wasmer 4.3 hands back the guest's `proc_exit` argument whole (300 stays 300, -1 stays
    // -1), which is what the protocol asks for.
    log(&format!("outcome: {report:?}"));
    channel.outcome(&report);
    std::process::exit(report.process_status())
}

fn run_guest(
    run: &Run,
    bytes: &[u8],
    guest_stdout: File,
    guest_stderr: File,
    channel: &Channel<File>,
) -> Report {
    let shown = &run.module;
    let invalid = |why: String| Report::NotStarted {
        status: status::INVALID_MODULE,
        message: format!("{shown} is not a valid WebAssembly module: {}", one_line(&why)),
    };
    let adapted = match adapter::adapt(bytes) {
        Ok(Some(adapted)) => {
            log(&format!("import adapter applied ({})", adapter::ADAPTED.join(", ")));
            adapted
        }
        Ok(None) => bytes.to_vec(),
        Err(e) => return invalid(e),
    };

    let mut engine: Engine =
        wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::default()).engine().into();
    if let Some(limit) = run.memory_limit {
        memory_limit::apply(&mut engine, limit);
    }
    // No compiled-module cache: an entry is native code, and this runtime has no way to tell
    // an entry it wrote from one planted by whoever can write the cache directory (the
    // harness's own cache authenticates its entries; see module_cache.rs there).
    let module = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Module::new(&engine, &adapted)
    })) {
        Ok(Ok(module)) => module,
        Ok(Err(e)) => return invalid(e.to_string()),
        Err(_) => return invalid("wasmer's compiler panicked on it".into()),
    };

    let tokio = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return Report::Crashed { message: format!("cannot start an async runtime: {e}") }
        }
    };
    let _entered = tokio.enter();
    let mut pluggable =
        PluggableRuntime::new(Arc::new(TokioTaskManager::new(tokio.handle().clone())));
    pluggable.set_engine(Some(engine));
    let recorder = trap_recorder::TrapRecorder::new(Arc::new(pluggable));
    let first_trap = recorder.first_trap();

    let mut runner = WasiRunner::new();
    runner.with_stdout(Box::new(stdio::HostOutput::new(guest_stdout, 1)));
    runner.with_stderr(Box::new(stdio::HostOutput::new(guest_stderr, 2)));
    runner.with_args(run.args.iter().cloned());
    runner.with_envs(run.env.iter().cloned());
    runner.with_mapped_directories(
        run.dirs.iter().map(|d| MappedDirectory { host: d.host.clone(), guest: d.guest.clone() }),
    );
    let hash = ModuleHash::sha256(&adapted);
    channel.started();
    let result = runner.run_wasm(Arc::new(recorder), &run.program, &module, hash, false);
    if let Some(message) = first_trap.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Report::Trapped { message };
    }
    match result {
        Ok(()) => Report::Exited { code: 0 },
        Err(e) => classify(shown, e),
    }
}

/// The error and its causes on one line, without a cause that repeats the one before it
/// (wasmer's errors often print their source in their own message as well).
fn dedup_chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|last| last.contains(&text) || text.contains(last.as_str())) {
            if parts.last().is_some_and(|last| text.len() > last.len()) {
                *parts.last_mut().unwrap() = text;
            }
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// Turns wasmer's error into an outcome: an exit status, a trap, or a module that never ran.
fn classify(shown: &str, err: anyhow::Error) -> Report {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<WasiRuntimeError>() {
            if let Some(code) = e.as_exit_code() {
                return Report::Exited { code: code.raw() };
            }
            match e {
                WasiRuntimeError::Runtime(trap) => {
                    return Report::Trapped { message: one_line(&trap.message()) };
                }
                WasiRuntimeError::Init(_)
                | WasiRuntimeError::Export(_)
                | WasiRuntimeError::Instantiation(_) => {
                    return Report::NotStarted {
                        status: status::UNAVAILABLE,
                        message: format!(
                            "{shown} cannot run on wasmer {WASMER_VERSION}: {}",
                            one_line(&dedup_chain(&err))
                        ),
                    };
                }
                _ => {}
            }
        }
        if let Some(WasiError::Exit(code)) = cause.downcast_ref::<WasiError>() {
            return Report::Exited { code: code.raw() };
        }
        if let Some(trap) = cause.downcast_ref::<wasmer::RuntimeError>() {
            return Report::Trapped { message: one_line(&trap.message()) };
        }
    }
    Report::Crashed { message: one_line(&format!("{err:#}")) }
}
