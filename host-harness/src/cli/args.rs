//! The options `run` and `test` share (declared once, flattened into each) and the parsers
//! of option values.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sandbox::MappedDir;
use crate::sandbox::module_cache::ModuleCache;

/// How every guest run is sandboxed: shared by `run` and `test`.
#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Kill a guest after this many seconds and report a hang (status 124).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Give up on a module still being read or compiled after this many seconds (status 75);
    /// the guest's --timeout counts from when it starts.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub compile_timeout: Duration,
    /// Memory budget of a run (bytes, or with K/M/G): each linear memory is capped at it (past
    /// it allocations fail), and the run is killed (status 137) once everything it uses (all
    /// memories, tables, in-memory files) passes it plus 256 MiB for the runtime itself.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub memory_limit: u64,
    /// Compile the module even if a compiled copy is cached.
    #[arg(long)]
    pub no_cache: bool,
    /// Where compiled modules are cached [default: $WASIX_HARNESS_CACHE, else
    /// $XDG_CACHE_HOME/wasix-harness, else ~/.cache/wasix-harness].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl SandboxArgs {
    /// The compiled-module cache to use, if any.
    pub fn cache(&self) -> Option<PathBuf> {
        if self.no_cache { None } else { self.cache_dir.clone().or_else(ModuleCache::default_dir) }
    }
}

pub fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("`{text}` is not between 0 and 86400 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `4096`, `64K`, `512M`, `1G` (binary multiples).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let (digits, shift) = match upper.trim_end_matches('B').chars().last() {
        Some('K') => (&upper[..upper.trim_end_matches('B').len() - 1], 10),
        Some('M') => (&upper[..upper.trim_end_matches('B').len() - 1], 20),
        Some('G') => (&upper[..upper.trim_end_matches('B').len() - 1], 30),
        _ => (upper.trim_end_matches('B'), 0),
    };
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 4096, 64K, 512M or 1G"))?;
    value
        .checked_shl(shift)
        .filter(|v| *v > 0 && *v <= 4 << 30)
        .ok_or_else(|| format!("`{text}` is not between 1 byte and 4G"))
}

pub fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

pub fn parse_dir(text: &str) -> Result<MappedDir, String> {
    // The last `::` separates them: a host path may contain `::`, a guest path may not.
    let (host, guest) = match text.rsplit_once("::") {
        Some((host, guest)) => (host, guest.to_string()),
        None => (text, text.to_string()),
    };
    let host = PathBuf::from(host);
    if !host.is_dir() {
        return Err(format!("`{}` is not a directory", host.display()));
    }
    Ok(MappedDir { host, guest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_accepts_fractions_and_rejects_nonsense() {
        assert_eq!(parse_secs("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64K").unwrap(), 64 << 10);
        assert_eq!(parse_size("512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert!(parse_size("5G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn env_needs_a_key() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("=x").is_err());
        assert!(parse_env("novalue").is_err());
    }

    #[test]
    fn a_dir_splits_at_the_last_double_colon() {
        let tmp = tempfile::tempdir().unwrap();
        let host = tmp.path().join("a::b");
        std::fs::create_dir(&host).unwrap();
        let dir = parse_dir(&format!("{}::/g", host.display())).unwrap();
        assert_eq!((dir.host, dir.guest.as_str()), (host, "/g"));
    }
}
