//! The runtime shim, stand-alone: `no_std`, with nothing from `core` that is not inlined (the
//! object is linked next to the guest's own `core`, whose symbol hashes differ).
#![no_std]
// The toolchain builds this with its own bootstrap rustc; the crate's stable copy of the shim
// uses std's `park_timeout` for the same wait instead.
#![feature(stdarch_wasm_atomic_wait)]

#[path = "../../src/status.rs"]
#[allow(dead_code)]
mod status;

#[path = "../../src/shim.rs"]
pub mod shim;

/// The timed wait the shim sleeps in (see `engine_sleep` in shim.rs): `memory.atomic.wait32`
/// on a private word that nobody notifies, so it lasts until the timeout (or a spurious
/// wake-up, which the caller re-arms).
#[cfg(target_feature = "atomics")]
fn engine_wait(nanos: u64) {
    let word = core::sync::atomic::AtomicI32::new(0);
    let timeout = if nanos > i64::MAX as u64 { i64::MAX } else { nanos as i64 };
    // SAFETY: `word` is a live, aligned i32 in linear memory (this frame); its value stays 0.
    unsafe { core::arch::wasm32::memory_atomic_wait32(word.as_ptr(), 0, timeout) };
}
