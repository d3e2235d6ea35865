// The baseline for latency benchmarks: start, print, exit 0.
fn main() {
    println!("hello");
}
