// install_with(Config::new().exit_code(70)): a panic exits with 70 (EX_SOFTWARE).
use wasix_panic_exit::Config;

fn main() {
    wasix_panic_exit::install_with(Config::new().exit_code(70));
    std::thread::spawn(|| panic!("panic with a configured exit code"))
        .join()
        .unwrap();
}
