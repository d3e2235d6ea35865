// Another thread takes the stderr lock and never releases it; then a thread panics. The
// message is written without that lock, and the exit does not wait for it.
use std::io::Write;
use std::sync::mpsc;

fn main() {
    wasix_panic_exit::install();
    let (held_tx, held_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "stderr locked by a thread");
        held_tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    held_rx.recv().unwrap();
    std::thread::spawn(|| panic!("panic while stderr is locked forever"))
        .join()
        .unwrap();
}
