//! `--message-format json`: one JSON object per line on stdout, for CI and tools.
//!
//! Events: `{"type":"case","event":"started","name":..}`, `{"type":"case","event":"slow",..}`,
//! `{"type":"case","event":"passed"|"failed"|"skipped",..}` with outcome, times and problems,
//! and a final `{"type":"suite","event":"passed"|"failed","passed":N,"failed":N,"skipped":N}`.
//!
//! A failed case's events carry each stream as captured (up to `--capture-limit`); a passed or
//! skipped case's carry its start and its end only ([`crate::runner::RETAINED_OUTPUT`]): what
//! went right needs no megabytes, and a suite of chatty passing cases must not become gigabytes
//! of events.

use std::io::Write;

use serde_json::{Value, json};

use super::Summary;
use crate::runner::{CaseResult, Event, Verdict};
use crate::sandbox::{Captured, GuestRun};

pub fn event(event: &Event<'_>) {
    let value = match event {
        Event::Started(case) => {
            json!({"type": "case", "event": "started", "name": case.name, "group": case.group})
        }
        Event::Slow { name, after } => {
            json!({"type": "case", "event": "slow", "name": name, "after_secs": after.as_secs_f64()})
        }
        Event::Finished(result) => finished(result),
    };
    emit(&value);
}

pub fn suite(summary: &Summary, took_secs: f64) {
    let event = if summary.failed == 0 { "passed" } else { "failed" };
    emit(&json!({
        "type": "suite", "event": event, "passed": summary.passed, "failed": summary.failed,
        "skipped": summary.skipped, "exec_time": took_secs,
    }));
}

fn finished(r: &CaseResult) -> Value {
    let keep = (r.verdict != Verdict::Failed).then_some(crate::runner::RETAINED_OUTPUT);
    let run = |report: &GuestRun| run(report, keep);
    let (event, reason) = match &r.verdict {
        Verdict::Passed => ("passed", None),
        Verdict::Failed => ("failed", None),
        Verdict::Skipped(reason) => ("skipped", Some(reason.to_string())),
    };
    json!({
        "type": "case", "event": event, "name": r.name, "case": r.case, "group": r.group,
        "runtime": r.target.runtime.name(), "build": r.target.build.label(), "expected": r.expected,
        "problems": r.problems, "native_difference": r.native_difference,
        "runtime_difference": r.runtime_difference, "flaky": r.flaky, "late": r.late, "attempts": r.attempts,
        "skip_reason": reason, "run": r.run.as_ref().map(run), "native": r.native.as_ref().map(run),
        "bare": r.bare.as_ref().map(run),
    })
}

/// A run's outcome and output, each stream cut to `keep` bytes (head and tail) if given.
fn run(report: &GuestRun, keep: Option<usize>) -> Value {
    let cut = |stream: &Captured| match keep.and_then(|limit| stream.shrunk(limit)) {
        Some(shrunk) => (shrunk.text(), shrunk.dropped),
        None => (stream.text(), stream.dropped),
    };
    let (stdout, stdout_dropped) = cut(&report.stdout);
    let (stderr, stderr_dropped) = cut(&report.stderr);
    json!({
        "outcome": report.outcome, "label": report.outcome.to_string(), "status": report.outcome.status(),
        "exec_time": report.duration.as_secs_f64(), "stdout": stdout, "stderr": stderr,
        "stdout_dropped_bytes": stdout_dropped, "stderr_dropped_bytes": stderr_dropped,
    })
}

fn emit(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}
