// main returns while other threads are sleeping, parked and spinning: the process exits 0
// at once, as natively.
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static STOP: AtomicBool = AtomicBool::new(false);

fn main() {
    wasix_panic_exit::install();
    for _ in 0..3 {
        std::thread::spawn(|| std::thread::sleep(Duration::from_secs(60)));
    }
    std::thread::spawn(|| loop {
        std::thread::park();
    });
    std::thread::spawn(|| while !black_box(STOP.load(Ordering::Relaxed)) {});
    std::thread::sleep(Duration::from_millis(20));
    println!("main returns");
}
