//! Running one guest in a child process under a timeout, and capturing what it prints.
//!
//! The child is started by the chosen [`Runtime`] and answers through the
//! [`protocol`](super::protocol). The child is the leader of its own process group, and the
//! whole group is killed at the timeout, so a runtime's helper processes (or a native
//! guest's children holding the pipes) cannot outlive it. The child also asks the kernel to
//! kill it if the harness dies (`PR_SET_PDEATHSIG`), so nothing is left behind.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use super::protocol::{Exchange, RunSpec};
use super::runtime::Runtime;
use crate::errors::HarnessError;
use crate::outcome::Outcome;

/// Bytes of each output stream a captured run keeps by default: half from the start, half
/// from the end, so the last thing a guest printed (a panic message) is never the part lost.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 20;

/// What the guest's standard input is.
#[derive(Clone, Debug, Default)]
pub enum Stdin {
    /// `/dev/null`: reads see end of file at once.
    #[default]
    Null,
    /// The harness's own stdin (`wasix-harness run`).
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// A pipe that stays open and empty until the guest ends: reads block.
    HeldOpen,
}

/// Where the guest's stdout and stderr go.
#[derive(Clone, Copy, Debug)]
pub enum Output {
    /// Straight through to the harness's own stdout and stderr.
    PassThrough,
    /// Into memory, keeping at most this many bytes of each stream (head and tail).
    Capture { limit: usize },
}

/// One run to make: what, on which runtime, for how long, with which stdio.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub spec: RunSpec,
    pub runtime: Runtime,
    pub timeout: Duration,
    pub stdin: Stdin,
    pub output: Output,
}

/// Captured bytes of one stream: its start and its end, and how many bytes between them were
/// dropped to stay within the limit.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub dropped: u64,
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// What one run did.
#[derive(Clone, Debug)]
pub struct GuestRun {
    pub outcome: Outcome,
    pub duration: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// Runs the invocation to its end: the guest exits, traps, fails to start, or is killed at
/// the timeout. Errors only when the child process cannot be started at all.
pub fn run(inv: &Invocation) -> Result<GuestRun, HarnessError> {
    let exchange = Exchange::create(&inv.spec)?;
    let mut cmd = inv.runtime.child_command()?;
    cmd.arg(exchange.request_path());
    let run = supervise(cmd, &inv.stdin, inv.output, inv.timeout)?;
    let outcome = match run.ended {
        Ended::Status(status) => exchange.outcome(|| match status.signal() {
            Some(sig) => format!("killed by signal {sig}"),
            None => format!("exited with {} before reporting", status.code().unwrap_or(-1)),
        }),
        Ended::TimedOut => Outcome::timed_out(inv.timeout),
        Ended::Lost(why) => Outcome::Crashed { message: why },
    };
    Ok(GuestRun { outcome, duration: run.duration, stdout: run.stdout, stderr: run.stderr })
}

/// Runs a native build of a guest the same way, for comparison. A process killed by a signal
/// is reported as a shell would: exit status 128 + signal.
pub fn run_native(
    exe: &Path,
    inv: &Invocation,
    cwd: Option<&Path>,
) -> Result<GuestRun, HarnessError> {
    let mut cmd = Command::new(exe);
    cmd.args(&inv.spec.args).env_clear().envs(inv.spec.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let run = supervise(cmd, &inv.stdin, inv.output, inv.timeout)?;
    let outcome = match run.ended {
        Ended::Status(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Outcome::Exited { code },
            (None, Some(sig)) => Outcome::Exited { code: 128 + sig },
            (None, None) => Outcome::Crashed { message: "no exit status".into() },
        },
        Ended::TimedOut => Outcome::timed_out(inv.timeout),
        Ended::Lost(why) => Outcome::Crashed { message: why },
    };
    Ok(GuestRun { outcome, duration: run.duration, stdout: run.stdout, stderr: run.stderr })
}

enum Ended {
    Status(std::process::ExitStatus),
    /// The watchdog killed the process group at the timeout.
    TimedOut,
    /// Waiting for the child failed; it was killed.
    Lost(String),
}

struct Supervised {
    ended: Ended,
    duration: Duration,
    stdout: Captured,
    stderr: Captured,
}

fn supervise(
    mut cmd: Command,
    stdin: &Stdin,
    output: Output,
    timeout: Duration,
) -> Result<Supervised, HarnessError> {
    cmd.stdin(match stdin {
        Stdin::Null => Stdio::null(),
        Stdin::Inherit => Stdio::inherit(),
        Stdin::Bytes(_) | Stdin::HeldOpen => Stdio::piped(),
    });
    let (out, err, limit) = match output {
        Output::PassThrough => (Stdio::inherit(), Stdio::inherit(), 0),
        Output::Capture { limit } => (Stdio::piped(), Stdio::piped(), limit),
    };
    cmd.stdout(out).stderr(err);
    // Its own process group, so the timeout can kill everything it started.
    cmd.process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls (prctl, getppid, kill) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The parent may have died before the line above: then nobody would kill us.
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }

    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| HarnessError::Internal(format!("cannot start the guest's process: {e}")))?;
    let group = child.id() as libc::pid_t;
    let stdout_reader = child.stdout.take().map(|s| spawn_reader(s, limit));
    let stderr_reader = child.stderr.take().map(|s| spawn_reader(s, limit));
    // Held open until the guest is gone; dropped at the end of this function.
    let mut _held_stdin = None;
    if let Some(mut pipe) = child.stdin.take() {
        match stdin {
            Stdin::Bytes(bytes) => {
                let bytes = bytes.clone();
                std::thread::spawn(move || {
                    let _ = pipe.write_all(&bytes);
                });
            }
            _ => _held_stdin = Some(pipe),
        }
    }

