// While one thread panics, four threads are in a 60 s thread::sleep.
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    for _ in 0..4 {
        std::thread::spawn(|| std::thread::sleep(Duration::from_secs(60)));
    }
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while others sleep"))
        .join()
        .unwrap();
}
