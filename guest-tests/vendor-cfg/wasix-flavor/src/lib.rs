//! Tells WASIX from plain WASI the way the WASIX ecosystem does: by `target_vendor`.

/// The branch this crate was compiled with.
#[cfg(all(target_os = "wasi", target_vendor = "wasmer"))]
pub const FLAVOR: &str = "wasix (target_vendor = \"wasmer\")";

/// The branch this crate was compiled with.
#[cfg(all(target_os = "wasi", not(target_vendor = "wasmer")))]
pub const FLAVOR: &str = "plain wasi";

/// The branch this crate was compiled with.
#[cfg(not(target_os = "wasi"))]
pub const FLAVOR: &str = "native";
