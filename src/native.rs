//! Targets other than WASIX: std's behaviour, unchanged. Also used for "bare" builds
//! (`--cfg wasix_panic_exit_bare`), which record what a runtime does without the crate.

use crate::config::Config;

pub(crate) fn install(_config: Config) -> bool {
    false
}

pub(crate) fn exit(code: i32) -> ! {
    std::process::exit(code)
}
