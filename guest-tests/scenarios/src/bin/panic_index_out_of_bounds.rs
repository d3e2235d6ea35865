// Indexing a Vec past its end.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let v = black_box(vec![1u8, 2, 3]);
        let i = black_box(10usize);
        println!("unreachable: {}", v[i]);
    })
    .join()
    .unwrap();
}
