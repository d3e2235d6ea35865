// Slicing a str inside a multi-byte character.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let s = black_box(String::from("héllo"));
        let cut = black_box(2usize);
        println!("unreachable: {}", &s[..cut]);
    })
    .join()
    .unwrap();
}
