// park/unpark, park_timeout, thread names and ids.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    wasix_panic_exit::install();
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = Arc::clone(&flag);
    let parked = std::thread::Builder::new()
        .name("parker".into())
        .spawn(move || {
            assert_eq!(std::thread::current().name(), Some("parker"));
            while !f2.load(Ordering::Acquire) {
                std::thread::park();
            }
            let t = Instant::now();
            std::thread::park_timeout(Duration::from_millis(30));
            t.elapsed()
        })
        .unwrap();
    assert_ne!(parked.thread().id(), std::thread::current().id());
    std::thread::sleep(Duration::from_millis(10));
    flag.store(true, Ordering::Release);
    parked.thread().unpark();
    let waited = parked.join().unwrap();
    assert!(waited < Duration::from_secs(2), "park_timeout took {waited:?}");
    println!("park ok");
}
