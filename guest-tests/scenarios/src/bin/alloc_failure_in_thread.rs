// Vec growth that the allocator cannot satisfy, in a spawned thread: std's alloc error
// handler aborts the whole process (134), not only the thread.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        // Blocks of a quarter of the address space: they fit in the capacity limit
        // (isize::MAX) but not in memory, natively at once, under wasm32 after a few.
        let n = isize::MAX as usize / 2 + 1;
        let mut kept: Vec<Vec<u8>> = Vec::new();
        for _ in 0..8 {
            let mut v: Vec<u8> = Vec::new();
            v.reserve_exact(black_box(n));
            kept.push(black_box(v));
        }
        println!("unreachable: reserved {} blocks", kept.len());
    })
    .join()
    .unwrap();
}
