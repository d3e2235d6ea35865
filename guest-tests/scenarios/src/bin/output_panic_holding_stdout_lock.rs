// The panicking thread itself holds the stdout lock, with unflushed text in the buffer.
// The exit's flush can take the (reentrant) lock from this thread, so the text arrives.
use std::io::Write;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let mut out = std::io::stdout().lock();
        write!(out, "buffered under my own lock").unwrap();
        panic!("panic while holding the stdout lock");
    })
    .join()
    .unwrap();
}
