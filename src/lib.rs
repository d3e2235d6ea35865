//! Make a panicking thread end a WASIX process the way native Rust does.
//!
//! Natively, a panic in a spawned thread prints its message and, once `join().unwrap()`
//! re-panics, the process exits with status **101**. WASIX has no unwinding (panics abort) and
//! runtimes disagree about what an aborting thread means: wasmer 4.3 deadlocks in `join()`,
//! wasmer 7.4 and `@wasmer/sdk` exit with 127 (27 for a panic in `main`). A service that hangs
//! instead of dying is the worst outcome, so this crate's panic hook prints exactly what std
//! prints and then ends the *whole* process from the panicking thread with status 101.
//!
//! ```
//! fn main() {
//!     wasix_panic_exit::install();
//!     // ... the rest of the program: a panic in any thread now exits with 101.
//! }
//! ```
//!
//! On every target other than WASI everything here keeps std's behaviour ([`install`] does
//! nothing, [`exit`] is [`std::process::exit`]), so the same code builds and runs natively.
//!
//! # What the hook guarantees on WASIX
//! * The message is std's own, written with a single write, so concurrent panics never cut
//!   each other's messages. A hook you set before installing runs first, unchanged, instead.
//! * The process exits exactly once, with the configured status, even when many threads panic
//!   together; threads that panic later print their message and wait for the exit.
//! * It takes no lock that another thread can hold forever. Text already written to stdout is
//!   flushed when the stdout lock is free (std's own exit-time rule); never waited for.
//! * A panic in *any* thread ends the process, even one that nobody joins. This is the global
//!   abort that `panic = "abort"` gives natively, and a deliberate difference from native
//!   unwinding, where an unjoined thread's panic goes unnoticed.
//!
//! # The runtime shim
//! The crate also carries the runtime shim (`src/shim.rs`): `clock_gettime`, `nanosleep` and
//! friends that accept the clock ids Rust's `libc` passes (so `Instant`, `SystemTime` and
//! `thread::sleep` work), and an `abort` that exits with 134 like native SIGABRT. The project's
//! `wasix` toolchain links the shim into every guest, whether or not it uses this crate.
#![cfg_attr(
    all(target_os = "wasi", not(wasix_panic_exit_bare)),
    feature(internal_output_capture, ptr_metadata)
)]
#![warn(missing_docs)]

mod config;
pub use config::{Config, MessageTarget};

#[cfg(all(target_os = "wasi", not(wasix_shim_linked), not(wasix_panic_exit_bare)))]
#[allow(dead_code, missing_docs)]
mod shim;

cfg_if::cfg_if! {
    if #[cfg(all(target_os = "wasi", not(wasix_panic_exit_bare)))] {
        mod wasix;
        use wasix as imp;
    } else {
        mod native;
        use native as imp;
    }
}

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
pub const ABORT_EXIT_CODE: i32 = 134;

/// Installs the panic hook with the default [`Config`]: any panic, in any thread, prints std's
/// message and then ends the whole process with [`PANIC_EXIT_CODE`].
///
/// Idempotent and safe to call from several threads at once: only the first call installs.
/// A hook set *before* the first call is kept and runs first (its output replaces std's
/// message); a hook set *after* it replaces this one, as with any `std::panic::set_hook`.
///
/// On targets other than WASI this does nothing.
///
/// ```
/// wasix_panic_exit::install();
/// wasix_panic_exit::install(); // a second call changes nothing
/// ```
pub fn install() {
    install_with(Config::new());
}

/// Same as [`install`]; the name `console_error_panic_hook` users know.
///
/// ```
/// wasix_panic_exit::set_once();
/// ```
pub fn set_once() {
    install();
}

/// Installs the panic hook with an explicit [`Config`]. Only the first call of [`install`],
/// [`set_once`] or `install_with` in a process takes effect; later calls return `false`.
///
/// On targets other than WASI this does nothing and returns `false`.
///
/// ```
/// use wasix_panic_exit::{Config, MessageTarget};
///
/// wasix_panic_exit::install_with(
///     Config::new()
///         .exit_code(70)
///         .run_previous_hook(false)
///         .message_to(MessageTarget::Stdout),
/// );
/// ```
pub fn install_with(config: Config) -> bool {
    imp::install(config)
}

/// Ends the whole process with `code`, from any thread, after flushing stdout when its lock
/// is free.
///
/// Unlike a runtime's own `exit` from a spawned thread, this never waits for other threads,
/// and it exits only once: if a panic or another `exit` already ends the process, this thread
/// waits for that to finish. On targets other than WASI it is [`std::process::exit`].
///
/// ```no_run
/// std::thread::spawn(|| wasix_panic_exit::exit(42));
/// # loop { std::thread::park(); }
/// ```
pub fn exit(code: i32) -> ! {
    imp::exit(code)
}

/// Ends the whole process at once, as [`std::process::abort`] does natively: no flushing, no
/// destructors, exit status [`ABORT_EXIT_CODE`] (SIGABRT) on WASIX. Works from any thread.
///
/// With the runtime shim linked (always, with the project's toolchain), plain
/// `std::process::abort()` behaves the same way.
///
/// ```no_run
/// wasix_panic_exit::abort();
/// ```
pub fn abort() -> ! {
    std::process::abort()
}
