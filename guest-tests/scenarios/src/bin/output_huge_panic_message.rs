// A 4.8 KB panic message (std writes messages over 512 bytes in pieces): it must be whole.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let body = "0123456789abcdef".repeat(300);
        panic!("HUGE-BEGIN {body} HUGE-END");
    })
    .join()
    .unwrap();
}
