//! The parent's end of the sandbox protocol (`wasix-sandbox-protocol`, described in
//! `host-harness/runtimes/PROTOCOL.md`): two Unix stream sockets the child inherits as its
//! descriptors 3 (control) and 4 (log).
//!
//! Nothing of the exchange is a file, so no guest can reach it, whatever directories are
//! mapped for it: it cannot plant a report, announce its own start or forge a warning, for its
//! own run or another one. (A socket, unlike a pipe, cannot be opened again through
//! `/proc/PID/fd/N` either.) Three threads serve a run: one sends the request and the module's
//! bytes, one turns the child's messages into [`Event`]s, one keeps the end of its log.

use std::io::{BufReader, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use wasix_sandbox_protocol::{CONTROL_FD, FromChild, LOG_FD, Report, ToChild, read_frame};

use crate::errors::HarnessError;

/// The end of a child's log the parent keeps: enough for its last lines.
const LOG_TAIL: usize = 64 << 10;

/// What the child said.
#[derive(Debug)]
pub(super) enum Event {
    Started,
    Warning(String),
    Outcome(Report),
}

/// Both sockets, before the child is started.
pub(super) struct Channel {
    control: UnixStream,
    log: UnixStream,
    child_control: OwnedFd,
    child_log: OwnedFd,
}

impl Channel {
    pub(super) fn new() -> Result<Self, HarnessError> {
        let pair = || {
            UnixStream::pair().map_err(|e| {
                HarnessError::Internal(format!("cannot create the run's channel: {e}"))
            })
        };
        // std creates both ends close-on-exec: no other child started meanwhile inherits them.
        let (control, child_control) = pair()?;
        let (log, child_log) = pair()?;
        Ok(Channel {
            control,
            log,
            child_control: child_control.into(),
            child_log: child_log.into(),
        })
    }

    /// Makes the child's ends its descriptors 3 and 4 in `cmd`'s process.
    pub(super) fn pass_to(&self, cmd: &mut Command) {
        let (control, log) = (self.child_control.as_raw_fd(), self.child_log.as_raw_fd());
        // SAFETY: only async-signal-safe calls (fcntl, dup2, close) run between fork and exec.
        // Both are first copied above the target numbers, so neither overwrites the other.
        unsafe {
            cmd.pre_exec(move || {
                for (from, to) in [(control, CONTROL_FD), (log, LOG_FD)] {
                    let high = libc::fcntl(from, libc::F_DUPFD, 16);
                    if high < 0 || libc::dup2(high, to) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::close(high);
                }
                Ok(())
            });
        }
    }

    /// Once the child runs: sends it `request` and `module`, and listens.
    pub(super) fn start(self, request: ToChild, module: Arc<[u8]>) -> Live {
        // The parent's copies of the child's ends must go, or the parent would never see the
        // end of either stream.
        drop((self.child_control, self.child_log));
        let (tx, events) = mpsc::channel();
        let mut writer = self.control.try_clone();
        let sender = std::thread::spawn(move || {
            if let Ok(out) = writer.as_mut() {
                // A child that dies before reading everything is the watchdog's business.
                let _ = wasix_sandbox_protocol::write_frame(out, &request, &module);
            }
        });
        let control = self.control;
        let reader = std::thread::spawn(move || {
            let mut input = BufReader::new(control);
            while let Ok(Some((message, _))) = read_frame::<FromChild>(&mut input) {
                let event = match message {
                    FromChild::Started { .. } => Event::Started,
                    FromChild::Warning { message, .. } => Event::Warning(message),
                    FromChild::Outcome { outcome, .. } => Event::Outcome(outcome),
                    FromChild::Unknown => continue,
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        let mut log = self.log;
        let logger = std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut chunk = [0u8; 8192];
            while let Ok(n) = log.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * LOG_TAIL {
                    tail.drain(..tail.len() - LOG_TAIL);
                }
            }
            tail
        });
        Live { events, threads: Some(Threads { sender, reader, logger }) }
    }
}

/// A started child's channel.
pub(super) struct Live {
    events: Receiver<Event>,
    threads: Option<Threads>,
}

struct Threads {
    sender: JoinHandle<()>,
    reader: JoinHandle<()>,
    /// Gives the end of the log.
    logger: JoinHandle<Vec<u8>>,
}

impl Live {
    /// The child's next message, waiting at most `wait`.
    pub(super) fn next(&self, wait: Duration) -> Option<Event> {
        match self.events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                // Nothing more will come: do not spin on a closed channel.
                std::thread::sleep(wait);
                None
            }
        }
    }

    /// Once the child's process group is gone: every message not yet taken, and the last
    /// line of its log.
    pub(super) fn close(mut self) -> (Vec<Event>, String) {
        let mut log = Vec::new();
        if let Some(threads) = self.threads.take() {
            let _ = threads.sender.join();
            let _ = threads.reader.join();
            log = threads.logger.join().unwrap_or_default();
        }
        let rest = self.events.try_iter().collect();
        let text = String::from_utf8_lossy(&log);
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        (rest, crate::text::one_line(last))
    }
}
