//! On-disk cache of compiled modules, so an unchanged suite skips Cranelift on its second run.
//!
//! A cache entry is native code that runs outside the wasm sandbox, so nothing is
//! deserialized unless it is authenticated:
//!
//! * each entry starts with an HMAC-SHA256 of the rest of it (the serialized module), keyed
//!   with a per-user random key kept *outside* the cache directory (`cache.key` in
//!   `$XDG_CONFIG_HOME/wasix-harness`, else `~/.config/wasix-harness`, mode 0600). Whoever can
//!   write the cache but not that key (a shared `WASIX_HARNESS_CACHE`, a CI cache restored
//!   from another build) cannot make an entry the harness will load; a copied entry fails
//!   too, because the key of the entry's name is in the MAC;
//! * the cache directory must be the user's own and not writable by group or others;
//!   otherwise the harness warns once and compiles without a cache.
//!
//! An entry that fails authentication is compiled again (and replaced) with a one-line
//! warning. The child sends warnings to the parent over the protocol's channel (its stderr is
//! the guest's), and the parent shows them.
//!
//! Entry name: SHA-256 of the module bytes, the engine's deterministic id (compiler, target,
//! features) and the harness version (which pins the wasmer version). An entry is written to
//! a temporary file and renamed into place, so parallel runs never see half an entry.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmer::{Engine, Module};

use std::sync::Arc;

/// Bytes of an entry's MAC, which comes first in the file.
const MAC_LEN: usize = 32;
/// Bytes of the per-user key.
const KEY_LEN: usize = 32;
/// The largest entry read: compiled code is a few times the module's size.
const MAX_ENTRY: u64 = 4 * crate::input::MAX_MODULE;

/// Where the cache's one-line warnings go.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

pub struct ModuleCache {
    dir: PathBuf,
    key: [u8; KEY_LEN],
    warn: Warn,
}

impl ModuleCache {
    /// The cache in `dir`, created (0700) if missing; `None`, after a one-line warning on
    /// stderr, when the directory is not safe to load native code from or the key cannot be
    /// had.
    pub fn open(dir: &Path, warn: Warn) -> Option<Self> {
        Self::open_with_key_file(dir, &key_file()?, warn)
    }

    /// [`Self::open`] with the key kept in `key_file` (tests use their own).
    pub fn open_with_key_file(dir: &Path, key_file: &Path, warn: Warn) -> Option<Self> {
        if let Err(why) = check_dir(dir) {
            warn(&format!("not using the module cache {}: {why}", dir.display()));
            return None;
        }
        match load_or_create_key(key_file) {
            Ok(key) => Some(Self { dir: dir.to_path_buf(), key, warn }),
            Err(why) => {
                warn(&format!("not using the module cache: its key {}: {why}", key_file.display()));
                None
            }
        }
    }

    /// `$WASIX_HARNESS_CACHE`, else `$XDG_CACHE_HOME/wasix-harness`, else `~/.cache/wasix-harness`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("WASIX_HARNESS_CACHE") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("wasix-harness"));
        }
        std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cache").join("wasix-harness"))
    }

    fn entry(&self, engine: &Engine, bytes: &[u8]) -> (String, PathBuf) {
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        hasher.update(engine.deterministic_id().as_bytes());
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        // The entry format (MAC first): entries of the earlier unauthenticated format have
        // other names, so they are never read (and never warned about), only left unused.
        hasher.update(b"mac-sha256-v1");
        let key: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let path = self.dir.join(format!("{key}.wasmu"));
        (key, path)
    }

    /// The MAC of an entry: over its name (so an entry copied under another module's name
    /// fails) and its serialized module.
    fn mac(&self, name: &str, artifact: &[u8]) -> [u8; MAC_LEN] {
        hmac_sha256(&self.key, &[name.as_bytes(), b"\0", artifact])
    }

    /// The cached module, if there is an authentic entry for these bytes.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Option<Module> {
        let (name, path) = self.entry(engine, bytes);
        let data = match crate::input::read_regular(&path, MAX_ENTRY) {
            Ok(data) => data,
            Err(crate::input::ReadError::NotFound) => return None,
            Err(e) => {
                (self.warn)(&format!(
                    "cache entry {} unreadable ({e}); compiling again",
                    path.display()
                ));
                return None;
            }
        };
        let authentic = data.len() > MAC_LEN && {
            let (mac, artifact) = data.split_at(MAC_LEN);
            constant_time_eq(mac, &self.mac(&name, artifact))
        };
        if !authentic {
            (self.warn)(&format!(
                "cache entry {} failed authentication (not written by this user's harness); compiling again",
                path.display()
            ));
            return None;
        }
        // SAFETY: the bytes carry a valid MAC under this user's secret key, so this harness
        // wrote them from a module it compiled itself with the same engine configuration
        // (both in the entry's name); `deserialize` still checks the header and version.
        unsafe { Module::deserialize(engine, &data[MAC_LEN..]) }.ok()
    }

    /// Best effort: a cache that cannot be written only costs time.
    pub fn store(&self, engine: &Engine, bytes: &[u8], module: &Module) {
        let Ok(serialized) = module.serialize() else { return };
        let (name, path) = self.entry(engine, bytes);
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&self.dir) else { return };
        let mac = self.mac(&name, &serialized);
        if tmp.write_all(&mac).is_ok() && tmp.write_all(&serialized).is_ok() {
            let _ = tmp.persist(&path);
        }
    }
}

