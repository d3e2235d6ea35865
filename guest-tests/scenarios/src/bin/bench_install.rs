// Measures, inside the guest, what installing costs: the first install() and the
// idempotent calls after it. Prints `first_install_ns=N repeat_install_ns=N`.
use std::time::Instant;

fn main() {
    let start = Instant::now();
    wasix_panic_exit::install();
    let first = start.elapsed();
    const REPEATS: u32 = 1_000_000;
    let start = Instant::now();
    for _ in 0..REPEATS {
        wasix_panic_exit::install();
    }
    let repeat = start.elapsed() / REPEATS;
    println!("first_install_ns={} repeat_install_ns={}", first.as_nanos(), repeat.as_nanos());
}
