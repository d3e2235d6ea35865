//! Reporting results: to people (progress and a table), to machines (JSON events, JUnit XML),
//! to the repository (the native-parity table), and in libtest's own format (`run` on a test
//! binary). It reads only the runner's typed events and results.

pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod libtest;
pub(crate) mod parity;

use crate::runner::{CaseResult, Verdict};

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
    result.run.as_ref().map(|r| r.outcome.to_string()).unwrap_or_else(|| "not run".into())
}

pub fn secs(d: std::time::Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Results grouped by case, in order: one row of a table per case, one cell per target.
pub fn by_case(results: &[CaseResult]) -> Vec<Vec<&CaseResult>> {
    let mut rows: Vec<Vec<&CaseResult>> = Vec::new();
    for r in results {
        match rows.last_mut() {
            Some(row) if row[0].case == r.case && row[0].group == r.group => row.push(r),
            _ => rows.push(vec![r]),
        }
    }
    rows
}

/// The targets that appear in `results`, in order of first appearance.
pub fn targets(results: &[CaseResult]) -> Vec<crate::runner::Target> {
    let mut targets = Vec::new();
    for r in results {
        if !targets.contains(&r.target) {
            targets.push(r.target);
        }
    }
    targets
}
