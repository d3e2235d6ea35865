// While one thread panics, threads are blocked in mpsc recv() and sync_channel send().
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let (_keep_tx, rx) = mpsc::channel::<u32>();
    std::thread::spawn(move || {
        let v = rx.recv();
        println!("unreachable: {v:?}");
    });
    let (full_tx, _keep_rx) = mpsc::sync_channel::<u32>(0);
    std::thread::spawn(move || {
        full_tx.send(1).unwrap();
        println!("unreachable: rendezvous");
    });
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while others wait on channels"))
        .join()
        .unwrap();
}
