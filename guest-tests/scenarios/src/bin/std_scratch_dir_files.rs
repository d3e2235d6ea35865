// Files in a mapped directory: create, write, append, read back, metadata, create_dir,
// rename, list, remove; from main and a thread.
use std::fs;
use std::io::Write;
use std::path::PathBuf;

fn main() {
    wasix_panic_exit::install();
    let dir = PathBuf::from(std::env::var("SCRATCH_DIR").expect("SCRATCH_DIR is set"));
    let file = dir.join("notes.txt");
    fs::write(&file, "first line\n").unwrap();
    let mut f = fs::OpenOptions::new().append(true).open(&file).unwrap();
    writeln!(f, "second line").unwrap();
    drop(f);
    assert_eq!(fs::read_to_string(&file).unwrap(), "first line\nsecond line\n");
    assert_eq!(fs::metadata(&file).unwrap().len(), 23);

    fs::create_dir(dir.join("sub")).unwrap();
    let d2 = dir.clone();
    std::thread::spawn(move || fs::write(d2.join("sub").join("from_thread.bin"), [0u8, 1, 2, 255]).unwrap())
        .join()
        .unwrap();
    assert_eq!(fs::read(dir.join("sub").join("from_thread.bin")).unwrap(), [0u8, 1, 2, 255]);
    fs::rename(&file, dir.join("renamed.txt")).unwrap();
    assert!(!file.exists());

    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    println!("{}", names.join(" "));

    fs::remove_file(dir.join("sub").join("from_thread.bin")).unwrap();
    fs::remove_dir(dir.join("sub")).unwrap();
    assert!(fs::read_to_string(dir.join("missing.txt")).is_err());
    println!("files ok");
}
