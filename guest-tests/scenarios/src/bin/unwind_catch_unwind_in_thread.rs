// catch_unwind inside a spawned thread: with unwinding (natively, and on WASIX built with
// WASIX_TOOLCHAIN_PANIC=unwind) the panic is caught in the thread, which returns normally,
// and main exits 0. A build that cannot unwind ends the process at the panic.
fn main() {
    wasix_panic_exit::install();
    let worker = std::thread::spawn(|| {
        let caught = std::panic::catch_unwind(|| -> u32 { panic!("caught inside the thread") });
        match caught {
            Ok(value) => value,
            Err(payload) => {
                let text = payload.downcast_ref::<&str>().copied().unwrap_or("?");
                println!("worker caught: {text}");
                7
            }
        }
    });
    println!("worker returned {}", worker.join().unwrap());
}
