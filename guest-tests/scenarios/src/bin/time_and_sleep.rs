// Instant, SystemTime and sleep in main and in a spawned thread: the runtime shim's clock ids.
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn check(who: &str) {
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    let slept = start.elapsed();
    assert!(slept >= Duration::from_millis(20), "{who}: slept only {slept:?}");
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    assert!(since_epoch.as_secs() > 1_600_000_000, "{who}: wall clock at {since_epoch:?}");
    println!("{who}: ok");
}

fn main() {
    wasix_panic_exit::install();
    check("main");
    std::thread::spawn(|| check("thread")).join().unwrap();
}
