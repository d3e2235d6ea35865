//! A scenario's expected outcome: the small TOML file next to its source, and judging a run
//! against it.
//!
//! `src/bin/NAME.rs` is described by `src/bin/NAME.toml` (and `src/main.rs` by
//! `src/main.toml`). Every key is optional; an empty file (or none) expects exit status 0.
//!
//! ```toml
//! description = "a spawned thread panics; main joins and unwraps"
//! expect = 101                  # an exit status, or "hang" (must time out), or "trap"
//! stderr_contains = ["dead lock?"]
//! stdout_contains = []
//! stdout_equals = "exact stdout" # optional
//! native = "same"               # "same": status and panic message equal the native run's
//!                               # "differs": a deliberate difference, explained in `reason`
//!                               # "skip": no native comparison (e.g. WASIX-only APIs)
//! reason = "why native differs"
//! bare = 127                    # optional: what a build without the crate must do
//! timeout = 10                  # seconds before the watchdog kills the run
//! within = 1.5                  # seconds the run may take at most (checked, not enforced)
//! args = ["a"]
//! env = { KEY = "value" }
//! stdin = "text"                # stdin content; default is empty (end of file at once)
//! stdin_open = true             # keep stdin open and empty: reads block
//! scratch_dir = "/scratch"      # a fresh host temp dir mapped here; $SCRATCH_DIR names it
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;
use crate::status::HarnessError;

/// An expected way for a run to end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expected {
    Exit(i32),
    Named(NamedOutcome),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamedOutcome {
    /// The watchdog must kill it at the timeout.
    Hang,
    /// It must trap.
    Trap,
    /// Anything: the run is only recorded.
    Any,
}

impl Default for Expected {
    fn default() -> Self {
        Expected::Exit(0)
    }
}

impl Expected {
    pub fn matches(&self, outcome: &Outcome) -> bool {
        match (self, outcome) {
            (Expected::Exit(want), Outcome::Exited { code }) => want == code,
            (Expected::Named(NamedOutcome::Hang), Outcome::TimedOut { .. }) => true,
            (Expected::Named(NamedOutcome::Trap), Outcome::Trapped { .. }) => true,
            (Expected::Named(NamedOutcome::Any), _) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Exit(code) => write!(f, "exit {code}"),
            Expected::Named(NamedOutcome::Hang) => write!(f, "hang"),
            Expected::Named(NamedOutcome::Trap) => write!(f, "trap"),
            Expected::Named(NamedOutcome::Any) => write!(f, "any"),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NativeParity {
    /// Exit status and panic message must equal the native build's.
    #[default]
    Same,
    /// A documented, deliberate difference.
    Differs,
    /// Not compared.
    Skip,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub expect: Expected,
    #[serde(default)]
    pub stdout_contains: Vec<String>,
    #[serde(default)]
    pub stderr_contains: Vec<String>,
    pub stdout_equals: Option<String>,
    #[serde(default)]
    pub native: NativeParity,
    pub reason: Option<String>,
    pub bare: Option<Expected>,
    pub timeout: Option<f64>,
    pub within: Option<f64>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub stdin: Option<String>,
    #[serde(default)]
    pub stdin_open: bool,
    pub scratch_dir: Option<String>,
}

impl Expectation {
    /// Reads `path`; a missing file is the default expectation (exit 0).
    pub fn load(path: &Path) -> Result<Self, HarnessError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(HarnessError::NoInput {
                    path: path.display().to_string(),
                    reason: crate::util::io_reason(&e),
                });
            }
        };
        Self::parse(&text).map_err(|reason| HarnessError::BadSpec { path: path.display().to_string(), reason })
    }

