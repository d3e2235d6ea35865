// A Drop that panics while a panic unwinds, inside catch_unwind. Natively the second panic
// cannot unwind out of a destructor that runs during cleanup: std prints "panic in a
// destructor during cleanup" and aborts (134), and catch_unwind does not get to catch
// anything. A build that cannot unwind ends the process at the first panic, before any Drop.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("drop panicked during unwinding");
    }
}

fn main() {
    wasix_panic_exit::install();
    let caught = std::panic::catch_unwind(|| {
        let _bomb = Bomb;
        panic!("first panic, with a Bomb alive");
    });
    println!("unreachable: catch_unwind returned, is_err={}", caught.is_err());
}
