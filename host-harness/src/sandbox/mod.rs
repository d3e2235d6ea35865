//! Running one module in a child process under the watchdog, on any runtime.
//!
//! * `policy`: the one run policy (timeouts, limits, capture, cache, runtimes; the defaults)
//!   and the only constructor of a run;
//! * `spec`: what one run is (module, arguments, environment, directories, limits, stdio);
//! * `module_check`: the parent's checks of a module, once, before any child starts;
//! * `runtime`: which runtimes exist, what each cannot load, and how its child is started;
//! * `channel`: the parent's end of the one parent/child protocol (`wasix-sandbox-protocol`:
//!   the run in, `started` and an outcome out, over inherited sockets);
//! * `watchdog`: the parent's side of a run: start the child, capture its output, kill it at
//!   the timeout; `serving`: the same for runners that serve many runs (the sdk, the
//!   browsers), one per job, kept between runs; `live`: what runs and what lies about, for a
//!   signal to clean up;
//! * `engine`: the `wasmer` runtime's child (wasmer 7.4 embedded), with `exit_guard`,
//!   `stdio`, `memory_limit`, `module_cache` and `adapt` (import renaming).
//!
//! It imports only [`crate::outcome`], [`crate::errors`], [`crate::text`] and [`crate::input`].
//! Its files are private; what its callers use is re-exported here.

mod adapt;
mod channel;
mod engine;
mod exit_guard;
mod launch;
mod live;
mod memory_limit;
mod module_cache;
mod module_check;
mod policy;
mod runtime;
mod serving;
mod spec;
mod stdio;
mod watchdog;

pub use engine::{GuestOutput, engine as wasmer_engine, load_module_bytes, run_guest, serve};
pub use launch::run;
pub use live::{ScratchDir, abandon_all};
pub use module_cache::ModuleCache;
pub use module_check::{
    CheckedModule, Encoding, Exceptions, Needs, inspect as check_module, load as load_module,
};
pub use policy::{
    DEFAULT_CAPTURE_LIMIT, DEFAULT_COMPILE_TIMEOUT, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT,
    MAX_CAPTURE_LIMIT, RunInput, RunPolicy,
};
pub use runtime::{Runtime, parse_list as parse_runtimes, set_child_binary};
pub use serving::end_runners;
pub use spec::{Invocation, MappedDir, Output, RunSpec, Stdin};
pub use watchdog::{Captured, GuestRun, RunnerUse, run_native};
