//! Output for people: one line per finished case (a progress bar on a terminal), slow cases
//! named while they run, failures explained, and a closing table.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Summary, got, secs};
use crate::execute::{CaseResult, Event, Verdict};

pub struct Human {
    bar: Option<ProgressBar>,
}

impl Human {
    /// Lines go to stderr; a bar is drawn only when stderr is a terminal.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
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
                    bar.set_message(case.name.clone());
                }
            }
            Event::Slow { name, after } => {
                self.line(&format!("    SLOW [> {}] {name}", secs(*after)));
            }
            Event::Finished(result) => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                self.line(&finished_line(result));
                if result.verdict == Verdict::Failed {
                    for problem in &result.problems {
                        self.line(&format!("        {problem}"));
                    }
                    if let Some(run) = &result.wasix {
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
        Verdict::Passed => "PASS",
        Verdict::Failed => "FAIL",
        Verdict::Skipped(_) => "SKIP",
    };
    let timing = match &result.wasix {
        Some(run) if run.outcome.to_string() == "hang" => format!("TIMEOUT {}", secs(run.duration)),
        Some(run) => secs(run.duration),
        None => String::new(),
    };
    let mut line = format!("{status:>8} [{timing:>9}] {}", result.name);
    if let Verdict::Skipped(reason) = &result.verdict {
        line.push_str(&format!(" ({reason})"));
    }
    line
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("          | {l}")).collect::<Vec<_>>().join("\n")
}

/// The closing table: scenario | expected | got | time, then the comparison runs.
pub fn table(results: &[CaseResult]) -> String {
    let has_native = results.iter().any(|r| r.native.is_some());
    let has_bare = results.iter().any(|r| r.bare.is_some());
    let mut header = vec!["scenario", "expected", "got", "time"];
    if has_native {
        header.push("native");
    }
    if has_bare {
        header.push("without crate");
    }
    header.push("verdict");
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in results {
        let mut row = vec![r.name.clone(), r.expected.clone(), got(r), r.wasix.as_ref().map(|w| secs(w.duration)).unwrap_or_default()];
        if has_native {
            row.push(r.native.as_ref().map(|n| n.outcome.to_string()).unwrap_or_else(|| "-".into()));
        }
        if has_bare {
            row.push(r.bare.as_ref().map(|b| b.outcome.to_string()).unwrap_or_else(|| "-".into()));
        }
        row.push(match &r.verdict {
            Verdict::Passed if r.notes.iter().any(|n| n.starts_with("deliberate")) => "pass (deliberate difference)".into(),
            Verdict::Passed => "pass".into(),
            Verdict::Failed => "FAIL".into(),
            Verdict::Skipped(_) => "skipped".into(),
        });
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
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

/// The time, then the closing counts alone on the last line (the form CI systems read).
pub fn summary_line(summary: &Summary, took: Duration) -> String {
    format!("took {}\n{}", secs(took), summary.line())
}
