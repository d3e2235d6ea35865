// The same program as `lock_stderr_held_forever`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// Another thread takes the stderr lock and never releases it; then a thread panics. The
// message is written without that lock, and the exit does not wait for it.
#[path = "common/ready.rs"]
mod ready;
use std::io::Write;

fn main() {
    wasix_panic_exit::install();
    let held = ready::Ready::new();
    let in_place = held.clone();
    std::thread::spawn(move || {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "stderr locked by a thread");
        in_place.signal("held");
        loop {
            std::thread::park();
        }
    });
    held.wait_for(1);
    std::thread::spawn(|| panic!("panic while stderr is locked forever"))
        .join()
        .unwrap();
}
