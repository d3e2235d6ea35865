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
//! within = 1.5                  # seconds the run should take at most (over it: reported late)
//! args = ["a"]
//! env = { KEY = "value" }
//! stdin = "text"                # stdin content; default is empty (end of file at once)
//! stdin_open = true             # keep stdin open and empty: reads block
//! scratch_dir = "/scratch"      # a fresh host temp dir mapped here; $SCRATCH_DIR names it
//!
//! [runtimes.sdk]                # what one runtime really does, where it differs because of
//! expect = "hang"               # that runtime's own bug; any of expect, stdout_contains,
//! reason = "sdk bug: ..."       # stderr_contains, stdout_equals, timeout, within; `reason`
//!                               # (required) names the bug and the program that shows it
//! [runtimes."wasmer-4.3"]
//! skip = "needs X, which wasmer 4.3 lacks"  # not run there: a declared skip
//! may_also = "hang"             # besides the scenario's own ending (checked in full), the
//!                               # runtime's race may end it this way (`reason` says which)
//!
//! [foreign]                     # the same, for the build with the crate's own shim instead of
//! skip = "why"                  # the toolchain's (`test --foreign`)
//!
//! [unwind]                      # the build with the toolchain's unwinding variant (`test
//! expect = 0                    # --unwind`): what differs there from the keys above (expect,
//! native = "same"               # the output checks, timeout, within, native and its reason,
//! reason = "why"                # or skip); without it, the scenario's own expectation holds
//! [unwind.runtimes.sdk]         # a runtime's own bug with the unwinding build, as above (the
//! timeout = 60                  # `[runtimes.NAME]` of the abort build do not apply to it)
//! reason = "..."
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::HarnessError;
use crate::outcome::Outcome;
use crate::sandbox::Runtime;

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
    /// Declared differences of one runtime (`[runtimes.NAME]`, one of the sandbox's runtimes).
    #[serde(default)]
    pub runtimes: BTreeMap<Runtime, RuntimeDifference>,
    /// A declared difference of the foreign build (the crate's own shim, not the toolchain's).
    pub foreign: Option<RuntimeDifference>,
    /// What differs when built with the toolchain's unwinding variant.
    pub unwind: Option<UnwindDifference>,
    /// Set from a runtime's `may_also`, never from the scenario's own table.
    #[serde(skip)]
    pub may_also: Option<Expected>,
}

/// What one runtime does instead of the expectation, because of its own bug, or why the
/// scenario cannot run there.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeDifference {
    pub expect: Option<Expected>,
    pub stdout_contains: Option<Vec<String>>,
    pub stderr_contains: Option<Vec<String>>,
    pub stdout_equals: Option<String>,
    pub timeout: Option<f64>,
    pub within: Option<f64>,
    /// A second way the run may end there, from a race in the runtime: the scenario's own
    /// ending is still checked in full; this one only by its kind.
    pub may_also: Option<Expected>,
    /// The runtime's bug, and how it was shown.
    #[serde(default)]
    pub reason: String,
    /// Not run on this runtime, for this reason.
    pub skip: Option<String>,
}

/// What the scenario does when built to unwind (`WASIX_TOOLCHAIN_PANIC=unwind`): each key
/// replaces the scenario's own; a new `expect` drops the output checks that were about the
/// old ending. Runtime bugs are declared anew in its `runtimes`: the unwinding build is
/// another program, and the abort build's `[runtimes.NAME]` do not apply to it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnwindDifference {
    pub expect: Option<Expected>,
    pub stdout_contains: Option<Vec<String>>,
    pub stderr_contains: Option<Vec<String>>,
    pub stdout_equals: Option<String>,
    pub timeout: Option<f64>,
    pub within: Option<f64>,
    /// Native parity under unwinding, when it is not the scenario's own (`reason` then says
    /// why it differs, or why the abort build's difference is gone).
    pub native: Option<NativeParity>,
    pub reason: Option<String>,
    /// Not built to unwind, for this reason.
    pub skip: Option<String>,
    #[serde(default)]
    pub runtimes: BTreeMap<Runtime, RuntimeDifference>,
}

