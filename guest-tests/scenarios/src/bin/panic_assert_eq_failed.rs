// assert_eq! failure: a multi-line message with left and right.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let got = black_box(vec![1, 2, 3]);
        assert_eq!(got, vec![1, 2, 4], "vectors differ");
    })
    .join()
    .unwrap();
}
