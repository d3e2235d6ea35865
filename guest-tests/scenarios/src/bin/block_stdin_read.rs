// While one thread panics, another is blocked reading stdin, which stays open and empty.
// (Under wasmer 7.4 the exit then waits for the read: see block_stdin_read.toml.)
use std::io::Read;
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        ready_tx.send(()).unwrap();
        let mut buf = [0u8; 64];
        let n = stdin.read(&mut buf);
        println!("unreachable: read {n:?}");
    });
    ready_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    std::thread::spawn(|| panic!("panic while a thread reads stdin"))
        .join()
        .unwrap();
}
