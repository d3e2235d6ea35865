// A value whose Drop panics is alive when its thread panics. Natively the panic unwinds, the
// Drop panics during unwinding and std aborts (134). Under WASIX nothing unwinds: no Drop
// runs, and the process exits 101 with the first message.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("drop panicked during unwinding");
    }
}

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let _bomb = Bomb;
        panic!("first panic, with a Bomb alive");
    })
    .join()
    .unwrap();
}
