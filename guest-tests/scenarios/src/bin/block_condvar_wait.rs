// While one thread panics, two others wait on a Condvar that is never notified.
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    for _ in 0..2 {
        let pair = Arc::clone(&pair);
        std::thread::spawn(move || {
            let (lock, cvar) = &*pair;
            let mut waiting = lock.lock().unwrap();
            *waiting += 1;
            cvar.notify_all();
            loop {
                waiting = cvar.wait(waiting).unwrap();
            }
        });
    }
    {
        let (lock, cvar) = &*pair;
        let guard = cvar.wait_while(lock.lock().unwrap(), |n| *n < 2).unwrap();
        assert_eq!(*guard, 2);
    }
    std::thread::sleep(Duration::from_millis(10));
    std::thread::spawn(|| panic!("panic while others wait on a condvar"))
        .join()
        .unwrap();
}
