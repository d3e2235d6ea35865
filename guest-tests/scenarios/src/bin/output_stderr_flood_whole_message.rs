// Four threads write stderr lines as fast as they can while one thread panics with a
// multi-line message: the message must come out whole, not cut by the flood. Each flood
// line is one write that starts with a newline, so it can never extend the message's lines.
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
                let line = format!("\nflood t{t} line {i} ..............................");
                let _ = err.write_all(line.as_bytes());
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
        panic!("WHOLE-BEGIN\nsecond line of the message\nthird line of the message\nWHOLE-END")
    })
    .join()
    .unwrap();
}
