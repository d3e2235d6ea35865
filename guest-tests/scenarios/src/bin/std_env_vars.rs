// Environment variables from the host: read in main and in a thread, and a missing one.
fn main() {
    wasix_panic_exit::install();
    let greeting = std::env::var("GREETING").expect("GREETING is set");
    let empty = std::env::var("EMPTY_VALUE").expect("EMPTY_VALUE is set");
    assert!(std::env::var("SURELY_NOT_SET_ANYWHERE").is_err());
    let from_thread = std::thread::spawn(|| std::env::var("WITH_EQUALS").unwrap())
        .join()
        .unwrap();
    let mut ours: Vec<String> = std::env::vars()
        .filter(|(k, _)| ["GREETING", "EMPTY_VALUE", "WITH_EQUALS"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    ours.sort();
    println!("{greeting}|{empty}|{from_thread}");
    println!("{}", ours.join(" "));
}
