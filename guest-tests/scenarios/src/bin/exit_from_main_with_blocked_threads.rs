// exit(3) from main while other threads are blocked in join, Condvar::wait, Mutex::lock and
// sleep, and one spins.
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let (ready_tx, ready_rx) = mpsc::channel::<&'static str>();

    let tx = ready_tx.clone();
    std::thread::spawn(move || {
        let forever = std::thread::spawn(|| loop {
            std::thread::park();
        });
        tx.send("join").unwrap();
        forever.join().unwrap();
    });

    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    let (tx, p) = (ready_tx.clone(), Arc::clone(&pair));
    std::thread::spawn(move || {
        let (lock, cvar) = &*p;
        let mut guard = lock.lock().unwrap();
        tx.send("condvar").unwrap();
        loop {
            guard = cvar.wait(guard).unwrap();
        }
    });

    let held = Arc::new(Mutex::new(0));
    let _main_guard = held.lock().unwrap();
    let (tx, h) = (ready_tx.clone(), Arc::clone(&held));
    std::thread::spawn(move || {
        tx.send("mutex").unwrap();
        let _never = h.lock().unwrap();
    });

    let tx = ready_tx.clone();
    std::thread::spawn(move || {
        tx.send("sleep").unwrap();
        std::thread::sleep(Duration::from_secs(60));
    });

    let spinning = Arc::new(AtomicBool::new(true));
    let (tx, s) = (ready_tx, Arc::clone(&spinning));
    std::thread::spawn(move || {
        tx.send("spin").unwrap();
        while black_box(s.load(Ordering::Relaxed)) {}
    });

    let mut seen: Vec<_> = ready_rx.iter().take(5).collect();
    seen.sort();
    println!("blocked: {}", seen.join(" "));
    std::thread::sleep(Duration::from_millis(20));
    wasix_panic_exit::exit(3);
}
