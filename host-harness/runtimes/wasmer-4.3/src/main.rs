//! `wasix-runner-wasmer-4.3 REQUEST.json`: runs one WASIX guest on embedded wasmer 4.3.7
//! (wasmer-wasix 0.27.0), the runtime of the original bug report, for `wasix-harness`.
//!
//! It speaks the sandbox protocol of `host-harness/runtimes/PROTOCOL.md`: the request names
//! the module, its argv/env/preopened directories and memory cap; the guest's stdin, stdout
//! and stderr are this process's own (written synchronously, see [`stdio`]); the runner's own
//! diagnostics (wasmer's log and trap prints) go to the request's `log` file; the outcome is
//! written once to `report` (temporary file + `link()`, first writer wins), and the process
//! ends at once, without waiting for guest threads. The parent owns the clock.
//!
//! Modules built with today's wasix-libc load here through the import adapter ([`adapter`]).

mod adapter;
mod memory_limit;
mod probestack;
mod stdio;
mod trap_recorder;

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use wasmer::{Engine, ExternType, Module};
use wasmer_types::ModuleHash;
use wasmer_wasix::runners::wasi::WasiRunner;
use wasmer_wasix::runners::MappedDirectory;
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::{PluggableRuntime, WasiError, WasiRuntimeError};

/// The wasmer release this runner embeds (kept in step with Cargo.toml).
pub const WASMER_VERSION: &str = "4.3.7";

#[derive(Deserialize)]
struct Request {
    protocol: u32,
    module: PathBuf,
    program: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<(String, String)>,
    #[serde(default)]
    dirs: Vec<Dir>,
    #[serde(default)]
    memory_limit: Option<u64>,
    #[serde(default)]
    cache_dir: Option<PathBuf>,
    report: PathBuf,
    log: PathBuf,
    /// Created right before the guest's first instruction (after reading, adapting and
    /// compiling): the parent's guest timeout starts when it appears.
    #[serde(default)]
    started: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Dir {
    host: PathBuf,
    guest: String,
}

enum Outcome {
    Exited(i32),
    Trapped(String),
    NotStarted(i32, String),
    Crashed(String),
}

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
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.len() != 1 || args[0] == "--help" || args[0] == "-h" {
        eprintln!(
            "usage: wasix-runner-wasmer-4.3 REQUEST.json  (the sandbox protocol of wasix-harness)"
        );
        std::process::exit(2);
    }
    let request: Request = match std::fs::read(&args[0])
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(request) => request,
        Err(e) => {
            eprintln!(
                "wasix-runner-wasmer-4.3: cannot read the request {}: {e}",
                Path::new(&args[0]).display()
            );
            std::process::exit(2);
        }
    };

    // The guest gets the real stdout/stderr (duplicated); fds 1 and 2 then point at the log,
    // where wasmer's own prints (tracing, trap messages) end up.
    let (guest_stdout, guest_stderr) = match redirect_streams(&request.log) {
        Ok(streams) => streams,
        Err(e) => finish(
            &request,
            Outcome::Crashed(format!("cannot open the log {}: {e}", request.log.display())),
        ),
    };
    log(&format!("wasmer {WASMER_VERSION}: running {}", request.module.display()));
    if request.protocol != 1 {
        finish(
            &request,
            Outcome::Crashed(format!("unknown protocol version {}", request.protocol)),
        );
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&request, guest_stdout, guest_stderr)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Outcome::Crashed(format!("the runner panicked: {}", one_line(what)))
    });
    finish(&request, outcome)
}

fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "wasix-runner-wasmer-4.3: {line}");
}

