// A guard whose Drop prints is alive when main panics: natively it prints during unwinding,
// under WASIX no destructor runs.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        println!("guard dropped");
    }
}

fn main() {
    wasix_panic_exit::install();
    let _guard = Guard;
    println!("guard alive");
    panic!("panic with a guard alive");
}
