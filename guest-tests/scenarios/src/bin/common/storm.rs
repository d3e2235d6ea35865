//! Shared by the storm scenarios (pulled in with `#[path]`; not a scenario itself).

use std::sync::{Arc, Barrier};

/// `threads` threads pass a Barrier and panic at the same moment with `message(i)`; main joins
/// them all before unwrapping, so that natively every thread's message is printed. Under WASIX
/// the first panic ends the process with 101 and the others print whole messages or nothing.
pub fn panic_together(threads: usize, message: fn(usize) -> String) {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                panic!("{}", message(i));
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    for result in results {
        result.unwrap();
    }
}
