//! The parent's end of the sandbox protocol (`wasix-sandbox-protocol`, described in
//! `host-harness/runtimes/PROTOCOL.md`): two Unix stream sockets the child inherits as its
//! descriptors 3 (control) and 4 (log).
//!
//! Nothing of the exchange is a file, so no guest can reach it, whatever directories are
//! mapped for it: it cannot plant a report, announce its own start or forge a warning, for its
//! own run or another one. (A socket, unlike a pipe, cannot be opened again through
//! `/proc/PID/fd/N` either.) Three threads serve a child: one writes what the parent sends, in
//! order (a child that does not read never blocks the watchdog), one turns the child's
//! messages into [`Event`]s, one keeps the end of its log.

use std::io::{BufReader, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use wasix_sandbox_protocol::{CONTROL_FD, FromChild, LOG_FD, Report, ToChild, read_frame};

use crate::errors::HarnessError;

/// The end of a child's log the parent keeps: enough for its last lines.
const LOG_TAIL: usize = 64 << 10;

/// What the child said, about the run `id`.
#[derive(Debug)]
pub(super) enum Event {
    Started { id: u64 },
    Warning { id: u64, message: String },
    Outcome { id: u64, report: Report },
    Stdout { id: u64, bytes: Vec<u8> },
    Stderr { id: u64, bytes: Vec<u8> },
}

impl Event {
    pub(super) fn id(&self) -> u64 {
        match self {
            Event::Started { id }
            | Event::Warning { id, .. }
            | Event::Outcome { id, .. }
            | Event::Stdout { id, .. }
            | Event::Stderr { id, .. } => *id,
        }
    }
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

    /// A copy of the child's end of the log, for the child's own stdout and stderr (a runner
    /// whose guests' streams travel as messages): whatever it prints lands in its log.
    pub(super) fn log_for_child(&self) -> Result<OwnedFd, HarnessError> {
        self.child_log
            .try_clone()
            .map_err(|e| HarnessError::Internal(format!("cannot duplicate the log socket: {e}")))
    }

    /// Once the child runs: listens to it, and sends what is given to [`Connection::send`].
    pub(super) fn connect(self) -> Connection {
        // The parent's copies of the child's ends must go, or the parent would never see the
        // end of either stream.
        drop((self.child_control, self.child_log));
        let (outbox, queued) = mpsc::channel::<(ToChild, Arc<[u8]>)>();
        // Not joined: it ends when every Outbox is gone (a thread feeding the guest's stdin
        // may hold one while it waits to read) or when the child's end is gone.
        if let Ok(mut out) = self.control.try_clone() {
            std::thread::spawn(move || {
                for (message, payload) in queued {
                    // A child that dies before reading everything is the watchdog's business.
                    if wasix_sandbox_protocol::write_frame(&mut out, &message, &payload).is_err() {
                        break;
                    }
                }
            });
        }
        let (tx, events) = mpsc::channel();
        let control = self.control;
        let reader = std::thread::spawn(move || {
            let mut input = BufReader::new(control);
            while let Ok(Some((message, payload))) = read_frame::<FromChild>(&mut input) {
                let event = match message {
                    FromChild::Started { id } => Event::Started { id },
                    FromChild::Warning { id, message } => Event::Warning { id, message },
                    FromChild::Outcome { id, outcome } => Event::Outcome { id, report: outcome },
                    FromChild::Stdout { id, .. } => Event::Stdout { id, bytes: payload },
                    FromChild::Stderr { id, .. } => Event::Stderr { id, bytes: payload },
                    FromChild::Unknown => continue,
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        let tail = Arc::new(Mutex::new(Vec::new()));
        let mut log = self.log;
        let kept = Arc::clone(&tail);
        let logger = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = log.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut tail = kept.lock().unwrap_or_else(|p| p.into_inner());
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * LOG_TAIL {
                    let excess = tail.len() - LOG_TAIL;
                    tail.drain(..excess);
                }
            }
        });
        Connection {
            outbox: Some(outbox),
            events,
            closed: std::cell::Cell::new(false),
            tail,
            threads: Some(Threads { reader, logger }),
        }
    }
}

/// A started child's channel.
pub(super) struct Connection {
    outbox: Option<Sender<(ToChild, Arc<[u8]>)>>,
    events: Receiver<Event>,
    /// The child closed its end (or died): nothing more will come.
    closed: std::cell::Cell<bool>,
    tail: Arc<Mutex<Vec<u8>>>,
    threads: Option<Threads>,
}

struct Threads {
    reader: JoinHandle<()>,
    logger: JoinHandle<()>,
}

/// Sends messages to the child, in order, from any thread.
#[derive(Clone)]
pub(super) struct Outbox(Sender<(ToChild, Arc<[u8]>)>);

impl Outbox {
    /// Queues `message` and its payload; never blocks.
    pub(super) fn send(&self, message: ToChild, payload: Arc<[u8]>) {
        // After the child's end the writer is gone; what it would not read does not matter.
        let _ = self.0.send((message, payload));
    }
}

impl Connection {
    pub(super) fn outbox(&self) -> Outbox {
        let sender = self.outbox.clone().unwrap_or_else(|| mpsc::channel().0);
        Outbox(sender)
    }

    /// The child's next message, waiting at most `wait`.
    pub(super) fn next(&self, wait: Duration) -> Option<Event> {
        match self.events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                self.closed.set(true);
                // Nothing more will come: do not spin on a closed channel.
                std::thread::sleep(wait);
                None
            }
        }
    }

    /// Whether the child's end of the control channel is closed.
    pub(super) fn closed(&self) -> bool {
        self.closed.get()
    }

    /// The last line of the child's log so far.
    pub(super) fn last_log_line(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let text = String::from_utf8_lossy(&tail);
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        crate::text::one_line(last)
    }

    /// Once the child's process group is gone: every message not yet taken, and the last
    /// line of its log.
    pub(super) fn close(mut self) -> (Vec<Event>, String) {
        self.outbox = None;
        if let Some(threads) = self.threads.take() {
            let _ = threads.reader.join();
            let _ = threads.logger.join();
        }
        let rest = self.events.try_iter().collect();
        let last = self.last_log_line();
        (rest, last)
    }
}
