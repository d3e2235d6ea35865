//! What this harness has running or lying about: every guest's process group and every scratch
//! directory, so that a SIGINT, SIGTERM or SIGHUP of the harness kills the guests and removes
//! the directories before it exits (`cli::signals`); a normal end removes each with its run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

enum Thing {
    /// A guest's process group, once its child is started.
    Group(Option<libc::pid_t>),
    Dir(PathBuf),
}

static LIVE: Mutex<Option<HashMap<u64, Thing>>> = Mutex::new(None);
static NEXT: AtomicU64 = AtomicU64::new(0);

fn add(thing: Thing) -> u64 {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    live.get_or_insert_with(HashMap::new).insert(id, thing);
    id
}

fn remove(id: u64) {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(live) = live.as_mut() {
        live.remove(&id);
    }
}

/// A registered run; unregistered by [`Run::done`] or when dropped.
pub(super) struct Run(u64);

/// Registers a run before its child exists, so a signal between spawn and
/// [`Run::set_group`] still finds it.
pub(super) fn register() -> Run {
    Run(add(Thing::Group(None)))
}

impl Run {
    pub(super) fn set_group(&self, group: libc::pid_t) {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(thing) = live.as_mut().and_then(|l| l.get_mut(&self.0)) {
            *thing = Thing::Group(Some(group));
        }
    }

    pub(super) fn done(self) {}
}

impl Drop for Run {
    fn drop(&mut self) {
        remove(self.0);
    }
}

/// A fresh private (0700) temporary directory, removed when dropped, or by a signal.
pub struct ScratchDir {
    id: u64,
    dir: tempfile::TempDir,
}

impl ScratchDir {
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()?;
        Ok(ScratchDir { id: add(Thing::Dir(dir.path().to_path_buf())), dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        remove(self.id);
    }
}

/// Kills every live run's process group and removes every scratch directory. The lock is
/// kept, so nothing new starts before the process exits.
pub fn abandon_all() {
    let live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    for thing in live.iter().flat_map(|l| l.values()) {
        if let Thing::Group(Some(group)) = thing {
            // SAFETY: kill(2) on a process group this harness started.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    }
    for thing in live.iter().flat_map(|l| l.values()) {
        if let Thing::Dir(dir) = thing {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    std::mem::forget(live);
}
