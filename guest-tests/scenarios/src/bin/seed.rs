// The program from the original bug report, with the crate installed.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        panic!("dead lock?");
    })
    .join()
    .unwrap();
}
