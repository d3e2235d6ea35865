// Unbounded recursion in main: a stack overflow is not a panic, so the crate's hook never
// runs. With the main stack placed first in linear memory (--stack-first), overflowing it
// runs below address 0 and traps.
use std::hint::black_box;

fn deep(n: u64) -> u64 {
    let pad = black_box([n; 64]);
    if black_box(n) == u64::MAX {
        return pad[0];
    }
    deep(n + 1).wrapping_add(pad[3])
}

fn main() {
    wasix_panic_exit::install();
    println!("unreachable: {}", deep(0));
}
