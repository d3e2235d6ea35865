// Four threads write stderr lines as fast as they can while one thread panics with a
// multi-line message: the message must come out whole, not cut by the flood. Each flood
// line is one write that starts with a newline, so it can never extend the message's lines.
#[path = "common/flood.rs"]
mod flood;

fn main() {
    wasix_panic_exit::install();
    flood::flood_stderr(4, " ..............................");
    std::thread::spawn(|| {
        panic!("WHOLE-BEGIN\nsecond line of the message\nthird line of the message\nWHOLE-END")
    })
    .join()
    .unwrap();
}