/// The expectation that holds on one runtime.
#[derive(Clone, Debug)]
pub enum OnRuntime {
    /// The scenario's own expectation, or one adjusted by a declared runtime bug (`reason`).
    Run { expectation: Box<Expectation>, declared: Option<String> },
    /// Declared not to run there.
    Skip(String),
}

impl Expectation {
    /// Reads `path`; a missing file is the default expectation (exit 0).
    pub fn load(path: &Path) -> Result<Self, HarnessError> {
        let text = match crate::input::read_regular_text(path, crate::input::MAX_CONFIG) {
            Ok(text) => text,
            Err(crate::input::ReadError::NotFound) => return Ok(Self::default()),
            Err(e) => {
                return Err(HarnessError::NoInput {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        Self::parse(&text)
            .map_err(|reason| HarnessError::BadSpec { path: path.display().to_string(), reason })
    }

    /// Parses and checks an expectation file's text; errors are one line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let exp: Expectation = toml::from_str(text).map_err(|e| {
            let message = crate::text::one_line(e.message());
            // A runtime's name that is none: say which table.
            if message.contains("is not a runtime") {
                format!("[runtimes.NAME]: {message}")
            } else {
                message
            }
        })?;
        if exp.native == NativeParity::Differs && exp.reason.as_deref().unwrap_or("").is_empty() {
            return Err("`native = \"differs\"` needs a `reason`".into());
        }
        let mut times =
            vec![("timeout".to_string(), exp.timeout), ("within".to_string(), exp.within)];
        for (runtime, diff) in &exp.runtimes {
            if diff.reason.trim().is_empty() && diff.skip.is_none() {
                return Err(format!(
                    "[runtimes.{runtime}] needs a `reason` naming the runtime's bug"
                ));
            }
            times.push((format!("runtimes.{runtime}.timeout"), diff.timeout));
            times.push((format!("runtimes.{runtime}.within"), diff.within));
        }
        if let Some(diff) = &exp.foreign
            && diff.reason.trim().is_empty()
            && diff.skip.is_none()
        {
            return Err("[foreign] needs a `reason` or a `skip`".into());
        }
        if let Some(unwind) = &exp.unwind {
            if unwind.native == Some(NativeParity::Differs)
                && unwind.reason.as_deref().unwrap_or("").trim().is_empty()
            {
                return Err("[unwind] `native = \"differs\"` needs a `reason`".into());
            }
            times.push(("unwind.timeout".into(), unwind.timeout));
            times.push(("unwind.within".into(), unwind.within));
            for (runtime, diff) in &unwind.runtimes {
                if diff.reason.trim().is_empty() && diff.skip.is_none() {
                    return Err(format!(
                        "[unwind.runtimes.{runtime}] needs a `reason` naming the runtime's bug"
                    ));
                }
                times.push((format!("unwind.runtimes.{runtime}.timeout"), diff.timeout));
                times.push((format!("unwind.runtimes.{runtime}.within"), diff.within));
            }
        }
        for (key, value) in times {
            if let Some(t) = value
                && !(t > 0.0 && t <= 3600.0)
            {
                return Err(format!("`{key} = {t}` is not between 0 and 3600 seconds"));
            }
        }
        Ok(exp)
    }

    /// The expectation on `runtime`, with its declared difference applied.
    pub fn on_runtime(&self, runtime: Runtime) -> OnRuntime {
        self.with_difference(self.runtimes.get(&runtime))
    }

    /// The expectation of the unwinding build on `runtime`: the scenario's own with `[unwind]`
    /// applied, then that build's declared difference on `runtime`.
    pub fn on_unwind(&self, runtime: Runtime) -> OnRuntime {
        let mut exp = self.clone();
        exp.runtimes = BTreeMap::new();
        exp.foreign = None;
        if let Some(unwind) = exp.unwind.take() {
            if let Some(reason) = unwind.skip {
                return OnRuntime::Skip(reason);
            }
            if let Some(expect) = unwind.expect {
                exp.expect = expect;
                exp.stdout_contains.clear();
                exp.stderr_contains.clear();
                exp.stdout_equals = None;
            }
            if let Some(v) = unwind.stdout_contains {
                exp.stdout_contains = v;
            }
            if let Some(v) = unwind.stderr_contains {
                exp.stderr_contains = v;
            }
            if unwind.stdout_equals.is_some() {
                exp.stdout_equals = unwind.stdout_equals;
            }
            exp.timeout = unwind.timeout.or(exp.timeout);
            exp.within = unwind.within.or(exp.within);
            if let Some(native) = unwind.native {
                exp.native = native;
                exp.reason = unwind.reason;
            }
            exp.runtimes = unwind.runtimes;
        }
        exp.on_runtime(runtime)
    }

    /// The expectation for the foreign build, with its declared difference applied.
    pub fn on_foreign_build(&self) -> OnRuntime {
        self.with_difference(self.foreign.as_ref())
    }

    fn with_difference(&self, diff: Option<&RuntimeDifference>) -> OnRuntime {
        let Some(diff) = diff else {
            return OnRuntime::Run { expectation: Box::new(self.clone()), declared: None };
        };
        if let Some(reason) = &diff.skip {
            return OnRuntime::Skip(reason.clone());
        }
        let mut exp = self.clone();
        if let Some(expect) = &diff.expect {
            // Another way of ending: the scenario's output checks were about the expected one.
            exp.expect = expect.clone();
            exp.stdout_contains.clear();
            exp.stderr_contains.clear();
            exp.stdout_equals = None;
        }
        if let Some(v) = &diff.stdout_contains {
            exp.stdout_contains = v.clone();
        }
        if let Some(v) = &diff.stderr_contains {
            exp.stderr_contains = v.clone();
        }
        if diff.stdout_equals.is_some() {
            exp.stdout_equals = diff.stdout_equals.clone();
        }
        exp.timeout = diff.timeout.or(exp.timeout);
        exp.within = diff.within.or(exp.within);
        exp.may_also = diff.may_also.clone();
        OnRuntime::Run { expectation: Box::new(exp), declared: Some(diff.reason.clone()) }
    }

    /// The scenario's own timeout, if it has one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.map(Duration::from_secs_f64)
    }

