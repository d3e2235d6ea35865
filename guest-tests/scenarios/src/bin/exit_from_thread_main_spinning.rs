// exit(12) from a thread while main spins in a loop that makes no syscall.
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

static SPINS: AtomicU64 = AtomicU64::new(0);

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        while SPINS.load(Ordering::Relaxed) < 10_000 {
            std::thread::yield_now();
        }
        wasix_panic_exit::exit(12);
    });
    loop {
        SPINS.fetch_add(black_box(1), Ordering::Relaxed);
    }
}
