// Integer division by zero panics even in release builds.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let q = black_box(100u32) / black_box(0u32);
        println!("unreachable: {q}");
    })
    .join()
    .unwrap();
}
