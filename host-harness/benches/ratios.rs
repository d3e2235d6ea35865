//! `cargo bench --bench ratios` (or `scripts/bench`): every figure is a ratio of two things
//! measured side by side in the same run, alternating, so machine noise hits both sides.
//! Prints a table and writes it, with the date and the machine, to docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wasix_harness::list::{self as guest_build, BuildOptions, Variant};
use wasix_harness::outcome::Outcome;
use wasix_harness::sandbox::{
    self, Encoding, GuestOutput, Invocation, RunInput, RunPolicy, Runtime,
};

const ROUNDS: usize = 15;

struct Row {
    what: String,
    a: String,
    b: String,
    ratio: f64,
    target: String,
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let scenarios = repo.join("guest-tests/scenarios");
    // The rustup toolchain to measure: `WASIX_TEST_TOOLCHAIN` (as for the integration tests),
    // else the name scripts/provision linked (`WASIX_TOOLCHAIN_NAME`, default `wasix`).
    let toolchain = std::env::var("WASIX_TEST_TOOLCHAIN")
        .or_else(|_| std::env::var("WASIX_TOOLCHAIN_NAME"))
        .unwrap_or_else(|_| "wasix".into());
    let opts =
        BuildOptions { target_root: repo.join("target/guests"), toolchain: toolchain.clone() };
    eprintln!("bench: building guest-tests/scenarios (wasix and bare)");
    let wasix = guest_build::build_crate(&scenarios, Variant::Wasix, &opts).expect("wasix build");
    let bare = guest_build::build_crate(&scenarios, Variant::Bare, &opts).expect("bare build");
    let module = |name: &str| {
        wasix
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .executable
            .clone()
    };
    let bare_module = |name: &str| {
        bare.iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .executable
            .clone()
    };
    wasix_harness::sandbox::set_child_binary(repo.join("target/host/release/wasix-harness"));
    let cache = tempfile::tempdir().unwrap();
    let cached = Some(cache.path().to_path_buf());
    let mut rows = Vec::new();

    // 1. panic -> exit latency, through the harness as users run it.
    eprintln!("bench: panic->exit latency");
    let run = |m: &Path, args: &[&str]| -> Duration {
        let report = sandbox::run(&request(m, args, cached.clone()), Runtime::Wasmer).expect("run");
        report.duration
    };
    let (seed, hello) = alternate(|| run(&module("seed"), &[]), || run(&module("hello"), &[]));
    rows.push(ratio_row("panic->exit: seed (crate) vs hello world", seed, hello, "<= 1.05x"));
    let (seed, hello_thread) =
        alternate(|| run(&module("seed"), &[]), || run(&module("hello_thread"), &[]));
    rows.push(ratio_row(
        "panic->exit: seed (crate) vs hello with one thread",
        seed,
        hello_thread,
        "(context)",
    ));

    // 1b. the same on every runtime: what the crate's exit costs where the runtime's own exit
    // path differs (the mechanism is chosen per runtime; see src/).
    for runtime in [Runtime::Sdk, Runtime::Wasmer43] {
        if let Err(e) = runtime.check_available() {
            eprintln!("bench: {e}; skipping its rows");
            continue;
        }
        eprintln!("bench: panic->exit latency on {runtime}");
        let on = |m: &Path| -> Duration {
            sandbox::run(&request(m, &[], cached.clone()), runtime).expect("run").duration
        };
        let (seed, hello_thread) =
            alternate(|| on(&module("seed")), || on(&module("hello_thread")));
        rows.push(ratio_row(
            &format!(
                "panic->exit on {}: seed (crate) vs hello with one thread",
                runtime.describe()
            ),
            seed,
            hello_thread,
            "(context)",
        ));
    }

    let size = |p: PathBuf| -> (u64, u64) {
        let bytes = std::fs::read(p).unwrap_or_default();
        (bytes.len() as u64, code_and_data(&bytes))
    };

