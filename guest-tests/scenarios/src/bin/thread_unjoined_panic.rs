// A thread nobody joins panics while main sleeps. Natively the panic only ends that thread
// and main returns 0 after its sleep; under WASIX the crate ends the process with 101 at once.
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| panic!("nobody joins this thread"));
    std::thread::sleep(Duration::from_millis(1500));
    println!("main finished its sleep");
}
