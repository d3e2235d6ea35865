// While one thread panics, a thread holds an RwLock for writing forever; readers and a
// writer wait for it.
use std::sync::{mpsc, Arc, RwLock};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let table = Arc::new(RwLock::new(vec![1, 2, 3]));
    let (held_tx, held_rx) = mpsc::channel();
    let writer = Arc::clone(&table);
    std::thread::spawn(move || {
        let _w = writer.write().unwrap();
        held_tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    held_rx.recv().unwrap();
    for i in 0..2 {
        let reader = Arc::clone(&table);
        std::thread::spawn(move || {
            let r = reader.read().unwrap();
            println!("unreachable: reader {i} saw {:?}", *r);
        });
    }
    let second_writer = Arc::clone(&table);
    std::thread::spawn(move || second_writer.write().unwrap().push(4));
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while an rwlock is write-locked"))
        .join()
        .unwrap();
}
