// The same program as `block_rwlock_write_held`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// While one thread panics, a thread holds an RwLock for writing forever; readers and a
// writer wait for it.
#[path = "common/ready.rs"]
mod ready;
use std::sync::{Arc, RwLock};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let table = Arc::new(RwLock::new(vec![1, 2, 3]));
    let held = ready::Ready::new();
    let in_place = held.clone();
    let writer = Arc::clone(&table);
    std::thread::spawn(move || {
        let _w = writer.write().unwrap();
        in_place.signal("held");
        loop {
            std::thread::park();
        }
    });
    held.wait_for(1);
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
