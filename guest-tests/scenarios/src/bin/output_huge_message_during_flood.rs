// A 4.8 KB panic message while four threads flood stderr. std's own hook writes a message
// over 512 bytes in several writes; the crate captures it and writes it once, so no flood
// line can land inside it.
#[path = "common/flood.rs"]
mod flood;

fn main() {
    wasix_panic_exit::install();
    flood::flood_stderr(4, "");
    std::thread::spawn(|| {
        let body = "0123456789abcdef".repeat(300);
        panic!("HUGE-BEGIN {body} HUGE-END");
    })
    .join()
    .unwrap();
}
