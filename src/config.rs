//! What the hook does once a thread panics.
//!
//! Each setting has a builder-style setter and a getter named `get_` + the setter's name, as
//! `std::process::Command` does (`current_dir` / `get_current_dir`): [`Config::exit_code`] /
//! [`Config::get_exit_code`], [`Config::run_previous_hook`] / [`Config::get_run_previous_hook`],
//! [`Config::message_to`] / [`Config::get_message_to`].

use crate::status::PANIC_EXIT_CODE;

/// Where the panic message is written.
///
/// ```
/// use wasix_panic_exit::{Config, MessageTarget};
/// let quiet = Config::new().message_to(MessageTarget::Discard);
/// assert_eq!(quiet.get_message_to(), MessageTarget::Discard);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageTarget {
    /// File descriptor 2, as std does (the default).
    Stderr,
    /// File descriptor 1, for hosts that only collect stdout.
    Stdout,
    /// Nowhere: the process still exits with the configured status.
    Discard,
}

/// Settings for [`install_with`](crate::install_with). [`Config::new`] (also
/// `Config::default()`) is what [`install`](crate::install) uses.
///
/// ```
/// use wasix_panic_exit::{Config, MessageTarget, PANIC_EXIT_CODE};
///
/// let config = Config::new();
/// assert_eq!(config.get_exit_code(), PANIC_EXIT_CODE);
/// assert!(config.get_run_previous_hook());
/// assert_eq!(config.get_message_to(), MessageTarget::Stderr);
/// assert!(!config.get_exit_on_any_panic());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    exit_code: i32,
    run_previous_hook: bool,
    message: MessageTarget,
    exit_on_any_panic: bool,
}

impl Config {
    /// Exit with [`PANIC_EXIT_CODE`], run a hook that was set before installing, print to
    /// stderr; a panic ends the process only where it cannot unwind (see
    /// [`Config::exit_on_any_panic`]).
    ///
    /// ```
    /// let config = wasix_panic_exit::Config::new();
    /// # let _ = config;
    /// ```
    pub const fn new() -> Self {
        Self {
            exit_code: PANIC_EXIT_CODE,
            run_previous_hook: true,
            message: MessageTarget::Stderr,
            exit_on_any_panic: false,
        }
    }

    /// The process exit status when the crate ends the process after a panic. As on POSIX, a
    /// host sees its low 8 bits (`exit_code(300)` is reported as 44).
    ///
    /// In a program that unwinds (`cfg(panic = "unwind")`) without
    /// [`exit_on_any_panic`](Config::exit_on_any_panic), the crate never ends the process: a
    /// panic that reaches the top of `main` exits with std's own status, 101, whatever this
    /// says, as the same program does on a native target (where `install_with` does nothing).
    /// That is deliberate: the hook runs when a panic starts, before anything unwinds, so it
    /// cannot know whether some `catch_unwind` (libtest's, a server's) will catch it or whether
    /// it will reach the top of `main`; std then returns 101 from `main` without asking any
    /// hook, and at the exit itself 101 from a panic and `process::exit(101)` look the same.
    /// A status chosen there would be a guess. For a configured status on every panic, set
    /// `exit_on_any_panic(true)`: the crate then ends the process itself, with this status.
    ///
    /// ```
    /// let config = wasix_panic_exit::Config::new().exit_code(3);
    /// assert_eq!(config.get_exit_code(), 3);
    /// ```
    pub const fn exit_code(mut self, code: i32) -> Self {
        self.exit_code = code;
        self
    }

    /// Whether a panic hook set before installing runs (`true`, the default) or std's own
    /// message is printed instead (`false`).
    ///
    /// ```
    /// let config = wasix_panic_exit::Config::new().run_previous_hook(false);
    /// assert!(!config.get_run_previous_hook());
    /// ```
    pub const fn run_previous_hook(mut self, run: bool) -> Self {
        self.run_previous_hook = run;
        self
    }

    /// Where the message goes.
    ///
    /// ```
    /// use wasix_panic_exit::{Config, MessageTarget};
    /// let config = Config::new().message_to(MessageTarget::Discard);
    /// assert_eq!(config.get_message_to(), MessageTarget::Discard);
    /// ```
    pub const fn message_to(mut self, target: MessageTarget) -> Self {
        self.message = target;
        self
    }

    /// Whether *any* panic, in any thread, ends the whole process once its message is printed
    /// (`true`), or the panic takes std's course (`false`, the default).
    ///
    /// * A program that cannot unwind (`panic = "abort"`: the only strategy of wasmer's WASIX
    ///   toolchain and the default of this project's) has no other course: every panic ends the
    ///   process with [`exit_code`](Config::exit_code), whatever this says.
    /// * A program that unwinds (this project's toolchain with `WASIX_TOOLCHAIN_PANIC=unwind`)
    ///   keeps native semantics by default: the panicking thread unwinds, its destructors run,
    ///   locks it held are poisoned, `join()` returns `Err`, `catch_unwind` catches, and only a
    ///   panic that reaches the top of `main` ends the process (101). `true` gives it the
    ///   global abort of `panic = "abort"` instead: the first panic ends the process before
    ///   anything unwinds, with one exit even when many threads panic together (what a service
    ///   that must never run on with a dead worker wants).
    ///
    /// ```
    /// let config = wasix_panic_exit::Config::new().exit_on_any_panic(true);
    /// assert!(config.get_exit_on_any_panic());
    /// ```
    pub const fn exit_on_any_panic(mut self, exit: bool) -> Self {
        self.exit_on_any_panic = exit;
        self
    }

    /// Whether any panic ends the process (as set; a program that cannot unwind always does).
    ///
    /// ```
    /// assert!(!wasix_panic_exit::Config::new().get_exit_on_any_panic());
    /// ```
    pub const fn get_exit_on_any_panic(&self) -> bool {
        self.exit_on_any_panic
    }

    /// The configured exit status.
    ///
    /// ```
    /// assert_eq!(wasix_panic_exit::Config::new().get_exit_code(), 101);
    /// ```
    pub const fn get_exit_code(&self) -> i32 {
        self.exit_code
    }

    /// Whether an earlier hook runs.
    ///
    /// ```
    /// assert!(wasix_panic_exit::Config::new().get_run_previous_hook());
    /// ```
    pub const fn get_run_previous_hook(&self) -> bool {
        self.run_previous_hook
    }

    /// The configured message target.
    ///
    /// ```
    /// use wasix_panic_exit::{Config, MessageTarget};
    /// assert_eq!(Config::new().get_message_to(), MessageTarget::Stderr);
    /// ```
    pub const fn get_message_to(&self) -> MessageTarget {
        self.message
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}
