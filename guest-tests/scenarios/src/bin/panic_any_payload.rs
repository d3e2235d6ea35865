// A panic whose payload is neither &str nor String: std prints `Box<dyn Any>`.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| std::panic::panic_any(5u32))
        .join()
        .unwrap();
}
