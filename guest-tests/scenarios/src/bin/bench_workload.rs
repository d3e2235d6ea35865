// A non-panicking workload (hashing in 4 threads), with or without install(): the first
// argument is `install` or `plain`. Prints `workload_ns=N`, timed inside the guest.
use std::time::Instant;

fn work(seed: u64) -> u64 {
    let mut x = seed;
    for i in 0..5_000_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_add(i);
    }
    x
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("install") {
        wasix_panic_exit::install();
    }
    let start = Instant::now();
    let handles: Vec<_> = (0..4).map(|t| std::thread::spawn(move || work(t))).collect();
    let sum = handles.into_iter().map(|h| h.join().unwrap()).fold(0u64, u64::wrapping_add);
    println!("workload_ns={} checksum={}", start.elapsed().as_nanos(), sum % 1000);
}
