// 32 threads pass a Barrier and panic at the same moment; main joins them all (see
// common/storm.rs). Exactly one exit, with 101; every message that appears is whole.
#[path = "common/storm.rs"]
mod storm;

fn main() {
    wasix_panic_exit::install();
    storm::panic_together(32, |i| format!("storm thread {i} of 32: all panic together"));
}
