//! Reading user input safely: every file the harness reads on a user's behalf (a module, a
//! suite's `NAME.json` and `manifest.json`, a scenario `.toml`, a crate's `Cargo.toml`) goes
//! through [`read_regular`].
//!
//! A path can name `/dev/zero` (endless), a FIFO (blocks `open` forever) or a huge file; only
//! a regular file, opened without blocking and read up to a cap, is accepted. The file is
//! opened with `O_NONBLOCK` and checked with `fstat` on the opened descriptor, so a FIFO
//! swapped in between a check and the open cannot hang the harness either.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The cap for a module: far above any real WebAssembly program, far below what would
/// exhaust the machine.
pub const MAX_MODULE: u64 = 512 << 20;
/// The cap for a spec, manifest or configuration file: they are a few lines of text.
pub const MAX_CONFIG: u64 = 1 << 20;

/// Why a file could not be read; `NotFound` is kept apart because a missing optional file
/// (a suite case's `NAME.json`) is not an error.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    /// One line, without Rust's `(os error N)`.
    Other(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("No such file or directory"),
            ReadError::Other(reason) => f.write_str(reason),
        }
    }
}

fn io(e: std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::NotFound
    } else {
        ReadError::Other(crate::text::io_reason(&e))
    }
}

/// `path` opened for reading, if it is a regular file of at most `max` bytes; with its size.
pub fn open_regular(path: &Path, max: u64) -> Result<(std::fs::File, u64), ReadError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::Other(format!("not a regular file ({})", kind(&meta))));
    }
    if meta.len() > max {
        return Err(ReadError::Other(format!(
            "the file is {} bytes, more than the limit of {max}",
            meta.len()
        )));
    }
    Ok((file, meta.len()))
}

/// The whole content of `path`, which must be a regular file of at most `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path, max)?;
    read_open(file, len, max)
}

/// The whole content of a file [`open_regular`] opened (`len` bytes when it did).
pub fn read_open(file: std::fs::File, len: u64, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(len as usize);
    // One byte more than the cap, so a file that grows while read is caught too.
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::Other(format!("the file grew past the limit of {max} bytes")));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, max: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, max)?;
    String::from_utf8(bytes).map_err(|_| ReadError::Other("the file is not UTF-8 text".into()))
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a fresh path in our own temp dir.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for (path, what) in [
            (Path::new("/dev/zero"), "character device"),
            (fifo.as_path(), "FIFO"),
            (dir.path(), "directory"),
        ] {
            let err = read_regular(path, 10).unwrap_err().to_string();
            assert!(err.contains(what), "{path:?}: {err}");
        }
    }

    #[test]
    fn a_file_over_the_cap_is_refused_and_a_missing_one_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![0u8; 11]).unwrap();
        assert!(read_regular(&big, 10).unwrap_err().to_string().contains("more than the limit"));
        assert_eq!(read_regular(&big, 11).unwrap().len(), 11);
        assert!(matches!(read_regular(&dir.path().join("none"), 1), Err(ReadError::NotFound)));
    }
}
