// While one thread panics, threads are blocked in mpsc recv() and sync_channel send().
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    // Both channels' other ends are leaked, not kept in locals: where main's panic unwinds
    // (natively, or built with WASIX_TOOLCHAIN_PANIC=unwind) dropping them would wake the
    // blocked threads with an error, and the sender's unwrap would panic too, or not, as the
    // exit races it. Leaked, they stay blocked whatever the build.
    let (keep_tx, rx) = mpsc::channel::<u32>();
    std::mem::forget(keep_tx);
    std::thread::spawn(move || {
        let v = rx.recv();
        println!("unreachable: {v:?}");
    });
    let (full_tx, keep_rx) = mpsc::sync_channel::<u32>(0);
    std::mem::forget(keep_rx);
    std::thread::spawn(move || {
        full_tx.send(1).unwrap();
        println!("unreachable: rendezvous");
    });
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while others wait on channels"))
        .join()
        .unwrap();
}
