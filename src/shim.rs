//! The runtime shim: libc entry points that std calls and that WASIX gets wrong.
//!
//! std for the `wasi` targets reaches clocks, sleeps and aborts through libc, with the `libc`
//! crate's idea of wasi-libc's ABI. WASIX guests link wasix-libc instead, and the two disagree:
//!
//! * **clock ids** — the `libc` crate defines `CLOCK_MONOTONIC` for `target_os = "wasi"` as the
//!   *address* of wasi-libc's `_CLOCK_MONOTONIC` struct, while wasix-libc takes *integer* ids.
//!   Unrepaired, `Instant::now()` fails with EINVAL under wasmer and `thread::sleep` with ENOTSUP
//!   under `@wasmer/sdk`. We accept both forms and call WASI directly.
//! * **abort** — wasix-libc's `abort` executes `unreachable`; the runtime turns the trap into its
//!   own status (127 in a thread, 27 in main). Native Rust ends with SIGABRT, which a shell
//!   reports as 134, and every std path that aborts (`process::abort`, allocation failure,
//!   "panicked while processing panic") goes through `libc::abort`, so we end the process here
//!   with `proc_exit(134)`.
//! * **sleeps** — `@wasmer/sdk` serves every timed `poll_oneoff` (and WASIX `futex_wait` with a
//!   timeout) through one timer worker that runs timers one after another, so a short sleep in
//!   one thread lasts as long as a longer one queued before it (docs/runtimes/sdk.md). A
//!   relative sleep on the monotonic clock is therefore done as an engine-level wait
//!   (`memory.atomic.wait32` with a timeout, what std's own `park_timeout` blocks in), re-armed
//!   until the clock has passed the deadline; the runtime is not involved.
//! * **exit from a spawned thread** — on wasmer 4.3 (wasmer-wasix 0.27) `proc_exit` from any
//!   thread but the main one ends only that thread: the process lives on until its main thread
//!   ends (a `join` on the exited thread never returns: the original bug report). WASIX's main
//!   thread has thread id == process id, and wasix-libc's start-up registers its signal
//!   dispatcher for the main thread. So `_Exit`/`_exit` (the end of `exit()` and of
//!   `std::process::exit`, after stdout was flushed) and `abort`, called off the main thread,
//!   first install a handler for [`EXIT_SIGNAL`] that ends the process with the same status,
//!   send that signal to the main thread (`thread_signal(pid, ..)`), and only then call
//!   `proc_exit` themselves. wasmer 4.3 wakes a main thread blocked in a *system call*
//!   (`futex_wait`: `join`; `poll_oneoff`) to run the handler, which exits from the main
//!   thread. Where `proc_exit` from a thread already ends the process (wasmer 7.4, the sdk) the
//!   first exit wins and carries the same status, so nothing changes there. Out of reach on
//!   wasmer 4.3: a main thread that spins without system calls, or that waits in std's
//!   `Mutex`/`Condvar`/`park`/channels (the `memory.atomic.wait32` instruction, which wasmer-vm
//!   4.3 does not interrupt for signals); those scenarios declare it.
//!
//! These are `#[no_mangle]` definitions: an object that defines a symbol wins over libc.a's
//! member of the same name at link time. This one file is compiled two ways. The checked-in
//! crate `toolchain/shim/` (a `no_std` root that includes this file and `status.rs`) is
//! built by `scripts/provision` into an object that the `wasix` toolchain links into *every*
//! guest, including libtest binaries and programs that never depend on this crate; the
//! toolchain then passes `--cfg wasix_shim_linked` and the crate leaves its own copy out, so
//! the symbols are defined once. Built by any other toolchain (wasmer's, or ours with
//! `WASIX_TOOLCHAIN_SHIM=0`), the crate carries this file as a module.
//!
//! It must not reference anything from `core` that is not inlined: the stand-alone object is
//! linked next to the guest's own `core`, which has other symbol hashes. Hence no panics, no
//! indexing, no formatting.

use core::ffi::c_int;

use crate::status::ABORT_EXIT_CODE;

