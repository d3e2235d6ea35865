//! Directories in the wasi-testsuite layout: every `NAME.wasm` is a test, described by an
//! optional `NAME.json`; each run gets a fresh copy of its `dirs` without `*.cleanup` files
//! and directories (what earlier runs left), so the suite itself is only read.
//!
//! Two JSON forms are accepted:
//!
//! ```json
//! {"args": ["a"], "env": {"K": "v"}, "dirs": ["fs-tests.dir"], "exit_code": 0, "stdout": "exact", "stderr": "exact"}
//! ```
//!
//! and the operation-based one:
//!
//! ```json
//! {"operations": [{"type": "run", "args": [], "env": {}, "dirs": []},
//!                 {"type": "read", "id": "stdout", "payload": "hello\n"},
//!                 {"type": "wait", "exit_code": 0}]}
//! ```
//!
//! where the `read` payloads of a stream, in order, must be how that stream starts. `dirs` are
//! relative to the test's directory, must stay inside it, and are preopened under the same
//! name.
//!
//! The suite's current revisions (its `prod/testsuite-base` branch and its runner,
//! `test-runner/wasi_test_runner/test_case.py`) name one directory instead, as the guest's root:
//! `{"root": "fs-tests.dir", "args": []}` (top level, or in the `run` operation), relative to
//! the test's directory, preopened as `/` (the suite's adapters pass `--dir ROOT::/`). Both
//! forms are read.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::errors::HarnessError;
use crate::sandbox::Runtime;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteSpec {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// (host directory, guest name)
    pub dirs: Vec<(PathBuf, String)>,
    pub exit_code: i32,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    /// Per stream ("stdout"/"stderr"), what it must start with.
    pub reads: BTreeMap<String, String>,
    /// Top-level keys this harness does not know (a newer upstream revision's, such as
    /// `root`): the case fails naming them, without running, and the rest of the suite runs.
    pub unknown_keys: Vec<String>,
}

/// The top-level spec keys this harness understands.
pub const KNOWN_KEYS: &[&str] = &[
    "args",
    "env",
    "dirs",
    "root",
    "exit_code",
    "stdout",
    "stderr",
    "operations",
    "wasi_functions",
];

/// One module of a suite and its spec.
#[derive(Clone, Debug)]
pub struct SuiteCase {
    /// `SUITE/NAME`.
    pub name: String,
    /// The suite's name.
    pub group: String,
    pub module: PathBuf,
    /// The spec, or why it cannot be read: a malformed spec fails its own case, if it is
    /// selected, and nothing else.
    pub spec: Result<SuiteSpec, String>,
}

/// Unknown keys are taken out before this is deserialized (see [`SuiteSpec::unknown_keys`]).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FlatJson {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    dirs: Vec<String>,
    /// The guest's root directory (`/`), relative to the test's directory.
    root: Option<String>,
    #[serde(default)]
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    #[serde(default)]
    operations: Vec<Operation>,
    /// Listed by some suites; the harness runs every module whatever it imports.
    #[serde(default)]
    #[allow(dead_code)]
    wasi_functions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Operation {
    Run {
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default)]
        dirs: Vec<String>,
        root: Option<String>,
    },
    Wait {
        #[serde(default)]
        exit_code: i32,
    },
    Read {
        id: String,
        payload: String,
    },
}

/// Whether `dir` holds wasi-testsuite tests (any `*.wasm` directly inside).
pub fn is_suite_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        })
        .unwrap_or(false)
}

/// The suite's name: `manifest.json`'s `name`, else the directory's name.
fn suite_name(dir: &Path) -> String {
    #[derive(Deserialize)]
    struct Manifest {
        name: String,
    }
    // Bounded and regular-only, like every file read on a user's behalf; an unreadable
    // manifest only loses the suite's display name.
    crate::input::read_regular_text(&dir.join("manifest.json"), crate::input::MAX_CONFIG)
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
        .map(|m| m.name)
        .unwrap_or_else(|| {
            dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        })
}

