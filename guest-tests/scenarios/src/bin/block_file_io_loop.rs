// While one thread panics, another writes, syncs and reads back a file in the scratch
// directory in a loop.
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    wasix_panic_exit::install();
    let dir = std::env::var("SCRATCH_DIR").expect("SCRATCH_DIR is set");
    let path = std::path::Path::new(&dir).join("loop.dat");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .expect("create loop.dat");
        let mut buf = Vec::new();
        for round in 0u64.. {
            file.write_all(format!("round {round}\n").as_bytes()).unwrap();
            file.flush().unwrap();
            file.seek(SeekFrom::Start(0)).unwrap();
            buf.clear();
            file.read_to_end(&mut buf).unwrap();
            if round == 10 {
                ready_tx.send(()).unwrap();
            }
            if buf.len() > 64 * 1024 {
                file.set_len(0).unwrap();
                file.seek(SeekFrom::Start(0)).unwrap();
            }
        }
    });
    ready_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(|| panic!("panic while another thread does file I/O"))
        .join()
        .unwrap();
}