const EINVAL: c_int = 28; // wasi errno numbering, which wasix-libc keeps
const TIMER_ABSTIME: c_int = 1;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Above this a clock id is taken to be a pointer to wasi-libc's `struct __clockid`. With
/// `--stack-first` static data lives above the 1 MiB stack, far above the real ids (0..=3).
const MAX_INTEGER_CLOCK_ID: usize = 4096;

/// `struct timespec` as wasix-libc lays it out.
#[repr(C)]
pub struct Timespec {
    tv_sec: i64,
    tv_nsec: i32,
}

/// `__wasi_subscription_t` for a clock; 48 bytes, as preview1 lays it out.
#[repr(C)]
struct ClockSubscription {
    userdata: u64,
    tag: u8, // 0 = clock
    _pad: [u8; 7],
    id: u32,
    _pad2: u32,
    timeout: u64,
    precision: u64,
    flags: u16, // 1 = absolute time
    _pad3: [u8; 6],
}

/// `__wasi_event_t`; 32 bytes.
#[repr(C)]
struct Event {
    userdata: u64,
    error: u16,
    kind: u8,
    _pad: [u8; 5],
    nbytes: u64,
    flags: u16,
    _pad2: [u8; 6],
}

mod wasi {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        pub fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u16;
        pub fn clock_res_get(id: u32, resolution: *mut u64) -> u16;
        pub fn poll_oneoff(
            subs: *const super::ClockSubscription,
            events: *mut super::Event,
            nsubs: usize,
            nevents: *mut usize,
        ) -> u16;
        pub fn proc_exit(code: u32) -> !;
    }
}

mod wasix {
    #[link(wasm_import_module = "wasix_32v1")]
    extern "C" {
        /// What wasix-libc's own `_Exit` calls.
        pub fn proc_exit2(code: u32) -> !;
        pub fn thread_id(tid: *mut u32) -> u16;
        pub fn proc_id(pid: *mut u32) -> u16;
        pub fn thread_signal(tid: u32, sig: u32) -> u16;
    }
}

extern "C" {
    fn __errno_location() -> *mut c_int;
    fn signal(sig: c_int, handler: extern "C" fn(c_int)) -> usize;
}

#[cfg(any(wasix_shim_unwind, panic = "unwind"))]
extern "C" {
    /// wasix-libc's; `pthread_t` is a pointer.
    fn pthread_create(
        thread: *mut usize,
        attr: *const core::ffi::c_void,
        start: extern "C" fn(*mut core::ffi::c_void) -> *mut core::ffi::c_void,
        arg: *mut core::ffi::c_void,
    ) -> c_int;
}

/// The WASI clock id behind a `clockid_t` that may be an integer id (wasix-libc, C code) or a
/// pointer to `struct __clockid { u32 id }` (what Rust's `libc` crate passes for wasi).
///
/// # Safety
/// A `clock` of [`MAX_INTEGER_CLOCK_ID`] or more must point to a readable, aligned `u32`.
unsafe fn wasi_clock_id(clock: usize) -> u32 {
    if clock < MAX_INTEGER_CLOCK_ID {
        clock as u32
    } else {
        // SAFETY: the caller promises that a large id is a pointer to wasi-libc's
        // `struct __clockid`, whose first (only) field is the `u32` id.
        unsafe { *(clock as *const u32) }
    }
}

/// Sets `errno` and returns -1, as a failing libc call does.
fn fail(errno: c_int) -> c_int {
    // SAFETY: `__errno_location` returns this thread's `errno`, valid for the thread's life.
    unsafe { *__errno_location() = errno };
    -1
}

fn to_nanos(ts: &Timespec) -> Option<u64> {
    if ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec as u64 >= NANOS_PER_SEC {
        return None;
    }
    Some((ts.tv_sec as u64).saturating_mul(NANOS_PER_SEC).saturating_add(ts.tv_nsec as u64))
}