    // 1c. the toolchain's std (WASIX futex calls, toolchain/std-patches/) against Debian's
    // unchanged (WASIX_TOOLCHAIN_STD=wasip1), and its unwinding variant against its default
    // abort build: a cold build of std with each (one each, into a fresh target directory:
    // wall time, and the CPU time of cargo and every compiler it ran), the seed's size, and
    // its panic->exit time on every runtime.
    eprintln!("bench: cold std builds (WASIX std, Debian's, unwinding)");
    let seed_with = |name: &str, vars: &[(&str, &str)]| -> (Duration, f64, PathBuf) {
        let dir = repo.join("target/bench-std").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let mut cargo = Command::new("cargo");
        guest_build::scrub_env(&mut cargo);
        cargo
            .current_dir(&scenarios)
            .env("RUSTUP_TOOLCHAIN", &toolchain)
            .envs(vars.iter().copied())
            .env("CARGO_TARGET_DIR", &dir)
            .args(["build", "--release", "--bin", "seed", "--target", "wasm32-wasmer-wasi"]);
        let (start, cpu) = (Instant::now(), children_cpu());
        let out = cargo.output().expect("cargo runs");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        (start.elapsed(), children_cpu() - cpu, dir.join("wasm32-wasmer-wasi/release/seed.wasm"))
    };
    let cold_row = |what: &str, a: &(Duration, f64, PathBuf), b: &(Duration, f64, PathBuf)| Row {
        what: format!("cold build of the seed with std: {what}, one each (CPU: cargo and rustc)"),
        a: format!("{:.1} s wall, {:.1} s CPU", a.0.as_secs_f64(), a.1),
        b: format!("{:.1} s wall, {:.1} s CPU", b.0.as_secs_f64(), b.1),
        ratio: a.1 / b.1,
        target: "(context; ratio of CPU)".into(),
    };
    let wasix = seed_with("wasix", &[("WASIX_TOOLCHAIN_STD", "wasix")]);
    let wasip1 = seed_with("wasip1", &[("WASIX_TOOLCHAIN_STD", "wasip1")]);
    rows.push(cold_row("WASIX-futex std vs Debian's (wasip1)", &wasix, &wasip1));
    let unwinding = |encoding: Encoding| {
        seed_with(
            &format!("unwind-{encoding}"),
            &[("WASIX_TOOLCHAIN_PANIC", "unwind"), ("WASIX_TOOLCHAIN_EH", encoding.name())],
        )
    };
    let exnref = unwinding(Encoding::Exnref);
    rows.push(cold_row("unwinding (exnref) vs abort (the default)", &exnref, &wasix));
    let (seed_wasix, seed_wasip1) = (&wasix.2, &wasip1.2);
    let (size_wasix, size_wasip1) = (
        std::fs::read(seed_wasix).expect("seed module"),
        std::fs::read(seed_wasip1).expect("seed module"),
    );
    rows.push(Row {
        what: "release size of the seed: WASIX-futex std vs Debian's (file; code+data)".into(),
        a: format!("{} B; {} B", size_wasix.len(), code_and_data(&size_wasix)),
        b: format!("{} B; {} B", size_wasip1.len(), code_and_data(&size_wasip1)),
        ratio: size_wasix.len() as f64 / size_wasip1.len() as f64,
        target: "(context)".into(),
    });
    let runtimes: Vec<Runtime> = Runtime::ALL
        .into_iter()
        .filter(|runtime| match runtime.check_available() {
            Ok(()) => true,
            Err(e) => {
                eprintln!("bench: {e}; skipping its rows");
                false
            }
        })
        .collect();
    for &runtime in &runtimes {
        let on = |m: &Path| -> Duration {
            sandbox::run(&request(m, &[], cached.clone()), runtime).expect("run").duration
        };
        let (wasix, wasip1) = alternate(|| on(seed_wasix), || on(seed_wasip1));
        rows.push(ratio_row(
            &format!(
                "panic->exit on {}: seed with the WASIX-futex std vs Debian's",
                runtime.describe()
            ),
            wasix,
            wasip1,
            "(context)",
        ));
    }

