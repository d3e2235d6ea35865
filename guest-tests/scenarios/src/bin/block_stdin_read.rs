// While one thread panics, another is blocked reading stdin, which stays open and empty.
use std::io::Read;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let n = std::io::stdin().read(&mut buf);
        println!("unreachable: read {n:?}");
    });
    std::thread::sleep(Duration::from_millis(30));
    std::thread::spawn(|| panic!("panic while a thread reads stdin"))
        .join()
        .unwrap();
}
