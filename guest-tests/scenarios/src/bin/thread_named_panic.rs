// A named thread's panic message names it.
fn main() {
    wasix_panic_exit::install();
    std::thread::Builder::new()
        .name("worker-7".into())
        .stack_size(256 * 1024)
        .spawn(|| panic!("named thread gives up"))
        .unwrap()
        .join()
        .unwrap();
}