    // 1d. what a run costs on each JS runtime beside wasmer: a hello world, run by run as
    // `wasix-harness run` makes it (a Node process, or a browser and a page, per run; the
    // medians the goals of issue 16 are about: <= 100 ms on the sdk, <= 150 ms in a browser).
    for runtime in [Runtime::Sdk, Runtime::Chromium, Runtime::Firefox] {
        if let Err(e) = runtime.check_available() {
            eprintln!("bench: {e}; skipping its row");
            continue;
        }
        eprintln!("bench: per-run overhead on {runtime}");
        let on = |r: Runtime| -> Duration {
            sandbox::run(&request(&module("hello"), &[], cached.clone()), r).expect("run").duration
        };
        let (js, wasmer) = alternate_n(7, || on(runtime), || on(Runtime::Wasmer));
        rows.push(ratio_row(
            &format!("per-run overhead: hello on {} vs on wasmer", runtime.describe()),
            js,
            wasmer,
            "(context; goal sdk <= 100 ms, browsers <= 150 ms)",
        ));
    }

    // 1e. the unwinding variant (WASIX_TOOLCHAIN_PANIC=unwind) against the abort build of the
    // same std (1c): the seed's size in each encoding a runtime here runs, and its panic->exit
    // time on every runtime, in the encoding that runtime takes (the harness's table). Under
    // unwinding the seed's thread unwinds, join() returns Err and main's unwrap ends the
    // process with 101, as natively; under abort the crate ends it from the panicking thread.
    let mut encodings: Vec<Encoding> = runtimes.iter().map(|r| r.unwind_encoding()).collect();
    encodings.sort();
    encodings.dedup();
    let mut unwound = vec![(Encoding::Exnref, exnref.2.clone())];
    for &encoding in encodings.iter().filter(|e| **e != Encoding::Exnref) {
        eprintln!("bench: the unwinding seed in the {encoding} encoding (another std build)");
        unwound.push((encoding, unwinding(encoding).2));
    }
    let abort_size = size(seed_wasix.clone());
    for (encoding, path) in &unwound {
        let unwind_size = size(path.clone());
        rows.push(Row {
            what: format!("seed size: unwinding ({encoding}) vs abort build, code+data"),
            a: format!("{} B (file {} B)", unwind_size.1, unwind_size.0),
            b: format!("{} B (file {} B)", abort_size.1, abort_size.0),
            ratio: unwind_size.1 as f64 / abort_size.1 as f64,
            target: "(context)".into(),
        });
    }
    for &runtime in &runtimes {
        let encoding = runtime.unwind_encoding();
        let unwound = &unwound.iter().find(|(e, _)| *e == encoding).expect("built above").1;
        let on = |m: &Path| {
            let report = sandbox::run(&request(m, &[], cached.clone()), runtime).expect("run");
            (report.duration, report.outcome)
        };
        let what = format!(
            "panic->exit on {}: seed unwinding ({encoding}) vs abort build",
            runtime.describe()
        );
        if let (_, Outcome::CannotLoad { reason, .. }) = on(unwound) {
            // The runtime has no wasm exceptions: a row that says what the harness answers.
            rows.push(Row {
                what,
                a: format!("refused before start (69): {reason}"),
                b: "-".into(),
                ratio: f64::NAN,
                target: "(context)".into(),
            });
            continue;
        }
        let timed = |m: &Path| -> Duration {
            let (took, outcome) = on(m);
            assert_eq!(outcome.status(), 101, "the seed on {runtime} ({})", m.display());
            took
        };
        let (unwind, abort) = alternate(|| timed(unwound), || timed(seed_wasix));
        rows.push(ratio_row(&what, unwind, abort, "(context)"));
    }

