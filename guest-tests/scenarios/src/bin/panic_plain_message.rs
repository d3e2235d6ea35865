// A spawned thread panics with a plain string literal; main joins and unwraps.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| panic!("plain panic message"))
        .join()
        .unwrap();
}
