// Command-line arguments: argv[1..] arrive unchanged (spaces, unicode, empty, dashes).
fn main() {
    wasix_panic_exit::install();
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(std::env::args().next().is_some(), "argv[0] is missing");
    println!("{} args", args.len());
    for a in &args {
        println!("[{a}]");
    }
    let from_thread = std::thread::spawn(|| std::env::args().count()).join().unwrap();
    assert_eq!(from_thread, args.len() + 1);
}
