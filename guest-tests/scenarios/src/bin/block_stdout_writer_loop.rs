// While one thread panics, another prints lines to stdout as fast as it can.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    std::thread::spawn(move || {
        for i in 0u64.. {
            println!("writer line {i}");
            flag.store(true, Ordering::Release);
        }
    });
    while !started.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while another thread floods stdout"))
        .join()
        .unwrap();
}
