// While one thread panics, two threads spin in a busy loop that never yields.
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let spins = Arc::new(AtomicU64::new(0));
    for _ in 0..2 {
        let spins = Arc::clone(&spins);
        std::thread::spawn(move || loop {
            spins.fetch_add(black_box(1), Ordering::Relaxed);
        });
    }
    while spins.load(Ordering::Relaxed) < 1000 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while others spin"))
        .join()
        .unwrap();
}
