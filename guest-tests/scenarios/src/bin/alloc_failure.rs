// Allocations that cannot be satisfied, reported with handle_alloc_error: std prints
// "memory allocation of N bytes failed" and aborts: 134, as natively (SIGABRT).
use std::alloc::{alloc, handle_alloc_error, Layout};
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    // A quarter of the address space per block: natively (x86-64) the first one fails; a
    // wasm32 memory (at most 4 GiB) runs out after a few. black_box keeps LLVM from
    // removing the unused allocations and assuming they succeed.
    let size = isize::MAX as usize / 2 + 1;
    let layout = black_box(Layout::from_size_align(size, 16).unwrap());
    for _ in 0..8 {
        let ptr = black_box(unsafe { alloc(layout) });
        if ptr.is_null() {
            eprintln!("allocation failed as intended");
            handle_alloc_error(layout);
        }
    }
    panic!("eight allocations of {size} bytes succeeded");
}
