// Eight threads sleep 100 ms at the same time: the whole takes about 100 ms, not 800.
// Each thread times its own sleep (never short), and the span from the first sleep's start to
// the last one's end shows that they overlapped. A Barrier starts them together, so how long
// starting threads takes (the sdk starts a Worker per thread) is not measured.
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn main() {
    wasix_panic_exit::install();
    let start = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let began = Instant::now();
                std::thread::sleep(Duration::from_millis(100));
                (began, Instant::now())
            })
        })
        .collect();
    let sleeps: Vec<(Instant, Instant)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (began, ended) in &sleeps {
        let slept = *ended - *began;
        assert!(slept >= Duration::from_millis(100), "woke early: {slept:?}");
    }
    let first = sleeps.iter().map(|s| s.0).min().unwrap();
    let last = sleeps.iter().map(|s| s.1).max().unwrap();
    let span = last - first;
    assert!(span < Duration::from_millis(600), "sleeps did not overlap: {span:?}");
    println!("parallel sleeps ok");
}
