//! The sandbox probes, on every runtime the harness knows (`Runtime::ALL`: a runtime added
//! there inherits every probe): a guest must not read the host through a mapped directory
//! (symlinks, `..`, links it makes itself), must not decide its own verdict, and every runtime
//! must answer the same way.
//!
//! Each probe is one `wasix-harness run` of the probe guest
//! (`tests/fixtures/sandbox-probe`, WASI preview 1 calls only) in a fresh directory tree:
//!
//! ```text
//! ROOT/outside/secret        "SECRET-OUTSIDE", what no guest may print
//! ROOT/outside/shared        hard-linked into d/ as d/hard
//! ROOT/d/                    mapped as /d
//! ROOT/d/inside.txt          "INSIDE"
//! ROOT/d/sub/file            "SUB"
//! ROOT/d/{leak_abs, leak_rel, outdir, zero, alias, alias_abs, hard, fifo}
//! ROOT/t/keep                TMPDIR of the harness itself, mapped as /t (forging probes)
//! ```
//!
//! The table of what every runtime did is printed before the first assertion, so that
//! `WASIX_PROBE_HARNESS=/path/to/another/wasix-harness` gives the same table for another
//! build (the issue's "before" column).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use wasix_harness::sandbox::Runtime;

const SECRET: &str = "SECRET-OUTSIDE";

/// The probe guest, built once with the real toolchain.
fn probe_module() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = repo().join("host-harness/tests/fixtures/sandbox-probe");
            let built = wasix_harness::list::build::build(
                &dir,
                wasix_harness::list::build::Variant::Wasix,
                &build_options(),
            )
            .unwrap_or_else(|e| panic!("building the probe guest failed: {e}"));
            built.into_iter().next().expect("the probe binary").executable
        })
        .clone()
}

fn harness_under_test() -> Command {
    match std::env::var_os("WASIX_PROBE_HARNESS") {
        Some(other) => {
            let mut cmd = Command::new(other);
            cmd.env("WASIX_HARNESS_CACHE", repo().join("target").join("harness-test-cache"));
            cmd
        }
        None => harness(),
    }
}

/// The tree every probe starts from (see the module's documentation).
fn tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    let r = root.path();
    let (d, outside) = (r.join("d"), r.join("outside"));
    for dir in [&d, &d.join("sub"), &outside, &r.join("t")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(outside.join("secret"), SECRET).unwrap();
    std::fs::write(outside.join("shared"), "SHARED-INODE").unwrap();
    std::fs::write(d.join("inside.txt"), "INSIDE").unwrap();
    std::fs::write(d.join("sub/file"), "SUB").unwrap();
    // Not empty: the sdk copies a mapped directory, and cannot make an empty one.
    std::fs::write(r.join("t/keep"), "").unwrap();
    let link =
        |target: &Path, name: &str| std::os::unix::fs::symlink(target, d.join(name)).unwrap();
    link(&outside.join("secret"), "leak_abs");
    link(Path::new("../outside/secret"), "leak_rel");
    link(&outside, "outdir");
    link(Path::new("/dev/zero"), "zero");
    link(Path::new("inside.txt"), "alias");
    link(&d.join("inside.txt"), "alias_abs");
    std::fs::hard_link(outside.join("shared"), d.join("hard")).unwrap();
    let fifo = std::ffi::CString::new(d.join("fifo").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a fresh path in our own temp dir.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    root
}

/// What a probe must give.
#[derive(Clone, Copy)]
struct Expect {
    status: i32,
    /// The guest's stdout must contain this (what it read).
    shows: Option<&'static str>,
}

const REFUSED: Expect = Expect { status: 1, shows: None };

const fn reads(text: &'static str) -> Expect {
    Expect { status: 0, shows: Some(text) }
}

struct Probe {
    name: &'static str,
    /// The guest's operations; `ROOT` is replaced by the tree's host path.
    ops: &'static [&'static str],
    /// Map ROOT/t as /t and make it the harness's TMPDIR.
    tmp_mapped: bool,
    expect: Expect,
    /// Where a runtime differs on purpose: its name, what it gives, and why.
    differs: &'static [(&'static str, Expect, &'static str)],
}

