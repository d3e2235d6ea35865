// exit(7) from a spawned thread while main waits on a Condvar nobody notifies.
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(30));
        println!("worker exits with 7");
        wasix_panic_exit::exit(7);
    });
    let (lock, cvar) = &*pair;
    let done = cvar.wait_while(lock.lock().unwrap(), |done| !*done).unwrap();
    unreachable!("woke with {}", *done);
}
