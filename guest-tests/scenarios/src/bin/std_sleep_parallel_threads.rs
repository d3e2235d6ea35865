// Eight threads sleep 100 ms at the same time: the whole takes about 100 ms, not 800.
// The clock starts when all eight are running (a Barrier), so how long starting threads takes
// on a busy machine or a runtime (the sdk starts a Worker per thread) is not measured.
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn main() {
    wasix_panic_exit::install();
    let start = Arc::new(Barrier::new(9));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                std::thread::sleep(Duration::from_millis(100));
            })
        })
        .collect();
    start.wait();
    let started = Instant::now();
    for h in handles {
        h.join().unwrap();
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(100), "woke early: {took:?}");
    assert!(took < Duration::from_millis(600), "sleeps did not overlap: {took:?}");
    println!("parallel sleeps ok");
}