    // 2. the crate's cost.
    eprintln!("bench: install cost and workload");
    let probe = |m: &Path, args: &[&str], key: &str| -> f64 {
        let report = sandbox::run(&request(m, args, cached.clone()), Runtime::Wasmer).expect("run");
        parse_field(&report.stdout.text(), key)
            .unwrap_or_else(|| panic!("{key} missing in {:?}", report.stdout.text()))
    };
    let mut first = Vec::new();
    let mut repeat = Vec::new();
    let mut clock = Vec::new();
    for _ in 0..ROUNDS {
        let text =
            sandbox::run(&request(&module("bench_install"), &[], cached.clone()), Runtime::Wasmer)
                .expect("run")
                .stdout
                .text();
        let field =
            |key| parse_field(&text, key).unwrap_or_else(|| panic!("{key} missing in {text:?}"));
        first.push(field("first_install_ns"));
        repeat.push(field("repeat_install_ns"));
        clock.push(field("clock_ns"));
    }
    let (first, clock) = (median(first), median(clock));
    rows.push(Row {
        what: "install(): first call (clock read subtracted) / later calls, in the guest".into(),
        a: format!("{:.0} ns (raw {first:.0} ns, clock {clock:.0} ns)", (first - clock).max(0.0)),
        b: format!("{:.1} ns", median(repeat)),
        ratio: f64::NAN,
        target: "well under 1 µs".into(),
    });
    let mut with = Vec::new();
    let mut without = Vec::new();
    for _ in 0..ROUNDS {
        with.push(probe(&module("bench_workload"), &["install"], "workload_ns"));
        without.push(probe(&module("bench_workload"), &["plain"], "workload_ns"));
    }
    let (w, wo) = (median(with), median(without));
    rows.push(Row {
        what: "4-thread workload with install() vs without".into(),
        a: format!("{:.2} ms", w / 1e6),
        b: format!("{:.2} ms", wo / 1e6),
        ratio: w / wo,
        target: "no measurable difference".into(),
    });
    // The crate's cost: the same source (seed) with the crate and as a no-op, corrected for the
    // runtime shim's own difference (seed_no_install, which never calls the crate). "code+data"
    // leaves out the name section, which `strip = true` or wasm-opt removes from a shipped guest.
    let (seed_w, seed_b) = (size(module("seed")), size(bare_module("seed")));
    let (none_w, none_b) = (size(module("seed_no_install")), size(bare_module("seed_no_install")));
    let file_delta = (seed_w.0 as i64 - seed_b.0 as i64) - (none_w.0 as i64 - none_b.0 as i64);
    let code_delta = (seed_w.1 as i64 - seed_b.1 as i64) - (none_w.1 as i64 - none_b.1 as i64);
    rows.push(Row {
        what: "release size added by the crate (same source with vs without it, shim difference removed)".into(),
        a: format!("{code_delta} B code+data"),
        b: format!("{file_delta} B file (with names)"),
        ratio: f64::NAN,
        target: "<= 4096 B".into(),
    });
    rows.push(Row {
        what: "release size: runtime shim (seed_no_install) vs bare build".into(),
        a: format!("{} B", none_w.0),
        b: format!("{} B", none_b.0),
        ratio: none_w.0 as f64 / none_b.0 as f64,
        target: format!("delta {} B (context)", none_w.0 as i64 - none_b.0 as i64),
    });

