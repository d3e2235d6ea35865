//! The fuzz targets' checks (`fuzz/checks.rs`) on their seeds, the corpus a fuzzing run left
//! in `target/fuzz-corpus/` (if any) and deterministic mutations of every seed, in the normal
//! build: the test command covers what fuzzing found without building wasmer a third time
//! with nightly (`scripts/fuzz` still fuzzes).

#[path = "../fuzz/checks.rs"]
mod checks;
mod common;

use std::path::Path;

use common::repo;

/// The inputs of one target: its seeds, the corpus, and the files given as `extra`.
fn inputs(target: &str, extra: &[&Path]) -> Vec<Vec<u8>> {
    let dirs = [
        repo().join("host-harness/fuzz/seeds").join(target),
        repo().join("target/fuzz-corpus").join(target),
    ];
    let mut files: Vec<_> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.extend(extra.iter().map(|p| p.to_path_buf()));
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    assert!(!inputs.is_empty(), "no seeds for {target}");
    inputs
}

/// Each input, its truncations and some flipped bytes (a fixed sequence: the same every run).
fn with_mutations(inputs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut all = Vec::new();
    for input in inputs {
        let n = input.len();
        for cut in 0..16 {
            all.push(input[..n * cut / 16].to_vec());
        }
        for _ in 0..64 {
            let mut mutated = input.clone();
            if n > 0 {
                let at = (next() as usize) % n;
                mutated[at] ^= 1 << (next() % 8);
            }
            all.push(mutated);
        }
        all.push(input);
    }
    all
}

#[test]
fn module_loading_replays_its_seeds_and_mutations() {
    let real = common::scenario("seed");
    for input in with_mutations(inputs("module_load", &[&real])) {
        checks::module_load(&input);
    }
}

#[test]
fn expectation_files_replay_their_seeds_and_mutations() {
    for input in with_mutations(inputs("expectation_spec", &[])) {
        checks::expectation_spec(&input);
    }
}

#[test]
fn testsuite_specs_replay_their_seeds_and_mutations() {
    for input in with_mutations(inputs("testsuite_spec", &[])) {
        checks::testsuite_spec(&input);
    }
}
