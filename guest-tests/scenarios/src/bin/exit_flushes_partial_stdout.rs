// exit() flushes text still in stdout's buffer (no trailing newline), from a thread.
use std::io::Write;

fn main() {
    wasix_panic_exit::install();
    print!("first line\nno newline at the end");
    std::thread::spawn(|| {
        print!(" (more from a thread)");
        wasix_panic_exit::exit(5);
    })
    .join()
    .unwrap();
    std::io::stdout().flush().unwrap();
}
