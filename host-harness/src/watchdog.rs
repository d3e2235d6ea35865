//! Running one guest in a child process, under a timeout.
//!
//! The child is this same binary (`wasix-harness __exec`), which runs the module with
//! [`crate::engine`] and writes its [`Outcome`] to a report file. Only killing a process
//! reliably stops a guest whose threads spin or wait forever, and a child process also keeps
//! a crashing runtime from taking the reporting process with it. The child asks the kernel to
//! kill it if the harness dies (`PR_SET_PDEATHSIG`), so nothing is left behind.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use crate::engine::RunSpec;
use crate::outcome::Outcome;
use crate::status::HarnessError;

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
    /// Into memory, keeping at most this many bytes of each stream.
    Capture { limit: usize },
}

#[derive(Clone, Debug)]
pub struct Request {
    pub spec: RunSpec,
    pub timeout: Duration,
    pub stdin: Stdin,
    pub output: Output,
}

/// Captured bytes of one stream, and how many more the guest wrote past the limit.
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

#[derive(Clone, Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub duration: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
}

static CHILD_BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The `wasix-harness` binary that hosts guests, for callers that are not that binary
/// themselves (tests, benchmarks); by default the running executable.
pub fn set_child_binary(path: PathBuf) {
    let _ = CHILD_BINARY.set(path);
}

/// Runs the request to its end: the guest exits, traps, fails to start, or is killed at the
/// timeout. Errors only when the child process cannot be started at all.
pub fn run(req: &Request) -> Result<Report, HarnessError> {
    let report_file = tempfile::NamedTempFile::new()
        .map_err(|e| HarnessError::Internal(format!("cannot create a report file: {e}")))?;
    let exe = match CHILD_BINARY.get() {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|e| HarnessError::Internal(format!("cannot find the harness binary: {e}")))?,
    };
    let mut cmd = Command::new(exe);
    cmd.arg("__exec").arg("--report").arg(report_file.path());
    child_args(&mut cmd, &req.spec);
    let run = supervise(cmd, &req.stdin, req.output, req.timeout)?;
    let outcome = match run.status {
        Some(status) => read_report(report_file.path().to_path_buf(), status),
        None => Outcome::timed_out(req.timeout),
    };
    Ok(Report { outcome, duration: run.duration, stdout: run.stdout, stderr: run.stderr })
}

/// Runs a native build of a guest the same way, for comparison. A process killed by a signal
/// is reported as a shell would: exit status 128 + signal.
pub fn run_native(
    exe: &std::path::Path,
    req: &Request,
    cwd: Option<&std::path::Path>,
) -> Result<Report, HarnessError> {
    let mut cmd = Command::new(exe);
    cmd.args(&req.spec.args).env_clear().envs(req.spec.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let run = supervise(cmd, &req.stdin, req.output, req.timeout)?;
    let outcome = match run.status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Outcome::Exited { code },
            (None, Some(sig)) => Outcome::Exited { code: 128 + sig },
            (None, None) => Outcome::Crashed { message: "no exit status".into() },
        },
        None => Outcome::timed_out(req.timeout),
    };
    Ok(Report { outcome, duration: run.duration, stdout: run.stdout, stderr: run.stderr })
}

struct Supervised {
    /// `None` when the watchdog killed the process at the timeout.
    status: Option<std::process::ExitStatus>,
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
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }

    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| HarnessError::Internal(format!("cannot start the guest's process: {e}")))?;
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

    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => Some(status),
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };
    let duration = started.elapsed();
    Ok(Supervised {
        status,
        duration,
        stdout: join_reader(stdout_reader),
        stderr: join_reader(stderr_reader),
    })
}

fn child_args(cmd: &mut Command, spec: &RunSpec) {
    for (key, value) in &spec.env {
        cmd.arg("--env").arg(format!("{key}={value}"));
    }
    for (host, guest) in &spec.dirs {
        cmd.arg("--dir").arg(format!("{}::{guest}", host.display()));
    }
    if let Some(limit) = spec.memory_limit {
        cmd.arg("--memory-limit").arg(limit.to_string());
    }
    match &spec.cache {
        Some(dir) => cmd.arg("--cache-dir").arg(dir),
        None => cmd.arg("--no-cache"),
    };
    cmd.arg("--").arg(&spec.module).args(&spec.args);
}

/// The child's own diagnostics (wasmer's messages), next to its report.
pub fn log_path(report: &std::path::Path) -> PathBuf {
    report.with_extension("log")
}

fn read_report(path: PathBuf, status: std::process::ExitStatus) -> Outcome {
    let parsed = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<Outcome>(&text).ok());
    let log = std::fs::read_to_string(log_path(&path)).unwrap_or_default();
    let _ = std::fs::remove_file(log_path(&path));
    match parsed {
        Some(outcome) => outcome,
        None => {
            let how = match status.signal() {
                Some(sig) => format!("killed by signal {sig}"),
                None => format!("exited with {} before reporting", status.code().unwrap_or(-1)),
            };
            let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            let message = if last.is_empty() { how } else { format!("{how}: {}", crate::util::one_line(last)) };
            Outcome::Crashed { message }
        }
    }
}

fn spawn_reader(mut stream: impl Read + Send + 'static, limit: usize) -> JoinHandle<Captured> {
    std::thread::spawn(move || {
        let mut captured = Captured::default();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let room = limit.saturating_sub(captured.bytes.len());
                    let keep = room.min(n);
                    captured.bytes.extend_from_slice(&chunk[..keep]);
                    captured.dropped += (n - keep) as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        captured
    })
}

fn join_reader(reader: Option<JoinHandle<Captured>>) -> Captured {
    reader.and_then(|r| r.join().ok()).unwrap_or_default()
}
