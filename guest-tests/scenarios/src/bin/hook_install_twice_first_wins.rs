// Only the first install takes effect: a later install_with(exit_code(70)) returns false and
// the exit status stays 101.
use wasix_panic_exit::Config;

fn main() {
    wasix_panic_exit::install();
    let second = wasix_panic_exit::install_with(Config::new().exit_code(70));
    assert!(!second, "a second install must not take effect");
    std::thread::spawn(|| panic!("panic after two installs"))
        .join()
        .unwrap();
}
