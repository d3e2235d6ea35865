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

use std::sync::Arc;

use wasix_sandbox_protocol::{Report, ToChild};

use super::channel::{Channel, Connection, Event};
use super::live;
use super::runtime::Runtime;
use super::spec::{Invocation, Output, Stdin};
use crate::errors::HarnessError;
use crate::outcome::Outcome;

/// How often the watchdog looks at the child: its exit, its messages, its memory.
const POLL: Duration = Duration::from_millis(20);

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

    /// Keeps at most `limit` bytes: the first and the last `limit / 2`, with a marker saying
    /// how many bytes of the stream are now missing between them.
    pub fn shrink(&mut self, limit: usize) {
        if let Some(shrunk) = self.shrunk(limit) {
            *self = shrunk;
        }
    }

    /// What [`Self::shrink`] would keep, without touching this one; `None` if it fits.
    pub fn shrunk(&self, limit: usize) -> Option<Captured> {
        if self.bytes.len() <= limit {
            return None;
        }
        let head = limit / 2;
        let tail = limit - head;
        // The marker a first cut put in the middle goes with the middle, and is no stream byte.
        let old_marker = if self.dropped > 0 { dropped_marker(self.dropped).len() } else { 0 };
        let stream_len = (self.bytes.len() - old_marker) as u64 + self.dropped;
        let dropped = stream_len - (head + tail) as u64;
        let mut bytes = Vec::with_capacity(limit + 64);
        bytes.extend_from_slice(&self.bytes[..head]);
        bytes.extend_from_slice(dropped_marker(dropped).as_bytes());
        bytes.extend_from_slice(&self.bytes[self.bytes.len() - tail..]);
        Some(Captured { bytes, dropped })
    }
}

/// What one run did.
#[derive(Clone, Debug)]
pub struct GuestRun {
    pub outcome: Outcome,
    /// From the start of the run (the child's start, or the run sent to a runner) to its end.
    pub duration: Duration,
    /// The guest's own time: from its start (`started`) to the end; `None` if it never
    /// started. A runtime's start-up and the module's compilation are not in it.
    pub guest_time: Option<Duration>,
    pub stdout: Captured,
    pub stderr: Captured,
    /// The child's warnings for the user (a cache entry that failed authentication, ...).
    pub warnings: Vec<String>,
    /// The most resident memory the child's process group was seen using, in bytes.
    pub peak_memory: u64,
    /// The runner that served it, for runtimes whose runner serves many runs.
    pub runner: Option<RunnerUse>,
}

/// Which runner served a run, and how many runs it had served before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunnerUse {
    /// The runner's process id.
    pub pid: u32,
    /// Runs it served before this one (0: it was started for this run).
    pub earlier_runs: u64,
}

impl GuestRun {
    /// A run that ended before any process started (its module was refused).
    pub fn not_run(outcome: Outcome) -> Self {
        GuestRun {
            outcome,
            duration: Duration::ZERO,
            guest_time: None,
            stdout: Captured::default(),
            stderr: Captured::default(),
            warnings: Vec::new(),
            peak_memory: 0,
            runner: None,
        }
    }
}

/// Runs the checked `module` of the invocation in a child of `runtime`'s own, to its end: the
/// guest exits, traps, fails to start, or is killed at the timeout. Errors only when the child
/// process cannot be started at all.
pub(super) fn run_child(
    inv: &Invocation,
    runtime: Runtime,
    module: Arc<[u8]>,
) -> Result<GuestRun, HarnessError> {
    let channel = Channel::new()?;
    let mut cmd = runtime.child_command()?;
    channel.pass_to(&mut cmd);
    let request = ToChild::Run {
        protocol: wasix_sandbox_protocol::VERSION,
        run: inv.spec.to_run(0),
        payload: module.len() as u64,
    };
    let limits = Limits::of(inv, runtime);
    let talk = Talk { channel, request, module };
    let run = supervise(cmd, &inv.stdin, inv.output, &limits, Some(talk))?;
    let outcome = match run.ended {
        Ended::Status(status) => match run.report {
            Some(report) => Outcome::from(report),
            None => {
                let how = match status.signal() {
                    Some(sig) => format!("killed by signal {sig}"),
                    None => format!("exited with {} before reporting", status.code().unwrap_or(-1)),
                };
                let message = if run.log.is_empty() { how } else { format!("{how}: {}", run.log) };
                Outcome::Crashed { message }
            }
        },
        Ended::Limit(limit) => limit.outcome(inv, Some(runtime)),
        Ended::Lost(why) => Outcome::Crashed { message: why },
    };
    Ok(GuestRun {
        outcome,
        duration: run.duration,
        guest_time: run.guest_time,
        stdout: run.stdout,
        stderr: run.stderr,
        warnings: run.warnings,
        peak_memory: run.peak_memory,
        runner: None,
    })
}

