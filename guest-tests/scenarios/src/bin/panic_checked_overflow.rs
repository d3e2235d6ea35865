// Arithmetic overflow caught explicitly (release builds have overflow checks off).
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let total = black_box(i32::MAX - 5);
        let step = black_box(10i32);
        let sum = total.checked_add(step).expect("counter overflowed");
        println!("unreachable: {sum}");
    })
    .join()
    .unwrap();
}