const PROBES: &[Probe] = &[
    Probe {
        name: "symlink to a file outside (absolute)",
        ops: &["read", "/d/leak_abs"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "symlink to a file outside (relative)",
        ops: &["read", "/d/leak_rel"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "symlink to a directory outside",
        ops: &["read", "/d/outdir/secret"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "symlink to /dev/zero",
        ops: &["read", "/d/zero"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "symlink inside (relative)",
        ops: &["read", "/d/alias"],
        tmp_mapped: false,
        expect: reads("INSIDE"),
        differs: &[],
    },
    Probe {
        name: "symlink inside (absolute host path)",
        ops: &["read", "/d/alias_abs"],
        tmp_mapped: false,
        expect: reads("INSIDE"),
        differs: &[(
            "wasmer-4.3",
            REFUSED,
            "wasmer-wasix 0.27 refuses every absolute symlink target (errno 58), even one inside",
        )],
    },
    Probe {
        name: "hard link to a file outside (the same file)",
        ops: &["read", "/d/hard"],
        tmp_mapped: false,
        expect: reads("SHARED-INODE"),
        differs: &[],
    },
    Probe {
        name: "a FIFO in the mapped directory",
        ops: &["read", "/d/fifo"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "`..` out of the mapped directory",
        ops: &["read", "/d/../outside/secret"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "`..` out of a subdirectory",
        ops: &["read", "/d/sub/../../outside/secret"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "guest-made symlink to a host path outside",
        ops: &["symlink", "ROOT/outside/secret", "/d/made", ";", "read", "/d/made"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "guest-made symlink leading out with `..`",
        ops: &["symlink", "../outside/secret", "/d/made", ";", "read", "/d/made"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "guest-made hard link to a file outside",
        ops: &["link", "/d/../outside/secret", "/d/made", ";", "read", "/d/made"],
        tmp_mapped: false,
        expect: REFUSED,
        differs: &[],
    },
    Probe {
        name: "guest forges its verdict through a mapped TMPDIR",
        ops: &["forge", "/t", ";", "exit", "1"],
        tmp_mapped: true,
        expect: Expect { status: 1, shows: Some("forged 0") },
        differs: &[],
    },
];

/// One probe on one runtime: the status and stdout of `wasix-harness run`.
fn run_probe(probe: &Probe, runtime: Runtime) -> (i32, String, String) {
    let root = tree();
    let r = root.path().display().to_string();
    let mut cmd = harness_under_test();
    cmd.args(["run", "--runtime", runtime.name(), "--timeout", "30"]);
    cmd.args(["--dir", &format!("{r}/d::/d")]);
    if probe.tmp_mapped {
        cmd.env("TMPDIR", root.path().join("t")).args(["--dir", &format!("{r}/t::/t")]);
    }
    cmd.arg(probe_module());
    cmd.args(probe.ops.iter().map(|op| op.replace("ROOT", &r)));
    let out = cmd.output().expect("the harness runs");
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[test]
fn every_runtime_keeps_the_guest_inside_and_its_verdict_its_own() {
    let jobs: Vec<(&Probe, Runtime)> =
        PROBES.iter().flat_map(|p| Runtime::ALL.into_iter().map(move |r| (p, r))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(probe, runtime)) = jobs.get(i) else { break };
                    let got = run_probe(probe, runtime);
                    results.lock().unwrap().push((i, got));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut failures = Vec::new();
    println!("| probe | runtime | status | expected |");
    println!("|---|---|---|---|");
    for (i, (status, out, err)) in &results {
        let (probe, runtime) = jobs[*i];
        let expect = probe
            .differs
            .iter()
            .find(|(name, _, _)| *name == runtime.name())
            .map(|(_, e, _)| *e)
            .unwrap_or(probe.expect);
        println!("| {} | {} | {status} | {} |", probe.name, runtime.name(), expect.status);
        let leaked = out.contains(SECRET);
        let shown = expect.shows.is_none_or(|text| out.contains(text));
        if *status != expect.status || leaked || !shown {
            failures.push(format!(
                "{} on {}: status {status} (expected {}){}\n  stdout: {out:?}\n  stderr: {err:?}",
                probe.name,
                runtime.name(),
                expect.status,
                if leaked { ", THE SECRET WAS READ" } else { "" }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