    /// Whether the run took longer than its `within` budget. Reported, never a failure: how
    /// fast a run is depends on the machine's load, and a verdict must not (a run that never
    /// ends is caught by the timeout).
    pub fn late(&self, took: Duration) -> bool {
        self.within.is_some_and(|limit| took.as_secs_f64() > limit)
    }

    /// Every way the run fails this expectation; empty when it meets it.
    pub fn check(&self, outcome: &Outcome, stdout: &str, stderr: &str) -> Vec<String> {
        if self.may_also.as_ref().is_some_and(|alt| alt.matches(outcome)) {
            return Vec::new();
        }
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
        if let Some(want) = &self.stdout_equals
            && stdout != want
        {
            problems
                .push(format!("stdout is {:?}, expected {want:?}", crate::text::one_line(stdout)));
        }
        problems
    }
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
    fn a_runtime_difference_needs_a_reason_and_a_known_runtime() {
        assert!(
            Expectation::parse("[runtimes.sdk]\nexpect = \"hang\"").unwrap_err().contains("reason")
        );
        assert!(
            Expectation::parse("[runtimes.wasmtime]\nreason = \"x\"")
                .unwrap_err()
                .contains("is not a runtime")
        );
        let exp = Expectation::parse(
            "expect = 101\n[runtimes.sdk]\nexpect = \"hang\"\nreason = \"sdk bug\"\n",
        )
        .unwrap();
        match exp.on_runtime(Runtime::Sdk) {
            OnRuntime::Run { expectation, declared } => {
                assert_eq!(expectation.expect, Expected::Named(NamedOutcome::Hang));
                assert_eq!(declared.as_deref(), Some("sdk bug"));
            }
            OnRuntime::Skip(_) => panic!("not a skip"),
        }
        assert!(matches!(exp.on_runtime(Runtime::Wasmer), OnRuntime::Run { declared: None, .. }));
    }

