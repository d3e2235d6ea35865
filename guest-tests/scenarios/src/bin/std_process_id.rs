// std::process::id() in main and in a spawned thread: one id, the same in both. Debian's std
// for the wasi targets panics here ("no pids on this platform"); the toolchain's std asks
// WASIX (toolchain/std-patches/wasix-process-id.patch), as wasmer's own std does.
fn main() {
    wasix_panic_exit::install();
    let main_id = std::process::id();
    let thread_id = std::thread::spawn(std::process::id).join().unwrap();
    assert_eq!(main_id, thread_id, "one process, two ids");
    println!("process id: same in main and in a thread");
}
