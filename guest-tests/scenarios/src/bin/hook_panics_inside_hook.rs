// The user's hook (set before install, so the crate's hook calls it) panics itself: std
// reports "panicked while processing panic" and aborts: 134, as natively.
fn main() {
    std::panic::set_hook(Box::new(|_| {
        panic!("the hook itself panicked");
    }));
    wasix_panic_exit::install();
    std::thread::spawn(|| panic!("first panic"))
        .join()
        .unwrap();
}
