//! The import adapter: lets modules built with today's wasix-libc load on wasmer 4.3.
//!
//! wasix-libc (2025.12) imports three functions that wasmer-wasix 0.27 (wasmer 4.3.x) does not
//! provide; every other import of a threaded std guest exists there. This module gives each the
//! behaviour a libc of wasmer 4.3's time had instead, and changes nothing else:
//!
//! * `wasix_32v1.proc_exit2` (from `_Exit` and crt1) becomes an import of the runtime's own
//!   `wasi_snapshot_preview1.proc_exit`: the same type `(i32) -> ()`, so only the import's two
//!   names change, in place, and no function index moves.
//! * `wasix_32v1.proc_signals_sizes_get(ptr) -> errno` and `proc_signals_get(ptr) -> errno`
//!   (from `__wasi_init_signals`, which asks the runtime for signal dispositions set before the
//!   program started) report an empty table: count 0, errno 0. Older wasix-libc had no such
//!   table. They cannot be renamed to an existing import (a failing one makes wasix-libc exit
//!   71 at start-up), so the import is turned into a function *inside* the module: it is
//!   removed from the import section and an equivalent body is appended to the code section
//!   (`sizes_get` stores a 32-bit 0 at `ptr` in memory 0 and returns 0; `get` returns 0 and
//!   writes nothing, since there are no entries). Removing an import renumbers functions; the
//!   re-encoder maps every function index (calls, `ref.func`, element segments, exports, the
//!   start function, the name section) to its new place.
//!
//! Why a module rewrite and not host functions in the import object: wasmer-wasix 0.27 gives
//! extra imports (`WasiRunner::with_imports`, `WasiEnvBuilder::add_imports`) to the main
//! instance only. Every spawned thread is a new instance of the same module, created in
//! `WasiFunctionEnv::new_with_store` from `import_object_for_all_wasi_versions` alone, so a
//! host-provided `proc_exit2` would be missing in every thread and `thread-spawn` would fail.
//! A rewritten module needs no import at all for the two signal functions, and its
//! `proc_exit2` call sites reach an import that every instance (main or thread) gets. The
//! shared memory, atomics and passive segments pass through the re-encoder unchanged.

use wasm_encoder::reencode::{utils, Reencode};
use wasmparser::{Parser, Payload, TypeRef};

const WASIX: &str = "wasix_32v1";
const EXIT2: &str = "proc_exit2";
const SIGNALS_SIZES_GET: &str = "proc_signals_sizes_get";
const SIGNALS_GET: &str = "proc_signals_get";

/// The names of the imports this adapter replaces (for documentation and the log).
pub const ADAPTED: [&str; 3] = [EXIT2, SIGNALS_SIZES_GET, SIGNALS_GET];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Local {
    SizesGet,
    Get,
}

/// What the adapter found in a module.
struct Plan {
    /// Old function index of each imported function that becomes a local function, with its
    /// type index and what its body does, in import order.
    localized: Vec<(u32, u32, Local)>,
    /// How many functions the module imports (before the rewrite).
    imported_funcs: u32,
    /// How many functions the module defines (before the rewrite).
    defined_funcs: u32,
    /// Whether `proc_exit2` is imported (renamed in place).
    has_exit2: bool,
}

