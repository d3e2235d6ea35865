// Two threads take two locks in opposite order and wait for each other forever: no panic,
// nothing the crate can do. The harness must report a hang, not hang itself.
use std::sync::{Arc, Barrier, Mutex};

fn main() {
    wasix_panic_exit::install();
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let barrier = Arc::new(Barrier::new(2));
    let (a2, b2, barrier2) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&barrier));
    let other = std::thread::spawn(move || {
        let _b = b2.lock().unwrap();
        barrier2.wait();
        let _a = a2.lock().unwrap();
    });
    let _a = a.lock().unwrap();
    barrier.wait();
    let _b = b.lock().unwrap();
    other.join().unwrap();
}
