// A Display impl panics while println! is writing it: the panicking thread itself holds the
// stdout lock, with stdout's buffer borrowed. Natively the panic unwinds (releasing both)
// and the process exits 101 after flushing what was printed before.
use std::fmt;

struct Exploding;

impl fmt::Display for Exploding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("partial ")?;
        panic!("Display::fmt panicked inside println!");
    }
}

fn main() {
    wasix_panic_exit::install();
    println!("line before");
    std::thread::spawn(|| println!("value: {}", Exploding))
        .join()
        .unwrap();
}
