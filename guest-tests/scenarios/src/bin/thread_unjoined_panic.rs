// A thread nobody joins panics while main waits for it on a channel. Natively the panic only
// ends that thread (its Sender is dropped while unwinding, so main's recv() returns) and main
// exits 0; under WASIX the crate ends the process with 101 at once. No clock is involved, so
// the build without the crate always fails the same way (the thread's trap).
fn main() {
    wasix_panic_exit::install();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let _tx = tx;
        panic!("nobody joins this thread");
    });
    let _ = rx.recv();
    println!("main saw the thread end");
}
