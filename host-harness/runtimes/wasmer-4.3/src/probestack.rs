//! `__rust_probestack`, which wasmer-vm 4.3 needs and today's Rust no longer provides.
//!
//! wasmer-vm 4.3 declares `extern "C" { fn __rust_probestack(); }` and hands its address to
//! code that Cranelift compiles (the `Probestack` libcall: a function with a large frame calls
//! it to touch each page of the new frame in order, so that a stack overflow hits the guard
//! page instead of jumping over it). Rust's compiler-builtins exported that symbol until it
//! switched to inline stack probes; with current toolchains (rustc 1.95 here) the link fails
//! with an undefined `__rust_probestack`. This is the routine compiler-builtins shipped for
//! x86_64, unchanged: on entry `%rax` holds the frame size; it probes one page at a time below
//! the caller's stack pointer, then restores `%rsp` (the caller moves it itself).

#[cfg(all(target_arch = "x86_64", not(target_os = "macos"), not(windows)))]
core::arch::global_asm!(
    ".pushsection .text.__rust_probestack,\"ax\",@progbits",
    ".globl __rust_probestack",
    ".type __rust_probestack,@function",
    ".p2align 4",
    "__rust_probestack:",
    ".cfi_startproc",
    "pushq %rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset %rbp, -16",
    "movq %rsp, %rbp",
    ".cfi_def_cfa_register %rbp",
    "mov %rax, %r11",
    "cmp $0x1000, %r11",
    "jna 3f",
    "2:",
    "sub $0x1000, %rsp",
    "test %rsp, 8(%rsp)",
    "sub $0x1000, %r11",
    "cmp $0x1000, %r11",
    "ja 2b",
    "3:",
    "sub %r11, %rsp",
    "test %rsp, 8(%rsp)",
    "add %rax, %rsp",
    "leave",
    ".cfi_def_cfa_register %rsp",
    ".cfi_adjust_cfa_offset -8",
    "ret",
    ".cfi_endproc",
    ".size __rust_probestack, . - __rust_probestack",
    ".popsection",
    options(att_syntax)
);
