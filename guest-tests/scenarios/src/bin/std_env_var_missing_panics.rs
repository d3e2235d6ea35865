// A required variable is missing: unwrap on VarError::NotPresent in a thread.
fn main() {
    wasix_panic_exit::install();
    let present = std::env::var("PRESENT").unwrap();
    println!("PRESENT={present}");
    std::thread::spawn(|| std::env::var("DATABASE_URL").expect("DATABASE_URL must be set"))
        .join()
        .unwrap();
}
