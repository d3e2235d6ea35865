//! Running one module in a child process under the watchdog, on any runtime.
//!
//! * [`protocol`]: the one parent/child protocol (a request in, an outcome out);
//! * [`runtime`]: which runtimes exist and how each one's child is started;
//! * [`watchdog`]: the parent's side: start the child, capture its output, kill it at the
//!   timeout;
//! * [`engine`]: the `wasmer` runtime's child (wasmer 7.4 embedded), with `exit_guard`,
//!   `stdio`, `memory_limit`, `module_cache` and `adapt` (import renaming).
//!
//! It imports only [`crate::outcome`], [`crate::errors`] and [`crate::text`].

// Public: what the CLI, the tests, the benchmark and the fuzz targets use. The engine's own
// parts are private to the sandbox.
mod adapt;
pub mod engine;
mod exit_guard;
mod memory_limit;
pub(crate) mod module_cache;
pub mod protocol;
pub mod runtime;
mod stdio;
pub mod watchdog;

pub use protocol::{MappedDir, RunSpec};
pub use runtime::{Runtime, set_child_binary};
pub use watchdog::{Captured, GuestRun, Invocation, Output, Stdin};
