// Measures, inside the guest, what installing costs: the first install() and the
// idempotent calls after it, and what reading the clock itself costs (to subtract).
// Prints `first_install_ns=N repeat_install_ns=N clock_ns=N`.
use std::time::Instant;

fn main() {
    // Warm the clock path (the shim, the host call) before timing anything with it.
    let mut clock = Vec::with_capacity(101);
    for _ in 0..101 {
        let t = Instant::now();
        clock.push(t.elapsed().as_nanos());
    }
    clock.sort();
    let start = Instant::now();
    wasix_panic_exit::install();
    let first = start.elapsed();
    const REPEATS: u32 = 1_000_000;
    let start = Instant::now();
    for _ in 0..REPEATS {
        wasix_panic_exit::install();
    }
    let repeat = start.elapsed() / REPEATS;
    println!(
        "first_install_ns={} repeat_install_ns={} clock_ns={}",
        first.as_nanos(),
        repeat.as_nanos(),
        clock[50]
    );
}
