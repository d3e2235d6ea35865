//! `wasix-harness` as a library: the pieces the binary is made of, public so that the
//! integration tests (and other tools) can build guests and run modules the same way.
//!
//! * running one module: [`engine`] (wasmer, in-process), [`watchdog`] (child process,
//!   timeout, capture), [`outcome`], [`module_cache`];
//! * deciding what to run: [`guest_build`], [`plan`], [`expectation`], [`select`];
//! * running and judging many: [`execute`];
//! * reporting: [`report`] (human, JSON, JUnit, parity table).

pub mod engine;
pub mod execute;
pub mod expectation;
pub mod guest_build;
pub mod guest_stdio;
pub mod libtest;
pub mod libtest_runner;
pub mod memory_limit;
pub mod module_cache;
pub mod outcome;
pub mod plan;
pub mod report;
pub mod select;
pub mod status;
pub mod testsuite;
pub mod trap_recorder;
pub mod util;
pub mod watchdog;
pub mod cli;
pub mod test_cmd;
