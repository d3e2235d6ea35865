// A panic whose message is built from format arguments at run time.
use std::hint::black_box;

fn main() {
    wasix_panic_exit::install();
    let (id, limit) = (black_box(17u64), black_box(3.5f64));
    let name = black_box(String::from("gadget"));
    std::thread::spawn(move || {
        panic!("item {id} ({name:?}) exceeded limit {limit:.2}: {:#x}", id * 1000)
    })
    .join()
    .unwrap();
}
