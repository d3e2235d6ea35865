//! On native targets the crate must leave std's behaviour exactly as it is.
#![cfg(not(target_os = "wasi"))]

use wasix_panic_exit::{install, install_with, set_once, Config};

#[test]
fn installing_changes_nothing_natively() {
    install();
    set_once();
    assert!(!install_with(Config::new().exit_code(70)), "install_with reports that it did nothing");
    // Unwinding still works: the panic is caught by join, the process goes on.
    let joined = std::thread::spawn(|| panic!("caught natively")).join();
    let payload = joined.expect_err("the thread panicked");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"caught natively"));
    // And catch_unwind still catches.
    assert!(std::panic::catch_unwind(|| panic!("again")).is_err());
}
