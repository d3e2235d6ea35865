// Lock poisoning seen by another thread: a thread panics while holding a Mutex that a second
// thread waits for. With unwinding (natively, and on WASIX built with
// WASIX_TOOLCHAIN_PANIC=unwind) the guard is dropped as the panicking thread unwinds, the
// waiter wakes with a PoisonError and takes the value out of it, and main exits 0. A build
// that cannot unwind ends the process at the first panic. Readiness goes through an atomic,
// not a channel (the sdk's lost mpsc wake-up), and main waits only in join().
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let shared = Arc::new(Mutex::new(41u32));
    let locked = Arc::new(AtomicBool::new(false));
    let holder = {
        let (shared, locked) = (Arc::clone(&shared), Arc::clone(&locked));
        std::thread::spawn(move || {
            let mut value = shared.lock().unwrap();
            *value += 1;
            locked.store(true, Ordering::Release);
            // The waiter is blocked in lock() by now (or soon: it finds the lock poisoned).
            std::thread::sleep(Duration::from_millis(50));
            panic!("panic while holding the lock");
        })
    };
    while !locked.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    let waiter = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || match shared.lock() {
            Ok(value) => println!("waiter: not poisoned, value {}", *value),
            Err(poisoned) => println!("waiter: poisoned, value {}", *poisoned.into_inner()),
        })
    };
    waiter.join().unwrap();
    println!("holder: join is_err={}", holder.join().is_err());
}
