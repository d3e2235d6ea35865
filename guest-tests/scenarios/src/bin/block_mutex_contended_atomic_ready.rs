// The same program as `block_mutex_contended`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// While one thread panics, a thread holds a Mutex forever and another waits for it.
#[path = "common/ready.rs"]
mod ready;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let shared = Arc::new(Mutex::new(String::from("state")));
    let held = ready::Ready::new();
    let in_place = held.clone();
    let holder = Arc::clone(&shared);
    std::thread::spawn(move || {
        let _guard = holder.lock().unwrap();
        in_place.signal("held");
        loop {
            std::thread::park();
        }
    });
    held.wait_for(1);
    let waiter = Arc::clone(&shared);
    std::thread::spawn(move || {
        let guard = waiter.lock().unwrap();
        println!("unreachable: {guard}");
    });
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while a mutex is held and contended"))
        .join()
        .unwrap();
}
