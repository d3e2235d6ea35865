// The same program as `exit_from_main_with_blocked_threads`, but its set-up is signalled through an atomic
// counter (common/ready.rs) instead of a channel: the same promise, shown on @wasmer/sdk too.
// exit(3) from main while other threads are blocked in join, Condvar::wait, Mutex::lock and
// sleep, and one spins.
#[path = "common/ready.rs"]
mod ready;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let ready = ready::Ready::new();

    let tx = ready.clone();
    std::thread::spawn(move || {
        let forever = std::thread::spawn(|| loop {
            std::thread::park();
        });
        tx.signal("join");
        forever.join().unwrap();
    });

    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    let (tx, p) = (ready.clone(), Arc::clone(&pair));
    std::thread::spawn(move || {
        let (lock, cvar) = &*p;
        let mut guard = lock.lock().unwrap();
        tx.signal("condvar");
        loop {
            guard = cvar.wait(guard).unwrap();
        }
    });

    let held = Arc::new(Mutex::new(0));
    let _main_guard = held.lock().unwrap();
    let (tx, h) = (ready.clone(), Arc::clone(&held));
    std::thread::spawn(move || {
        tx.signal("mutex");
        let _never = h.lock().unwrap();
    });

    let tx = ready.clone();
    std::thread::spawn(move || {
        tx.signal("sleep");
        std::thread::sleep(Duration::from_secs(60));
    });

    let spinning = Arc::new(AtomicBool::new(true));
    let (tx, s) = (ready.clone(), Arc::clone(&spinning));
    std::thread::spawn(move || {
        tx.signal("spin");
        while black_box(s.load(Ordering::Relaxed)) {}
    });

    let seen = ready.wait_for(5);
    println!("blocked: {}", seen.join(" "));
    std::thread::sleep(Duration::from_millis(20));
    wasix_panic_exit::exit(3);
}
