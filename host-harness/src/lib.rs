//! `wasix-harness` as a library: the layers the binary is made of. Public is only what the
//! binary, the integration tests, the benchmark and the fuzz targets use; everything else is
//! the crate's own, and each folder's `mod.rs` re-exports what its callers use.
//!
//! Layers, top to bottom: cli > reporter > runner > list > sandbox > outcome errors text input
//!
//! (that line is the one definition: `scripts/module-graph` reads it and fails on an import
//! that goes up a layer, as it fails on a cycle). Each imports only the layers below it:
//!
//! * [`cli`]: the command line (`run`, `test`, and the embedded wasmer's child);
//! * `reporter`: human, JSON, JUnit, parity and libtest-format output of typed results;
//! * `runner`: the worker pool, retries and fail-fast, making each case's runs, judging them;
//! * [`list`]: finding and building cases (guest crates, libtest binaries, wasi-testsuite
//!   directories), expectations, selection;
//! * [`sandbox`]: the run policy, and running one module in a child process under the
//!   watchdog, on a runtime, through one protocol;
//! * [`outcome`], [`errors`], `text`, `input`: what a run ended with, the harness's own
//!   statuses, one-line messages, and bounded reads of regular files.

pub mod cli;
pub mod errors;
pub(crate) mod input;
pub mod list;
pub mod outcome;
pub(crate) mod reporter;
pub(crate) mod runner;
pub mod sandbox;
pub(crate) mod text;
