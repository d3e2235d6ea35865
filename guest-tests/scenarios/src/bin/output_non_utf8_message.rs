// A panic message made from invalid UTF-8 (lossily decoded: U+FFFD), plus other non-ASCII
// text: tab, emoji, combining mark, right-to-left script, a lone replacement character.
fn main() {
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let raw = std::hint::black_box([b'f', 0xff, 0xfe, b'o', 0xc3, b'!']);
        let lossy = String::from_utf8_lossy(&raw);
        panic!("bytes <{lossy}> tab\there emoji 🦀 e\u{301} שלום lone \u{fffd} end");
    })
    .join()
    .unwrap();
}