fn redirect_streams(log_path: &Path) -> std::io::Result<(File, File)> {
    let dup = |fd: i32| -> std::io::Result<File> {
        // SAFETY: dup returns a new descriptor that this File then owns.
        let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        if new < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(unsafe { File::from_raw_fd(new) })
    };
    let stdout = dup(1)?;
    let stderr = dup(2)?;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log_path)?;
    for fd in [1, 2] {
        // SAFETY: both descriptors are valid; dup2 replaces fd atomically.
        if unsafe { libc::dup2(log.as_raw_fd(), fd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok((stdout, stderr))
}

/// Writes the report (first writer wins) and ends this process at once.
fn finish(request: &Request, outcome: Outcome) -> ! {
    let (json, status) = match &outcome {
        // wasmer 4.3 hands back the guest's `proc_exit` argument unreduced (300 stays 300);
        // a process's exit status is its low 8 bits, as for `std::process::exit(300)`
        // natively and in wasmer 7.4 (44).
        Outcome::Exited(code) => {
            (serde_json::json!({"kind": "exited", "code": code & 0xff}), code & 0xff)
        }
        Outcome::Trapped(message) => {
            (serde_json::json!({"kind": "trapped", "message": message}), 132)
        }
        Outcome::NotStarted(status, message) => (
            serde_json::json!({"kind": "not_started", "status": status, "message": message}),
            *status,
        ),
        Outcome::Crashed(message) => {
            (serde_json::json!({"kind": "crashed", "message": message}), 70)
        }
    };
    log(&format!("outcome: {json}"));
    if let Err(e) = write_report(&request.report, &json.to_string()) {
        log(&format!("cannot write the report {}: {e}", request.report.display()));
        std::process::exit(70);
    }
    std::process::exit(status)
}

fn write_report(report: &Path, text: &str) -> std::io::Result<()> {
    let dir = report.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".report-wasmer-4.3-{}.tmp", std::process::id()));
    let mut file = File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&tmp, report);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()), // another writer was first
        Err(e) => Err(e),
    }
}

fn run(request: &Request, guest_stdout: File, guest_stderr: File) -> Outcome {
    let shown = request.module.display().to_string();
    let bytes = match std::fs::read(&request.module) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::NotStarted(66, format!("cannot read {shown}: {e}")),
    };
    if bytes.is_empty() {
        return Outcome::NotStarted(
            65,
            format!("{shown} is not a WebAssembly module: the file is empty"),
        );
    }
    if !bytes.starts_with(b"\0asm") {
        return Outcome::NotStarted(
            65,
            format!("{shown} is not a WebAssembly module: it does not start with the wasm magic bytes \\0asm"),
        );
    }
    let bytes = match adapter::adapt(&bytes) {
        Ok(Some(adapted)) => {
            log(&format!("import adapter applied ({})", adapter::ADAPTED.join(", ")));
            adapted
        }
        Ok(None) => bytes,
        Err(e) => {
            return Outcome::NotStarted(
                65,
                format!("{shown} is not a valid WebAssembly module: {}", one_line(&e)),
            )
        }
    };

    let mut engine: Engine =
        wasmer::sys::EngineBuilder::new(wasmer::sys::Cranelift::default()).engine().into();
    if let Some(limit) = request.memory_limit {
        memory_limit::apply(&mut engine, limit);
    }
    let module = match load_module(&engine, &bytes, request) {
        Ok(module) => module,
        Err(e) => {
            return Outcome::NotStarted(
                65,
                format!("{shown} is not a valid WebAssembly module: {e}"),
            )
        }
    };
    if let Err(reason) = check_runnable(&module) {
        return Outcome::NotStarted(
            69,
            format!("{shown} cannot run on wasmer {WASMER_VERSION}: {reason}"),
        );
    }

    let tokio = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Outcome::Crashed(format!("cannot start an async runtime: {e}")),
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
    runner.with_args(request.args.iter().cloned());
    runner.with_envs(request.env.iter().cloned());
    runner.with_mapped_directories(
        request
            .dirs
            .iter()
            .map(|d| MappedDirectory { host: d.host.clone(), guest: d.guest.clone() }),
    );
    let hash = ModuleHash::sha256(&bytes);
    if let Some(started) = &request.started {
        if let Err(e) = File::create(started) {
            log(&format!("cannot create {}: {e}", started.display()));
        }
    }
    let result = runner.run_wasm(Arc::new(recorder), &request.program, &module, hash, false);
    if let Some(message) = first_trap.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Outcome::Trapped(message);
    }
    match result {
        Ok(()) => Outcome::Exited(0),
        Err(e) => classify(&shown, e),
    }
}

