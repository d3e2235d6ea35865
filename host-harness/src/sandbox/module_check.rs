//! The parent's checks of a module, made once before any child starts: so every runtime
//! answers the same bad module with the same status and the same line, and a FIFO, a device or
//! a huge file never reaches a runtime.
//!
//! * read: a regular file within the size cap (66 otherwise);
//! * valid: the wasm magic, and wasmparser's validation with every feature any runtime has
//!   (65 otherwise);
//! * runnable (69 otherwise): a `_start` function of type `[] -> []`, a memory (exported or
//!   imported), and only imports a WASI or WASIX runtime provides, with the types it provides
//!   them with (`wasix_imports.txt`: wasmer-wasix's own table, checked against it by a test);
//! * what it needs beyond the baseline ([`Needs`]: wasm exceptions, and in which encoding), for
//!   [`super::runtime::Runtime::cannot_load`] to refuse on a runtime that lacks it.
//!
//! A checked module is kept for the rest of the process (keyed by the file's identity and
//! times), so a libtest binary run once per test is read and checked once.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use wasmparser::{
    CompositeInnerType, ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType,
    Validator, WasmFeatures,
};

use crate::errors::HarnessError;

/// A module that passed the checks: its bytes (what the child runs: its memory import, if it
/// has one, named `env.memory`) and what it needs.
#[derive(Debug)]
pub struct CheckedModule {
    pub bytes: Arc<[u8]>,
    pub needs: Needs,
}

/// What a module needs beyond the baseline every runtime has (wasm 2.0, threads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub exceptions: Option<Exceptions>,
}

impl Needs {
    /// Whether the module can catch a panic (it was built to unwind).
    pub fn catches(&self) -> bool {
        self.exceptions.is_some_and(Exceptions::catches)
    }
}

/// Which wasm exception-handling instructions a module uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceptions {
    /// `throw` only, with no handler: either encoding's runtimes run it.
    ThrowOnly,
    /// The legacy encoding (`try`, `catch`, `delegate`, `rethrow`), what LLVM emits by default.
    Legacy,
    /// The standard encoding (`try_table`, `throw_ref`, `exnref`).
    Exnref,
    /// Both.
    Both,
}

impl Exceptions {
    /// The encodings a runtime must load to run it: none for `throw` alone (either runtime's
    /// kind runs it).
    pub fn encodings(self) -> &'static [Encoding] {
        match self {
            Exceptions::ThrowOnly => &[],
            Exceptions::Legacy => &[Encoding::Legacy],
            Exceptions::Exnref => &[Encoding::Exnref],
            Exceptions::Both => &[Encoding::Exnref, Encoding::Legacy],
        }
    }

    /// Whether the module catches exceptions (`catch_unwind`, cleanup pads): what a program
    /// that unwinds compiles to, and what lets libtest run a `#[should_panic]` test in process.
    pub fn catches(self) -> bool {
        self != Exceptions::ThrowOnly
    }
}

/// An encoding of wasm exception handling: what a runtime loads, and what the toolchain's
/// unwinding variant builds (`WASIX_TOOLCHAIN_EH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// The standard encoding (`try_table`, `exnref`): the toolchain's default.
    Exnref,
    /// The encoding of the proposal's first years (`try`/`catch`), which V8 in Node 20 runs.
    Legacy,
}

impl Encoding {
    /// Its name, as `WASIX_TOOLCHAIN_EH` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Exnref => "exnref",
            Encoding::Legacy => "legacy",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Exceptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exceptions::ThrowOnly => "wasm exceptions (`throw`)",
            Exceptions::Legacy => "wasm exceptions in the legacy encoding (`try`/`catch`)",
            Exceptions::Exnref => "wasm exceptions in the exnref encoding (`try_table`)",
            Exceptions::Both => "wasm exceptions in both encodings (`try` and `try_table`)",
        })
    }
}

