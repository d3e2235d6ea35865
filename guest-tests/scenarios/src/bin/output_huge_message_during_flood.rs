// A 4.8 KB panic message while four threads flood stderr. std's own hook writes a message
// over 512 bytes in several writes; the crate captures it and writes it once, so no flood
// line can land inside it.
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn main() {
    wasix_panic_exit::install();
    let started = Arc::new(AtomicU32::new(0));
    for t in 0..4 {
        let started = Arc::clone(&started);
        std::thread::spawn(move || {
            let mut err = std::io::stderr();
            for i in 0u64.. {
                let _ = err.write_all(format!("\nflood t{t} line {i}").as_bytes());
                if i == 100 {
                    started.fetch_add(1, Ordering::Release);
                }
            }
        });
    }
    while started.load(Ordering::Acquire) < 4 {
        std::thread::yield_now();
    }
    std::thread::spawn(|| {
        let body = "0123456789abcdef".repeat(300);
        panic!("HUGE-BEGIN {body} HUGE-END");
    })
    .join()
    .unwrap();
}
