//! The exit guard: a wasmer-wasix runtime wrapper that remembers the guest's first trap and the
//! whole status it passed to `proc_exit`, and makes sure a process that asked to end does end.
//!
//! wasmer-wasix keeps an exit status as `(status % 256) as u16` (`ExitCode::from(i32)`), so
//! `proc_exit(256)` comes back as 0 and `proc_exit(-1)` as 65535: the guest's own value is gone
//! before any caller sees it. Every `proc_exit` import is therefore wrapped to note the value
//! first ([`WatchedRuntime::exit_status`] maps wasmer's status back to it).
//!
//! wasmer turns a trap into an exit status of its own choosing (45, `ENOEXEC`, for the main
//! thread; the thread's code for others) and prints the error itself, so the exit status alone
//! cannot tell "the guest trapped" from "the guest exited with 45". The runtime is told about
//! every trap, and every non-zero exit, through `Runtime::on_taint`; this wrapper records the
//! first and forwards everything to wasmer's own runtime.
//!
//! The exit guard: in wasmer-wasix 0.704, a thread blocked reading stdin holds the stdin file's
//! lock, and process teardown waits for that lock to flush the file, so `proc_exit` from any
//! other thread waits until stdin has data or closes. The guest has asked to end and all its
//! output is already written (the harness's stdio is synchronous), so once an exit or trap is
//! known, a grace period later the guard reports it and ends the host process itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use wasmer::{Engine, Module};
use wasmer_wasix::http::DynHttpClient;
use wasmer_wasix::os::TtyBridge;
use wasmer_wasix::runtime::module_cache::ModuleCache;
use wasmer_wasix::runtime::module_cache::progress::ModuleLoadProgressReporter;
use wasmer_wasix::runtime::package_loader::PackageLoader;
use wasmer_wasix::runtime::resolver::Source;
use wasmer_wasix::runtime::task_manager::VirtualTaskManager;
use wasmer_wasix::runtime::{DynRuntime, InstantiationState, ModuleInput, TaintReason};
use wasmer_wasix::virtual_net::DynVirtualNetworking;
use wasmer_wasix::wasmer_wasix_types::wasi::ExitCode;
use wasmer_wasix::{Runtime, SpawnError};

use wasix_sandbox_protocol::Report;

/// Called from the guard thread with the outcome, when the process has not ended on its own
/// within [`EXIT_GRACE`] of the guest asking it to.
pub type ExitGuard = Arc<dyn Fn(Report) + Send + Sync>;

/// How long wasmer may take to tear a process down after the guest asked it to end.
pub const EXIT_GRACE: Duration = Duration::from_secs(1);

pub struct WatchedRuntime {
    inner: Arc<DynRuntime>,
    trap: Arc<Mutex<Option<String>>>,
    /// The first status any thread passed to `proc_exit`, all 32 bits.
    exit: Arc<Mutex<Option<i32>>>,
    guard: Option<ExitGuard>,
    guard_armed: AtomicBool,
}

impl std::fmt::Debug for WatchedRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedRuntime").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl WatchedRuntime {
    pub fn new(inner: Arc<DynRuntime>, guard: Option<ExitGuard>) -> Self {
        Self {
            inner,
            trap: Arc::default(),
            exit: Arc::default(),
            guard,
            guard_armed: AtomicBool::new(false),
        }
    }

    fn arm_guard(&self, outcome: Report) {
        let Some(guard) = self.guard.clone() else { return };
        if self.guard_armed.swap(true, Ordering::AcqRel) {
            return;
        }
        std::thread::spawn(move || {
            std::thread::sleep(EXIT_GRACE);
            guard(outcome);
        });
    }

    /// Where the first trap's one-line description will appear.
    pub fn first_trap(&self) -> Arc<Mutex<Option<String>>> {
        Arc::clone(&self.trap)
    }

    /// Turns the exit status wasmer reports into the one the guest passed, when it was that
    /// one's remainder (see the module's documentation).
    pub fn exit_status(&self) -> impl Fn(i32) -> i32 + Send + Sync + 'static {
        let exit = Arc::clone(&self.exit);
        move |reported| full_status(&exit, reported)
    }
}

fn full_status(exit: &Mutex<Option<i32>>, reported: i32) -> i32 {
    match *exit.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(passed) if ExitCode::from(passed).raw() == reported => passed,
        _ => reported,
    }
}

