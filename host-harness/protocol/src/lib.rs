//! The sandbox protocol between `wasix-harness` and a runtime's child process, for the Rust
//! runners (the harness's parent side and its embedded wasmer's child, and the wasmer 4.3
//! runner). `host-harness/runtimes/PROTOCOL.md` describes it for runners in other languages;
//! `host-harness/runtimes/js/protocol.mjs` is the same for JavaScript.
//!
//! Nothing of an exchange is a file: the child inherits two Unix stream sockets, [`CONTROL_FD`]
//! (the request in, `started` and the outcome out) and [`LOG_FD`] (its own diagnostics). A
//! guest reaches host files only through the directories mapped for it, so whatever is mapped
//! (`/tmp`, `/`), nothing it can reach decides its verdict; and a socket, unlike a pipe, cannot
//! be opened again through `/proc/PID/fd/N`.
//!
//! Framing: every message is one line of JSON (an object with a `type`), followed by as many
//! raw bytes as its `payload` key says, if it has one. Messages carry the `id` of their run, so
//! that a runner may one day serve many runs over one channel.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The protocol version a run message carries; it changes when a message's meaning does.
pub const VERSION: u32 = 2;

/// The child's descriptor of the control channel (request in; `started`, warnings, outcome out).
pub const CONTROL_FD: i32 = 3;
/// The child's descriptor for its own diagnostics (free text; the parent keeps the end of it
/// and shows the last line if the child dies without an outcome).
pub const LOG_FD: i32 = 4;

/// The longest message line either side reads: a request is a few kilobytes at most.
pub const MAX_LINE: usize = 4 << 20;
/// The largest payload either side accepts (a module: the harness refuses bigger files first).
pub const MAX_PAYLOAD: u64 = 1 << 30;

/// The statuses a child reports for a guest that never started, and the ones it ends with.
pub mod status {
    /// Not a WebAssembly module this runtime can compile (EX_DATAERR).
    pub const INVALID_MODULE: i32 = 65;
    /// The input is missing or unreadable (EX_NOINPUT).
    pub const NO_INPUT: i32 = 66;
    /// The module cannot run on this runtime (EX_UNAVAILABLE).
    pub const UNAVAILABLE: i32 = 69;
    /// The runner itself failed (EX_SOFTWARE).
    pub const INTERNAL: i32 = 70;
    /// The guest trapped: 128 + SIGILL.
    pub const TRAPPED: i32 = 132;
}

/// A host directory the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dir {
    pub host: PathBuf,
    pub guest: String,
}

/// One run of one module: what the parent sends, followed by the module's bytes (checked by
/// the parent: a valid module with a `_start`, a memory and imports a WASI runtime provides).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub id: u64,
    /// The guest's argv[0].
    pub program: String,
    /// The module's path, for messages only: its bytes are the payload.
    pub module: String,
    /// argv[1..].
    #[serde(default)]
    pub args: Vec<String>,
    /// The guest's whole environment.
    #[serde(default)]
    pub env: Vec<(String, String)>,
    /// Host directories preopened for the guest.
    #[serde(default)]
    pub dirs: Vec<Dir>,
    /// Upper bound on each linear memory, in bytes; `None` keeps the module's own.
    #[serde(default)]
    pub memory_limit: Option<u64>,
    /// Where compiled modules may be cached (a runner may ignore it).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

/// What the parent sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToChild {
    Run {
        protocol: u32,
        #[serde(flatten)]
        run: Run,
        /// Bytes of the module after this line.
        payload: u64,
    },
}

/// How the guest ended, as the child saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Report {
    /// The guest exited with this status: the value it passed to `proc_exit` (all 32 bits,
    /// as a signed number) when the runner can tell, else what the runtime kept of it.
    Exited { code: i32 },
    /// The guest trapped, in any thread, and the runtime ended the process for it.
    Trapped { message: String },
    /// The module did not start: `status` is one of [`status`]'s, `message` one line.
    NotStarted { status: i32, message: String },
    /// The run needs something this runtime cannot do; the guest did not run.
    Unsupported { message: String },
    /// The runner itself failed.
    Crashed { message: String },
}

impl Report {
    /// The child's own exit status after reporting (informational: the parent trusts only
    /// the report).
    pub fn process_status(&self) -> i32 {
        match self {
            Report::Exited { code } => code & 0xff,
            Report::Trapped { .. } => status::TRAPPED,
            Report::NotStarted { status, .. } => *status,
            Report::Unsupported { .. } => status::UNAVAILABLE,
            Report::Crashed { .. } => status::INTERNAL,
        }
    }
}

