// Vec::with_capacity beyond isize::MAX is a panic (capacity overflow), not an abort: 101.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let v: Vec<u64> = Vec::with_capacity(black_box(usize::MAX / 2));
        println!("unreachable: {}", v.capacity());
    })
    .join()
    .unwrap();
}
