//! `wasix-harness run` on a libtest binary (what `cargo test --target wasm32-wasmer-wasi` does
//! through the cargo runner): every test in its own instance, reported the way libtest
//! reports, so cargo and CI read the result as usual.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::execute::{self, Event, ExecOptions, Verdict};
use crate::libtest::{self, TestArgs};
use crate::plan::{Case, CaseKind, LibtestCase};
use crate::status::HarnessError;

/// Lists, runs and reports; returns libtest's status (0, or 101 when a test failed).
pub fn run(module: &Path, args: &TestArgs, timeout: Duration, cache: Option<&Path>) -> Result<i32, HarnessError> {
    let started = Instant::now();
    let tests = libtest::list(module, args, timeout, cache)?;
    let cases: Vec<Case> = tests
        .into_iter()
        .filter(|t| args.run_ignored != libtest::RunIgnored::Only || t.ignored)
        .map(|test| Case {
            name: test.name.clone(),
            group: module.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
            kind: CaseKind::Libtest(Box::new(LibtestCase {
                module: module.to_path_buf(),
                test,
                run_ignored: args.run_ignored,
                native: None,
            })),
        })
        .collect();
    let opts = ExecOptions {
        jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        default_timeout: timeout,
        retries: 0,
        fail_fast: false,
        capture_limit: 16 << 20,
        cache: cache.map(Path::to_path_buf),
        memory_limit: crate::engine::DEFAULT_MEMORY_LIMIT,
        slow_after: Duration::from_secs(60),
    };
    println!("\nrunning {} tests (each in its own wasmer instance)", cases.len());
    let results = execute::execute(&cases, &opts, |event| match event {
        Event::Finished(r) => {
            let word = match &r.verdict {
                Verdict::Passed => "ok".to_string(),
                Verdict::Failed => "FAILED".to_string(),
                Verdict::Skipped(reason) if reason == "ignored" => "ignored".to_string(),
                Verdict::Skipped(reason) => format!("not run ({reason})"),
            };
            println!("test {} ... {word}", r.name);
        }
        Event::Slow { name, after } => println!("test {name} has been running for over {} seconds", after.as_secs()),
        Event::Started(_) => {}
    });

    let failed: Vec<_> = results.iter().filter(|r| r.verdict == Verdict::Failed).collect();
    if !failed.is_empty() {
        println!("\nfailures:\n");
        for r in &failed {
            println!("---- {} ----", r.name);
            for problem in &r.problems {
                println!("{problem}");
            }
            if let Some(run) = &r.wasix {
                print!("{}", run.stdout.text());
                print!("{}", run.stderr.text());
            }
            println!();
        }
        println!("failures:");
        for r in &failed {
            println!("    {}", r.name);
        }
    }
    let passed = results.iter().filter(|r| r.verdict == Verdict::Passed).count();
    let ignored = results.iter().filter(|r| matches!(&r.verdict, Verdict::Skipped(x) if x == "ignored")).count();
    let not_run = results.len() - passed - failed.len() - ignored;
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    let not_run_note = if not_run > 0 { format!(" ({not_run} #[should_panic] not run)") } else { String::new() };
    println!(
        "\ntest result: {status}. {passed} passed; {} failed; {} ignored; 0 measured; 0 filtered out; finished in {:.2}s{not_run_note}\n",
        failed.len(),
        ignored + not_run,
        started.elapsed().as_secs_f64()
    );
    Ok(if failed.is_empty() { 0 } else { 101 })
}