/// What the child sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromChild {
    /// The module is read, validated and compiled; the guest's first instruction is next. The
    /// parent's guest timeout counts from here; before, only its compile limit applies.
    Started { id: u64 },
    /// Something the user should see whatever the outcome (one line).
    Warning { id: u64, message: String },
    /// How the run ended; the first one counts.
    Outcome { id: u64, outcome: Report },
    /// A message of a later version: ignored.
    #[serde(other)]
    Unknown,
}

/// Writes one message and its payload.
pub fn write_frame(
    out: &mut impl Write,
    message: &impl Serialize,
    payload: &[u8],
) -> io::Result<()> {
    let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.write_all(payload)?;
    out.flush()
}

/// Reads one message and its payload; `None` at the end of the stream.
pub fn read_frame<T: DeserializeOwned>(
    input: &mut impl BufRead,
) -> io::Result<Option<(T, Vec<u8>)>> {
    let mut line = Vec::new();
    let read = input.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(invalid(if line.len() > MAX_LINE {
            format!("a message longer than {MAX_LINE} bytes")
        } else {
            "a message cut off by the end of the stream".into()
        }));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&line).map_err(|e| invalid(e.to_string()))?;
    let size = value.get("payload").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if size > MAX_PAYLOAD {
        return Err(invalid(format!("a payload of {size} bytes, more than {MAX_PAYLOAD}")));
    }
    let message = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    let mut payload = Vec::new();
    input.take(size).read_to_end(&mut payload)?;
    if payload.len() as u64 != size {
        return Err(invalid(format!("a payload cut off after {} of {size} bytes", payload.len())));
    }
    Ok(Some((message, payload)))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sandbox protocol: {what}"))
}

/// A runner's end of the control channel: it has read its run, and says what happens.
///
/// Writes are serialized, and only the first outcome is sent (a runner's normal path and a
/// watchdog thread of its own may race to report).
pub struct Channel<W: Write> {
    id: u64,
    out: Mutex<Option<W>>,
}

impl<W: Write> Channel<W> {
    pub fn new(id: u64, out: W) -> Self {
        Self { id, out: Mutex::new(Some(out)) }
    }

    pub fn started(&self) {
        self.send(&FromChild::Started { id: self.id }, false);
    }

    pub fn warning(&self, message: &str) {
        self.send(&FromChild::Warning { id: self.id, message: message.to_string() }, false);
    }

    /// Sends the outcome unless one was sent already; later messages are dropped. Returns
    /// whether this one was sent.
    pub fn outcome(&self, outcome: &Report) -> bool {
        self.send(&FromChild::Outcome { id: self.id, outcome: outcome.clone() }, true)
    }

    fn send(&self, message: &FromChild, last: bool) -> bool {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let Some(w) = out.as_mut() else { return false };
        let sent = write_frame(w, message, &[]).is_ok();
        if last {
            *out = None;
        }
        sent
    }
}

/// The runner's side on Unix: the inherited descriptors.
#[cfg(unix)]
pub mod child {
    use std::fs::File;
    use std::io::BufReader;
    use std::os::fd::FromRawFd;

    use super::*;

    /// Reads the run from [`CONTROL_FD`] and returns it with the module's bytes and the
    /// channel to answer on.
    ///
    /// # Safety
    /// Takes ownership of descriptor [`CONTROL_FD`], which the parent must have passed (and
    /// nothing else in the process may own).
    pub unsafe fn connect() -> io::Result<(Run, Vec<u8>, Channel<File>)> {
        // SAFETY: the caller guarantees the descriptor is ours.
        let control = unsafe { File::from_raw_fd(CONTROL_FD) };
        let mut input = BufReader::new(control.try_clone()?);
        let Some((message, module)) = read_frame::<ToChild>(&mut input)? else {
            return Err(invalid("the parent sent no run".into()));
        };
        let ToChild::Run { protocol, run, .. } = message;
        if protocol != VERSION {
            return Err(invalid(format!("protocol {protocol}, this runner speaks {VERSION}")));
        }
        let id = run.id;
        Ok((run, module, Channel::new(id, control)))
    }

