// Baseline with one thread, like the seed but without the panic: spawn, print, join, exit 0.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| println!("hello from a thread")).join().unwrap();
}
