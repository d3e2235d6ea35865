//! The hook on WASIX: one write per message, one exit per process, no lock another thread holds.
//!
//! Why each step is the way it is:
//!
//! * **Capture, then one write.** std's default hook writes a message of more than 512 bytes
//!   in pieces. If another thread ends the process between two pieces, the message is cut. We
//!   route std's message into a buffer with std's output capture (the mechanism libtest uses)
//!   and write the buffer with a single `fd_write`: a message is either whole or absent. This
//!   also puts the message on the real fd 2 when libtest captures the thread's output, since
//!   the process ends before libtest could print what it captured. A hook the program set
//!   before installing runs as it is: it may print to stdout or a log, and capturing would
//!   move that output to stderr.
//! * **First panic exits, later ones wait.** `EXITING` is claimed with one atomic swap. The
//!   winner exits; every other panicking thread prints its own message (whole) and parks until
//!   the process is gone. So the process exits exactly once, with the winner's status.
//! * **Exit through `std::process::exit`.** It flushes stdout only if the stdout lock is free
//!   (std's `try_lock` at shutdown: a thread that holds the lock forever cannot block us) and
//!   then ends the process with WASIX `proc_exit`, which ends every thread, from any thread.
//! * **No unwinding.** Nothing returns from the hook, so `panic_abort` never traps (the trap is
//!   what runtimes turn into 127), and no `Drop` runs during a panic.

use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::{Config, MessageTarget};

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

static INSTALLED: std::sync::Once = std::sync::Once::new();

/// Set by the one thread that ends the process (a panic or [`crate::exit`]).
static EXITING: AtomicBool = AtomicBool::new(false);

pub(crate) fn install(config: Config) -> bool {
    let mut installed_now = false;
    INSTALLED.call_once(|| {
        // `take_hook` resets the hook to std's default, so a second call hands us the default
        // itself: that is what prints the message when there is no earlier hook to run.
        let previous = panic::take_hook();
        let default = panic::take_hook();
        // Both are std's boxed `default_hook` (same vtable) when no hook was set before.
        let previous_is_default = std::ptr::metadata(&*previous as *const _) == std::ptr::metadata(&*default as *const _);
        let hook = if config.runs_previous_hook() && !previous_is_default {
            // A user's hook prints where it likes (stdout, a log): run it as it is.
            MessageHook { hook: previous, capture: false }
        } else {
            MessageHook { hook: default, capture: true }
        };
        panic::set_hook(Box::new(move |info| on_panic(&config, &hook, info)));
        installed_now = true;
    });
    installed_now
}

/// What prints the message: std's default hook (captured and written once) or the hook the
/// program set before installing (run unchanged).
struct MessageHook {
    hook: Hook,
    capture: bool,
}

fn on_panic(config: &Config, message: &MessageHook, info: &PanicHookInfo<'_>) -> ! {
    let first;
    if message.capture {
        let text = capture_output(|| (message.hook)(info));
        first = claim_exit();
        match config.get_message_target() {
            MessageTarget::Stderr => write_all(2, &text),
            MessageTarget::Stdout => write_all(1, &text),
            MessageTarget::Discard => {}
        }
    } else {
        (message.hook)(info);
        first = claim_exit();
    }
    if first {
        std::process::exit(config.get_exit_code())
    }
    wait_for_exit()
}

pub(crate) fn exit(code: i32) -> ! {
    if claim_exit() {
        std::process::exit(code)
    }
    wait_for_exit()
}

/// True for the one caller that gets to end the process.
fn claim_exit() -> bool {
    !EXITING.swap(true, Ordering::AcqRel)
}

/// Another thread is ending the process; it will take this one with it.
fn wait_for_exit() -> ! {
    loop {
        std::thread::park();
    }
}

/// Runs `f` with this thread's `print!`/`eprint!` output (and std's panic message) going into
/// a fresh buffer, and returns the buffer. The buffer's lock is ours alone.
fn capture_output(f: impl FnOnce()) -> Vec<u8> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let Ok(outer) = std::io::try_set_output_capture(Some(Arc::clone(&sink))) else {
        // Thread-local storage is being torn down: let the hook write directly.
        f();
        return Vec::new();
    };
    f();
    let _ = std::io::try_set_output_capture(outer);
    let mut buffer = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::take(&mut *buffer)
}

/// Writes `bytes` with as few `fd_write` calls as the runtime allows (one, in practice).
fn write_all(fd: u32, mut bytes: &[u8]) {
    let mut retries = 0;
    while !bytes.is_empty() {
        let iov = [wasi::Ciovec { buf: bytes.as_ptr(), buf_len: bytes.len() }];
        match unsafe { wasi::fd_write(fd, &iov) } {
            Ok(0) => return,
            Ok(n) => bytes = &bytes[n.min(bytes.len())..],
            Err(e) if (e == wasi::ERRNO_INTR || e == wasi::ERRNO_AGAIN) && retries < 1000 => {
                retries += 1;
                std::thread::yield_now();
            }
            Err(_) => return,
        }
    }
}