    #[test]
    fn the_unwinding_build_has_its_own_expectation_and_runtime_bugs() {
        let exp = Expectation::parse(
            "expect = 101\nstderr_contains = [\"boom\"]\nnative = \"differs\"\nreason = \"abort\"\n\
             timeout = 5\n\
             [runtimes.sdk]\nexpect = \"hang\"\nreason = \"abort-build bug\"\n\
             [unwind]\nexpect = 0\nnative = \"same\"\n\
             [unwind.runtimes.sdk]\ntimeout = 60\nreason = \"slow workers\"\n",
        )
        .unwrap();
        let OnRuntime::Run { expectation, declared } = exp.on_unwind(Runtime::Wasmer) else {
            panic!("not a skip")
        };
        assert_eq!(expectation.expect, Expected::Exit(0));
        assert!(expectation.stderr_contains.is_empty(), "the checks were about exit 101");
        assert_eq!(expectation.native, NativeParity::Same);
        assert_eq!((expectation.timeout, declared), (Some(5.0), None));
        // The abort build's sdk bug is not the unwinding build's; its own is.
        let OnRuntime::Run { expectation, declared } = exp.on_unwind(Runtime::Sdk) else {
            panic!("not a skip")
        };
        assert_eq!(expectation.expect, Expected::Exit(0));
        assert_eq!(expectation.timeout, Some(60.0));
        assert_eq!(declared.as_deref(), Some("slow workers"));
        // Without [unwind], the scenario's own expectation, without its runtime bugs.
        let plain = Expectation::parse("expect = 101\n[runtimes.sdk]\nskip = \"x\"\n").unwrap();
        assert!(matches!(plain.on_unwind(Runtime::Sdk), OnRuntime::Run { declared: None, .. }));
        assert!(matches!(
            Expectation::parse("[unwind]\nskip = \"no\"").unwrap().on_unwind(Runtime::Wasmer),
            OnRuntime::Skip(_)
        ));
        assert!(
            Expectation::parse("[unwind]\nnative = \"differs\"").unwrap_err().contains("reason")
        );
        assert!(Expectation::parse("[unwind]\nbare = 1").is_err(), "bare does not apply");
        assert!(
            Expectation::parse("[unwind.runtimes.sdk]\nexpect = 1").unwrap_err().contains("reason")
        );
    }

    #[test]
    fn check_reports_each_problem() {
        let exp = Expectation {
            expect: Expected::Exit(101),
            stderr_contains: vec!["boom".into()],
            ..Default::default()
        };
        let ok = exp.check(&Outcome::Exited { code: 101 }, "", "boom\n");
        assert!(ok.is_empty());
        let bad = exp.check(&Outcome::Exited { code: 127 }, "", "");
        assert_eq!(bad.len(), 2, "{bad:?}");
        let hang = Expected::Named(NamedOutcome::Hang);
        assert!(hang.matches(&Outcome::TimedOut { after_ms: 1 }));
        assert!(!hang.matches(&Outcome::Exited { code: 0 }));
    }

    #[test]
    fn may_also_accepts_the_race_s_ending_and_still_checks_the_scenario_s_own() {
        let exp = Expectation::parse(
            "expect = 101\nstderr_contains = [\"boom\"]\n\
             [runtimes.\"wasmer-4.3\"]\nmay_also = \"hang\"\nreason = \"lost wake-up\"\n",
        )
        .unwrap();
        let OnRuntime::Run { expectation, .. } = exp.on_runtime(Runtime::Wasmer43) else {
            panic!("not a skip")
        };
        assert!(expectation.check(&Outcome::TimedOut { after_ms: 1 }, "", "").is_empty());
        assert!(expectation.check(&Outcome::Exited { code: 101 }, "", "boom").is_empty());
        // The scenario's own ending keeps its output checks; any other ending still fails.
        assert_eq!(expectation.check(&Outcome::Exited { code: 101 }, "", "").len(), 1);
        assert!(!expectation.check(&Outcome::Exited { code: 0 }, "", "boom").is_empty());
        // Only that runtime gets the alternative, and no scenario may declare one for itself.
        let OnRuntime::Run { expectation, .. } = exp.on_runtime(Runtime::Wasmer) else { panic!() };
        assert!(!expectation.check(&Outcome::TimedOut { after_ms: 1 }, "", "").is_empty());
        assert!(Expectation::parse("may_also = \"hang\"").is_err());
    }
}
