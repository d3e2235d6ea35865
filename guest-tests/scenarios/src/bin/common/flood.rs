//! Shared by the stderr-flood scenarios (pulled in with `#[path]`; not a scenario itself).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Starts `threads` threads that write stderr lines forever, each line one write that starts
/// with a newline (so it can never extend another message's line), and returns once every
/// thread has written 100 lines.
pub fn flood_stderr(threads: u32, padding: &'static str) {
    let started = Arc::new(AtomicU32::new(0));
    for t in 0..threads {
        let started = Arc::clone(&started);
        std::thread::spawn(move || {
            let mut err = std::io::stderr();
            for i in 0u64.. {
                let _ = err.write_all(format!("\nflood t{t} line {i}{padding}").as_bytes());
                if i == 100 {
                    started.fetch_add(1, Ordering::Release);
                }
            }
        });
    }
    while started.load(Ordering::Acquire) < threads {
        std::thread::yield_now();
    }
}