    // 3. the harness.
    eprintln!("bench: harness suite runs (cold vs warm cache, jobs)");
    let harness = repo.join("target/host/release/wasix-harness");
    let suite = |cache_dir: &Path, jobs: &str| -> Duration {
        let started = Instant::now();
        let out = Command::new(&harness)
            .args([
                "test",
                "--toolchain",
                &toolchain,
                "--no-native",
                "--no-bare",
                "--skip",
                "hang",
                "--skip",
                "deadlock",
                "--skip",
                "bench_",
                "--jobs",
                jobs,
            ])
            .arg("--cache-dir")
            .arg(cache_dir)
            .arg(&scenarios)
            .output()
            .expect("harness runs");
        assert!(out.status.success(), "suite failed:\n{}", String::from_utf8_lossy(&out.stdout));
        started.elapsed()
    };
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..3 {
        let fresh = tempfile::tempdir().unwrap();
        cold.push(suite(fresh.path(), "2").as_secs_f64());
        warm.push(suite(fresh.path(), "2").as_secs_f64());
    }
    let (c, w) = (median(cold), median(warm));
    rows.push(Row {
        what: "suite run: cold (empty module cache) vs warm".into(),
        a: format!("{c:.2} s"),
        b: format!("{w:.2} s"),
        ratio: c / w,
        target: ">= 5x".into(),
    });
    let jobs_n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).to_string();
    let (one, n) = alternate_n(3, || suite(cache.path(), "1"), || suite(cache.path(), &jobs_n));
    rows.push(ratio_row(
        &format!("warm suite run: --jobs 1 vs --jobs {jobs_n}"),
        one,
        n,
        "(context)",
    ));

    let devnull = || std::fs::OpenOptions::new().write(true).open("/dev/null").ok();
    let in_process = || -> Duration {
        let started = Instant::now();
        let spec = request(&module("hello"), &[], cached.clone()).spec;
        let bytes = std::fs::read(&spec.module).expect("the module");
        sandbox::run_guest(
            &spec.to_run(0),
            &bytes,
            GuestOutput { stdout: devnull(), stderr: devnull(), ..GuestOutput::default() },
        );
        started.elapsed()
    };
    let (harnessed, bare_call) = alternate(|| run(&module("hello"), &[]), in_process);
    rows.push(ratio_row(
        "one run: harness (child process, watchdog) vs run_wasm in-process",
        harnessed,
        bare_call,
        "<= 1.1x",
    ));

    let table = render(&rows);
    println!("{table}");
    let doc = format!(
        "# Benchmarks\n\nGenerated by `scripts/bench` (`cargo bench --bench ratios` in host-harness/) on {}, {}.\n\
         Every ratio compares two things measured alternately in the same run ({ROUNDS} rounds, medians), \
         so load on the machine affects both sides.\n\n{table}",
        today(),
        machine()
    );
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(repo.join("docs/benchmarks.md"), doc).unwrap();
    eprintln!("bench: wrote docs/benchmarks.md");
}

fn request(module: &Path, args: &[&str], cache: Option<PathBuf>) -> Invocation {
    let policy = RunPolicy {
        timeout: Duration::from_secs(30),
        capture_limit: 1 << 20,
        cache,
        ..RunPolicy::default()
    };
    let input =
        RunInput { args: args.iter().map(|s| s.to_string()).collect(), ..RunInput::default() };
    policy.invocation(module, input)
}

/// CPU seconds (user and system) of every finished child of this process, and theirs.
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes one rusage into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn alternate(a: impl FnMut() -> Duration, b: impl FnMut() -> Duration) -> (f64, f64) {
    alternate_n(ROUNDS, a, b)
}

fn alternate_n(
    rounds: usize,
    mut a: impl FnMut() -> Duration,
    mut b: impl FnMut() -> Duration,
) -> (f64, f64) {
    a();
    b(); // warm-up: caches, page cache
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for _ in 0..rounds {
        xs.push(a().as_secs_f64());
        ys.push(b().as_secs_f64());
    }
    (median(xs), median(ys))
}

fn ratio_row(what: &str, a: f64, b: f64, target: &str) -> Row {
    Row {
        what: what.into(),
        a: format!("{:.2} ms", a * 1e3),
        b: format!("{:.2} ms", b * 1e3),
        ratio: a / b,
        target: target.into(),
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn parse_field(text: &str, key: &str) -> Option<f64> {
    text.split_whitespace().find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// Bytes in a module's code and data sections (ids 10 and 11).
fn code_and_data(wasm: &[u8]) -> u64 {
    fn leb(bytes: &[u8], i: &mut usize) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        while let Some(&b) = bytes.get(*i) {
            *i += 1;
            value |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
        }
        value
    }
    let (mut i, mut total) = (8, 0);
    while i < wasm.len() {
        let id = wasm[i];
        i += 1;
        let size = leb(wasm, &mut i);
        if id == 10 || id == 11 {
            total += size;
        }
        i += size as usize;
    }
    total
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from("| measurement | A | B | A / B | target |\n|---|---|---|---|---|\n");
    for r in rows {
        let ratio = if r.ratio.is_nan() { "-".to_string() } else { format!("{:.3}", r.ratio) };
        out.push_str(&format!("| {} | {} | {} | {} | {} |\n", r.what, r.a, r.b, ratio, r.target));
    }
    out
}

fn today() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / (1 << 20)))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}")
}
