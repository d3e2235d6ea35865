//! A wasmer-wasix 0.27 runtime that remembers the guest's first trap.
//!
//! wasmer 4.3 turns a trap into an exit status of its own choosing (45, `ENOEXEC`) and prints
//! the error itself, so a status alone cannot tell "the guest trapped" from "the guest exited
//! with 45". A trap on the main thread comes back from `_start` as a `RuntimeError`; a trap
//! in a spawned thread never reaches the caller: wasmer-wasix 0.27 reports it only through
//! `Runtime::on_taint(TaintReason::RuntimeError)` (as wasmer 7.4 does), then ends that thread
//! alone and lets the process run on. This wrapper records the first such trap and forwards
//! everything else to wasmer's own `PluggableRuntime`.
//!
//! Unlike the 7.4 harness, there is no exit guard: a trapped or exited thread that leaves the
//! rest of the process running is wasmer 4.3's own behaviour (the bug this runner exists to
//! show), so the process ends when wasmer ends it, or at the parent's timeout.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use wasmer::{Engine, Module};
use wasmer_wasix::http::DynHttpClient;
use wasmer_wasix::os::TtyBridge;
use wasmer_wasix::runtime::module_cache::ModuleCache;
use wasmer_wasix::runtime::package_loader::PackageLoader;
use wasmer_wasix::runtime::resolver::Source;
use wasmer_wasix::runtime::task_manager::VirtualTaskManager;
use wasmer_wasix::runtime::{DynRuntime, TaintReason};
use wasmer_wasix::virtual_net::DynVirtualNetworking;
use wasmer_wasix::{Runtime, SpawnError};

pub struct TrapRecorder {
    inner: Arc<DynRuntime>,
    trap: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for TrapRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrapRecorder").finish_non_exhaustive()
    }
}

impl TrapRecorder {
    pub fn new(inner: Arc<DynRuntime>) -> Self {
        Self { inner, trap: Arc::default() }
    }

    /// Where the first trap's one-line description will appear.
    pub fn first_trap(&self) -> Arc<Mutex<Option<String>>> {
        Arc::clone(&self.trap)
    }
}

impl Runtime for TrapRecorder {
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
    fn http_client(&self) -> Option<&DynHttpClient> {
        self.inner.http_client()
    }
    fn tty(&self) -> Option<&(dyn TtyBridge + Send + Sync)> {
        self.inner.tty()
    }
    fn load_module<'a>(&'a self, wasm: &'a [u8]) -> BoxFuture<'a, Result<Module, SpawnError>> {
        self.inner.load_module(wasm)
    }
    fn load_module_sync(&self, wasm: &[u8]) -> Result<Module, SpawnError> {
        self.inner.load_module_sync(wasm)
    }
    fn on_taint(&self, reason: TaintReason) {
        if let TaintReason::RuntimeError(err) = &reason {
            let message = crate::one_line(&err.message());
            let _ = writeln_log(&format!("trap in a spawned thread: {message}"));
            let mut trap = self.trap.lock().unwrap_or_else(|p| p.into_inner());
            if trap.is_none() {
                *trap = Some(message);
            }
        }
        self.inner.on_taint(reason);
    }
}

fn writeln_log(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    // fd 2 is the log file once the runner has set up its streams.
    writeln!(std::io::stderr(), "wasix-runner-wasmer-4.3: {line}")
}