    /// Parses and checks an expectation file's text; errors are one line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let exp: Expectation = toml::from_str(text).map_err(|e| crate::util::one_line(e.message()))?;
        if exp.native == NativeParity::Differs && exp.reason.as_deref().unwrap_or("").is_empty() {
            return Err("`native = \"differs\"` needs a `reason`".into());
        }
        for (key, value) in [("timeout", exp.timeout), ("within", exp.within)] {
            if let Some(t) = value {
                if !(t > 0.0 && t <= 3600.0) {
                    return Err(format!("`{key} = {t}` is not between 0 and 3600 seconds"));
                }
            }
        }
        Ok(exp)
    }

    pub fn timeout(&self, default: Duration) -> Duration {
        self.timeout.map(Duration::from_secs_f64).unwrap_or(default)
    }

    /// Every way the run fails this expectation; empty when it meets it.
    pub fn check(&self, outcome: &Outcome, stdout: &str, stderr: &str, took: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.expect.matches(outcome) {
            let detail = outcome.explanation().map(|e| format!(" ({e})")).unwrap_or_default();
            problems.push(format!("expected {}, got {outcome}{detail}", self.expect));
        }
        for needle in &self.stdout_contains {
            if !stdout.contains(needle.as_str()) {
                problems.push(format!("stdout lacks {needle:?}"));
            }
        }
        for needle in &self.stderr_contains {
            if !stderr.contains(needle.as_str()) {
                problems.push(format!("stderr lacks {needle:?}"));
            }
        }
        if let Some(want) = &self.stdout_equals {
            if stdout != want {
                problems.push(format!("stdout is {:?}, expected {want:?}", crate::util::one_line(stdout)));
            }
        }
        if let Some(limit) = self.within {
            if took.as_secs_f64() > limit {
                problems.push(format!("took {:.2} s, more than {limit} s", took.as_secs_f64()));
            }
        }
        problems
    }
}

/// The panic messages in a stderr, with what legitimately differs between a native and a
/// WASIX build taken out: thread ids (`'main' (12345)`) and paths (only file names are kept).
pub fn panic_messages(stderr: &str) -> Vec<String> {
    let mut messages = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("thread '") else { continue };
        let Some((name, rest)) = rest.split_once('\'') else { continue };
        let Some(at) = rest.find("panicked at ") else { continue };
        let location = rest[at + "panicked at ".len()..].trim_end_matches(':');
        let file = location.rsplit('/').next().unwrap_or(location);
        let mut text = format!("thread '{name}' panicked at {file}:");
        // The message runs until the next blank line, note, or panic header.
        while let Some(next) = lines.peek() {
            if next.is_empty() || next.starts_with("note:") || next.starts_with("thread '") {
                break;
            }
            text.push('\n');
            text.push_str(next);
            lines.next();
        }
        messages.push(text);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let exp: Expectation = toml::from_str(
            r#"
            description = "d"
            expect = "hang"
            stderr_contains = ["x"]
            native = "differs"
            reason = "r"
            bare = 127
            timeout = 2
            env = { A = "b" }
            stdin_open = true
            "#,
        )
        .unwrap();
        assert_eq!(exp.expect, Expected::Named(NamedOutcome::Hang));
        assert_eq!(exp.bare, Some(Expected::Exit(127)));
        assert_eq!(exp.env["A"], "b");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Expectation>("expected = 1").is_err());
    }

    #[test]
    fn check_reports_each_problem() {
        let exp = Expectation {
            expect: Expected::Exit(101),
            stderr_contains: vec!["boom".into()],
            ..Default::default()
        };
        let ok = exp.check(&Outcome::Exited { code: 101 }, "", "boom\n", Duration::ZERO);
        assert!(ok.is_empty());
        let bad = exp.check(&Outcome::Exited { code: 127 }, "", "", Duration::ZERO);
        assert_eq!(bad.len(), 2, "{bad:?}");
        let hang = Expected::Named(NamedOutcome::Hang);
        assert!(hang.matches(&Outcome::TimedOut { after_ms: 1 }));
        assert!(!hang.matches(&Outcome::Exited { code: 0 }));
    }

    #[test]
    fn panic_messages_ignore_thread_ids_and_paths() {
        let native = "\nthread '<unnamed>' (4242) panicked at src/bin/seed.rs:5:9:\ndead lock?\nnote: run with\n";
        let wasix = "\nthread '<unnamed>' (2) panicked at /abs/src/bin/seed.rs:5:9:\ndead lock?\n";
        assert_eq!(panic_messages(native), panic_messages(wasix));
        assert_eq!(panic_messages(native), ["thread '<unnamed>' panicked at seed.rs:5:9:\ndead lock?"]);
    }
}
