// wasix_panic_exit::abort() from a thread: 134 (SIGABRT natively), nothing flushed.
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    println!("before abort");
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(10));
        wasix_panic_exit::abort();
    })
    .join()
    .unwrap();
    unreachable!("abort returned");
}