/// libc's `clock_gettime`, accepting both forms of clock id.
///
/// # Safety
/// `clock` is an integer clock id or a pointer to wasi-libc's `struct __clockid`; `tp` points
/// to a writable `Timespec`.
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(clock: usize, tp: *mut Timespec) -> c_int {
    let mut now = 0u64;
    // SAFETY: `clock` is valid per this function's contract; `now` is a live local.
    let err = unsafe { wasi::clock_time_get(wasi_clock_id(clock), 1, &mut now) };
    if err != 0 {
        return fail(err as c_int);
    }
    // SAFETY: the caller passes a writable `Timespec`.
    unsafe {
        (*tp).tv_sec = (now / NANOS_PER_SEC) as i64;
        (*tp).tv_nsec = (now % NANOS_PER_SEC) as i32;
    }
    0
}

/// libc's `clock_getres`, accepting both forms of clock id.
///
/// # Safety
/// `clock` is an integer clock id or a pointer to wasi-libc's `struct __clockid`; `res` is
/// null or points to a writable `Timespec`.
#[no_mangle]
pub unsafe extern "C" fn clock_getres(clock: usize, res: *mut Timespec) -> c_int {
    let mut r = 0u64;
    // SAFETY: `clock` is valid per this function's contract; `r` is a live local.
    let err = unsafe { wasi::clock_res_get(wasi_clock_id(clock), &mut r) };
    if err != 0 {
        return fail(err as c_int);
    }
    if !res.is_null() {
        // SAFETY: `res` is not null, so per the contract it points to a writable `Timespec`.
        unsafe {
            (*res).tv_sec = (r / NANOS_PER_SEC) as i64;
            (*res).tv_nsec = (r % NANOS_PER_SEC) as i32;
        }
    }
    0
}

/// libc's `clock_nanosleep`, accepting both forms of clock id. As POSIX says, it returns the
/// error number itself, not -1.
///
/// # Safety
/// `clock` is an integer clock id or a pointer to wasi-libc's `struct __clockid`; `req` is
/// null or points to a readable `Timespec`; `rem` is null or points to a writable one.
#[no_mangle]
pub unsafe extern "C" fn clock_nanosleep(
    clock: usize,
    flags: c_int,
    req: *const Timespec,
    rem: *mut Timespec,
) -> c_int {
    // SAFETY: `req` is null or points to a readable `Timespec` (this function's contract).
    let Some(nanos) = (unsafe { req.as_ref() }).and_then(to_nanos) else {
        return EINVAL;
    };
    // SAFETY: `clock` is valid per this function's contract.
    let id = unsafe { wasi_clock_id(clock) };
    #[cfg(target_feature = "atomics")]
    if flags & TIMER_ABSTIME == 0 && id == CLOCK_MONOTONIC_ID && engine_sleep(nanos) {
        if !rem.is_null() {
            // SAFETY: `rem` is not null, so per the contract it points to a writable `Timespec`.
            unsafe {
                (*rem).tv_sec = 0;
                (*rem).tv_nsec = 0;
            }
        }
        return 0;
    }
    let sub = ClockSubscription {
        userdata: 0,
        tag: 0,
        _pad: [0; 7],
        id,
        _pad2: 0,
        timeout: nanos,
        precision: 0,
        flags: if flags & TIMER_ABSTIME != 0 { 1 } else { 0 },
        _pad3: [0; 6],
    };
    let mut event =
        Event { userdata: 0, error: 0, kind: 0, _pad: [0; 5], nbytes: 0, flags: 0, _pad2: [0; 6] };
    let mut nevents = 0usize;
    // SAFETY: one subscription in, room for one event out; all three are live locals.
    let err = unsafe { wasi::poll_oneoff(&sub, &mut event, 1, &mut nevents) };
    if err != 0 {
        return err as c_int;
    }
    if event.error != 0 {
        return event.error as c_int;
    }
    if !rem.is_null() {
        // SAFETY: `rem` is not null, so per the contract it points to a writable `Timespec`.
        unsafe {
            (*rem).tv_sec = 0;
            (*rem).tv_nsec = 0;
        }
    }
    0
}

const CLOCK_MONOTONIC_ID: u32 = 1;

