//! What the list layer hands the runner: cases, each one thing to run and judge.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::build::Variant;
use super::libtest::{ListedTest, RunIgnored};
use super::scenario::Expectation;
use super::suite::SuiteCase;

/// One thing to run and judge.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique, stable name: the filter and partition key, and the report's test name.
    pub name: String,
    /// Group in reports (the crate or directory it came from).
    pub group: String,
    pub kind: CaseKind,
}

#[derive(Clone, Debug)]
pub enum CaseKind {
    /// A guest program with an expectation file, run as WASIX and compared with its native
    /// and bare builds.
    Scenario(Box<Scenario>),
    /// One test of a libtest binary, run alone in its own instance.
    Libtest(Box<LibtestCase>),
    /// A module with a wasi-testsuite JSON spec.
    Suite(Box<SuiteCase>),
}

#[derive(Clone, Debug)]
pub struct LibtestCase {
    pub module: PathBuf,
    pub test: ListedTest,
    pub run_ignored: RunIgnored,
    /// The native build of the same test binary, for the verdict native `cargo test` gives.
    pub native: Option<PathBuf>,
    /// The guest's environment and preopened (host, guest) directories.
    pub env: Vec<(String, String)>,
    pub dirs: Vec<(PathBuf, String)>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub expectation: Expectation,
    /// Where relative paths in the expectation are resolved, and the native build's cwd.
    pub dir: PathBuf,
    /// The executable of each variant that was built (always `Wasix`).
    pub builds: BTreeMap<Variant, PathBuf>,
}

impl Case {
    /// What was expected, for tables (`exit 101`, `hang`, `ok`).
    pub fn expected_label(&self) -> String {
        match &self.kind {
            CaseKind::Scenario(s) => s.expectation.expect.to_string(),
            CaseKind::Libtest(_) => "ok".into(),
            CaseKind::Suite(t) => match &t.spec {
                Ok(spec) => format!("exit {}", spec.exit_code),
                Err(_) => "a valid spec".into(),
            },
        }
    }
}