/// What the parent says to a runtime's child, and the channel it says it on.
struct Talk {
    channel: Channel,
    request: ToChild,
    module: Arc<[u8]>,
}

/// Runs a native build of a guest the same way, for comparison. A process killed by a signal
/// is reported as a shell would: exit status 128 + signal.
pub fn run_native(
    inv: &Invocation,
    exe: &Path,
    cwd: Option<&Path>,
) -> Result<GuestRun, HarnessError> {
    let mut cmd = Command::new(exe);
    cmd.args(&inv.spec.args).env_clear().envs(inv.spec.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    // A native build has nothing to compile and no wasm memory limit to extend.
    let limits = Limits { timeout: inv.timeout, compile_timeout: None, memory_budget: None };
    let run = supervise(cmd, &inv.stdin, inv.output, &limits, None)?;
    let outcome = match run.ended {
        Ended::Status(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Outcome::Exited { code },
            (None, Some(sig)) => Outcome::Exited { code: 128 + sig },
            (None, None) => Outcome::Crashed { message: "no exit status".into() },
        },
        Ended::Limit(limit) => limit.outcome(inv, None),
        Ended::Lost(why) => Outcome::Crashed { message: why },
    };
    Ok(GuestRun {
        outcome,
        duration: run.duration,
        guest_time: run.guest_time,
        stdout: run.stdout,
        stderr: run.stderr,
        warnings: Vec::new(),
        peak_memory: run.peak_memory,
        runner: None,
    })
}

enum Ended {
    Status(std::process::ExitStatus),
    /// The watchdog killed the process group at a limit.
    Limit(Limit),
    /// Waiting for the child failed; it was killed.
    Lost(String),
}

/// A limit the watchdog ended a run at.
pub(super) enum Limit {
    /// The guest ran for its timeout.
    Timeout,
    /// The guest had not started (no `started` message) by the compile limit, after this long.
    Compile(Duration),
    /// The process group's resident memory went past the budget.
    Memory { budget: u64, used: u64 },
}

impl Limit {
    /// What the run ended with (`runtime`: `None` for a native run).
    pub(super) fn outcome(&self, inv: &Invocation, runtime: Option<Runtime>) -> Outcome {
        match *self {
            Limit::Timeout => Outcome::timed_out(inv.timeout),
            Limit::Compile(after) => {
                Outcome::CompileTimedOut { after_ms: after.as_millis() as u64 }
            }
            Limit::Memory { budget, used } => Outcome::MemoryExceeded {
                budget,
                allowance: runtime.map_or(0, Runtime::memory_allowance),
                used,
            },
        }
    }
}

struct Supervised {
    ended: Ended,
    duration: Duration,
    guest_time: Option<Duration>,
    stdout: Captured,
    stderr: Captured,
    peak_memory: u64,
    /// The child's first outcome, its warnings, and the last line of its log.
    report: Option<Report>,
    warnings: Vec<String>,
    log: String,
}

pub(super) struct Limits {
    timeout: Duration,
    /// `None`: the run has no compile step, and its timeout counts from the start.
    compile_timeout: Option<Duration>,
    /// Bytes of resident memory the whole process group may use.
    pub(super) memory_budget: Option<u64>,
}

impl Limits {
    /// A run's limits on `runtime`: every runtime's child says when the guest starts (the
    /// protocol requires it), so its timeout counts from there.
    pub(super) fn of(inv: &Invocation, runtime: Runtime) -> Self {
        Limits {
            timeout: inv.timeout,
            compile_timeout: Some(inv.compile_timeout),
            memory_budget: Some(inv.spec.memory_limit.saturating_add(runtime.memory_allowance())),
        }
    }

    /// The time limit reached at `now`, if any: the run began at `began`, its guest started at
    /// `guest_started` (if it has).
    pub(super) fn time_up(
        &self,
        now: Instant,
        began: Instant,
        guest_started: Option<Instant>,
    ) -> Option<Limit> {
        match (guest_started, self.compile_timeout) {
            // A native run has nothing to compile: its timeout counts from the start.
            (_, None) => (now - began >= self.timeout).then_some(Limit::Timeout),
            (Some(at), Some(_)) => (now - at >= self.timeout).then_some(Limit::Timeout),
            // Before the guest starts, reading and compiling have the compile limit alone.
            (None, Some(compile)) => (now - began >= compile).then(|| Limit::Compile(now - began)),
        }
    }
}

/// Makes `cmd`'s process the leader of its own process group (so that killing the group kills
/// everything it started) and asks the kernel to kill it when this process, or the thread that
/// starts it, dies (`PR_SET_PDEATHSIG`).
pub(super) fn contain(cmd: &mut Command) {
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
}

fn supervise(
    mut cmd: Command,
    stdin: &Stdin,
    output: Output,
    limits: &Limits,
    talk: Option<Talk>,
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
    contain(&mut cmd);

    let started = Instant::now();
    // Registered before it can exist, so a SIGINT between spawn and here still finds it.
    let registered = live::register();
    let mut child = cmd
        .spawn()
        .map_err(|e| HarnessError::Internal(format!("cannot start the guest's process: {e}")))?;
    let group = child.id() as libc::pid_t;
    registered.set_group(group);
    let channel: Option<Connection> = talk.map(|t| {
        let connection = t.channel.connect();
        connection.outbox().send(t.request, t.module);
        connection
    });
    let mut report: Option<Report> = None;
    let mut warnings = Vec::new();
    // One run per child: its streams are the child's own, and its messages carry id 0.
    let mut hear = |event: Event, started_at: &mut Option<Instant>| match event {
        Event::Started { .. } => {
            started_at.get_or_insert_with(Instant::now);
        }
        Event::Warning { message, .. } => warnings.push(crate::text::one_line(&message)),
        Event::Outcome { report: outcome, .. } => {
            report.get_or_insert(outcome);
        }
        Event::Stdout { .. } | Event::Stderr { .. } => {}
    };
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
    let mut guest_started: Option<Instant> = None;
    let mut peak_memory = 0u64;
    let mut memory = GroupMemory::new(group);
    // Short first naps so that quick runs end quickly, then every POLL.
    let mut nap = Duration::from_millis(1);
    let ended = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ended::Status(status),
            Ok(None) => {}
            Err(e) => {
                kill_group();
                let _ = child.wait();
                break Ended::Lost(format!("cannot wait for the guest's process: {e}"));
            }
        }
        let now = Instant::now();
        if channel.is_none() && guest_started.is_none() {
            guest_started = Some(now);
        }
        if let Some(limit) = limits.time_up(now, started, guest_started) {
            kill_group();
            let _ = child.wait();
            break Ended::Limit(limit);
        }
        let used = memory.sample();
        peak_memory = peak_memory.max(used);
        if let Some(budget) = limits.memory_budget.filter(|b| used > *b) {
            kill_group();
            let _ = child.wait();
            break Ended::Limit(Limit::Memory { budget, used });
        }
        match &channel {
            Some(live) => {
                if let Some(event) = live.next(nap) {
                    hear(event, &mut guest_started);
                }
            }
            None => std::thread::sleep(nap),
        }
        nap = (nap * 2).min(POLL);
    };
    let duration = started.elapsed();
    let guest_time = guest_started.map(|at| at.elapsed());
    // Whatever the child left behind in its group goes too, so the pipes close.
    kill_group();
    registered.done();
    let mut log = String::new();
    if let Some(connection) = channel {
        let (rest, last_line) = connection.close();
        for event in rest {
            hear(event, &mut guest_started);
        }
        log = last_line;
    }
    Ok(Supervised {
        ended,
        duration,
        guest_time,
        stdout: join_reader(stdout_reader),
        stderr: join_reader(stderr_reader),
        peak_memory,
        report,
        warnings,
        log,
    })
}