/// The longest single engine-level wait of a sleep: between two, a sleeping thread checks
/// whether another thread asked the process to end (see [`end_process`]).
#[cfg(target_feature = "atomics")]
const SLEEP_SLICE_NANOS: u64 = 50_000_000;

/// A relative sleep of `nanos` on the monotonic clock as engine-level timed waits (the crate
/// root's `engine_wait`), re-armed until the clock has passed the deadline: a wait may end
/// early (spuriously, or on runtimes that report a timeout as a wake-up). Returns false,
/// having slept not at all, when the monotonic clock cannot be read.
///
/// It waits in slices of at most [`SLEEP_SLICE_NANOS`] and, between them, ends the process
/// itself if another thread asked for that: on wasmer 4.3 only the main thread's exit ends a
/// process, and unlike a `poll_oneoff` sleep an engine wait is not interrupted by the signal
/// [`end_process`] sends, so a sleeping main thread must notice the request on its own.
#[cfg(target_feature = "atomics")]
fn engine_sleep(nanos: u64) -> bool {
    let mut now = 0u64;
    // SAFETY: a valid clock id and a live, writable out-pointer.
    if unsafe { wasi::clock_time_get(CLOCK_MONOTONIC_ID, 1, &mut now) } != 0 {
        return false;
    }
    let deadline = now.saturating_add(nanos);
    while now < deadline {
        crate::engine_wait((deadline - now).min(SLEEP_SLICE_NANOS));
        exit_if_requested();
        // SAFETY: as above.
        if unsafe { wasi::clock_time_get(CLOCK_MONOTONIC_ID, 1, &mut now) } != 0 {
            return true;
        }
    }
    true
}

/// libc's `nanosleep`: a relative sleep on the monotonic clock; -1 and `errno` on failure.
///
/// # Safety
/// `req` is null or points to a readable `Timespec`; `rem` is null or points to a writable one.
#[no_mangle]
pub unsafe extern "C" fn nanosleep(req: *const Timespec, rem: *mut Timespec) -> c_int {
    // CLOCK_MONOTONIC (id 1): a relative sleep must not follow wall-clock adjustments.
    // SAFETY: an integer clock id, and `req`/`rem` as this function's caller promised.
    match unsafe { clock_nanosleep(1, 0, req, rem) } {
        0 => 0,
        e => fail(e),
    }
}

/// Ends the whole process as a native abort would, from any thread.
#[no_mangle]
pub extern "C" fn abort() -> ! {
    end_process(ABORT_EXIT_CODE as u32, false)
}

/// libc's `_Exit`: the last step of `exit()` (and so of `std::process::exit`), after atexit
/// handlers ran and stdout was flushed. The same call as wasix-libc's own (`proc_exit2`), but
/// it also ends the process when called off the main thread (see the module docs).
#[no_mangle]
pub extern "C" fn _Exit(status: c_int) -> ! {
    end_process(status as u32, true)
}

/// POSIX `_exit`, the same as `_Exit` (wasix-libc defines it as a weak alias in `_Exit`'s
/// object, so defining one here means defining both).
#[no_mangle]
pub extern "C" fn _exit(status: c_int) -> ! {
    end_process(status as u32, true)
}

/// The signal an exiting thread sends to the main thread: SIGUSR1. Its handler is installed
/// only at exit, so a program's own use of the signal is untouched until then.
const EXIT_SIGNAL: c_int = 10;

/// The status the main thread's handler exits with; bit 32 set means "through `proc_exit2`".
/// `u64::MAX` until a thread asks to exit; the first request wins.
static EXIT_REQUEST: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(u64::MAX);

extern "C" fn exit_on_signal(_sig: c_int) {
    exit_if_requested();
}

/// Ends the process from this thread if another thread has asked for that.
fn exit_if_requested() {
    let request = EXIT_REQUEST.load(core::sync::atomic::Ordering::SeqCst);
    if request != u64::MAX {
        exit_now(request as u32, request >> 32 != 0)
    }
}

