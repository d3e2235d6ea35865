// Slicing with a range past the end, and the str char-boundary check.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    let data = black_box([0u8; 4]);
    let end = black_box(9usize);
    println!("len {}", data[..black_box(2)].len());
    println!("unreachable: {:?}", &data[2..end]);
}
