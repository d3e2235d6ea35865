// A panic in a std::thread::scope thread; the scope borrows main's data.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    let data = vec![1, 2, 3];
    std::thread::scope(|s| {
        s.spawn(|| println!("sum {}", data.iter().sum::<i32>()));
        s.spawn(|| {
            let idx = black_box(7);
            println!("unreachable: {}", data[idx]);
        });
    });
    unreachable!("the scope returned");
}
