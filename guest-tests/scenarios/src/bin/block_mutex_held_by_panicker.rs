// The panicking thread holds the Mutex that main is waiting for. Natively the lock is
// poisoned and main's unwrap panics too; under WASIX the first panic ends the process.
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let shared = Arc::new(Mutex::new(0u32));
    let (held_tx, held_rx) = mpsc::channel();
    let inner = Arc::clone(&shared);
    let _worker = std::thread::spawn(move || {
        let mut guard = inner.lock().unwrap();
        *guard += 1;
        held_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        panic!("panic while holding the mutex main waits for");
    });
    held_rx.recv().unwrap();
    let value = shared.lock().unwrap();
    println!("unreachable: {value}");
}
