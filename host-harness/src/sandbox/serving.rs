//! Runners that serve many runs: `@wasmer/sdk` in Node and in the browsers. Starting one costs
//! a Node process and the sdk's start-up (0.4-2 s), or a browser (1-18 s on a loaded machine),
//! against milliseconds for the guest, so a runner stays after a run for the next run of the
//! same job: at most one runner per runtime for each run going on at once (a job of
//! `--jobs`), started when a run first needs it.
//!
//! What keeps runs apart is the runner's (PROTOCOL.md): each run gets its own sdk package and
//! sandbox, on a fresh sdk instance in Node (a page in a browser is used again only if the
//! previous run left no guest code running). What stays here is the watchdog's: the same limits, statuses and `started` as for
//! a child per run, and the rule that a runner which was killed (a hang, its memory budget),
//! died, or reported a crash is never used again; the next run starts another one. A runner
//! that died between two runs is noticed before it is given the next one, and a runner that
//! dies before a run's guest started gets that run again on a fresh runner (once), so one run
//! never inherits another's fate.
//!
//! A runner's own files (a browser's profile) live in a private directory the harness makes for
//! it and removes with it, outside the temporary directory (which users map for guests, and a
//! guest on the embedded wasmer could then write into another runner's browser profile):
//! `$XDG_RUNTIME_DIR/wasix-harness/`, else `~/.cache/wasix-harness/runners/`.
//!
//! Memory: the budget is the same as for a child per run (`--memory-limit` plus the runtime's
//! allowance, for the whole process group while the run goes on); the runner's own baseline
//! is inside the allowance, and a runner whose group is past the allowance while idle is
//! retired before it takes a run, so one run's leftovers never count against the next.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use wasix_sandbox_protocol::{Report, ToChild, VERSION};

use super::channel::{Channel, Connection, Event, Outbox};
use super::live::{self, ScratchDir};
use super::runtime::Runtime;
use super::spec::{Invocation, Output, Stdin};
use super::watchdog::{Capture, GroupMemory, GuestRun, Limit, Limits, RunnerUse, contain};
use crate::errors::HarnessError;
use crate::outcome::Outcome;

/// How often the watchdog looks at the runner: its end, its memory, the run's limits.
const POLL: Duration = Duration::from_millis(20);

/// Runners between two runs.
static IDLE: Mutex<Vec<Server>> = Mutex::new(Vec::new());

/// Runs the invocation on a runner of `runtime` (an idle one, or a new one) to its end.
pub(super) fn run(
    inv: &Invocation,
    runtime: Runtime,
    module: Arc<[u8]>,
) -> Result<GuestRun, HarnessError> {
    let mut retried = false;
    loop {
        let mut server = match idle(runtime) {
            Some(server) => server,
            None => Server::start(runtime)?,
        };
        let veteran = server.runs > 0;
        let served = server.serve(inv, &module);
        if served.keep && inv.reuse_runner {
            IDLE.lock().unwrap_or_else(|p| p.into_inner()).push(server);
        }
        // A runner that had served runs before and died before this run's guest started
        // died of something else: the run gets a fresh runner.
        if served.died_before_start && veteran && !retried {
            retried = true;
            continue;
        }
        return Ok(served.run);
    }
}

/// Ends every idle runner (and removes its directory): what a command does before it exits.
pub fn end_runners() {
    let idle = std::mem::take(&mut *IDLE.lock().unwrap_or_else(|p| p.into_inner()));
    drop(idle);
}

/// Where runners' private directories go (see the module's documentation).
fn runner_home() -> std::io::Result<std::path::PathBuf> {
    let home = match (std::env::var_os("XDG_RUNTIME_DIR"), std::env::var_os("XDG_CACHE_HOME")) {
        (Some(run), _) if std::path::Path::new(&run).is_dir() => {
            std::path::PathBuf::from(run).join("wasix-harness")
        }
        (_, Some(cache)) => std::path::PathBuf::from(cache).join("wasix-harness").join("runners"),
        _ => match std::env::var_os("HOME") {
            Some(home) => std::path::PathBuf::from(home).join(".cache/wasix-harness/runners"),
            None => std::env::temp_dir(),
        },
    };
    std::fs::create_dir_all(&home)?;
    Ok(home)
}

/// An idle runner of `runtime` that is still fit to serve, if there is one; the unfit ones
/// found on the way are ended.
fn idle(runtime: Runtime) -> Option<Server> {
    loop {
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        let at = idle.iter().position(|s| s.runtime == runtime)?;
        let mut server = idle.swap_remove(at);
        drop(idle);
        if server.fit() {
            return Some(server);
        }
    }
}

