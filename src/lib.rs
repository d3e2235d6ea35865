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
//! // First thing in `main`:
//! wasix_panic_exit::install();
//! // ... the rest of the program: a panic in any thread now exits with 101.
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
//! # A program that unwinds
//! The project's toolchain can also build with unwinding (`WASIX_TOOLCHAIN_PANIC=unwind`: wasm
//! exceptions, on runtimes that have them). Then `cfg(panic = "unwind")` holds and the crate
//! keeps native semantics: a thread's panic ends only that thread, `join()` returns `Err`,
//! `catch_unwind` catches, destructors run and locks are poisoned; std prints its own message
//! and a panic that reaches the top of `main` exits with 101. The crate then ends the process
//! only when asked to with [`Config::exit_on_any_panic`], the global abort above as an explicit
//! choice, and its shim still turns every abort ("panicked while processing panic", a panic
//! that cannot unwind) into 134. The rest of [`Config`] keeps applying where the crate acts:
//! the message goes where [`Config::message_to`] says, and [`Config::exit_code`] is the status
//! of an exit the crate makes (so, without `exit_on_any_panic`, none: a panic that reaches the
//! top of `main` ends with std's 101, as natively; see [`Config::exit_code`] for why):
//!
//! ```
//! use wasix_panic_exit::Config;
//! // A service that must never run on with a dead worker, unwinding or not:
//! wasix_panic_exit::install_with(Config::new().exit_on_any_panic(true));
//! ```
//!
//! # The runtime shim
//! The crate also carries the runtime shim (`src/shim.rs`): `clock_gettime`, `nanosleep` and
//! friends that accept the clock ids Rust's `libc` passes (so `Instant`, `SystemTime` and
//! `thread::sleep` work), and an `abort` that exits with 134 like native SIGABRT. The project's
//! `wasix` toolchain links the shim into every guest, whether or not it uses this crate; built
//! with any other toolchain (wasmer's own), the crate carries it itself.
#![warn(missing_docs)]

mod config;
#[cfg(any(test, all(target_os = "wasi", not(wasix_panic_exit_bare))))]
mod message;
mod status;
pub use config::{Config, MessageTarget};
pub use status::{ABORT_EXIT_CODE, PANIC_EXIT_CODE};

// The crate's own copy of the runtime shim: left out when the toolchain links the shim into
// every guest itself (the project's `wasix` toolchain sets `--cfg wasix_shim_linked`), used
// with any other toolchain (wasmer's own, or ours with `WASIX_TOOLCHAIN_SHIM=0`).
#[cfg(all(target_os = "wasi", not(wasix_shim_linked), not(wasix_panic_exit_bare)))]
mod shim;

/// The timed wait the crate's copy of the shim sleeps in (see `shim.rs`): std's
/// `park_timeout`, which blocks in `memory.atomic.wait32` with a timeout, as the toolchain's
/// copy does through the (unstable) intrinsic; an early return is re-armed by the caller.
#[cfg(all(
    target_os = "wasi",
    target_feature = "atomics",
    not(wasix_shim_linked),
    not(wasix_panic_exit_bare)
))]
fn engine_wait(nanos: u64) {
    std::thread::park_timeout(std::time::Duration::from_nanos(nanos));
}

// The toolchain picks the two cfgs above from these variables; reading them here records them
// in the crate's dep-info, so cargo rebuilds the crate when they change.
const _: Option<&str> = option_env!("WASIX_TOOLCHAIN_SHIM");
const _: Option<&str> = option_env!("WASIX_PANIC_EXIT_BARE");

cfg_if::cfg_if! {
    if #[cfg(all(target_os = "wasi", not(wasix_panic_exit_bare)))] {
        mod wasix;
        use wasix as imp;
    } else {
        mod native;
        use native as imp;
    }
}

/// Installs the panic hook with the default [`Config`]: where the program cannot unwind (the
/// WASIX default), any panic, in any thread, prints std's message and then ends the whole
/// process with [`PANIC_EXIT_CODE`]; where it can (`cfg(panic = "unwind")`), panics take std's
/// native course and the crate ends nothing (see [`Config::exit_on_any_panic`]).
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
