// A thread spins forever and main joins it: only the watchdog can end this.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| loop {
        std::hint::spin_loop();
    })
    .join()
    .unwrap();
}
