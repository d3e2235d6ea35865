// A panic in the main thread.
fn main() {
    wasix_panic_exit::install();
    let config: Option<&str> = None;
    config.expect("no configuration given");
}
