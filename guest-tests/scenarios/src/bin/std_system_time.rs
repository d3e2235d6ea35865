// SystemTime: after 2020, advances across a sleep, UNIX_EPOCH arithmetic, from a thread too.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn check(who: &str) {
    let a = SystemTime::now();
    let secs = a.duration_since(UNIX_EPOCH).expect("after the epoch").as_secs();
    assert!(secs > 1_577_836_800, "{who}: wall clock says {secs}");
    std::thread::sleep(Duration::from_millis(20));
    let b = SystemTime::now();
    let d = b.duration_since(a).expect("time went back");
    assert!(d >= Duration::from_millis(15), "{who}: only {d:?} passed");
    assert!(a.elapsed().unwrap() >= d);
    assert!(UNIX_EPOCH + Duration::from_secs(secs) <= b);
    println!("{who}: system time ok");
}

fn main() {
    wasix_panic_exit::install();
    check("main");
    std::thread::spawn(|| check("thread")).join().unwrap();
}
