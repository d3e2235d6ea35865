// Result::expect on an Err: the caller's text, then the error.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let r: Result<u8, String> = black_box(Err(String::from("disk on fire")));
        r.expect("could not read the settings");
    })
    .join()
    .unwrap();
}
