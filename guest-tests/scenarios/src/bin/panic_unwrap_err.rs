// Result::unwrap on an Err in a spawned thread: the error's Debug form is in the message.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let n: i32 = black_box("12x").parse().unwrap();
        println!("unreachable: {n}");
    })
    .join()
    .unwrap();
}
