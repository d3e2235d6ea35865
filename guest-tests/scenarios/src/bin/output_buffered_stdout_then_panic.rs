// Many small print!s (some flushed, the last ones still buffered), then a panic in main.
fn main() {
    wasix_panic_exit::install();
    for i in 0..20_000 {
        print!("{i},");
    }
    print!("END");
    let limit: Option<u32> = std::hint::black_box(None);
    limit.expect("panic with a full stdout buffer");
}
