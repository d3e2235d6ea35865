// Spawns sleeping threads in a loop, forever: the watchdog must still end everything.
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let mut spawned = 0u64;
    loop {
        let ok = std::thread::Builder::new()
            .spawn(|| std::thread::sleep(Duration::from_secs(3600)))
            .is_ok();
        spawned += ok as u64;
        std::thread::sleep(Duration::from_millis(5));
        if spawned % 100 == 0 {
            eprintln!("{spawned} threads");
        }
    }
}
