// Lines from several threads, each joined, then a panic: stdout is complete and in order.
fn main() {
    wasix_panic_exit::install();
    for t in 0..4 {
        std::thread::spawn(move || {
            for i in 0..3 {
                println!("thread {t} line {i}");
            }
        })
        .join()
        .unwrap();
    }
    std::thread::spawn(|| panic!("panic after joined output"))
        .join()
        .unwrap();
}
