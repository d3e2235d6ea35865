// A hook set before install() and 16 threads panicking at once: the custom hook runs in the
// first thread at least, and the process exits once, with 101.
use std::sync::{Arc, Barrier};

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("?");
        eprintln!("custom hook: {msg}");
    }));
    wasix_panic_exit::install();
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                panic!("storm member {i}");
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    for r in results {
        r.unwrap();
    }
}
