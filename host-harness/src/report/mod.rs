//! Reporting results: to people (progress and a table), to machines (JSON events, JUnit XML),
//! and to the repository (the native-parity table).

pub mod human;
pub mod json;
pub mod junit;
pub mod parity;

use crate::execute::{CaseResult, Verdict};

/// The closing counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Summary {
    pub fn of(results: &[CaseResult]) -> Self {
        let mut summary = Summary::default();
        for result in results {
            match result.verdict {
                Verdict::Passed => summary.passed += 1,
                Verdict::Failed => summary.failed += 1,
                Verdict::Skipped(_) => summary.skipped += 1,
            }
        }
        summary
    }

    /// `N passed, N failed, N skipped`: the closing line CI systems read.
    pub fn line(&self) -> String {
        format!("{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

/// What a result's judged run did, for tables: `exit 101`, `hang`, or `not run`.
pub fn got(result: &CaseResult) -> String {
    result.wasix.as_ref().map(|r| r.outcome.to_string()).unwrap_or_else(|| "not run".into())
}

pub fn secs(d: std::time::Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
