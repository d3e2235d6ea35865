// Text printed without a newline sits in stdout's line buffer when a thread panics: the exit
// flushes it (the stdout lock is free), as native Rust does at exit.
fn main() {
    wasix_panic_exit::install();
    print!("progress: 1 2 3");
    std::thread::spawn(|| {
        print!(" 4");
        panic!("panic after a partial line");
    })
    .join()
    .unwrap();
}