/// One runner process (and its process group) and the channel to it.
struct Server {
    runtime: Runtime,
    child: Child,
    group: libc::pid_t,
    /// `None` once the runner is ended.
    connection: Option<Connection>,
    _registered: live::Run,
    /// The runner's private directory (`WASIX_HARNESS_RUNNER_DIR`), removed with it.
    _dir: ScratchDir,
    next_id: u64,
    runs: u64,
}

/// What became of one run on a runner.
struct Served {
    run: GuestRun,
    /// The runner can serve the next run.
    keep: bool,
    /// The runner died (or closed its channel) before the guest started.
    died_before_start: bool,
}

enum Ending {
    Reported(Report),
    Limit(Limit),
    /// The runner died or closed its channel without an outcome: how, and its last log line.
    Died(String),
}

impl Server {
    fn start(runtime: Runtime) -> Result<Server, HarnessError> {
        let channel = Channel::new()?;
        let mut cmd = runtime.child_command()?;
        channel.pass_to(&mut cmd);
        // The guests' streams travel as messages: whatever the runner itself prints is a log.
        let log = channel.log_for_child()?;
        let log_too = log
            .try_clone()
            .map_err(|e| HarnessError::Internal(format!("cannot duplicate the log socket: {e}")))?;
        cmd.stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::from(log_too));
        let dir = runner_home()
            .and_then(|home| ScratchDir::new_in(&home, "wasix-harness-runner-"))
            .map_err(|e| {
                HarnessError::Internal(format!("cannot make a directory for the runner: {e}"))
            })?;
        cmd.env("WASIX_HARNESS_RUNNER_DIR", dir.path());
        contain(&mut cmd);
        // Registered before it can exist, so a signal between spawn and here still finds it.
        let registered = live::register();
        let child = spawn_kept(cmd).map_err(|e| {
            HarnessError::Internal(format!("cannot start the {} runner: {e}", runtime.name()))
        })?;
        let group = child.id() as libc::pid_t;
        registered.set_group(group);
        Ok(Server {
            runtime,
            child,
            group,
            connection: Some(channel.connect()),
            _registered: registered,
            _dir: dir,
            next_id: 0,
            runs: 0,
        })
    }

    /// Alive, listening, and within its memory allowance; otherwise it is ended.
    fn fit(&mut self) -> bool {
        let alive = matches!(self.child.try_wait(), Ok(None))
            && self.connection.as_ref().is_some_and(|c| !c.closed());
        let within = GroupMemory::new(self.group).sample() <= self.runtime.idle_ceiling();
        if !(alive && within) {
            self.end();
        }
        alive && within
    }

    /// Kills the runner's process group and waits for it.
    fn end(&mut self) {
        // SAFETY: kill(2) on the runner's own process group; harmless if it is gone.
        unsafe { libc::kill(-self.group, libc::SIGKILL) };
        let _ = self.child.wait();
        if let Some(connection) = self.connection.take() {
            connection.close();
        }
    }

    fn serve(&mut self, inv: &Invocation, module: &Arc<[u8]>) -> Served {
        let id = self.next_id;
        self.next_id += 1;
        let runner = RunnerUse { pid: self.child.id(), earlier_runs: self.runs };
        self.runs += 1;
        let runtime = self.runtime;
        let Some(connection) = self.connection.as_ref() else {
            return Served {
                run: GuestRun {
                    runner: Some(runner),
                    ..GuestRun::not_run(Outcome::Crashed { message: "the runner was ended".into() })
                },
                keep: false,
                died_before_start: true,
            };
        };
        let outbox = connection.outbox();
        let mut request = inv.spec.to_run(id);
        request.stdio = wasix_sandbox_protocol::Stdio::Channel;
        outbox.send(
            ToChild::Run { protocol: VERSION, run: request, payload: module.len() as u64 },
            Arc::clone(module),
        );
        feed_stdin(&inv.stdin, &outbox, id);

        let limits = Limits::of(inv, runtime);
        let began = Instant::now();
        let mut guest_started: Option<Instant> = None;
        let mut memory = GroupMemory::new(self.group);
        let mut peak_memory = 0u64;
        let mut captures = match inv.output {
            Output::Capture { limit } => Some((Capture::new(limit), Capture::new(limit))),
            Output::PassThrough => None,
        };
        let mut warnings = Vec::new();
        // Short first naps so that quick runs end quickly, then every POLL.
        let mut nap = Duration::from_millis(1);
        let ending = 'run: loop {
            match self.child.try_wait() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    let how = match status.signal() {
                        Some(sig) => format!("the runner was killed by signal {sig}"),
                        None => format!("the runner exited with {}", status.code().unwrap_or(-1)),
                    };
                    break Ending::Died(how);
                }
                Err(e) => break Ending::Died(format!("cannot wait for the runner: {e}")),
            }
            let now = Instant::now();
            if let Some(limit) = limits.time_up(now, began, guest_started) {
                break Ending::Limit(limit);
            }
            let used = memory.sample();
            peak_memory = peak_memory.max(used);
            if let Some(budget) = limits.memory_budget.filter(|b| used > *b) {
                break Ending::Limit(Limit::Memory { budget, used });
            }
            // Everything the runner said until the next look, at most `nap` from now.
            let until = now + nap;
            loop {
                let wait = until.saturating_duration_since(Instant::now());
                let Some(event) = connection.next(wait) else {
                    if connection.closed() {
                        break 'run Ending::Died("the runner closed its channel".into());
                    }
                    break;
                };
                // An earlier run's late words are not this run's.
                if event.id() != id {
                    continue;
                }
                match event {
                    Event::Started { .. } => {
                        guest_started.get_or_insert_with(Instant::now);
                    }
                    Event::Warning { message, .. } => {
                        warnings.push(crate::text::one_line(&message));
                    }
                    Event::Stdout { bytes, .. } => match &mut captures {
                        Some((out, _)) => out.push(&bytes),
                        None => pass_through(&mut std::io::stdout(), &bytes),
                    },
                    Event::Stderr { bytes, .. } => match &mut captures {
                        Some((_, err)) => err.push(&bytes),
                        None => pass_through(&mut std::io::stderr(), &bytes),
                    },
                    Event::Outcome { report, .. } => break 'run Ending::Reported(report),
                }
            }
            nap = (nap * 2).min(POLL);
        };
        let duration = began.elapsed();
        let guest_time = guest_started.map(|at| at.elapsed());
        let (outcome, keep, died_before_start) = match ending {
            Ending::Reported(report) => {
                // A runner that says it failed is not trusted with another run.
                let keep = !matches!(report, Report::Crashed { .. });
                (Outcome::from(report), keep, false)
            }
            Ending::Limit(limit) => (limit.outcome(inv, Some(runtime)), false, false),
            Ending::Died(how) => {
                let last = connection.last_log_line();
                let message = if last.is_empty() { how } else { format!("{how}: {last}") };
                (Outcome::Crashed { message }, false, guest_started.is_none())
            }
        };
        if !keep {
            self.end();
        }
        let (stdout, stderr) = match captures {
            Some((out, err)) => (out.finish(), err.finish()),
            None => Default::default(),
        };
        Served {
            run: GuestRun {
                outcome,
                duration,
                guest_time,
                stdout,
                stderr,
                warnings,
                peak_memory,
                runner: Some(runner),
            },
            keep,
            died_before_start,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.connection.is_some() {
            self.end();
        }
    }
}

