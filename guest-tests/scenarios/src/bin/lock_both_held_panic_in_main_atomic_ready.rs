// The same program as `lock_both_held_panic_in_main`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// One thread holds the stdout lock and another the stderr lock, forever; main panics.
#[path = "common/ready.rs"]
mod ready;

fn main() {
    wasix_panic_exit::install();
    let held = ready::Ready::new();
    let (out_ready, err_ready) = (held.clone(), held.clone());
    std::thread::spawn(move || {
        let _out = std::io::stdout().lock();
        out_ready.signal("stdout");
        loop {
            std::thread::park();
        }
    });
    std::thread::spawn(move || {
        let _err = std::io::stderr().lock();
        err_ready.signal("stderr");
        loop {
            std::thread::park();
        }
    });
    held.wait_for(2);
    panic!("main panics while stdout and stderr are both locked");
}
