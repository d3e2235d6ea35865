// Eight threads call install_with at the same moment: at most one (exactly one on WASIX)
// installs, and a later panic in another thread exits 101 once.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use wasix_panic_exit::Config;

fn main() {
    let barrier = Arc::new(Barrier::new(8));
    let installed = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (barrier, installed) = (Arc::clone(&barrier), Arc::clone(&installed));
            std::thread::spawn(move || {
                barrier.wait();
                if wasix_panic_exit::install_with(Config::new()) {
                    installed.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let n = installed.load(Ordering::SeqCst);
    let want = if cfg!(target_os = "wasi") { 1 } else { 0 };
    assert_eq!(n, want, "install_with returned true {n} times");
    println!("installers agreed");
    std::thread::spawn(|| panic!("panic after a concurrent install"))
        .join()
        .unwrap();
}
