// exit(9) from a thread that holds the Mutex main is waiting for.
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let shared = Arc::new(Mutex::new(Vec::<u32>::new()));
    let (held_tx, held_rx) = mpsc::channel();
    let inner = Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut guard = inner.lock().unwrap();
        guard.push(1);
        held_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        wasix_panic_exit::exit(9);
    });
    held_rx.recv().unwrap();
    let v = shared.lock().unwrap();
    unreachable!("got the lock: {:?}", *v);
}
