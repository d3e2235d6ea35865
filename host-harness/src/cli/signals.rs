//! SIGINT, SIGTERM and SIGHUP of `run` and `test`: the guests' process groups are killed and
//! the scratch directories removed before the harness exits with 128 + the signal, as a shell
//! reports a process ended by it.
//!
//! Each guest runs in its own process group (so a timeout can kill all of it), which also
//! means a Ctrl-C at the terminal reaches only the harness: without this, the harness would
//! die and leave its children running until `PR_SET_PDEATHSIG` killed them, and their
//! directories in the temp dir for ever. The handler only writes the signal's number to a
//! pipe (all a handler may safely do); a thread does the work. A handler installed with
//! `sigaction` is reset by `exec`, so children (cargo, the guests) keep the default.

use std::io::{Read, Write};
use std::os::fd::FromRawFd;

use crate::sandbox as live;

static mut WRITE_END: libc::c_int = -1;

extern "C" fn on_signal(signal: libc::c_int) {
    let byte = signal as u8;
    // SAFETY: write(2) is async-signal-safe; WRITE_END is set before the handler is installed
    // and never changes afterwards.
    unsafe {
        libc::write(WRITE_END, (&byte as *const u8).cast(), 1);
    }
}

/// Installs the handlers and starts the thread that acts on them. Best effort: if the pipe
/// cannot be made, the signals keep their default action.
pub fn install() {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two descriptors it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    // SAFETY: fds[0] is a fresh descriptor this File now owns.
    let mut read_end = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    // SAFETY: set once, before any handler that reads it exists.
    unsafe { WRITE_END = fds[1] };
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        if read_end.read_exact(&mut byte).is_ok() {
            let signal = libc::c_int::from(byte[0]);
            live::abandon_all();
            let name = match signal {
                libc::SIGINT => "SIGINT",
                libc::SIGHUP => "SIGHUP",
                _ => "SIGTERM",
            };
            // Not eprintln!: its panic when stderr is gone (a closed terminal, a killed
            // reader) would end this thread before the exit below, and leave the harness running.
            let _ = writeln!(
                std::io::stderr(),
                "wasix-harness: interrupted by {name}; stopped the running guests"
            );
            std::process::exit(128 + signal);
        }
    });
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}
