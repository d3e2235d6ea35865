//! Shared by the `*_atomic_ready` scenarios (pulled in with `#[path]`; not a scenario itself):
//! "the other threads are in place" signalled through an atomic counter instead of an `mpsc`
//! channel.
//!
//! Each `NAME_atomic_ready` scenario is the program `NAME` with only its set-up changed. They
//! exist because `@wasmer/sdk` 0.16 loses the wake-up of a blocking `mpsc` receive while the
//! sending thread is still starting (docs/runtimes/sdk.md has the minimal program), so there the
//! originals never get past their set-up. The originals stay as they are (and declare that
//! bug); these show the promise under test on that runtime too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Counts the threads that are in place, and remembers what each said.
#[derive(Clone, Default)]
pub struct Ready(Arc<(AtomicUsize, Mutex<Vec<&'static str>>)>);

impl Ready {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called by a thread once it is in place.
    pub fn signal(&self, what: &'static str) {
        self.0 .1.lock().unwrap().push(what);
        self.0 .0.fetch_add(1, Ordering::Release);
    }

    /// Waits (yielding) until `n` threads are in place; returns what they said, sorted.
    pub fn wait_for(&self, n: usize) -> Vec<&'static str> {
        while self.0 .0.load(Ordering::Acquire) < n {
            std::thread::yield_now();
        }
        let mut seen = self.0 .1.lock().unwrap().clone();
        seen.sort();
        seen
    }
}
