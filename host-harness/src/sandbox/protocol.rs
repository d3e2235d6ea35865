//! The parent/child protocol, both sides, in one place (described for runners in other
//! languages in `host-harness/runtimes/PROTOCOL.md`).
//!
//! A guest always runs in a child process, whatever the runtime: only ending a process
//! reliably stops a guest whose threads spin or wait forever, and a crashing runtime then
//! takes only its child down. The parent writes one [`Request`] (the [`RunSpec`] plus where to
//! answer) as JSON into a private directory; the child runs the guest with its own stdin,
//! stdout and stderr as the guest's, and answers with one [`Outcome`] as JSON. Both are typed
//! here and nowhere else: adding a field to [`RunSpec`] means adding it here and filling it in
//! the CLI.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::errors::HarnessError;
use crate::outcome::Outcome;

/// The protocol version a request carries; it changes only when a key changes meaning.
pub const VERSION: u32 = 1;

/// The largest request or report file either side reads: both are small JSON objects, so
/// anything bigger is not ours.
const MAX_MESSAGE: u64 = 4 << 20;

/// A line of the child's log starting with this is shown to the user by the parent.
pub const WARNING_PREFIX: &str = "wasix-harness: warning: ";

/// Everything needed to run one module once, on any runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    pub module: PathBuf,
    /// argv[1..]; argv[0] is the module's file name.
    pub args: Vec<String>,
    /// The guest's whole environment.
    pub env: Vec<(String, String)>,
    /// Host directories preopened for the guest.
    pub dirs: Vec<MappedDir>,
    /// Compiled-module cache; `None` compiles every time.
    #[serde(rename = "cache_dir")]
    pub cache: Option<PathBuf>,
    /// Upper bound on the guest's linear memory, in bytes; `None` keeps the module's own.
    pub memory_limit: Option<u64>,
}

/// A host directory the guest sees at `guest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedDir {
    pub host: PathBuf,
    pub guest: String,
}

impl RunSpec {
    /// A run of `module` with no arguments, environment, directories or cache and the
    /// module's own memory maximum. Callers set what differs with struct update syntax
    /// (`RunSpec { args, ..RunSpec::new(module) }`), so a new field needs a change here and
    /// in the CLI only.
    pub fn new(module: impl Into<PathBuf>) -> Self {
        RunSpec { module: module.into(), ..Default::default() }
    }

    /// The guest's argv[0]: the module's file name.
    pub fn program(&self) -> String {
        self.module
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "guest.wasm".into())
    }
}

/// What the parent writes and the child reads: the run, and where to answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    pub protocol: u32,
    #[serde(flatten)]
    pub spec: RunSpec,
    pub program: String,
    /// Where the child writes its [`Outcome`].
    pub report: PathBuf,
    /// Where the child's own diagnostics go (never the guest's stderr).
    pub log: PathBuf,
    /// The child creates this (empty) file right before the guest starts, after reading,
    /// validating and compiling the module: the watchdog's guest timeout counts from then,
    /// compilation has its own limit (for the runtimes whose runners create it).
    pub started: PathBuf,
}

/// The parent's side of one exchange: a private directory holding the request, and later
/// the report and the child's log. Removed with everything in it when dropped.
pub struct Exchange {
    dir: tempfile::TempDir,
    request: Request,
}

