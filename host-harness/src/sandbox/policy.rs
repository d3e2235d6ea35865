//! The run policy: the one settings value every run is made with (timeouts, limits, capture,
//! cache, runtimes), built once from the command line, with its defaults here and nowhere
//! else; and the only way to make a run's [`Invocation`].
//!
//! `run`, `test`, the listing of a libtest binary's tests and every runtime take their runs
//! from [`RunPolicy::invocation`]; a case decides only what is its own ([`RunInput`]: arguments,
//! environment, directories, stdin, a timeout of its own).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::runtime::Runtime;
use super::spec::{Invocation, MappedDir, Output, RunSpec, Stdin};

/// `--timeout`: the guest's time, counted from its start.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// `--compile-timeout`: reading and compiling a module before its guest starts: generous,
/// because a cold Cranelift compile of a big module on a loaded machine is slow, and it is not
/// the guest's time.
pub const DEFAULT_COMPILE_TIMEOUT: Duration = Duration::from_secs(60);
/// `--memory-limit`: what wasm32-wasmer-wasi modules declare as their maximum.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;
/// `--capture-limit`: bytes of each output stream a captured run keeps, half from the start
/// and half from the end, so the last thing a guest printed (a panic message) is never lost.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 20;
/// The largest `--capture-limit`: each running case holds up to twice this in memory.
pub const MAX_CAPTURE_LIMIT: usize = 64 << 20;

/// How every run of one harness invocation is made.
#[derive(Clone, Debug)]
pub struct RunPolicy {
    pub timeout: Duration,
    pub compile_timeout: Duration,
    /// Cap on each linear memory; plus the runtime's allowance, the run's memory budget.
    pub memory_limit: u64,
    /// Bytes of each output stream a captured run keeps.
    pub capture_limit: usize,
    /// The compiled-module cache, or none.
    pub cache: Option<PathBuf>,
    /// The runtimes cases run on, in order; the first also lists libtest binaries.
    pub runtimes: Vec<Runtime>,
}

impl Default for RunPolicy {
    fn default() -> Self {
        RunPolicy {
            timeout: DEFAULT_TIMEOUT,
            compile_timeout: DEFAULT_COMPILE_TIMEOUT,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            cache: None,
            runtimes: vec![Runtime::default()],
        }
    }
}

/// What a case decides about one of its runs; the rest is the policy's.
#[derive(Clone, Debug, Default)]
pub struct RunInput {
    /// argv[1..].
    pub args: Vec<String>,
    /// The guest's whole environment.
    pub env: Vec<(String, String)>,
    pub dirs: Vec<MappedDir>,
    pub stdin: Stdin,
    /// The case's own timeout instead of the policy's (a scenario's `timeout`).
    pub timeout: Option<Duration>,
    /// The guest's streams go straight to the harness's own (`run`), instead of being captured.
    pub pass_through: bool,
}

impl RunPolicy {
    /// The one constructor of a run.
    pub fn invocation(&self, module: &Path, input: RunInput) -> Invocation {
        Invocation {
            spec: RunSpec {
                module: module.to_path_buf(),
                args: input.args,
                env: input.env,
                dirs: input.dirs,
                cache: self.cache.clone(),
                memory_limit: self.memory_limit,
                _policy: (),
            },
            timeout: input.timeout.unwrap_or(self.timeout),
            compile_timeout: self.compile_timeout,
            stdin: input.stdin,
            output: if input.pass_through {
                Output::PassThrough
            } else {
                Output::Capture { limit: self.capture_limit }
            },
            _policy: (),
        }
    }

    /// The runtime that lists libtest binaries: the first one asked for.
    pub fn listing_runtime(&self) -> Runtime {
        self.runtimes.first().copied().unwrap_or_default()
    }
}
