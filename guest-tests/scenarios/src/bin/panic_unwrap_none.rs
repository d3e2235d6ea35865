// Option::unwrap on None in main.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    let found: Option<u8> = black_box(None);
    let value = found.unwrap();
    println!("unreachable: {value}");
}
