//! On-disk cache of compiled modules, so an unchanged suite skips Cranelift on its second run.
//!
//! Key: SHA-256 of the module bytes, the engine's deterministic id (compiler, target, features)
//! and the harness version (which pins the wasmer version). An entry is written to a temporary
//! file and renamed into place, so parallel runs never see half an entry; an entry that fails
//! to load (a wasmer upgrade, a truncated file) is simply compiled again and replaced.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmer::{Engine, Module};

pub struct ModuleCache {
    dir: PathBuf,
}

impl ModuleCache {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
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

    fn entry(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        hasher.update(engine.deterministic_id().as_bytes());
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        let key: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.wasmu"))
    }

    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Option<Module> {
        let path = self.entry(engine, bytes);
        if !path.exists() {
            return None;
        }
        // SAFETY: entries are only written by `store` below, from modules this harness compiled
        // with the same engine configuration (both are part of the key); `deserialize_from_file`
        // still checks the header and version and fails on anything else.
        unsafe { Module::deserialize_from_file(engine, &path) }.ok()
    }

    /// Best effort: a cache that cannot be written only costs time.
    pub fn store(&self, engine: &Engine, bytes: &[u8], module: &Module) {
        let Ok(serialized) = module.serialize() else { return };
        let path = self.entry(engine, bytes);
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&self.dir) else { return };
        if std::io::Write::write_all(&mut tmp, &serialized).is_ok() {
            let _ = tmp.persist(&path);
        }
    }
}
