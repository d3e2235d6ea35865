//! What to run: one module once, with its arguments, environment, directories, cache and
//! memory cap, on any runtime.

use std::path::PathBuf;

/// Everything needed to run one module once, on any runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Upper bound on the guest's linear memory, in bytes; `None` keeps the module's own.
    pub memory_limit: Option<u64>,
}

/// A host directory the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedDir {
    pub host: PathBuf,
    pub guest: String,
}

impl RunSpec {
    /// A run of `module` with no arguments, environment, directories or cache and the
    /// module's own memory maximum. Callers set what differs with struct update syntax
    /// (`RunSpec { args, ..RunSpec::new(module) }`), so a new field needs a change here and
    /// in the CLI only.
    pub fn new(module: impl Into<PathBuf>) -> Self {
        RunSpec { module: module.into(), ..Default::default() }
    }

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
            memory_limit: self.memory_limit,
            cache_dir: self.cache.clone(),
        }
    }
}
