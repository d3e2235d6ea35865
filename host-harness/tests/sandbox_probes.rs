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
//! Then the parent's checks of a module (special files, bad modules, features a runtime
//! lacks: one status and one line on every runtime, before any runtime starts), and exit
//! statuses beyond 0-255.
//!
//! The table of what every runtime did is printed before the first assertion, so that
//! `WASIX_PROBE_HARNESS=/path/to/another/wasix-harness` gives the same table for another
//! build (the issue's "before" column).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use wasix_harness::sandbox::{Encoding, Runtime};

const SECRET: &str = "SECRET-OUTSIDE";

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
    /// The harness's stderr must be one line containing this.
    says: Option<&'static str>,
}

const REFUSED: Expect = Expect { status: 1, shows: None, says: None };

const fn reads(text: &'static str) -> Expect {
    Expect { status: 0, shows: Some(text), says: None }
}

const fn refused(status: i32, says: &'static str) -> Expect {
    Expect { status, shows: None, says: Some(says) }
}

const fn status(status: i32) -> Expect {
    Expect { status, shows: None, says: None }
}

/// The module a probe runs.
#[derive(Clone, Copy)]
enum Module {
    /// The probe guest, with its operations.
    Probe,
    /// A module from WebAssembly text.
    Wat(&'static str),
    /// These bytes.
    Bytes(&'static [u8]),
    /// The probe guest cut to a third of its length.
    Truncated,
    /// A path that is not a regular file (or nothing).
    Path(Special),
}

#[derive(Clone, Copy)]
enum Special {
    DevZero,
    Fifo,
    Directory,
    Missing,
}

struct Probe {
    name: &'static str,
    module: Module,
    /// The guest's operations; `ROOT` is replaced by the tree's host path.
    ops: &'static [&'static str],
    /// Map ROOT/t as /t and make it the harness's TMPDIR.
    tmp_mapped: bool,
    /// Run as a wasi-testsuite case with this spec (`wasix-harness test`), not with `run`.
    suite_spec: Option<&'static str>,
    expect: Expect,
    /// Where a runtime differs on purpose: its name, what it gives, and why.
    differs: &'static [(&'static str, Expect, &'static str)],
    /// A module that needs wasm exceptions in this encoding: it runs (0) where the runtime's
    /// table says it loads that encoding, and is refused before any child starts (69, one
    /// line naming what is missing) everywhere else. So the table is checked against each
    /// runtime's real behaviour, and a runtime added later is probed too.
    exceptions: Option<Encoding>,
}

/// A probe of the guest's reach: the probe guest with `ops`, `expect`ed on every runtime.
const fn reach(name: &'static str, ops: &'static [&'static str], expect: Expect) -> Probe {
    Probe {
        name,
        module: Module::Probe,
        ops,
        tmp_mapped: false,
        suite_spec: None,
        expect,
        differs: &[],
        exceptions: None,
    }
}

/// A probe of the parent's checks: `module` refused with `status` and a line saying `says`.
const fn bad(name: &'static str, module: Module, status: i32, says: &'static str) -> Probe {
    Probe {
        name,
        module,
        ops: &[],
        tmp_mapped: false,
        suite_spec: None,
        expect: refused(status, says),
        differs: &[],
        exceptions: None,
    }
}

const LEGACY_EXCEPTIONS: &str = r#"(module (tag $e) (memory (export "memory") 1)
  (func (export "_start") try throw $e catch $e end))"#;
const EXNREF_EXCEPTIONS: &str = r#"(module (tag $e) (memory (export "memory") 1)
  (func (export "_start") (block $h (try_table (catch $e $h) (throw $e)))))"#;

