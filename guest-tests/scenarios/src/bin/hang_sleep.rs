// Main sleeps forever (in chunks of an hour).
fn main() {
    wasix_panic_exit::install();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