    let kill_group = || {
        // SAFETY: kill(2) on the child's own process group; harmless if it is gone.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    };
    let ended = match child.wait_timeout(timeout) {
        Ok(Some(status)) => Ended::Status(status),
        Ok(None) => {
            kill_group();
            let _ = child.wait();
            Ended::TimedOut
        }
        Err(e) => {
            kill_group();
            let _ = child.wait();
            Ended::Lost(format!("cannot wait for the guest's process: {e}"))
        }
    };
    let duration = started.elapsed();
    // Whatever the child left behind in its group goes too, so the pipes close.
    kill_group();
    Ok(Supervised {
        ended,
        duration,
        stdout: join_reader(stdout_reader),
        stderr: join_reader(stderr_reader),
    })
}

/// Reads a stream to its end, keeping the first and the last `limit / 2` bytes.
fn spawn_reader(mut stream: impl Read + Send + 'static, limit: usize) -> JoinHandle<Captured> {
    std::thread::spawn(move || {
        let head_limit = limit / 2;
        let tail_limit = limit - head_limit;
        let mut head = Vec::new();
        let mut tail: VecDeque<u8> = VecDeque::new();
        let mut dropped = 0u64;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let mut data = &chunk[..n];
                    let to_head = head_limit.saturating_sub(head.len()).min(data.len());
                    head.extend_from_slice(&data[..to_head]);
                    data = &data[to_head..];
                    tail.extend(data);
                    if tail.len() > tail_limit {
                        let excess = tail.len() - tail_limit;
                        tail.drain(..excess);
                        dropped += excess as u64;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        if dropped > 0 {
            head.extend_from_slice(
                format!("\n[wasix-harness: {dropped} bytes dropped here]\n").as_bytes(),
            );
        }
        head.extend(tail);
        Captured { bytes: head, dropped }
    })
}

fn join_reader(reader: Option<JoinHandle<Captured>>) -> Captured {
    reader.and_then(|r| r.join().ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_head_and_tail() {
        let data: Vec<u8> = (0..100u8).collect();
        let captured = spawn_reader(std::io::Cursor::new(data), 10).join().unwrap();
        assert_eq!(captured.dropped, 90);
        assert!(captured.bytes.starts_with(&[0, 1, 2, 3, 4]));
        assert!(captured.bytes.ends_with(&[95, 96, 97, 98, 99]));
    }

    #[test]
    fn capture_below_the_limit_is_whole() {
        let captured = spawn_reader(std::io::Cursor::new(b"hello".to_vec()), 10).join().unwrap();
        assert_eq!(captured.bytes, b"hello");
        assert_eq!(captured.dropped, 0);
    }
}
