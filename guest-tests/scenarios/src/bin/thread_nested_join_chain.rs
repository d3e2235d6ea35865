// main -> A -> B -> C: C panics and every level waits in join().unwrap().
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        std::thread::spawn(|| {
            std::thread::spawn(|| panic!("panic three threads deep"))
                .join()
                .unwrap();
        })
        .join()
        .unwrap();
    })
    .join()
    .unwrap();
}