/// `$XDG_CONFIG_HOME/wasix-harness/cache.key`, else `~/.config/wasix-harness/cache.key`.
fn key_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("wasix-harness").join("cache.key"))
}

/// The directory exists (created 0700 if not), is a directory, is owned by this user and is
/// not writable by group or others.
fn check_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create it: {}", crate::text::io_reason(&e)))?;
    }
    check_private(dir, true)
}

fn check_private(path: &Path, want_dir: bool) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| crate::text::io_reason(&e))?;
    if want_dir != meta.is_dir() {
        return Err(if want_dir { "not a directory" } else { "not a regular file" }.into());
    }
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("owned by uid {}, not by this user ({me})", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("writable by group or others (mode {:o})", meta.mode() & 0o7777));
    }
    Ok(())
}

/// The user's key, made (32 random bytes, 0600, in a 0700 directory) on first use.
fn load_or_create_key(path: &Path) -> Result<[u8; KEY_LEN], String> {
    let io = |e: std::io::Error| crate::text::io_reason(&e);
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(io)?;
    }
    let mut key = [0u8; KEY_LEN];
    if !path.exists() {
        getrandom(&mut key)?;
        // Written whole into a private temporary file, then linked into place: a harness
        // starting at the same moment sees no key or a whole one, never half of one, and
        // the first link wins (the loser reads the winner's key below).
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        tmp.write_all(&key).map_err(io)?;
        match std::fs::hard_link(tmp.path(), path) {
            Ok(()) => return Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    check_private(path, false)?;
    if std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o077 != 0 {
        return Err("readable by group or others".into());
    }
    let bytes = crate::input::read_regular(path, KEY_LEN as u64).map_err(|e| e.to_string())?;
    key.copy_from_slice(
        bytes.get(..KEY_LEN).ok_or_else(|| format!("shorter than {KEY_LEN} bytes"))?,
    );
    Ok(key)
}

fn getrandom(buf: &mut [u8]) -> Result<(), String> {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writes at most `buf.len() - filled` bytes into the rest of `buf`.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("no random bytes: {}", crate::text::io_reason(&e)));
            }
        } else {
            filled += n as usize;
        }
    }
    Ok(())
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; MAC_LEN] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1 and 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    fn quiet() -> Warn {
        Arc::new(|_: &str| {})
    }

    fn module(engine: &Engine, text: &str) -> (Vec<u8>, Module) {
        let bytes = wat::parse_str(text).unwrap();
        let module = Module::new(engine, &bytes).unwrap();
        (bytes, module)
    }

    #[test]
    fn a_swapped_or_altered_entry_is_never_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let key = tmp.path().join("config/cache.key");
        let cache = ModuleCache::open_with_key_file(&dir, &key, quiet()).unwrap();
        let engine = Engine::default();
        let (a, ma) = module(&engine, r#"(module (func (export "a")))"#);
        let (b, mb) = module(&engine, r#"(module (func (export "b") unreachable))"#);
        cache.store(&engine, &a, &ma);
        cache.store(&engine, &b, &mb);
        assert!(cache.load(&engine, &a).is_some(), "an authentic entry loads");

        // One module's entry copied over another's: the issue's attack.
        let (_, path_a) = cache.entry(&engine, &a);
        let (_, path_b) = cache.entry(&engine, &b);
        std::fs::copy(&path_a, &path_b).unwrap();
        assert!(cache.load(&engine, &b).is_none(), "a copied entry is refused");

        // Two changed bytes in the code.
        let mut data = std::fs::read(&path_a).unwrap();
        let n = data.len();
        data[n - 10] ^= 0xff;
        data[n - 11] ^= 0xff;
        std::fs::write(&path_a, &data).unwrap();
        assert!(cache.load(&engine, &a).is_none(), "an altered entry is refused");

        // A different key (another user, or a restored CI cache) cannot vouch for entries.
        let other = ModuleCache::open_with_key_file(&dir, &tmp.path().join("k2"), quiet()).unwrap();
        other.store(&engine, &a, &ma);
        assert!(cache.load(&engine, &a).is_none());
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600,
            "the key is private"
        );
    }

    #[test]
    fn harnesses_starting_together_agree_on_one_whole_key() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("conf/cache.key");
        let keys: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..16).map(|_| s.spawn(|| load_or_create_key(&path).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        assert_eq!(std::fs::read(&path).unwrap(), keys[0]);
    }

    #[test]
    fn a_shared_writable_cache_dir_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(ModuleCache::open_with_key_file(&dir, &tmp.path().join("key"), quiet()).is_none());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(ModuleCache::open_with_key_file(&dir, &tmp.path().join("key"), quiet()).is_some());
    }
}
