//! `--junit PATH`: JUnit XML through quick-junit (the crate cargo-nextest uses).

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::errors::HarnessError;
use crate::runner::{CaseResult, Verdict};
use crate::text::xml_safe;

pub fn write(
    path: &Path,
    results: &[CaseResult],
    took: std::time::Duration,
) -> Result<(), HarnessError> {
    let mut report = Report::new("wasix-harness");
    report.set_time(took);
    let mut groups: Vec<&str> = results.iter().map(|r| r.group.as_str()).collect();
    groups.dedup();
    groups.sort();
    groups.dedup();
    for group in groups {
        let mut suite = TestSuite::new(xml_safe(group));
        for r in results.iter().filter(|r| r.group == group) {
            let status = match &r.verdict {
                Verdict::Passed => TestCaseStatus::success(),
                Verdict::Failed => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(xml_safe(&r.problems.join("; ")));
                    status.set_type(xml_safe(&super::got(r)));
                    status
                }
                Verdict::Skipped(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(xml_safe(&reason.to_string()));
                    status
                }
            };
            let mut case = TestCase::new(xml_safe(&r.name), status);
            case.set_classname(xml_safe(group));
            case.set_time(r.duration());
            if r.flaky {
                case.set_system_out(format!("flaky: passed on attempt {}", r.attempts));
            }
            if let Some(run) = &r.run {
                case.set_system_out(xml_safe(&run.stdout.text()));
                case.set_system_err(xml_safe(&run.stderr.text()));
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let bad = |e: String| {
        HarnessError::Internal(format!("cannot write JUnit report {}: {e}", path.display()))
    };
    let xml = report.to_string().map_err(|e| bad(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    }
    std::fs::write(path, xml).map_err(|e| bad(e.to_string()))
}
