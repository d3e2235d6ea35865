use std::io::Read;
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    wasix_panic_exit::install();
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let n = std::io::stdin().read(&mut buf);
        println!("read {n:?}");
    });
    for _ in 0..1000 { std::thread::yield_now(); }
    match mode.as_str() {
        "exit" => wasix_panic_exit::exit(3),
        "stdexit" => std::process::exit(4),
        "panic" => panic!("main panics"),
        _ => {}
    }
    eprintln!("main returns");
}
