// Config::message_to(Discard) with a custom exit code: no message anywhere, exit 3.
use wasix_panic_exit::{Config, MessageTarget};

fn main() {
    wasix_panic_exit::install_with(Config::new().message_to(MessageTarget::Discard).exit_code(3));
    println!("stdout still works");
    std::thread::spawn(|| panic!("this message is discarded"))
        .join()
        .unwrap();
}
