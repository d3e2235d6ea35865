// A hook set before install() and 16 threads panicking at once: the custom hook runs in the
// first thread at least, and the process exits once, with 101.
#[path = "common/storm.rs"]
mod storm;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("?");
        eprintln!("custom hook: {msg}");
    }));
    wasix_panic_exit::install();
    storm::panic_together(16, |i| format!("storm member {i}"));
}
