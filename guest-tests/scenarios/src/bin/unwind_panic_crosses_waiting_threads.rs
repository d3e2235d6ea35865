// A panic crossing threads that others wait on. Worker A panics. B waits for A in join() and
// passes A's panic on with resume_unwind (no second message); main waits for B and passes it
// on again, so the process ends with 101 and A's message alone. C waits for a value from A
// on a channel and, with unwinding, wakes when A's Sender is dropped during the unwinding.
// A build that cannot unwind ends the process at A's panic: the same status and message.
// main waits only in join() (an mpsc wait cannot be interrupted on wasmer 4.3).
fn main() {
    wasix_panic_exit::install();
    let (tx, rx) = std::sync::mpsc::sync_channel::<u32>(1);
    let a = std::thread::Builder::new()
        .name("worker-a".into())
        .spawn(move || {
            let _tx = tx;
            panic!("worker A failed");
        })
        .unwrap();
    let c = std::thread::spawn(move || match rx.recv() {
        Ok(value) => println!("C: got {value}"),
        Err(_) => println!("C: A is gone without a value"),
    });
    let b = std::thread::spawn(move || {
        if let Err(payload) = a.join() {
            println!("B: A panicked, passing it on");
            std::panic::resume_unwind(payload);
        }
    });
    c.join().unwrap();
    if let Err(payload) = b.join() {
        println!("main: B panicked, passing it on");
        std::panic::resume_unwind(payload);
    }
}