/// The module at `path`, read and checked (once per file version, while it is among the last
/// [`KEPT`] bytes of modules checked: a libtest binary is read once for all its tests).
pub fn load(path: &Path) -> Result<Arc<CheckedModule>, HarnessError> {
    static CHECKED: Mutex<VecDeque<(Key, Arc<CheckedModule>)>> = Mutex::new(VecDeque::new());
    let shown = path.display().to_string();
    let no_input = |e: crate::input::ReadError| HarnessError::NoInput {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let (file, len) =
        crate::input::open_regular(path, crate::input::MAX_MODULE).map_err(no_input)?;
    let key = file
        .metadata()
        .ok()
        .map(|m| (m.dev(), m.ino(), m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec(), m.len()));
    let lock = || CHECKED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) =
        key.and_then(|k| lock().iter().find(|(e, _)| *e == k).map(|(_, c)| c.clone()))
    {
        return Ok(found);
    }
    let bytes = crate::input::read_open(file, len, crate::input::MAX_MODULE).map_err(no_input)?;
    let needs = inspect(&bytes, &shown)?;
    let bytes = super::adapt::rename_memory_import(&bytes).unwrap_or(bytes);
    let checked = Arc::new(CheckedModule { bytes: bytes.into(), needs });
    if let Some(key) = key {
        let mut kept = lock();
        kept.push_back((key, Arc::clone(&checked)));
        while kept.iter().map(|(_, c)| c.bytes.len()).sum::<usize>() > KEPT && kept.len() > 1 {
            kept.pop_front();
        }
    }
    Ok(checked)
}

/// A file version: device, inode, modification and change times, length.
type Key = (u64, u64, i64, i64, i64, i64, u64);

/// Bytes of checked modules kept for later runs.
const KEPT: usize = 64 << 20;

/// Checks module bytes (`shown` names them in errors): what it needs, or a one-line error
/// with its status. Any input gives one of the two, never a panic (the module_load fuzz target
/// checks this).
pub fn inspect(bytes: &[u8], shown: &str) -> Result<Needs, HarnessError> {
    let invalid = |reason: String| HarnessError::InvalidModule { path: shown.to_string(), reason };
    let cannot = |reason: String| HarnessError::NotRunnable {
        path: shown.to_string(),
        runtime: "any WASI runtime".into(),
        reason,
    };
    if bytes.is_empty() {
        return Err(invalid("the file is empty".into()));
    }
    if !bytes.starts_with(b"\0asm") {
        return Err(invalid("it does not start with the wasm magic bytes \\0asm".into()));
    }
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| invalid(crate::text::one_line(&e.to_string())))?;

    // Valid, so every read below succeeds; an error still only gives up, never panics.
    let walk = walk(bytes).map_err(|e| invalid(crate::text::one_line(&e.to_string())))?;
    match walk.start {
        None => {
            return Err(cannot(
                "it exports no `_start` function (a library or reactor, not a command?)".into(),
            ));
        }
        Some(ty) if !ty.params().is_empty() || !ty.results().is_empty() => {
            return Err(cannot(format!(
                "its `_start` has the type {}, not `[] -> []`",
                signature(&ty)
            )));
        }
        Some(_) => {}
    }
    for import in &walk.imports {
        check_import(import).map_err(cannot)?;
    }
    if !walk.has_memory {
        return Err(cannot(
            "it has no memory (exported or imported), which every WASI program needs".into(),
        ));
    }
    Ok(walk.needs)
}

struct Walk {
    start: Option<FuncType>,
    imports: Vec<Imported>,
    has_memory: bool,
    needs: Needs,
}

struct Imported {
    module: String,
    name: String,
    kind: ImportKind,
}

enum ImportKind {
    /// A function, with its type (if the type section has it as one).
    Func(Option<FuncType>),
    Memory,
    /// A table, a global or a tag.
    Other,
}

fn walk(bytes: &[u8]) -> wasmparser::Result<Walk> {
    let mut types: Vec<Option<FuncType>> = Vec::new();
    // The type of every function, imported ones first.
    let mut functions: Vec<u32> = Vec::new();
    let mut imports = Vec::new();
    let mut has_memory = false;
    let mut start_index = None;
    let (mut legacy, mut exnref, mut throws) = (false, false, false);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group?.into_types() {
                        types.push(match sub.composite_type.inner {
                            CompositeInnerType::Func(ty) => Some(ty),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let kind = match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            functions.push(ty);
                            ImportKind::Func(types.get(ty as usize).cloned().flatten())
                        }
                        TypeRef::Memory(_) => {
                            has_memory = true;
                            ImportKind::Memory
                        }
                        _ => ImportKind::Other,
                    };
                    imports.push(Imported {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(ty?);
                }
            }
            Payload::MemorySection(reader) => has_memory |= reader.count() > 0,
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact if export.name == "_start" => {
                            start_index = Some(export.index)
                        }
                        ExternalKind::Memory => has_memory = true,
                        _ => {}
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    match ops.read()? {
                        Operator::Try { .. }
                        | Operator::Catch { .. }
                        | Operator::CatchAll
                        | Operator::Delegate { .. }
                        | Operator::Rethrow { .. } => legacy = true,
                        Operator::TryTable { .. } | Operator::ThrowRef => exnref = true,
                        Operator::Throw { .. } => throws = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let exceptions = match (legacy, exnref, throws) {
        (true, true, _) => Some(Exceptions::Both),
        (true, false, _) => Some(Exceptions::Legacy),
        (false, true, _) => Some(Exceptions::Exnref),
        (false, false, true) => Some(Exceptions::ThrowOnly),
        (false, false, false) => None,
    };
    let start = start_index
        .and_then(|i| functions.get(i as usize))
        .and_then(|ty| types.get(*ty as usize).cloned().flatten());
    Ok(Walk { start, imports, has_memory, needs: Needs { exceptions } })
}

/// The namespaces whose functions the table below lists.
const WASI_NAMESPACES: &[&str] =
    &["wasi_snapshot_preview1", "wasi_unstable", "wasix_32v1", "wasix_64v1", "wasi"];

/// `namespace name params -> results` of every function wasmer-wasix provides.
const IMPORT_TABLE: &str = include_str!("wasix_imports.txt");

fn table() -> &'static HashMap<(&'static str, &'static str), &'static str> {
    static TABLE: OnceLock<HashMap<(&str, &str), &str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        IMPORT_TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                Some(((parts.next()?, parts.next()?), parts.next()?))
            })
            .collect()
    })
}