fn exit_now(status: u32, exit2: bool) -> ! {
    // SAFETY: neither call has preconditions; both end the process and never return.
    unsafe {
        if exit2 {
            wasix::proc_exit2(status)
        } else {
            wasi::proc_exit(status)
        }
    }
}

/// Ends the process with `status` from any thread: off the main thread, it first asks the
/// main thread to exit with the same status (see the module docs), then exits itself.
fn end_process(status: u32, exit2: bool) -> ! {
    #[cfg(any(wasix_shim_unwind, panic = "unwind"))]
    exit_from_a_fresh_thread(status, exit2);
    let (mut tid, mut pid) = (0u32, 0u32);
    // SAFETY: both write one `u32` to a live local.
    let ids_known = unsafe { wasix::thread_id(&mut tid) == 0 && wasix::proc_id(&mut pid) == 0 };
    if ids_known && tid != pid {
        let request = status as u64 | (exit2 as u64) << 32;
        let _ = EXIT_REQUEST.compare_exchange(
            u64::MAX,
            request,
            core::sync::atomic::Ordering::SeqCst,
            core::sync::atomic::Ordering::SeqCst,
        );
        // SAFETY: `exit_on_signal` is a valid handler for the whole life of the process;
        // signalling the main thread (tid == pid in WASIX) has no memory preconditions.
        unsafe {
            signal(EXIT_SIGNAL, exit_on_signal);
            wasix::thread_signal(pid, EXIT_SIGNAL as u32);
        }
    }
    exit_now(status, exit2)
}

/// The exit request of [`exit_from_a_fresh_thread`]; `u64::MAX` until one is made.
#[cfg(any(wasix_shim_unwind, panic = "unwind"))]
static FRESH_EXIT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(u64::MAX);

/// In a program that unwinds (wasm exceptions), ends the process from a new thread, whose
/// stack holds no frame of the program, while this thread waits for the end. Returns only if
/// no thread can be started; the caller then exits from here.
///
/// `@wasmer/sdk` ends a thread that calls `proc_exit` by throwing a JavaScript exception out
/// of the call, through the guest's frames, and a wasm `catch_all` catches JavaScript
/// exceptions: every cleanup pad on the way runs its destructors (natively an exit runs none),
/// and a terminate pad (std's `extern "C"` thread start) takes it for a panic that cannot
/// unwind and aborts, which throws again, until the stack overflows (tried: `process::exit(4)`
/// from a thread ended 129 or 132). A fresh thread has only wasix-libc's start routine and the
/// call below on its stack. wasmer 7.4 ends the process at the call itself; a program that
/// cannot unwind has no pads (this is compiled only into unwinding builds: the toolchain's
/// `wasix-shim-unwind.o`, or the crate's copy under `cfg(panic = "unwind")`).
#[cfg(any(wasix_shim_unwind, panic = "unwind"))]
fn exit_from_a_fresh_thread(status: u32, exit2: bool) {
    use core::sync::atomic::Ordering::SeqCst;
    let request = status as u64 | (exit2 as u64) << 32;
    if FRESH_EXIT.compare_exchange(u64::MAX, request, SeqCst, SeqCst).is_err() {
        // Another thread is already ending the process, with its own status.
        wait_for_the_end();
    }
    extern "C" fn exit_with_request(_: *mut core::ffi::c_void) -> *mut core::ffi::c_void {
        let request = FRESH_EXIT.load(core::sync::atomic::Ordering::SeqCst);
        exit_now(request as u32, request >> 32 != 0)
    }
    let mut thread = 0usize;
    // SAFETY: `thread` is a live, writable `pthread_t`; a null `attr` means the defaults; the
    // start routine takes no data.
    let started = unsafe {
        pthread_create(&mut thread, core::ptr::null(), exit_with_request, core::ptr::null_mut())
    };
    if started == 0 {
        wait_for_the_end();
    }
}

/// Blocks this thread until another one ends the process.
#[cfg(any(wasix_shim_unwind, panic = "unwind"))]
fn wait_for_the_end() -> ! {
    loop {
        crate::engine_wait(u64::MAX);
    }
}
