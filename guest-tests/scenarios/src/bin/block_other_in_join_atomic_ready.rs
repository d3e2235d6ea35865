// The same program as `block_other_in_join`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// While one thread panics, another thread is blocked in join() on a thread that never ends.
#[path = "common/ready.rs"]
mod ready;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let ready = ready::Ready::new();
    let in_place = ready.clone();
    let _joiner = std::thread::spawn(move || {
        let forever = std::thread::spawn(|| loop {
            std::thread::park();
        });
        in_place.signal("join");
        forever.join().unwrap();
    });
    ready.wait_for(1);
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while another thread waits in join"))
        .join()
        .unwrap();
}
