//! The two exit statuses the crate produces, defined once: the crate re-exports them, and the
//! runtime shim (`shim.rs`, also compiled on its own by `toolchain/shim/`) uses
//! [`ABORT_EXIT_CODE`] as `crate::status::ABORT_EXIT_CODE` in both builds.

/// Exit status of a process ended by a panic: what native Rust reports when a panic reaches
/// the top of `main` (or `join().unwrap()` re-panics it there).
///
/// ```
/// assert_eq!(wasix_panic_exit::PANIC_EXIT_CODE, 101);
/// ```
pub const PANIC_EXIT_CODE: i32 = 101;

/// Exit status of an aborted process: what a POSIX shell reports for a process killed by
/// SIGABRT (128 + 6), which is how `std::process::abort` ends a native program.
///
/// ```
/// assert_eq!(wasix_panic_exit::ABORT_EXIT_CODE, 128 + 6);
/// ```
pub const ABORT_EXIT_CODE: i32 = 128 + 6;
