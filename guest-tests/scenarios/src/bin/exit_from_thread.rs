// exit() from a spawned thread while main waits in join().
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let worker = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(10));
        wasix_panic_exit::exit(42);
    });
    worker.join().unwrap();
    unreachable!("exit(42) returned");
}
