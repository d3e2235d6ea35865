// assert! with a custom message.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let x = black_box(3);
        assert!(x > 5, "x must exceed 5, got {x}");
    })
    .join()
    .unwrap();
}