/// The guest's stdin, as messages: all of it now (none, or the given bytes), never (held open
/// until the run ends), or the harness's own stdin as it comes (a thread that may outlive the
/// run, blocked reading; what it sends later carries this run's id, which the runner then
/// drops).
fn feed_stdin(stdin: &Stdin, outbox: &Outbox, id: u64) {
    let end = || outbox.send(ToChild::StdinEnd { id }, Arc::from([]));
    match stdin {
        Stdin::Null => end(),
        Stdin::Bytes(bytes) => {
            outbox.send(ToChild::Stdin { id, payload: bytes.len() as u64 }, Arc::from(&bytes[..]));
            end();
        }
        Stdin::HeldOpen => {}
        Stdin::Inherit => {
            let outbox = outbox.clone();
            std::thread::spawn(move || {
                let mut input = std::io::stdin();
                let mut chunk = vec![0u8; 64 << 10];
                loop {
                    match input.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => outbox
                            .send(ToChild::Stdin { id, payload: n as u64 }, Arc::from(&chunk[..n])),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
                outbox.send(ToChild::StdinEnd { id }, Arc::from([]));
            });
        }
    }
}

/// A guest's output on the harness's own stream (`run`): a reader that went away is no
/// reason to stop the run.
fn pass_through(out: &mut impl Write, bytes: &[u8]) {
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

type SpawnRequest = (Command, Sender<std::io::Result<Child>>);

/// Starts `cmd` from a thread that lives as long as this process: a runner outlives the run
/// (and the job thread) that started it, and the kernel's parent-death signal follows the
/// thread that forked, not the process.
fn spawn_kept(cmd: Command) -> std::io::Result<Child> {
    static KEEPER: OnceLock<Option<Mutex<Sender<SpawnRequest>>>> = OnceLock::new();
    let gone = || std::io::Error::other("the thread that starts runners is gone");
    let keeper = KEEPER.get_or_init(|| {
        let (tx, requests) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("runner-keeper".into())
            .spawn(move || {
                for (mut cmd, reply) in requests {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .ok()
            .map(|_| Mutex::new(tx))
    });
    let keeper = keeper.as_ref().ok_or_else(gone)?;
    let (reply, answer) = mpsc::channel();
    keeper.lock().unwrap_or_else(|p| p.into_inner()).send((cmd, reply)).map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}
