//! The hook on WASIX: one write per message, one exit per process, no lock another thread holds.
//!
//! Why each step is the way it is:
//!
//! * **Format, then one write.** std's default hook writes a message of more than 512 bytes in
//!   pieces, and its `note:` line separately. If another thread ends the process between two
//!   pieces, the message is cut. The crate builds std's exact text itself (`message.rs`) and
//!   writes it with a single `fd_write`: a message is either whole or absent. This also puts
//!   the message on the real fd 2 when libtest captures the thread's output, since the process
//!   ends before libtest could print what it captured. A hook the program set before
//!   installing runs as it is: it may print to stdout or a log.
//! * **First panic exits, later ones wait.** `EXITING` is claimed with one atomic swap. The
//!   winner exits; every other panicking thread prints its own message (whole) and parks until
//!   the process is gone. So the process exits exactly once, with the winner's status.
//! * **Exit through `std::process::exit`.** It flushes stdout only if the stdout lock is free
//!   (std's `try_lock` at shutdown: a thread that holds the lock forever cannot block us) and
//!   then ends the process with WASIX `proc_exit`, which ends every thread, from any thread.
//! * **No unwinding.** Nothing returns from the hook, so `panic_abort` never traps (the trap is
//!   what runtimes turn into 127), and no `Drop` runs during a panic.
//!
//! # A program that unwinds
//!
//! Built with `cfg(panic = "unwind")` (the project's toolchain with
//! `WASIX_TOOLCHAIN_PANIC=unwind`), the hook ends the process only with
//! [`Config::exit_on_any_panic`]; otherwise it prints and returns, and std unwinds as natively.
//! std's message is then printed by std's own default hook (kept aside before `main`, below):
//! it is byte for byte std's, and it goes into libtest's output capture, so a passing
//! `#[should_panic]` test prints nothing and a failing test shows it under its name. The
//! one-write rule above matters only when the process ends right after the message; here the
//! panicking thread lives on, as natively.
//!
//! # Telling std's default hook from one the program set
//!
//! `take_hook` hands back std's default hook or the program's as the same opaque
//! `Box<dyn Fn>`; std offers no stable way to tell them apart (comparing vtables is documented
//! as unreliable, and both may be zero-sized). So before `main` runs (a `.init_array`
//! constructor, which wasm-ld turns into a call from `__wasm_call_ctors`), the crate takes
//! std's default hook aside and puts in a *stand-in* that prints the same message (in one
//! write when the program cannot unwind, through std's own hook when it can) and remembers
//! the stand-in's heap address. At `install`, the hook that `take_hook` returns is
//! the stand-in exactly when its address is the remembered one: the stand-in is not
//! zero-sized, so it owns its allocation, and its `Drop` forgets the address before the memory
//! is freed, so no other live hook can have that address (no ABA). If the constructor never
//! ran, every earlier hook counts as the program's and runs (std's default then prints,
//! correctly but possibly in more than one write).

use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

use crate::config::{Config, MessageTarget};
use crate::message;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

static INSTALLED: Once = Once::new();

/// Set by the one thread that ends the process (a panic or [`crate::exit`]).
static EXITING: AtomicBool = AtomicBool::new(false);

/// Address of the live stand-in for std's default hook; 0 when there is none.
static STAND_IN: AtomicUsize = AtomicUsize::new(0);

/// std's own default hook, taken aside before `main` (only a program that unwinds calls it).
static STD_DEFAULT: OnceLock<Hook> = OnceLock::new();

/// A program that unwinds, where a panic can end less than the whole process.
const UNWINDS: bool = cfg!(panic = "unwind");

#[used]
#[link_section = ".init_array"]
static REPLACE_DEFAULT_HOOK: extern "C" fn() = replace_default_hook;

/// Runs before `main`: no program code has set a hook yet, so the hook is std's default.
extern "C" fn replace_default_hook() {
    /// Owned by the stand-in; not zero-sized, so the stand-in's box has its own allocation.
    struct Alive(#[allow(dead_code)] u32);
    impl Drop for Alive {
        fn drop(&mut self) {
            STAND_IN.store(0, Ordering::Release);
        }
    }
    let alive = Alive(1);
    let _ = STD_DEFAULT.set(panic::take_hook());
    let stand_in = Box::new(move |info: &PanicHookInfo<'_>| {
        let _owned = &alive;
        print_std_message(info);
    });
    let address = data_address(&*stand_in);
    STAND_IN.store(address, Ordering::Release);
    panic::set_hook(stand_in);
}

/// The address of a hook's data (its vtable is not looked at).
fn data_address<T: ?Sized>(hook: &T) -> usize {
    hook as *const T as *const () as usize
}

fn is_stand_in(hook: &Hook) -> bool {
    let address = data_address(&**hook);
    address != 0 && address == STAND_IN.load(Ordering::Acquire)
}

pub(crate) fn install(config: Config) -> bool {
    let mut installed_now = false;
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        let message = if config.get_run_previous_hook() && !is_stand_in(&previous) {
            // A program's hook prints where it likes (stdout, a log): run it as it is.
            Message::Previous(previous)
        } else {
            Message::Std
        };
        panic::set_hook(Box::new(move |info| on_panic(&config, &message, info)));
        installed_now = true;
    });
    installed_now
}

/// What prints the message: the crate (std's text, one write) or the hook the program set
/// before installing (run unchanged).
enum Message {
    Std,
    Previous(Hook),
}

/// std's message on stderr, as the stand-in prints it: where the program cannot unwind the
/// process ends right after, so the crate writes std's text in one write; where it can, the
/// thread lives on and std's own hook prints (into libtest's capture when there is one).
fn print_std_message(info: &PanicHookInfo<'_>) {
    match STD_DEFAULT.get() {
        Some(std_hook) if UNWINDS => {
            std_hook(info);
            message::first_panic_done();
        }
        _ => write_all(2, message::for_panic(info).as_bytes()),
    }
}

fn on_panic(config: &Config, message: &Message, info: &PanicHookInfo<'_>) {
    if UNWINDS && !config.get_exit_on_any_panic() {
        // std's course: print, return, and let the thread unwind.
        match message {
            Message::Std => match config.get_message_to() {
                MessageTarget::Stderr => print_std_message(info),
                MessageTarget::Stdout => write_all(1, message::for_panic(info).as_bytes()),
                MessageTarget::Discard => {}
            },
            Message::Previous(hook) => hook(info),
        }
        return;
    }
    exit_after_panic(config, message, info)
}

fn exit_after_panic(config: &Config, message: &Message, info: &PanicHookInfo<'_>) -> ! {
    let first;
    match message {
        Message::Std => {
            let text = message::for_panic(info);
            first = claim_exit();
            match config.get_message_to() {
                MessageTarget::Stderr => write_all(2, text.as_bytes()),
                MessageTarget::Stdout => write_all(1, text.as_bytes()),
                MessageTarget::Discard => {}
            }
        }
        Message::Previous(hook) => {
            hook(info);
            first = claim_exit();
        }
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

/// Writes `bytes` with as few `fd_write` calls as the runtime allows (one, in practice).
fn write_all(fd: u32, mut bytes: &[u8]) {
    let mut retries = 0;
    while !bytes.is_empty() {
        let iov = [wasi::Ciovec { buf: bytes.as_ptr(), buf_len: bytes.len() }];
        // SAFETY: `iov` describes `bytes`, which is valid for reads of its length for the
        // whole call; `fd_write` only reads from it.
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
