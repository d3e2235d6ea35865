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
//!
//! These are `#[no_mangle]` definitions: an object that defines a symbol wins over libc.a's
//! member of the same name at link time. The file is compiled two ways. `scripts/provision`
//! builds it on its own (`--cfg wasix_shim_standalone`, `no_std`) into an object that the
//! `wasix` toolchain links into *every* guest, including libtest binaries and programs that
//! never depend on this crate; the crate then leaves it out (`--cfg wasix_shim_linked`) so the
//! symbols are defined once. Built by any other toolchain, the crate carries it as a module.
//!
//! It must not reference anything from `core` that is not inlined: the stand-alone object is
//! linked next to the guest's own `core`, which has other symbol hashes. Hence no panics, no
//! indexing, no formatting.
#![cfg_attr(wasix_shim_standalone, no_std)]
#![allow(clippy::missing_safety_doc)]

use core::ffi::c_int;

/// Exit status for an abort: what a POSIX shell reports for a process killed by SIGABRT.
pub const ABORT_STATUS: u32 = 134;

const EINVAL: c_int = 28; // wasi errno numbering, which wasix-libc keeps
const EINTR: c_int = 27;
const TIMER_ABSTIME: c_int = 1;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Above this a clock id is taken to be a pointer to wasi-libc's `struct __clockid`. With
/// `--stack-first` static data lives above the 1 MiB stack, far above the real ids (0..=3).
const MAX_INTEGER_CLOCK_ID: usize = 4096;

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
    unsafe extern "C" {
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

unsafe extern "C" {
    fn __errno_location() -> *mut c_int;
}

/// The WASI clock id behind a `clockid_t` that may be an integer id (wasix-libc, C code) or a
/// pointer to `struct __clockid { u32 id }` (what Rust's `libc` crate passes for wasi).
unsafe fn wasi_clock_id(clock: usize) -> u32 {
    if clock < MAX_INTEGER_CLOCK_ID {
        clock as u32
    } else {
        unsafe { *(clock as *const u32) }
    }
}

unsafe fn fail(errno: c_int) -> c_int {
    unsafe { *__errno_location() = errno };
    -1
}

fn to_nanos(ts: &Timespec) -> Option<u64> {
    if ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec as u64 >= NANOS_PER_SEC {
        return None;
    }
    Some((ts.tv_sec as u64).saturating_mul(NANOS_PER_SEC).saturating_add(ts.tv_nsec as u64))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn clock_gettime(clock: usize, tp: *mut Timespec) -> c_int {
    let mut now = 0u64;
    let err = unsafe { wasi::clock_time_get(wasi_clock_id(clock), 1, &mut now) };
    if err != 0 {
        return unsafe { fail(err as c_int) };
    }
    unsafe {
        (*tp).tv_sec = (now / NANOS_PER_SEC) as i64;
        (*tp).tv_nsec = (now % NANOS_PER_SEC) as i32;
    }
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn clock_getres(clock: usize, res: *mut Timespec) -> c_int {
    let mut r = 0u64;
    let err = unsafe { wasi::clock_res_get(wasi_clock_id(clock), &mut r) };
    if err != 0 {
        return unsafe { fail(err as c_int) };
    }
    if !res.is_null() {
        unsafe {
            (*res).tv_sec = (r / NANOS_PER_SEC) as i64;
            (*res).tv_nsec = (r % NANOS_PER_SEC) as i32;
        }
    }
    0
}

/// POSIX: returns the error number itself, not -1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clock_nanosleep(
    clock: usize,
    flags: c_int,
    req: *const Timespec,
    rem: *mut Timespec,
) -> c_int {
    let Some(nanos) = (unsafe { req.as_ref() }).and_then(to_nanos) else {
        return EINVAL;
    };
    let sub = ClockSubscription {
        userdata: 0,
        tag: 0,
        _pad: [0; 7],
        id: unsafe { wasi_clock_id(clock) },
        _pad2: 0,
        timeout: nanos,
        precision: 0,
        flags: if flags & TIMER_ABSTIME != 0 { 1 } else { 0 },
        _pad3: [0; 6],
    };
    let mut event = Event {
        userdata: 0,
        error: 0,
        kind: 0,
        _pad: [0; 5],
        nbytes: 0,
        flags: 0,
        _pad2: [0; 6],
    };
    let mut nevents = 0usize;
    let err = unsafe { wasi::poll_oneoff(&sub, &mut event, 1, &mut nevents) };
    if err != 0 {
        return err as c_int;
    }
    if event.error != 0 {
        return event.error as c_int;
    }
    if !rem.is_null() {
        unsafe {
            (*rem).tv_sec = 0;
            (*rem).tv_nsec = 0;
        }
    }
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanosleep(req: *const Timespec, rem: *mut Timespec) -> c_int {
    // CLOCK_MONOTONIC: a relative sleep must not follow wall-clock adjustments.
    match unsafe { clock_nanosleep(1, 0, req, rem) } {
        0 => 0,
        e if e == EINTR => unsafe { fail(EINTR) },
        e => unsafe { fail(e) },
    }
}

/// Ends the whole process as a native abort would, from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn abort() -> ! {
    unsafe { wasi::proc_exit(ABORT_STATUS) }
}