/// Compiles the module, or loads it from `cache_dir` (keyed by the adapted module's hash, the
/// wasmer version and the memory cap, which changes the compiled memory accesses).
fn load_module(engine: &Engine, bytes: &[u8], request: &Request) -> Result<Module, String> {
    let cached = request.cache_dir.as_ref().map(|dir| {
        let key = format!("{}-{}", ModuleHash::sha256(bytes), request.memory_limit.unwrap_or(0));
        dir.join(format!("wasmer-{WASMER_VERSION}")).join(format!("{key}.bin"))
    });
    if let Some(path) = &cached {
        if path.exists() {
            // SAFETY: the file was written by `Module::serialize_to_file` of this same
            // wasmer version (the directory name says which); a corrupt file fails to load
            // and is compiled again.
            match unsafe { Module::deserialize_from_file(engine, path) } {
                Ok(module) => return Ok(module),
                Err(e) => log(&format!("ignoring the cached module {}: {e}", path.display())),
            }
        }
    }
    let compiled =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Module::new(engine, bytes)))
            .map_err(|_| "wasmer's compiler panicked on it".to_string())?
            .map_err(|e| one_line(&e.to_string()))?;
    if let Some(path) = &cached {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
            let tmp = dir.join(format!(".{}.tmp", std::process::id()));
            if compiled.serialize_to_file(&tmp).is_ok() {
                let _ = std::fs::rename(&tmp, path);
            } else {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
    Ok(compiled)
}

/// Import namespaces that wasmer-wasix provides.
const KNOWN_IMPORT_MODULES: &[&str] =
    &["wasi_snapshot_preview1", "wasi_unstable", "wasix_32v1", "wasix_64v1", "wasi", "env"];

fn check_runnable(module: &Module) -> Result<(), String> {
    let has_start =
        module.exports().any(|e| e.name() == "_start" && matches!(e.ty(), ExternType::Function(_)));
    if !has_start {
        return Err("it exports no `_start` function (a library or reactor, not a command?)".into());
    }
    if let Some(import) = module.imports().find(|i| !KNOWN_IMPORT_MODULES.contains(&i.module())) {
        return Err(format!(
            "it imports `{}.{}`, which no WASI or WASIX runtime provides",
            import.module().escape_debug(),
            import.name().escape_debug()
        ));
    }
    Ok(())
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
fn classify(shown: &str, err: anyhow::Error) -> Outcome {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<WasiRuntimeError>() {
            if let Some(code) = e.as_exit_code() {
                return Outcome::Exited(code.raw());
            }
            match e {
                WasiRuntimeError::Runtime(trap) => {
                    return Outcome::Trapped(one_line(&trap.message()))
                }
                WasiRuntimeError::Init(_)
                | WasiRuntimeError::Export(_)
                | WasiRuntimeError::Instantiation(_) => {
                    return Outcome::NotStarted(
                        69,
                        format!(
                            "{shown} cannot run on wasmer {WASMER_VERSION}: {}",
                            one_line(&dedup_chain(&err))
                        ),
                    );
                }
                _ => {}
            }
        }
        if let Some(WasiError::Exit(code)) = cause.downcast_ref::<WasiError>() {
            return Outcome::Exited(code.raw());
        }
        if let Some(trap) = cause.downcast_ref::<wasmer::RuntimeError>() {
            return Outcome::Trapped(one_line(&trap.message()));
        }
    }
    Outcome::Crashed(one_line(&format!("{err:#}")))
}
