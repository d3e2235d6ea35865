// A hook set *after* install() replaces the crate's hook (documented): a panic then aborts as
// without the crate, and the runtime shim turns the abort into 134.
fn main() {
    wasix_panic_exit::install();
    std::panic::set_hook(Box::new(|_| eprintln!("replacement hook ran")));
    std::thread::spawn(|| panic!("panic under a replaced hook"))
        .join()
        .unwrap();
}
