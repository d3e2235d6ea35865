// While one thread panics, a thread holds a Mutex forever and another waits for it.
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let shared = Arc::new(Mutex::new(String::from("state")));
    let (held_tx, held_rx) = mpsc::channel();
    let holder = Arc::clone(&shared);
    std::thread::spawn(move || {
        let _guard = holder.lock().unwrap();
        held_tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    held_rx.recv().unwrap();
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
