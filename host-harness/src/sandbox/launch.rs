//! The one way a guest is run: its module read and checked once, in the parent, then handed
//! to a child of its own (the watchdog's) or to a runner that serves run after run (the sdk in
//! Node and in the browsers). Both paths get the same checked bytes, so every runtime answers
//! a bad module, or one it cannot load, the same way, before any child starts.

use std::sync::Arc;

use super::module_check;
use super::runtime::Runtime;
use super::serving;
use super::spec::Invocation;
use super::watchdog::{self, GuestRun};
use crate::errors::HarnessError;
use crate::outcome::Outcome;

/// Runs the invocation on `runtime` to its end: the guest exits, traps, fails to start, or is
/// killed at the timeout. Errors only when the runtime's process cannot be started at all.
pub fn run(inv: &Invocation, runtime: Runtime) -> Result<GuestRun, HarnessError> {
    let checked = match module_check::load(&inv.spec.module) {
        Ok(checked) => checked,
        Err(e) => return Ok(GuestRun::not_run(Outcome::not_started(&e))),
    };
    if let Some(reason) = runtime.cannot_load(&checked.needs) {
        return Ok(GuestRun::not_run(Outcome::CannotLoad {
            module: inv.spec.module.display().to_string(),
            runtime: runtime.describe(),
            reason,
        }));
    }
    let module = Arc::clone(&checked.bytes);
    if runtime.serves_many() {
        serving::run(inv, runtime, module)
    } else {
        watchdog::run_child(inv, runtime, module)
    }
}
