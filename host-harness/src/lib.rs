//! `wasix-harness` as a library: the layers the binary is made of, public so that the
//! integration tests and benchmarks can build guests and run modules the same way.
//!
//! From top to bottom; each imports only the layers below it:
//!
//! * [`cli`]: the command line (`run`, `test`, and the embedded wasmer's child);
//! * [`reporter`]: human, JSON, JUnit, parity and libtest-format output of typed results;
//! * [`runner`]: the worker pool, retries and fail-fast, and judging each case;
//! * [`list`]: finding and building cases (guest crates, libtest binaries, wasi-testsuite
//!   directories), expectations, selection;
//! * [`sandbox`]: running one module in a child process under the watchdog, on a runtime,
//!   through one protocol;
//! * [`outcome`], [`errors`], [`text`], [`input`]: what a run ended with, the harness's own
//!   statuses, one-line messages, and bounded reads of regular files.

pub mod cli;
pub mod errors;
pub mod input;
pub mod list;
pub mod outcome;
pub mod reporter;
pub mod runner;
pub mod sandbox;
pub mod text;
