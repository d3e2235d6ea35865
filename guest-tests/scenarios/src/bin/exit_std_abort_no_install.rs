// std::process::abort() from a thread in a program that never calls the crate: the shim the
// toolchain links in alone gives 134.
use std::hint::black_box;

fn main() {
    std::thread::spawn(|| {
        if black_box(true) {
            std::process::abort();
        }
    })
    .join()
    .unwrap();
}
