// Instant in four threads: monotonic, elapsed grows, durations add up, Instant is Send.
use std::time::{Duration, Instant};

fn main() {
    wasix_panic_exit::install();
    let start = Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let mut last = Instant::now();
                assert!(last >= start, "thread {i}: time went back");
                for _ in 0..1000 {
                    let now = Instant::now();
                    assert!(now >= last, "thread {i}: Instant not monotonic");
                    last = now;
                }
                std::thread::sleep(Duration::from_millis(5 * (i + 1)));
                let took = start.elapsed();
                assert!(took >= Duration::from_millis(5 * (i + 1)), "thread {i}: {took:?}");
                took
            })
        })
        .collect();
    let times: Vec<Duration> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let total = start.elapsed();
    assert!(times.iter().all(|t| *t <= total));
    assert!(total < Duration::from_secs(5), "took {total:?}");
    let later = start.checked_add(Duration::from_secs(1)).expect("Instant + 1 s");
    assert_eq!(later.duration_since(start), Duration::from_secs(1));
    assert_eq!(start.saturating_duration_since(later), Duration::ZERO);
    println!("instants ok");
}
