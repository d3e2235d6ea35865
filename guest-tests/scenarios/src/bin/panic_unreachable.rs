// unreachable! with a formatted message.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| match black_box(3u8) {
        0..=2 => println!("small"),
        n => unreachable!("state {n} cannot happen"),
    })
    .join()
    .unwrap();
}