    /// [`LOG_FD`] as a file.
    ///
    /// # Safety
    /// Takes ownership of descriptor [`LOG_FD`], which the parent must have passed.
    pub unsafe fn log() -> File {
        // SAFETY: the caller guarantees the descriptor is ours.
        unsafe { File::from_raw_fd(LOG_FD) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            id: 7,
            program: "guest.wasm".into(),
            module: "/m/guest.wasm".into(),
            args: vec!["--flag".into(), "a::b".into()],
            env: vec![("-K".into(), "v=w\nx".into())],
            dirs: vec![Dir { host: "/h::x".into(), guest: "/g".into() }],
            memory_limit: Some(1 << 20),
            cache_dir: None,
        }
    }

    #[test]
    fn a_run_and_its_module_survive_the_trip_unchanged() {
        let module = b"\0asm\x01\0\0\0 and \n newlines".to_vec();
        let message = ToChild::Run { protocol: VERSION, run: run(), payload: module.len() as u64 };
        let mut wire = Vec::new();
        write_frame(&mut wire, &message, &module).unwrap();
        write_frame(&mut wire, &FromChild::Started { id: 7 }, &[]).unwrap();
        let mut input = &wire[..];
        let (got, payload) = read_frame::<ToChild>(&mut input).unwrap().unwrap();
        assert_eq!((got, payload), (message, module));
        let (next, _) = read_frame::<FromChild>(&mut input).unwrap().unwrap();
        assert_eq!(next, FromChild::Started { id: 7 });
        assert!(read_frame::<FromChild>(&mut input).unwrap().is_none());
    }

    #[test]
    fn the_wire_format_is_the_documented_one() {
        let line = serde_json::to_value(ToChild::Run { protocol: VERSION, run: run(), payload: 3 })
            .unwrap();
        for key in [
            "type",
            "protocol",
            "id",
            "program",
            "module",
            "args",
            "env",
            "dirs",
            "memory_limit",
            "cache_dir",
            "payload",
        ] {
            assert!(line.get(key).is_some(), "{key} missing from {line}");
        }
        assert_eq!(line["type"], "run");
        assert_eq!(line["env"][0][0], "-K");
        let outcome = FromChild::Outcome { id: 1, outcome: Report::Exited { code: -1 } };
        assert_eq!(
            serde_json::to_string(&outcome).unwrap(),
            r#"{"type":"outcome","id":1,"outcome":{"kind":"exited","code":-1}}"#
        );
    }

    #[test]
    fn unknown_messages_and_keys_of_later_versions_are_ignored() {
        let mut input =
            &b"{\"type\":\"progress\",\"id\":1}\n{\"type\":\"started\",\"id\":1,\"at\":5}\n"[..];
        let (first, _) = read_frame::<FromChild>(&mut input).unwrap().unwrap();
        assert_eq!(first, FromChild::Unknown);
        let (second, _) = read_frame::<FromChild>(&mut input).unwrap().unwrap();
        assert_eq!(second, FromChild::Started { id: 1 });
    }

    #[test]
    fn cut_or_oversized_frames_are_errors_not_hangs() {
        for bad in [
            &b"{\"type\":\"started\",\"id\":1}"[..],
            b"{\"type\":\"run\",\"payload\":10}\nabc",
            b"nonsense\n",
        ] {
            assert!(
                read_frame::<FromChild>(&mut &bad[..]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let huge = format!("{{\"payload\":{}}}\n", MAX_PAYLOAD + 1);
        assert!(read_frame::<FromChild>(&mut huge.as_bytes()).is_err());
    }

    #[test]
    fn only_the_first_outcome_is_sent() {
        #[derive(Clone, Default)]
        struct Shared(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let wire = Shared::default();
        let channel = Channel::new(3, wire.clone());
        channel.started();
        assert!(channel.outcome(&Report::Exited { code: 101 }));
        assert!(!channel.outcome(&Report::Exited { code: 1 }));
        channel.warning("too late");
        let bytes = wire.0.lock().unwrap().clone();
        let mut input = &bytes[..];
        let mut got = Vec::new();
        while let Some((message, _)) = read_frame::<FromChild>(&mut input).unwrap() {
            got.push(message);
        }
        assert_eq!(
            got,
            [
                FromChild::Started { id: 3 },
                FromChild::Outcome { id: 3, outcome: Report::Exited { code: 101 } }
            ]
        );
    }
}
