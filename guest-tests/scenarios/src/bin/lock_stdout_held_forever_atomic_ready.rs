// The same program as `lock_stdout_held_forever`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// Another thread takes the stdout lock and never releases it; then a thread panics. The exit
// must not wait for the lock (std's exit-time flush only try_locks stdout).
#[path = "common/ready.rs"]
mod ready;
use std::io::Write;

fn main() {
    wasix_panic_exit::install();
    println!("line before the lock");
    let held = ready::Ready::new();
    let in_place = held.clone();
    std::thread::spawn(move || {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "held and never flushed");
        in_place.signal("held");
        loop {
            std::thread::park();
        }
    });
    held.wait_for(1);
    std::thread::spawn(|| panic!("panic while stdout is locked forever"))
        .join()
        .unwrap();
}