fn check_import(import: &Imported) -> Result<(), String> {
    // Names are arbitrary bytes: escaped, so the error stays one readable line.
    let what = || format!("`{}.{}`", import.module.escape_debug(), import.name.escape_debug());
    let unknown = || Err(format!("it imports {}, which no WASI or WASIX runtime provides", what()));
    let wasi = WASI_NAMESPACES.contains(&import.module.as_str());
    match &import.kind {
        // Under any name: wasi-threads modules name their shared memory as they like, and
        // `load` renames it to the `env.memory` every runtime provides.
        ImportKind::Memory => Ok(()),
        // The linker's own imports (a table, globals) come from `env`.
        ImportKind::Other if import.module == "env" => Ok(()),
        ImportKind::Other | ImportKind::Func(None) => {
            if wasi {
                Err(format!("it imports {} as something other than a function", what()))
            } else {
                unknown()
            }
        }
        ImportKind::Func(Some(_)) if !wasi => unknown(),
        ImportKind::Func(Some(ty)) => {
            match table().get(&(import.module.as_str(), import.name.as_str())) {
                None => unknown(),
                Some(want) if *want != signature(ty) => Err(format!(
                    "it imports {} with the type {}, but runtimes provide {want}",
                    what(),
                    signature(ty)
                )),
                Some(_) => Ok(()),
            }
        }
    }
}

