// A dependency's `cfg(target_vendor = "wasmer")` branch is taken for wasm32-wasmer-wasi (our
// target spec says vendor "wasmer", as wasmer's own toolchain does), and the program itself
// sees the same cfg set: os "wasi", vendor "wasmer", family "wasm", env "p1" (see the README).
fn main() {
    wasix_panic_exit::install();
    println!("dependency branch: {}", wasix_flavor::FLAVOR);
    println!(
        "cfg: os={} vendor={} family={} env={}",
        if cfg!(target_os = "wasi") { "wasi" } else { "other" },
        if cfg!(target_vendor = "wasmer") { "wasmer" } else { "other" },
        if cfg!(target_family = "wasm") { "wasm" } else { "other" },
        if cfg!(target_env = "p1") { "p1" } else { "other" },
    );
    if cfg!(target_os = "wasi") {
        assert!(
            cfg!(target_vendor = "wasmer"),
            "wasm32-wasmer-wasi must say target_vendor = \"wasmer\""
        );
    }
}