impl Plan {
    fn scan(wasm: &[u8]) -> Result<Plan, String> {
        let mut plan =
            Plan { localized: Vec::new(), imported_funcs: 0, defined_funcs: 0, has_exit2: false };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::ImportSection(section) => {
                    for import in section.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        if let TypeRef::Func(ty) | TypeRef::FuncExact(ty) = import.ty {
                            let index = plan.imported_funcs;
                            plan.imported_funcs += 1;
                            if import.module == WASIX {
                                match import.name {
                                    EXIT2 => plan.has_exit2 = true,
                                    SIGNALS_SIZES_GET => {
                                        plan.localized.push((index, ty, Local::SizesGet))
                                    }
                                    SIGNALS_GET => plan.localized.push((index, ty, Local::Get)),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                Payload::FunctionSection(section) => plan.defined_funcs = section.count(),
                _ => {}
            }
        }
        Ok(plan)
    }

    /// The new index of old function `f`.
    fn map(&self, f: u32) -> u32 {
        let removed = self.localized.len() as u32;
        if f >= self.imported_funcs {
            return f - removed;
        }
        if let Some(slot) = self.localized.iter().position(|(index, _, _)| *index == f) {
            // Appended after the module's own functions.
            return self.imported_funcs - removed + self.defined_funcs + slot as u32;
        }
        f - self.localized.iter().filter(|(index, _, _)| *index < f).count() as u32
    }
}

struct Adapter<'p> {
    plan: &'p Plan,
    /// Old index of the next imported function seen while re-encoding the import section.
    next_import: u32,
}

impl Reencode for Adapter<'_> {
    type Error = std::convert::Infallible;

    fn function_index(
        &mut self,
        func: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(self.plan.map(func))
    }

    fn parse_import(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        import: wasmparser::Import<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
            let old = self.next_import;
            self.next_import += 1;
            if self.plan.localized.iter().any(|(index, _, _)| *index == old) {
                return Ok(());
            }
            if import.module == WASIX && import.name == EXIT2 {
                let ty = self.entity_type(import.ty)?;
                imports.import("wasi_snapshot_preview1", "proc_exit", ty);
                return Ok(());
            }
        }
        // (not `utils::parse_import`, which calls back into `parse_imports`)
        let ty = self.entity_type(import.ty)?;
        imports.import(import.module, import.name, ty);
        Ok(())
    }

    fn parse_imports(
        &mut self,
        import_section: &mut wasm_encoder::ImportSection,
        imports: wasmparser::Imports<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        // One import at a time, whatever the encoding, so that `parse_import` sees each.
        match imports {
            wasmparser::Imports::Single(_, import) => self.parse_import(import_section, import),
            wasmparser::Imports::Compact1 { module, items } => {
                for item in items {
                    let item = item?;
                    self.parse_import(
                        import_section,
                        wasmparser::Import { module, name: item.name, ty: item.ty },
                    )?;
                }
                Ok(())
            }
            wasmparser::Imports::Compact2 { module, ty, names } => {
                for name in names {
                    self.parse_import(
                        import_section,
                        wasmparser::Import { module, name: name?, ty },
                    )?;
                }
                Ok(())
            }
        }
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_function_section(self, functions, section)?;
        for (_, ty, _) in &self.plan.localized {
            functions.function(*ty);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_code_section(self, code, section)?;
        for (_, _, local) in &self.plan.localized {
            let mut body = wasm_encoder::Function::new([]);
            if *local == Local::SizesGet {
                body.instructions().local_get(0).i32_const(0).i32_store(wasm_encoder::MemArg {
                    offset: 0,
                    align: 2,
                    memory_index: 0,
                });
            }
            body.instructions().i32_const(0).end();
            code.function(&body);
        }
        Ok(())
    }
}

/// Rewrites `wasm` if it imports any of the three functions; `Ok(None)` when there is nothing
/// to change. An error is a module that does not parse (the caller reports it as invalid).
pub fn adapt(wasm: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let plan = Plan::scan(wasm)?;
    if plan.localized.is_empty() && !plan.has_exit2 {
        return Ok(None);
    }
    if !plan.localized.is_empty() && plan.defined_funcs == 0 {
        return Err("it imports the WASIX signal table but defines no functions".into());
    }
    let mut module = wasm_encoder::Module::new();
    let mut adapter = Adapter { plan: &plan, next_import: 0 };
    utils::parse_core_module(&mut adapter, &mut module, Parser::new(0), wasm)
        .map_err(|e| e.to_string())?;
    Ok(Some(module.finish()))
}
