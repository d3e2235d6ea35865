// A hook set before install() keeps running (its output replaces std's message); the crate
// then ends the process with 101.
fn main() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("custom hook ran: {}", info.payload().downcast_ref::<&str>().unwrap_or(&"?"));
    }));
    wasix_panic_exit::install();
    std::thread::spawn(|| panic!("payload for the custom hook"))
        .join()
        .unwrap();
}
