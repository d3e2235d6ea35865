// Config::message_to(Stdout): the panic message goes to stdout (for hosts that only collect
// stdout), stderr stays empty.
use wasix_panic_exit::{Config, MessageTarget};

fn main() {
    wasix_panic_exit::install_with(Config::new().message_to(MessageTarget::Stdout));
    print!("before ");
    std::thread::spawn(|| panic!("message routed to stdout"))
        .join()
        .unwrap();
}
