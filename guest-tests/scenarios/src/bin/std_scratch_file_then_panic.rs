// A thread writes a file, then panics: the file's content is on the host's disk (written
// before the panic), and the process exits 101.
use std::io::Write;

fn main() {
    wasix_panic_exit::install();
    let dir = std::env::var("SCRATCH_DIR").expect("SCRATCH_DIR is set");
    std::thread::spawn(move || {
        let path = std::path::Path::new(&dir).join("log.txt");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(b"entry before the panic\n").unwrap();
        let back = std::fs::read_to_string(&path).unwrap();
        print!("{back}");
        let missing = std::fs::File::open(std::path::Path::new(&dir).join("config.toml"));
        if missing.is_err() {
            panic!("config.toml is missing from the scratch dir");
        }
    })
    .join()
    .unwrap();
}
