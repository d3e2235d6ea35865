// main panics while worker threads are busy computing and sending results.
use std::sync::mpsc;

fn main() {
    wasix_panic_exit::install();
    let (tx, rx) = mpsc::channel();
    for w in 0..4u64 {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut x = w;
            loop {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if tx.send(x).is_err() {
                    return;
                }
            }
        });
    }
    let got: Vec<u64> = rx.iter().take(1000).collect();
    assert_eq!(got.len(), 1000);
    let total = got.iter().fold(0u64, |a, b| a.wrapping_add(*b));
    assert!(std::hint::black_box(total) == 1, "main gives up after {} results", got.len());
}
