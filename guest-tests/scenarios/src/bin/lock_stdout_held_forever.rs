// Another thread takes the stdout lock and never releases it; then a thread panics. The exit
// must not wait for the lock (std's exit-time flush only try_locks stdout).
use std::io::Write;
use std::sync::mpsc;

fn main() {
    wasix_panic_exit::install();
    println!("line before the lock");
    let (held_tx, held_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "held and never flushed");
        held_tx.send(()).unwrap();
        loop {
            std::thread::park();
        }
    });
    held_rx.recv().unwrap();
    std::thread::spawn(|| panic!("panic while stdout is locked forever"))
        .join()
        .unwrap();
}
