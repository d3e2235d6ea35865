//! A cap on the guest's linear memory, through wasmer 4.3's `Tunables` (as the harness does
//! for wasmer 7.4 in `host-harness/src/sandbox/memory_limit.rs`).
//!
//! WASIX guests import one shared memory whose maximum the module declares (1 GiB for
//! wasm32-wasmer-wasi). wasmer-wasix 0.27 creates that memory, for the main instance and for
//! every thread's view of it, through the store's engine, so lowering the maximum in the
//! engine's tunables makes `memory.grow` fail past the cap: an allocation failure the guest
//! sees, instead of the host's memory being taken.

use std::ptr::NonNull;

use wasmer::sys::{BaseTunables, NativeEngineExt, Tunables};
use wasmer::vm::{
    MemoryError, MemoryStyle, TableStyle, VMMemory, VMMemoryDefinition, VMTable, VMTableDefinition,
};
use wasmer::{Engine, MemoryType, Pages, TableType, Target, WASM_PAGE_SIZE};

pub struct LimitingTunables {
    limit: Pages,
    base: BaseTunables,
}

impl LimitingTunables {
    pub fn new(limit_bytes: u64) -> Self {
        let pages = (limit_bytes / WASM_PAGE_SIZE as u64)
            .clamp(1, u32::MAX as u64 / WASM_PAGE_SIZE as u64) as u32;
        Self { limit: Pages(pages), base: BaseTunables::for_target(&Target::default()) }
    }

    fn adjust(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        if ty.minimum > self.limit {
            return Err(MemoryError::Generic(format!(
                "the module needs {} pages of memory at start, more than the limit of {} pages",
                ty.minimum.0, self.limit.0
            )));
        }
        let mut adjusted = *ty;
        adjusted.maximum = Some(ty.maximum.map_or(self.limit, |max| max.min(self.limit)));
        Ok(adjusted)
    }
}

impl Tunables for LimitingTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        let adjusted = self.adjust(memory).unwrap_or(*memory);
        self.base.memory_style(&adjusted)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.base.create_host_memory(&self.adjust(ty)?, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let adjusted = self.adjust(ty)?;
        // SAFETY: forwarded unchanged from the caller's contract.
        unsafe { self.base.create_vm_memory(&adjusted, style, vm_definition_location) }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: forwarded unchanged from the caller's contract.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }
}

/// Puts the cap on every memory the engine creates from now on.
pub fn apply(engine: &mut Engine, limit_bytes: u64) {
    engine.set_tunables(LimitingTunables::new(limit_bytes));
}
