// exit(0) from a grandchild thread while main and the child are both blocked in join().
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        std::thread::spawn(|| {
            println!("grandchild exits with 0");
            wasix_panic_exit::exit(0);
        })
        .join()
        .unwrap();
        unreachable!("grandchild returned");
    })
    .join()
    .unwrap();
    unreachable!("child returned");
}
