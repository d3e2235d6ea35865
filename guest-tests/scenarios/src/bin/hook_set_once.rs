// set_once(), the console_error_panic_hook name, behaves like install(); a second call is a
// no-op.
fn main() {
    wasix_panic_exit::set_once();
    wasix_panic_exit::set_once();
    std::thread::spawn(|| panic!("panic after set_once"))
        .join()
        .unwrap();
}
