//! Results in libtest's own format, for `wasix-harness run` on a libtest binary (what
//! `cargo test --target wasm32-wasmer-wasi` and cargo-nextest do through the cargo runner), so
//! cargo and CI read them as usual.

use std::time::Duration;

use crate::runner::{CaseResult, Event, SkipReason, Verdict};
use crate::text::escape_controls;

/// Prints `running N tests`.
pub fn start(count: usize) {
    let tests = if count == 1 { "test" } else { "tests" };
    println!("\nrunning {count} {tests} (each in its own instance)");
}

/// Prints one line per finished test, libtest style.
pub fn event(event: &Event<'_>) {
    match event {
        Event::Finished(r) => {
            let word = match &r.verdict {
                Verdict::Passed => "ok".to_string(),
                Verdict::Failed => "FAILED".to_string(),
                Verdict::Skipped(SkipReason::Ignored) => "ignored".to_string(),
                Verdict::Skipped(reason) => format!("not run ({reason})"),
            };
            println!("test {} ... {word}", escape_controls(&r.name));
        }
        Event::Slow { name, after } => {
            println!(
                "test {} has been running for over {} seconds",
                escape_controls(name),
                after.as_secs()
            )
        }
        Event::Started(_) => {}
    }
}

/// Prints the failures and the `test result:` line; returns whether everything passed.
pub fn finish(results: &[CaseResult], took: Duration) -> bool {
    let failed: Vec<_> = results.iter().filter(|r| r.verdict == Verdict::Failed).collect();
    if !failed.is_empty() {
        println!("\nfailures:\n");
        for r in &failed {
            println!("---- {} ----", escape_controls(&r.name));
            for problem in &r.problems {
                println!("{problem}");
            }
            if let Some(run) = &r.run {
                print!("{}", run.stdout.text());
                print!("{}", run.stderr.text());
            }
            println!();
        }
        println!("failures:");
        for r in &failed {
            println!("    {}", escape_controls(&r.name));
        }
    }
    let passed = results.iter().filter(|r| r.verdict == Verdict::Passed).count();
    let ignored =
        results.iter().filter(|r| r.verdict == Verdict::Skipped(SkipReason::Ignored)).count();
    let not_run = results.len() - passed - failed.len() - ignored;
    let should_panic = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Skipped(SkipReason::ShouldPanic { .. })))
        .count();
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    let mut notes = Vec::new();
    if should_panic > 0 {
        notes.push(format!("{should_panic} #[should_panic] not run"));
    }
    if not_run > should_panic {
        notes.push(format!("{} not supported by the runtime", not_run - should_panic));
    }
    let not_run_note =
        if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
    println!(
        "\ntest result: {status}. {passed} passed; {} failed; {} ignored; 0 measured; 0 filtered out; finished in {:.2}s{not_run_note}\n",
        failed.len(),
        ignored + not_run,
        took.as_secs_f64()
    );
    failed.is_empty()
}
