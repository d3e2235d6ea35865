// A custom hook is set, then install_with(run_previous_hook(false)): std's own message is
// printed instead and the custom hook never runs (it would write to stdout directly).
use std::io::Write;
use wasix_panic_exit::Config;

fn main() {
    std::panic::set_hook(Box::new(|_| {
        let _ = std::io::stdout().write_all(b"custom hook ran\n");
    }));
    wasix_panic_exit::install_with(Config::new().run_previous_hook(false));
    std::thread::spawn(|| panic!("std message instead of the custom hook"))
        .join()
        .unwrap();
}
