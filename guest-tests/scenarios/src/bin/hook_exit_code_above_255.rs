// install_with(exit_code(300)) and a panic in main: the status is cut to its low 8 bits
// (300 & 0xff = 44), as a POSIX exit status is.
use wasix_panic_exit::Config;

fn main() {
    wasix_panic_exit::install_with(Config::new().exit_code(300));
    panic!("panic with exit code 300");
}
