//! The wasm exception tag that Rust's unwinding throws and catches with.
//!
//! LLVM lowers a Rust panic's `throw` and every landing pad to the tag `__cpp_exception`
//! (payload: one pointer) and leaves its definition to the linker's inputs. std defines it only
//! for `wasm32-unknown-unknown` (`library/unwind/src/wasm.rs`): on WASI and Emscripten targets
//! the toolchain is expected to provide it, as clang's runtime does for C++. Without it an
//! unwinding guest fails to link (`undefined symbol: __cpp_exception`).
//!
//! It is defined *weak*, so a program that still defines the tag itself (the manual recipe
//! from before the toolchain had a variant: a `global_asm!` in the program) links as well:
//! its strong definition wins, and there is one tag either way.
#![no_std]
#![feature(asm_experimental_arch)]

core::arch::global_asm!(
    ".weak __cpp_exception",
    ".tagtype __cpp_exception i32",
    "__cpp_exception:",
);
