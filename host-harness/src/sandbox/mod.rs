//! Running one module in a child process under the watchdog, on any runtime.
//!
//! * [`spec`]: what one run is (module, arguments, environment, directories, limits);
//! * [`channel`]: the parent's end of the one parent/child protocol (`wasix-sandbox-protocol`:
//!   a request in, `started` and an outcome out, over inherited sockets);
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
mod channel;
pub mod engine;
mod exit_guard;
mod memory_limit;
pub(crate) mod module_cache;
pub mod runtime;
pub mod spec;
mod stdio;
pub mod watchdog;

pub use runtime::{Runtime, set_child_binary};
pub use spec::{MappedDir, RunSpec};
pub use watchdog::{Captured, GuestRun, Invocation, Output, Stdin};
