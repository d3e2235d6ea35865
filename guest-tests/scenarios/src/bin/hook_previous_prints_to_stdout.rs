// A hook set before install() that prints with println!: its output must stay on stdout, as
// natively (the crate runs such a hook unchanged, without capturing its output).
fn main() {
    std::panic::set_hook(Box::new(|_| {
        println!("custom hook wrote this to stdout");
    }));
    wasix_panic_exit::install();
    std::thread::spawn(|| panic!("payload"))
        .join()
        .unwrap();
}