const PROBES: &[Probe] = &[
    reach("symlink to a file outside (absolute)", &["read", "/d/leak_abs"], REFUSED),
    reach("symlink to a file outside (relative)", &["read", "/d/leak_rel"], REFUSED),
    reach("symlink to a directory outside", &["read", "/d/outdir/secret"], REFUSED),
    reach("symlink to /dev/zero", &["read", "/d/zero"], REFUSED),
    reach("symlink inside (relative)", &["read", "/d/alias"], reads("INSIDE")),
    Probe {
        differs: &[(
            "wasmer-4.3",
            REFUSED,
            "wasmer-wasix 0.27 refuses every absolute symlink target (errno 58), even one inside",
        )],
        ..reach("symlink inside (absolute host path)", &["read", "/d/alias_abs"], reads("INSIDE"))
    },
    reach(
        "hard link to a file outside (the same file)",
        &["read", "/d/hard"],
        reads("SHARED-INODE"),
    ),
    reach("a FIFO in the mapped directory", &["read", "/d/fifo"], REFUSED),
    reach("`..` out of the mapped directory", &["read", "/d/../outside/secret"], REFUSED),
    reach("`..` out of a subdirectory", &["read", "/d/sub/../../outside/secret"], REFUSED),
    reach(
        "guest-made symlink to a host path outside",
        &["symlink", "ROOT/outside/secret", "/d/made", ";", "read", "/d/made"],
        REFUSED,
    ),
    reach(
        "guest-made symlink leading out with `..`",
        &["symlink", "../outside/secret", "/d/made", ";", "read", "/d/made"],
        REFUSED,
    ),
    reach(
        "guest-made hard link to a file outside",
        &["link", "/d/../outside/secret", "/d/made", ";", "read", "/d/made"],
        REFUSED,
    ),
    Probe {
        tmp_mapped: true,
        ..reach(
            "guest forges its verdict through a mapped TMPDIR",
            &["forge", "/t", ";", "exit", "1"],
            Expect { status: 1, shows: Some("forged 0"), says: None },
        )
    },
    bad("module is /dev/zero", Module::Path(Special::DevZero), 66, "character device"),
    bad("module is a FIFO", Module::Path(Special::Fifo), 66, "FIFO"),
    bad("module is a directory", Module::Path(Special::Directory), 66, "directory"),
    bad("module is missing", Module::Path(Special::Missing), 66, "No such file"),
    bad("module is empty", Module::Bytes(b""), 65, "the file is empty"),
    bad("module is text", Module::Bytes(b"hello, world"), 65, "wasm magic"),
    bad("module is truncated", Module::Truncated, 65, "not a valid WebAssembly module"),
    bad(
        "module exports no _start",
        Module::Wat(r#"(module (memory (export "memory") 1))"#),
        69,
        "no `_start`",
    ),
    bad(
        "_start takes parameters",
        Module::Wat(
            r#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#,
        ),
        69,
        "not `[] -> []`",
    ),
    bad(
        "module has no memory",
        Module::Wat(r#"(module (func (export "_start")))"#),
        69,
        "no memory",
    ),
    bad(
        "import from an unknown namespace",
        Module::Wat(
            r#"(module (import "acme" "rocket" (func)) (memory 1) (func (export "_start")))"#,
        ),
        69,
        "acme.rocket",
    ),
    bad(
        "unknown function of a WASI namespace",
        Module::Wat(
            r#"(module (import "wasi_snapshot_preview1" "launch" (func)) (memory 1) (func (export "_start")))"#,
        ),
        69,
        "wasi_snapshot_preview1.launch",
    ),
    bad(
        "WASI function imported with the wrong type",
        Module::Wat(
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))) (memory 1) (func (export "_start")))"#,
        ),
        69,
        "with the type [i64] -> []",
    ),
    Probe {
        exceptions: Some(Encoding::Legacy),
        ..bad("wasm exceptions, legacy encoding", Module::Wat(LEGACY_EXCEPTIONS), 69, "")
    },
    Probe {
        exceptions: Some(Encoding::Exnref),
        ..bad("wasm exceptions, exnref encoding", Module::Wat(EXNREF_EXCEPTIONS), 69, "")
    },
    Probe {
        expect: refused(0, "exited with 256"),
        ..reach("run: proc_exit(256)", &["exit", "256"], REFUSED)
    },
    Probe {
        expect: refused(255, "exited with -1"),
        ..reach("run: proc_exit(-1)", &["exit", "-1"], REFUSED)
    },
    Probe {
        suite_spec: Some(r#"{"args": ["exit", "256"], "exit_code": 0}"#),
        expect: status(100),
        ..reach("test: proc_exit(256) where 0 is expected", &[], REFUSED)
    },
    Probe {
        suite_spec: Some(r#"{"args": ["exit", "-1"], "exit_code": -1}"#),
        expect: status(0),
        ..reach("test: proc_exit(-1) where -1 is expected", &[], REFUSED)
    },
];

/// One probe on one runtime: the status and both streams of `wasix-harness run` (or `test`).
fn run_probe(probe: &Probe, runtime: Runtime) -> (i32, String, String) {
    let root = tree();
    let r = root.path().display().to_string();
    let module = root.path().join("module.wasm");
    match probe.module {
        Module::Probe => std::fs::copy(probe_module(), &module).map(drop).unwrap(),
        Module::Wat(text) => std::fs::write(&module, wat::parse_str(text).unwrap()).unwrap(),
        Module::Bytes(bytes) => std::fs::write(&module, bytes).unwrap(),
        Module::Truncated => {
            let bytes = std::fs::read(probe_module()).unwrap();
            std::fs::write(&module, &bytes[..bytes.len() / 3]).unwrap();
        }
        Module::Path(Special::DevZero) => std::os::unix::fs::symlink("/dev/zero", &module).unwrap(),
        Module::Path(Special::Fifo) => {
            let c = std::ffi::CString::new(module.to_str().unwrap()).unwrap();
            // SAFETY: mkfifo on a fresh path in our own temp dir.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        Module::Path(Special::Directory) => std::fs::create_dir(&module).unwrap(),
        Module::Path(Special::Missing) => {}
    }
    let mut cmd = harness_under_test();
    let ops = probe.ops.iter().map(|op| op.replace("ROOT", &r));
    if let Some(spec) = probe.suite_spec {
        std::fs::write(root.path().join("module.json"), spec).unwrap();
        cmd.args(["test", "--runtime", runtime.name(), "--timeout", "30"]);
        cmd.arg(root.path());
    } else {
        cmd.args(["run", "--runtime", runtime.name(), "--timeout", "30"]);
        cmd.args(["--dir", &format!("{r}/d::/d")]);
        if probe.tmp_mapped {
            cmd.env("TMPDIR", root.path().join("t")).args(["--dir", &format!("{r}/t::/t")]);
        }
        cmd.arg(&module).args(ops);
    }
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
        let mut says = expect.says.map(str::to_string);
        let mut expect = expect;
        if let Some(encoding) = probe.exceptions {
            let takes = runtime.exception_encodings();
            (expect.status, says) = match takes.first() {
                _ if takes.contains(&encoding) => (0, None),
                None => {
                    (69, Some("needs wasm exceptions, which this runtime does not have".into()))
                }
                Some(instead) => (
                    69,
                    Some(format!(
                        "needs wasm {encoding} exceptions; build with WASIX_TOOLCHAIN_EH={instead}"
                    )),
                ),
            };
        }
        println!("| {} | {} | {status} | {} |", probe.name, runtime.name(), expect.status);
        let leaked = out.contains(SECRET);
        let shown = expect.shows.is_none_or(|text| out.contains(text));
        let said = says.is_none_or(|text| err.contains(&text) && err.lines().count() == 1);
        if *status != expect.status || leaked || !shown || !said {
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
