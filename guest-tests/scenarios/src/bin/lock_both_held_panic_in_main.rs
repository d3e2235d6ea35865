// One thread holds the stdout lock and another the stderr lock, forever; main panics.
use std::sync::mpsc;

fn main() {
    wasix_panic_exit::install();
    let (held_tx, held_rx) = mpsc::channel();
    let tx = held_tx.clone();
    std::thread::spawn(move || {
        let _out = std::io::stdout().lock();
        tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    std::thread::spawn(move || {
        let _err = std::io::stderr().lock();
        held_tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    held_rx.recv().unwrap();
    held_rx.recv().unwrap();
    panic!("main panics while stdout and stderr are both locked");
}