/// Lists one case per module. Listing changes nothing: `*.cleanup` leftovers are never
/// removed from the suite, a run works on a copy of its directories without them.
pub fn plan_suite(dir: &Path) -> Result<Vec<SuiteCase>, HarnessError> {
    let group = suite_name(dir);
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| HarnessError::NoInput {
            path: dir.display().to_string(),
            reason: crate::text::io_reason(&e),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    modules.sort();
    Ok(modules.iter().map(|module| plan_module(module, &group)).collect())
}

/// One module and its `NAME.json` (default: exit 0) as a case.
pub fn plan_module(module: &Path, group: &str) -> SuiteCase {
    let name = module.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let spec = load_spec(&module.with_extension("json")).map_err(|e| e.to_string());
    SuiteCase {
        name: format!("{group}/{name}"),
        group: group.to_string(),
        module: module.to_path_buf(),
        spec,
    }
}

pub fn load_spec(path: &Path) -> Result<SuiteSpec, HarnessError> {
    let text = match crate::input::read_regular_text(path, crate::input::MAX_CONFIG) {
        Ok(text) => text,
        Err(crate::input::ReadError::NotFound) => return Ok(SuiteSpec::default()),
        Err(e) => {
            return Err(HarnessError::NoInput {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    parse_spec(&text, base)
        .map_err(|reason| HarnessError::BadSpec { path: path.display().to_string(), reason })
}

pub fn parse_spec(text: &str, base: &Path) -> Result<SuiteSpec, String> {
    let one_line = |e: serde_json::Error| crate::text::one_line(&e.to_string());
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(one_line)?;
    let unknown_keys: Vec<String> =
        object.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())).cloned().collect();
    object.retain(|k, _| KNOWN_KEYS.contains(&k.as_str()));
    let json: FlatJson =
        serde_json::from_value(serde_json::Value::Object(object)).map_err(one_line)?;
    let mut spec = SuiteSpec {
        args: json.args,
        env: json.env.into_iter().collect(),
        dirs: resolve_all(&json.dirs, json.root.as_deref(), base)?,
        exit_code: json.exit_code,
        stdout: json.stdout,
        stderr: json.stderr,
        reads: BTreeMap::new(),
        unknown_keys,
    };
    let mut runs = 0;
    for op in json.operations {
        match op {
            Operation::Run { args, env, dirs, root } => {
                runs += 1;
                spec.args = args;
                spec.env = env.into_iter().collect();
                spec.dirs = resolve_all(&dirs, root.as_deref(), base)?;
            }
            Operation::Wait { exit_code } => spec.exit_code = exit_code,
            Operation::Read { id, payload } => {
                if id != "stdout" && id != "stderr" {
                    return Err(format!("`read` of `{id}`: only stdout and stderr can be read"));
                }
                spec.reads.entry(id).or_default().push_str(&payload);
            }
        }
    }
    if runs > 1 {
        return Err("more than one `run` operation".into());
    }
    Ok(spec)
}

/// The preopens of `dirs` (each under its own name) and of `root` (as `/`).
fn resolve_all(
    dirs: &[String],
    root: Option<&str>,
    base: &Path,
) -> Result<Vec<(PathBuf, String)>, String> {
    let mut all = resolve_dirs(dirs, base)?;
    if let Some(root) = root {
        let (host, _) = resolve_dirs(&[root.to_string()], base)?.remove(0);
        all.push((host, "/".into()));
    }
    Ok(all)
}

/// Host paths for `dirs`: relative, inside the test's directory, and existing.
fn resolve_dirs(dirs: &[String], base: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    dirs.iter()
        .map(|dir| {
            let rel = Path::new(dir);
            let escapes =
                rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
            if dir.is_empty() || escapes {
                return Err(format!(
                    "dir `{dir}` must be a relative path inside the test's directory"
                ));
            }
            let host = base.join(rel);
            if !host.is_dir() {
                return Err(format!("dir `{dir}` does not exist in {}", base.display()));
            }
            // A symlink must not lead out of the test's directory either.
            let inside = match (host.canonicalize(), base.canonicalize()) {
                (Ok(real), Ok(root)) => real.starts_with(root),
                _ => false,
            };
            if !inside {
                return Err(format!("dir `{dir}` leads outside the test's directory"));
            }
            Ok((host, dir.clone()))
        })
        .collect()
}

/// A declared difference between a runtime and the wasi-testsuite (see
/// `wasi_testsuite_differences.toml`, compiled in).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    pub suite: String,
    pub test: String,
    /// The runtime (by its name); the file's entries are for `wasmer` by default.
    #[serde(default)]
    pub runtime: Runtime,
    /// What the failing run's stderr (or the harness's line about it) contains.
    pub evidence: String,
    pub reason: String,
}

/// Every declared difference, parsed once per process (every suite case asks).
pub fn differences() -> &'static [Difference] {
    #[derive(Deserialize)]
    struct File {
        difference: Vec<Difference>,
    }
    static PARSED: std::sync::OnceLock<Vec<Difference>> = std::sync::OnceLock::new();
    // Compiled in and checked by a unit test, so it cannot fail at run time.
    PARSED.get_or_init(|| {
        toml::from_str::<File>(include_str!("wasi_testsuite_differences.toml"))
            .map(|f| f.difference)
            .unwrap_or_default()
    })
}

/// The declared differences for one case on one runtime: its own entries first, then the
/// suite-wide ones (`test = "*"`: a runtime bug every test of the suite can run into, matched
/// only by its evidence).
pub fn declared_differences(case: &SuiteCase, runtime: Runtime) -> Vec<Difference> {
    let Some(test) = case.module.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let mut found: Vec<Difference> = differences()
        .iter()
        .filter(|d| d.suite == case.group && d.runtime == runtime)
        .filter(|d| d.test == test || d.test == "*")
        .cloned()
        .collect();
    found.sort_by_key(|d| d.test == "*");
    found
}

/// Every way the run's output fails the spec.
pub fn check(spec: &SuiteSpec, exit: Option<i32>, stdout: &str, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if exit != Some(spec.exit_code) {
        let got = exit.map(|c| format!("exit {c}")).unwrap_or_else(|| "no exit status".into());
        problems.push(format!("expected exit {}, got {got}", spec.exit_code));
    }
    for (stream, want, got) in [("stdout", &spec.stdout, stdout), ("stderr", &spec.stderr, stderr)]
    {
        if let Some(want) = want.as_ref().filter(|w| w.as_str() != got) {
            problems
                .push(format!("{stream} is {:?}, expected {want:?}", crate::text::one_line(got)));
        }
    }
    for (stream, prefix) in &spec.reads {
        let got = if stream == "stdout" { stdout } else { stderr };
        if !got.starts_with(prefix.as_str()) {
            problems.push(format!("{stream} does not start with {prefix:?}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_form() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fs-tests.dir")).unwrap();
        let spec = parse_spec(
            r#"{"args": ["x"], "env": {"A": "1"}, "dirs": ["fs-tests.dir"], "exit_code": 3, "stdout": "hi\n"}"#,
            dir.path(),
        )
        .unwrap();
        assert_eq!(spec.args, ["x"]);
        assert_eq!(spec.exit_code, 3);
        assert_eq!(spec.dirs[0].1, "fs-tests.dir");
        assert!(check(&spec, Some(3), "hi\n", "").is_empty());
        assert_eq!(check(&spec, Some(0), "ho\n", "").len(), 2);
    }

    #[test]
    fn operation_form() {
        let spec = parse_spec(
            r#"{"operations": [{"type": "run", "args": ["a"]}, {"type": "read", "id": "stdout", "payload": "he"},
               {"type": "read", "id": "stdout", "payload": "llo"}, {"type": "wait", "exit_code": 1}]}"#,
            Path::new("."),
        )
        .unwrap();
        assert_eq!(spec.args, ["a"]);
        assert_eq!(spec.exit_code, 1);
        assert!(check(&spec, Some(1), "hello world", "").is_empty());
        assert!(!check(&spec, Some(1), "help", "").is_empty());
    }

    #[test]
    fn the_declared_differences_parse_and_are_unique() {
        let all = differences();
        assert!(all.len() >= 20, "{all:?}");
        let mut keys: Vec<_> = all.iter().map(|d| (&d.suite, &d.test, &d.runtime)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "an entry is declared twice");
        assert!(all.iter().all(|d| !d.evidence.is_empty() && !d.reason.is_empty()));
    }

    #[test]
    fn unknown_keys_are_named_not_fatal() {
        let spec =
            parse_spec(r#"{"proposals": [], "exit_code": 2, "zz": 1}"#, Path::new(".")).unwrap();
        assert_eq!(spec.unknown_keys, ["proposals", "zz"]);
        assert_eq!(spec.exit_code, 2);
    }

    #[test]
    fn the_current_root_form_maps_the_directory_as_the_guest_s_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fs-tests.dir")).unwrap();
        for text in [
            r#"{"root": "fs-tests.dir", "args": []}"#,
            r#"{"operations": [{"type": "run", "root": "fs-tests.dir"}, {"type": "wait"}]}"#,
        ] {
            let spec = parse_spec(text, dir.path()).unwrap();
            assert_eq!(spec.dirs, [(dir.path().join("fs-tests.dir"), "/".to_string())], "{text}");
            assert!(spec.unknown_keys.is_empty());
        }
        for bad in [r#"{"root": "../x"}"#, r#"{"root": "/"}"#, r#"{"root": "missing"}"#] {
            assert!(parse_spec(bad, dir.path()).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_a_symlink_out_of_the_test_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("root.dir")).unwrap();
        let err = parse_spec(r#"{"dirs": ["root.dir"]}"#, dir.path()).unwrap_err();
        assert!(err.contains("outside"), "{err}");
    }

    #[test]
    fn rejects_escaping_dirs_and_bad_json() {
        for bad in [
            r#"{"dirs": ["../etc"]}"#,
            r#"{"dirs": ["/etc"]}"#,
            r#"{"exit_code": "zero"}"#,
            "{",
            r#"{"operations": [{"type": "jump"}]}"#,
        ] {
            assert!(parse_spec(bad, Path::new(".")).is_err(), "{bad}");
        }
    }
}
