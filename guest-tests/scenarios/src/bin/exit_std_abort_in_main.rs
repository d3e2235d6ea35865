// std::process::abort() in main: the runtime shim turns it into 134, like SIGABRT natively.
fn main() {
    wasix_panic_exit::install();
    eprintln!("about to abort");
    std::process::abort();
}
