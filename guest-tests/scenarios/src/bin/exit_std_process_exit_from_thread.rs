// std::process::exit(6) (not the crate's exit) from a thread while main waits in join().
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let sleeper = std::thread::spawn(|| std::thread::sleep(Duration::from_secs(60)));
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(20));
        print!("std exit from a thread");
        std::process::exit(6);
    })
    .join()
    .unwrap();
    sleeper.join().unwrap();
}
