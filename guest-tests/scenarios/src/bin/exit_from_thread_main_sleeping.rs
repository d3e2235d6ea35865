// exit(11) from a thread while main sleeps for a minute: the exit must not wait for the sleep.
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(30));
        wasix_panic_exit::exit(11);
    });
    std::thread::sleep(Duration::from_secs(60));
    unreachable!("slept a full minute");
}
