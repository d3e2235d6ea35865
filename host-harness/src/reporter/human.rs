//! Output for people: one line per finished case (a progress bar on a terminal), slow cases
//! named while they run, failures explained, and a closing table.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Summary, by_case, got, secs, targets};
use crate::runner::{CaseResult, Event, Verdict};
use crate::text::escape_controls;

pub struct Human {
    bar: Option<ProgressBar>,
}

impl Human {
    /// Lines go to stderr; a bar is drawn only when stderr is a terminal.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Human { bar }
    }

    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Started(case) => {
                if let Some(bar) = &self.bar {
                    bar.set_message(escape_controls(&case.name));
                }
            }
            Event::Slow { name, after } => {
                self.line(&format!("    SLOW [> {}] {}", secs(*after), escape_controls(name)));
            }
            Event::Finished(result) => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                self.line(&finished_line(result));
                for warning in result.run.iter().flat_map(|r| &r.warnings) {
                    self.line(&format!("        warning: {warning}"));
                }
                if result.verdict == Verdict::Failed {
                    for problem in &result.problems {
                        self.line(&format!("        {}", escape_controls(problem)));
                    }
                    if let Some(run) = &result.run {
                        let tail = tail_lines(&run.stderr.text(), 6);
                        if !tail.is_empty() {
                            self.line(&format!("        stderr (last lines):\n{tail}"));
                        }
                    }
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn finished_line(result: &CaseResult) -> String {
    let status = match &result.verdict {
        Verdict::Passed if result.flaky => "FLAKY",
        Verdict::Passed => "PASS",
        Verdict::Failed => "FAIL",
        Verdict::Skipped(_) => "SKIP",
    };
    let timing = match &result.run {
        Some(run) if run.outcome.is_timeout() => format!("TIMEOUT {}", secs(run.duration)),
        Some(run) => secs(run.duration),
        None => String::new(),
    };
    let mut line = format!("{status:>8} [{timing:>9}] {}", escape_controls(&result.name));
    if let Verdict::Skipped(reason) = &result.verdict {
        line.push_str(&format!(" ({reason})"));
    }
    if result.flaky {
        line.push_str(&format!(" (passed on attempt {})", result.attempts));
    }
    if result.late {
        line.push_str(" (late: slower than its `within`)");
    }
    line
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("          | {}", escape_controls(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The closing table: one row per case; `expected`, then what each target got (one column
/// per runtime and build when there are several), the comparison runs, and the verdict.
pub fn table(results: &[CaseResult]) -> String {
    let targets = targets(results);
    let single = targets.len() == 1;
    let has_native = results.iter().any(|r| r.native.is_some());
    let has_bare = results.iter().any(|r| r.bare.is_some());
    let mut header: Vec<String> = vec!["scenario".into(), "expected".into()];
    if single {
        header.extend(["got".into(), "time".into()]);
    } else {
        header.extend(targets.iter().map(|t| t.to_string()));
    }
    if has_native {
        header.push("native".into());
    }
    if has_bare {
        header.push("without crate".into());
    }
    header.push("verdict".into());
    let mut rows: Vec<Vec<String>> = vec![header];
    for case in by_case(results) {
        let first = case[0];
        let mut row = vec![escape_controls(&first.case), first.expected.clone()];
        if single {
            row.extend([
                got(first),
                first.run.as_ref().map(|w| secs(w.duration)).unwrap_or_default(),
            ]);
        } else {
            for target in &targets {
                row.push(match case.iter().find(|r| r.target == *target) {
                    Some(r) => target_cell(r),
                    None => "-".into(),
                });
            }
        }
        if has_native {
            row.push(
                first.native.as_ref().map(|n| n.outcome.to_string()).unwrap_or_else(|| "-".into()),
            );
        }
        if has_bare {
            row.push(
                first.bare.as_ref().map(|b| b.outcome.to_string()).unwrap_or_else(|| "-".into()),
            );
        }
        row.push(verdict_cell(&case, single));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("-|-"));
            out.push('\n');
        }
    }
    out
}

/// One target's cell: what it got and how long it took, marked where it failed or was
/// declared different.
fn target_cell(r: &CaseResult) -> String {
    let got = match (&r.verdict, &r.run) {
        (Verdict::Skipped(_), _) => "skipped".to_string(),
        (_, Some(run)) => format!("{} {:.2}s", run.outcome, run.duration.as_secs_f64()),
        (_, None) => "not run".into(),
    };
    match (&r.verdict, &r.runtime_difference) {
        (Verdict::Failed, _) => format!("{got} FAIL"),
        (Verdict::Passed, Some(_)) => format!("{got} (declared)"),
        _ => got,
    }
}

fn verdict_cell(case: &[&CaseResult], single: bool) -> String {
    let failed: Vec<String> = case
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
        .map(|r| r.target.to_string())
        .collect();
    if !failed.is_empty() {
        return if single { "FAIL".into() } else { format!("FAIL ({})", failed.join(", ")) };
    }
    if case.iter().all(|r| matches!(r.verdict, Verdict::Skipped(_))) {
        return "skipped".into();
    }
    let mut notes = Vec::new();
    if case.iter().any(|r| r.native_difference.is_some()) {
        notes.push("deliberate difference".to_string());
    }
    let declared: Vec<String> = case
        .iter()
        .filter(|r| r.runtime_difference.is_some())
        .map(|r| r.target.to_string())
        .collect();
    if !declared.is_empty() {
        notes.push(format!("runtime bug declared: {}", declared.join(", ")));
    }
    let skipped: Vec<String> = case
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Skipped(_)))
        .map(|r| r.target.to_string())
        .collect();
    if !skipped.is_empty() {
        notes.push(format!("skipped on {}", skipped.join(", ")));
    }
    if case.iter().any(|r| r.flaky) {
        notes.push("flaky".into());
    }
    let late: Vec<String> = case.iter().filter(|r| r.late).map(|r| r.target.to_string()).collect();
    if !late.is_empty() {
        notes.push(if single { "late".into() } else { format!("late on {}", late.join(", ")) });
    }
    if notes.is_empty() { "pass".into() } else { format!("pass ({})", notes.join("; ")) }
}

/// The time, then the closing counts alone on the last line (the form CI systems read).
pub fn summary_line(summary: &Summary, took: Duration) -> String {
    format!("took {}\n{}", secs(took), summary.line())
}
