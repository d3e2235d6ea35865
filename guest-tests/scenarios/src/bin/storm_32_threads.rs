// 32 threads pass a Barrier and panic at the same moment; main joins them all. Natively
// every thread prints its message and main's unwrap re-panics; under WASIX the first panic
// ends the process with 101 and the others print whole messages or nothing.
use std::sync::{Arc, Barrier};

const THREADS: usize = 32;

fn main() {
    wasix_panic_exit::install();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                panic!("storm thread {i} of {THREADS}: all panic together");
            })
        })
        .collect();
    // Join every thread before unwrapping, so that natively every message is printed.
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    for result in results {
        result.unwrap();
    }
}