/// The resident memory (RSS) of a process group, from `/proc`: every linear memory, table,
/// in-memory file and the runtime's own heap are in it, whatever allocated them.
pub(super) struct GroupMemory {
    group: libc::pid_t,
    /// Other members (a runtime's helpers, a native guest's children), found by scanning
    /// `/proc` every [`Self::SCAN_EVERY`] samples: the leader alone is read every time.
    others: Vec<String>,
    samples: u32,
    page: u64,
}

impl GroupMemory {
    const SCAN_EVERY: u32 = 10;

    pub(super) fn new(group: libc::pid_t) -> Self {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        Self { group, others: Vec::new(), samples: 0, page }
    }

    /// Bytes resident now; a process that vanishes while being read counts as nothing.
    pub(super) fn sample(&mut self) -> u64 {
        if self.samples.is_multiple_of(Self::SCAN_EVERY) {
            self.others = members(self.group);
        }
        self.samples = self.samples.wrapping_add(1);
        let pages: u64 = std::iter::once(self.group.to_string())
            .chain(self.others.iter().cloned())
            .filter_map(|pid| resident_pages(&pid))
            .sum();
        pages * self.page
    }
}

fn resident_pages(pid: &str) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    statm.split_whitespace().nth(1)?.parse().ok()
}

/// The processes of `group` other than its leader.
fn members(group: libc::pid_t) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let leader = group.to_string();
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()) && *pid != leader)
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // After the command name (in parentheses, may hold spaces): state, ppid, pgrp.
            stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().nth(2)?.parse().ok())
                == Some(group)
        })
        .collect()
}