/// `[i32 i64] -> [i32]`.
fn signature(ty: &FuncType) -> String {
    let list =
        |types: &[ValType]| types.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
    format!("[{}] -> [{}]", list(ty.params()), list(ty.results()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Needs, HarnessError> {
        inspect(&wat::parse_str(text).unwrap(), "m.wasm")
    }

    const OK: &str = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
        (memory (export "memory") 1)
        (func (export "_start")))"#;

    #[test]
    fn a_wasi_command_passes() {
        assert_eq!(check(OK).unwrap(), Needs::default());
    }

    #[test]
    fn each_bad_module_gets_its_status_and_one_line() {
        let cases: &[(&[u8], i32, &str)] = &[
            (b"", 65, "the file is empty"),
            (b"hello, world", 65, "wasm magic"),
            (b"\0asm\x01\0\0\0\x01\xff", 65, "not a valid WebAssembly module"),
        ];
        for (bytes, status, needle) in cases {
            let err = inspect(bytes, "m.wasm").unwrap_err();
            assert_eq!(err.status(), *status, "{err}");
            assert!(err.to_string().contains(needle), "{err}");
        }
        let wat_cases = [
            (r#"(module (memory (export "memory") 1))"#, "exports no `_start`"),
            (r#"(module (func (export "_start")))"#, "no memory"),
            (
                r#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#,
                "has the type [i32] -> [], not `[] -> []`",
            ),
            (
                r#"(module (import "acme" "rocket" (func)) (memory 1) (func (export "_start")))"#,
                "imports `acme.rocket`, which no WASI",
            ),
            (
                r#"(module (import "wasi_snapshot_preview1" "frobnicate" (func)) (memory 1) (func (export "_start")))"#,
                "imports `wasi_snapshot_preview1.frobnicate`, which no WASI",
            ),
            (
                r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))) (memory 1) (func (export "_start")))"#,
                "with the type [i64] -> [], but runtimes provide [i32] -> []",
            ),
            (
                r#"(module (import "env" "helper" (func)) (memory 1) (func (export "_start")))"#,
                "imports `env.helper`",
            ),
        ];
        for (text, needle) in wat_cases {
            let err = check(text).unwrap_err();
            assert_eq!(err.status(), 69, "{err}");
            assert!(err.to_string().contains(needle), "{needle}: {err}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn a_privately_named_memory_import_is_renamed_for_every_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("threads.wasm");
        let text = r#"(module (import "foo" "bar" (memory 1 1 shared)) (func (export "_start")))"#;
        std::fs::write(&path, wat::parse_str(text).unwrap()).unwrap();
        let checked = load(&path).unwrap();
        let imports: Vec<_> = Parser::new(0)
            .parse_all(&checked.bytes)
            .filter_map(|p| match p.unwrap() {
                Payload::ImportSection(r) => Some(r.into_imports().map(|i| i.unwrap().module)),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(imports, ["env"]);
    }

    #[test]
    fn an_imported_memory_and_env_globals_are_fine() {
        check(
            r#"(module (import "env" "memory" (memory 1 1 shared))
                       (import "env" "__stack_pointer" (global (mut i32)))
                       (func (export "_start")))"#,
        )
        .unwrap();
    }

    #[test]
    fn exceptions_are_told_apart_by_encoding() {
        let module = |body: &str| {
            format!(
                r#"(module (tag $e) (memory (export "memory") 1)
                     (func $f {body}) (func (export "_start")))"#
            )
        };
        let legacy = module("try throw $e catch $e end");
        let exnref = module("(block $h (try_table (catch $e $h) (throw $e)))");
        let throw = module("(throw $e)");
        assert_eq!(check(&legacy).unwrap().exceptions, Some(Exceptions::Legacy));
        assert_eq!(check(&exnref).unwrap().exceptions, Some(Exceptions::Exnref));
        assert_eq!(check(&throw).unwrap().exceptions, Some(Exceptions::ThrowOnly));
    }

    #[test]
    fn checked_modules_are_read_once_per_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wasm");
        std::fs::write(&path, wat::parse_str(OK).unwrap()).unwrap();
        let a = load(&path).unwrap();
        assert!(Arc::ptr_eq(&a, &load(&path).unwrap()));
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&path, b"").unwrap();
        assert_eq!(load(&path).unwrap_err().status(), 65, "a changed file is checked again");
    }

    /// The table is wasmer-wasix's own: every function of every namespace, with its type.
    #[test]
    fn the_import_table_is_wasmer_wasix_s_own() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _entered = runtime.enter();
        let tasks = wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager::new(
            runtime.handle().clone(),
        );
        let env = wasmer_wasix::WasiEnvBuilder::new("probe")
            .runtime(Arc::new(wasmer_wasix::PluggableRuntime::new(Arc::new(tasks))))
            .build()
            .unwrap();
        let mut store = wasmer::Store::default();
        let env = wasmer::FunctionEnv::new(&mut store, env);
        let mut lines = std::collections::BTreeSet::new();
        for version in [
            wasmer_wasix::WasiVersion::Snapshot0,
            wasmer_wasix::WasiVersion::Snapshot1,
            wasmer_wasix::WasiVersion::Wasix32v1,
            wasmer_wasix::WasiVersion::Wasix64v1,
        ] {
            let imports = wasmer_wasix::generate_import_object_from_env(&mut store, &env, version);
            for ((module, name), ext) in imports.into_iter() {
                if let wasmer::ExternType::Function(ty) = ext.ty(&store) {
                    let list = |types: &[wasmer::Type]| {
                        types
                            .iter()
                            .map(|t| format!("{t:?}").to_lowercase())
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    lines.insert(format!(
                        "{module} {name} [{}] -> [{}]",
                        list(ty.params()),
                        list(ty.results())
                    ));
                }
            }
        }
        let ours: std::collections::BTreeSet<String> = IMPORT_TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if std::env::var_os("WASIX_WRITE_IMPORT_TABLE").is_some() {
            let mut text = String::from(
                "# Every function wasmer-wasix provides to guests: namespace, name, type.\n\
                 # Generated by WASIX_WRITE_IMPORT_TABLE=1 cargo test the_import_table; checked by it.\n",
            );
            for line in &lines {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sandbox/wasix_imports.txt"),
                text,
            )
            .unwrap();
            return;
        }
        let missing: Vec<_> = lines.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&lines).collect();
        assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    }
}
