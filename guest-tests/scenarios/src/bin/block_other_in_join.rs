// While one thread panics, another thread is blocked in join() on a thread that never ends.
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let (ready_tx, ready_rx) = mpsc::channel();
    let _joiner = std::thread::spawn(move || {
        let forever = std::thread::spawn(|| loop {
            std::thread::park();
        });
        ready_tx.send(()).unwrap();
        forever.join().unwrap();
    });
    ready_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while another thread waits in join"))
        .join()
        .unwrap();
}
