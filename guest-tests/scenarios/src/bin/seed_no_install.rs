// The program from the original bug report, without calling the crate.
fn main() {
    std::thread::spawn(|| {
        panic!("dead lock?");
    })
    .join()
    .unwrap();
}