/// What stands in the captured bytes where `dropped` bytes of the stream were left out.
fn dropped_marker(dropped: u64) -> String {
    format!("\n[wasix-harness: {dropped} bytes dropped here]\n")
}

/// A stream being captured: its first and its last `limit / 2` bytes, and how many were
/// dropped between them.
pub(super) struct Capture {
    head_limit: usize,
    tail_limit: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: u64,
}

impl Capture {
    pub(super) fn new(limit: usize) -> Self {
        let head_limit = limit / 2;
        Capture {
            head_limit,
            tail_limit: limit - head_limit,
            head: Vec::new(),
            tail: VecDeque::new(),
            dropped: 0,
        }
    }

    pub(super) fn push(&mut self, mut data: &[u8]) {
        let to_head = self.head_limit.saturating_sub(self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..to_head]);
        data = &data[to_head..];
        self.tail.extend(data);
        if self.tail.len() > self.tail_limit {
            let excess = self.tail.len() - self.tail_limit;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    pub(super) fn finish(self) -> Captured {
        let mut bytes = self.head;
        if self.dropped > 0 {
            bytes.extend_from_slice(dropped_marker(self.dropped).as_bytes());
        }
        bytes.extend(self.tail);
        Captured { bytes, dropped: self.dropped }
    }
}

/// Reads a stream to its end, keeping the first and the last `limit / 2` bytes.
fn spawn_reader(mut stream: impl Read + Send + 'static, limit: usize) -> JoinHandle<Captured> {
    std::thread::spawn(move || {
        let mut capture = Capture::new(limit);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => capture.push(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        capture.finish()
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
    fn shrinking_keeps_head_and_tail_and_counts_what_went() {
        let data: Vec<u8> = (0..200u8).collect();
        let mut captured = spawn_reader(std::io::Cursor::new(data), 100).join().unwrap();
        captured.shrink(10);
        assert!(captured.bytes.starts_with(&[0, 1, 2, 3, 4, b'\n']));
        assert!(captured.bytes.ends_with(&[195, 196, 197, 198, 199]));
        assert!(captured.text().contains("[wasix-harness: 190 bytes dropped here]"));
        assert_eq!(captured.bytes.iter().filter(|&&b| b == b'[').count(), 1);
    }

    #[test]
    fn capture_below_the_limit_is_whole() {
        let captured = spawn_reader(std::io::Cursor::new(b"hello".to_vec()), 10).join().unwrap();
        assert_eq!(captured.bytes, b"hello");
        assert_eq!(captured.dropped, 0);
    }
}
