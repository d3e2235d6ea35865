// Spawns parked threads in a loop, forever: the watchdog must still end everything. No clock
// is involved (park, a spin delay), so the build without the crate hangs the same way.
fn main() {
    wasix_panic_exit::install();
    let mut spawned = 0u64;
    loop {
        let ok = std::thread::Builder::new()
            .spawn(|| loop {
                std::thread::park();
            })
            .is_ok();
        spawned += ok as u64;
        for _ in 0..200_000 {
            std::hint::spin_loop();
        }
        if spawned % 100 == 0 {
            eprintln!("{spawned} threads");
        }
    }
}