impl Exchange {
    /// Writes the request for `spec` into a new private (0700) directory.
    pub fn create(spec: &RunSpec) -> Result<Self, HarnessError> {
        let internal =
            |what: &str, e: std::io::Error| HarnessError::Internal(format!("cannot {what}: {e}"));
        // 0700 explicitly: tempfile creates directories with the umask's mode (0755), and
        // then anyone could read the guest's report and log.
        let dir = tempfile::Builder::new()
            .prefix("wasix-harness-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map_err(|e| internal("create a private directory for the run", e))?;
        let request = Request {
            protocol: VERSION,
            spec: spec.clone(),
            program: spec.program(),
            report: dir.path().join("report.json"),
            log: dir.path().join("child.log"),
            started: dir.path().join("started"),
        };
        let json = serde_json::to_vec(&request)
            .map_err(|e| internal("encode the request", std::io::Error::other(e)))?;
        std::fs::write(dir.path().join("request.json"), json)
            .map_err(|e| internal("write the request", e))?;
        Ok(Exchange { dir, request })
    }

    /// The private directory itself.
    pub fn dir_path(&self) -> std::path::PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The file the child is given as its argument.
    pub fn request_path(&self) -> PathBuf {
        self.dir.path().join("request.json")
    }

    /// Whether the child has said the guest started (see [`Request::started`]).
    pub fn guest_started(&self) -> bool {
        self.request.started.exists()
    }

    /// The child's warnings for the user (lines of its log starting with
    /// [`WARNING_PREFIX`]): the child's stderr is the guest's, so it cannot show them itself.
    pub fn warnings(&self) -> Vec<String> {
        read_bounded(&self.request.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(WARNING_PREFIX))
            .map(|l| crate::text::one_line(l.trim()))
            .collect()
    }

    /// What the child answered; a child that ended without answering has crashed, and the
    /// last line of its log says why.
    pub fn outcome(&self, how_it_ended: impl FnOnce() -> String) -> Outcome {
        match read_bounded(&self.request.report)
            .ok()
            .and_then(|text| serde_json::from_str::<Outcome>(&text).ok())
        {
            Some(outcome) => outcome,
            None => {
                let log = read_bounded(&self.request.log).unwrap_or_default();
                let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                let how = how_it_ended();
                let message = if last.is_empty() {
                    how
                } else {
                    format!("{how}: {}", crate::text::one_line(last))
                };
                Outcome::Crashed { message }
            }
        }
    }
}

/// The child's side: reads the request it was given.
pub fn read_request(path: &Path) -> Result<Request, String> {
    let text = read_bounded(path)
        .map_err(|e| format!("cannot read the request {}: {e}", path.display()))?;
    let request: Request = serde_json::from_str(&text)
        .map_err(|e| format!("malformed request {}: {e}", path.display()))?;
    if request.protocol != VERSION {
        return Err(format!("request protocol {} is not {VERSION}", request.protocol));
    }
    Ok(request)
}

/// The child's side: writes the outcome, once. The first writer wins (the exit guard and the
/// normal path can race), and a reader never sees half a report: the JSON goes into a
/// temporary file that is then hard-linked into place, which fails if a report exists.
pub fn write_report(request: &Request, outcome: &Outcome) -> std::io::Result<()> {
    let dir = request.report.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&serde_json::to_vec(outcome).map_err(std::io::Error::other)?)?;
    tmp.flush()?;
    match std::fs::hard_link(tmp.path(), &request.report) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?.take(MAX_MESSAGE).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RunSpec {
        RunSpec {
            module: "/m/guest.wasm".into(),
            args: vec!["--flag".into(), "a::b".into()],
            env: vec![("-K".into(), "v=w".into())],
            dirs: vec![MappedDir { host: "/h::x".into(), guest: "/g".into() }],
            cache: None,
            memory_limit: Some(1 << 20),
        }
    }

    #[test]
    fn a_request_survives_the_trip_unchanged() {
        // Strings that argv splitting used to misread (`::`, leading `-`) stay what they are.
        let exchange = Exchange::create(&spec()).unwrap();
        let request = read_request(&exchange.request_path()).unwrap();
        assert_eq!(request.spec, spec());
        assert_eq!(request.program, "guest.wasm");
    }

    #[test]
    fn the_exchange_is_private_and_removed_with_everything_in_it() {
        use std::os::unix::fs::PermissionsExt;
        let exchange = Exchange::create(&spec()).unwrap();
        let dir = exchange.dir_path();
        // Nobody else can plant a link at the log's or the report's name beforehand.
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let request = read_request(&exchange.request_path()).unwrap();
        std::fs::write(&request.log, "child diagnostics").unwrap();
        std::fs::write(&request.started, "").unwrap();
        assert!(exchange.guest_started());
        drop(exchange);
        assert!(!dir.exists(), "a run leaves nothing behind, however it ended");
    }

    #[test]
    fn only_marked_log_lines_are_warnings_for_the_user() {
        let exchange = Exchange::create(&spec()).unwrap();
        let request = read_request(&exchange.request_path()).unwrap();
        std::fs::write(
            &request.log,
            format!("wasmer noise\n{WARNING_PREFIX}cache entry X failed authentication\n"),
        )
        .unwrap();
        assert_eq!(exchange.warnings(), ["cache entry X failed authentication"]);
    }

    #[test]
    fn the_first_report_wins_and_a_missing_one_is_a_crash() {
        let exchange = Exchange::create(&spec()).unwrap();
        assert!(matches!(exchange.outcome(|| "gone".into()), Outcome::Crashed { .. }));
        let request = read_request(&exchange.request_path()).unwrap();
        write_report(&request, &Outcome::Exited { code: 101 }).unwrap();
        write_report(&request, &Outcome::Exited { code: 1 }).unwrap();
        assert_eq!(exchange.outcome(|| unreachable!()), Outcome::Exited { code: 101 });
    }

    #[test]
    fn the_wire_format_is_the_documented_one() {
        let exchange = Exchange::create(&spec()).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(exchange.request_path()).unwrap()).unwrap();
        for key in [
            "protocol",
            "module",
            "program",
            "args",
            "env",
            "dirs",
            "memory_limit",
            "cache_dir",
            "report",
            "log",
            "started",
        ] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["dirs"][0]["guest"], "/g");
        assert_eq!(json["env"][0][0], "-K");
    }
}
