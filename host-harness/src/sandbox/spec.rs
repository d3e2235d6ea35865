//! What one run is: a module with its arguments, environment, directories, cache and memory
//! cap ([`RunSpec`]), and how long it may take and what its standard streams are
//! ([`Invocation`]). Only the run policy makes them (`policy.rs`): every field can be read
//! anywhere, and set only there.

use std::path::PathBuf;
use std::time::Duration;

/// Everything needed to run one module once, on any runtime.
// A private field, not `#[non_exhaustive]`: that would still let the rest of this crate build
// one, and only the policy may.
#[allow(clippy::manual_non_exhaustive)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSpec {
    pub module: PathBuf,
    /// argv[1..]; argv[0] is the module's file name.
    pub args: Vec<String>,
    /// The guest's whole environment.
    pub env: Vec<(String, String)>,
    /// Host directories preopened for the guest.
    pub dirs: Vec<MappedDir>,
    /// Compiled-module cache; `None` compiles every time.
    pub cache: Option<PathBuf>,
    /// Upper bound on each linear memory of the guest, in bytes.
    pub memory_limit: u64,
    /// Made by the run policy only.
    pub(super) _policy: (),
}

/// A host directory the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedDir {
    pub host: PathBuf,
    pub guest: String,
}

/// What the guest's standard input is.
#[derive(Clone, Debug, Default)]
pub enum Stdin {
    /// `/dev/null`: reads see end of file at once.
    #[default]
    Null,
    /// The harness's own stdin (`wasix-harness run`).
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// A pipe that stays open and empty until the guest ends: reads block.
    HeldOpen,
}

/// Where the guest's stdout and stderr go.
#[derive(Clone, Copy, Debug)]
pub enum Output {
    /// Straight through to the harness's own stdout and stderr.
    PassThrough,
    /// Into memory, keeping at most this many bytes of each stream (head and tail).
    Capture { limit: usize },
}

/// One run to make: what, for how long, with which stdio (on a runtime, or natively).
#[allow(clippy::manual_non_exhaustive)] // only the policy may build one (see RunSpec)
#[derive(Clone, Debug)]
pub struct Invocation {
    pub spec: RunSpec,
    /// The guest's time, counted from when the child says it started the guest.
    pub timeout: Duration,
    /// Reading and compiling the module, before the guest starts.
    pub compile_timeout: Duration,
    pub stdin: Stdin,
    pub output: Output,
    /// Made by the run policy only.
    pub(super) _policy: (),
}

impl RunSpec {
    /// The guest's argv[0]: the module's file name.
    pub fn program(&self) -> String {
        self.module
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "guest.wasm".into())
    }

    /// The protocol's run message for this spec.
    pub fn to_run(&self, id: u64) -> wasix_sandbox_protocol::Run {
        wasix_sandbox_protocol::Run {
            id,
            program: self.program(),
            module: self.module.display().to_string(),
            args: self.args.clone(),
            env: self.env.clone(),
            dirs: self
                .dirs
                .iter()
                .map(|d| wasix_sandbox_protocol::Dir {
                    host: d.host.clone(),
                    guest: d.guest.clone(),
                })
                .collect(),
            memory_limit: Some(self.memory_limit),
            cache_dir: self.cache.clone(),
        }
    }
}
