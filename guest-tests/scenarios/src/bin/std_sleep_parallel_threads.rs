// Eight threads sleep 100 ms at the same time: the whole takes about 100 ms, not 800.
use std::time::{Duration, Instant};

fn main() {
    wasix_panic_exit::install();
    let start = Instant::now();
    let handles: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| std::thread::sleep(Duration::from_millis(100))))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "woke early: {took:?}");
    assert!(took < Duration::from_millis(600), "sleeps did not overlap: {took:?}");
    println!("parallel sleeps ok");
}