/// The imports a guest ends its process with.
const EXITS: &[(&str, &str)] = &[
    ("wasi_snapshot_preview1", "proc_exit"),
    ("wasi_unstable", "proc_exit"),
    ("wasix_32v1", "proc_exit"),
    ("wasix_32v1", "proc_exit2"),
    ("wasix_64v1", "proc_exit"),
    ("wasix_64v1", "proc_exit2"),
];

/// Replaces each exit import with one that notes its argument, then calls wasmer's own.
fn note_exit_statuses(
    store: &mut wasmer::StoreMut,
    imports: &mut wasmer::Imports,
    exit: &Arc<Mutex<Option<i32>>>,
) {
    for (namespace, name) in EXITS {
        let Some(wasmer::Extern::Function(original)) = imports.get_export(namespace, name) else {
            continue;
        };
        let ty = original.ty(store);
        let env = wasmer::FunctionEnv::new(store, ());
        let exit = Arc::clone(exit);
        let wrapped = wasmer::Function::new_with_env(
            store,
            &env,
            ty,
            move |mut env: wasmer::FunctionEnvMut<()>, args: &[wasmer::Value]| {
                if let Some(wasmer::Value::I32(status)) = args.first() {
                    exit.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(*status);
                }
                original.call(&mut env, args).map(|results| results.into_vec())
            },
        );
        imports.define(namespace, name, wrapped);
    }
}

impl Runtime for WatchedRuntime {
    fn networking(&self) -> &DynVirtualNetworking {
        self.inner.networking()
    }
    fn task_manager(&self) -> &Arc<dyn VirtualTaskManager> {
        self.inner.task_manager()
    }
    fn package_loader(&self) -> Arc<dyn PackageLoader + Send + Sync> {
        self.inner.package_loader()
    }
    fn module_cache(&self) -> Arc<dyn ModuleCache + Send + Sync> {
        self.inner.module_cache()
    }
    fn source(&self) -> Arc<dyn Source + Send + Sync> {
        self.inner.source()
    }
    fn engine(&self) -> Engine {
        self.inner.engine()
    }
    fn new_store(&self) -> wasmer::Store {
        self.inner.new_store()
    }
    fn additional_imports(
        &self,
        module: &Module,
        store: &mut wasmer::StoreMut,
    ) -> anyhow::Result<(wasmer::Imports, InstantiationState)> {
        self.inner.additional_imports(module, store)
    }
    fn prepare_imports(
        &self,
        module: &Module,
        store: &mut wasmer::StoreMut,
        imports: &mut wasmer::Imports,
    ) -> anyhow::Result<InstantiationState> {
        let state = self.inner.prepare_imports(module, store, imports)?;
        note_exit_statuses(store, imports, &self.exit);
        Ok(state)
    }
    fn configure_new_instance(
        &self,
        module: &Module,
        store: &mut wasmer::StoreMut,
        instance: &wasmer::Instance,
        imported_memory: Option<&wasmer::Memory>,
        state: InstantiationState,
    ) -> anyhow::Result<()> {
        self.inner.configure_new_instance(module, store, instance, imported_memory, state)
    }
    fn http_client(&self) -> Option<&DynHttpClient> {
        self.inner.http_client()
    }
    fn tty(&self) -> Option<&(dyn TtyBridge + Send + Sync)> {
        self.inner.tty()
    }
    fn resolve_module<'a>(
        &'a self,
        input: ModuleInput<'a>,
        engine: Option<&Engine>,
        on_progress: Option<ModuleLoadProgressReporter>,
    ) -> BoxFuture<'a, Result<Module, SpawnError>> {
        self.inner.resolve_module(input, engine, on_progress)
    }
    fn on_taint(&self, reason: TaintReason) {
        match &reason {
            TaintReason::RuntimeError(err) => {
                let message = crate::text::one_line(&err.message());
                let mut trap = self.trap.lock().unwrap_or_else(|p| p.into_inner());
                if trap.is_none() {
                    *trap = Some(message.clone());
                }
                self.arm_guard(Report::Trapped { message });
            }
            TaintReason::NonZeroExitCode(code) => {
                self.arm_guard(Report::Exited { code: full_status(&self.exit, code.raw()) })
            }
            _ => {}
        }
        self.inner.on_taint(reason);
    }
}
