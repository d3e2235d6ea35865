//! The options `run` and `test` share (declared once, flattened into each) and the parsers
//! of option values.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sandbox::{
    DEFAULT_CAPTURE_LIMIT, DEFAULT_COMPILE_TIMEOUT, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT,
    MAX_CAPTURE_LIMIT, MappedDir, ModuleCache, RunPolicy, Runtime,
};

/// How every guest run is made: shared by `run` and `test`, and turned into the one run
/// policy (whose constants are the defaults shown here).
#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Kill a guest after this many seconds and report a hang (status 124).
    #[arg(long, value_name = "SECS", default_value_t = Secs(DEFAULT_TIMEOUT), value_parser = parse_secs)]
    pub timeout: Secs,
    /// Give up on a module still being read or compiled after this many seconds (status 75);
    /// the guest's --timeout counts from when it starts.
    #[arg(long, value_name = "SECS", default_value_t = Secs(DEFAULT_COMPILE_TIMEOUT), value_parser = parse_secs)]
    pub compile_timeout: Secs,
    /// Memory budget of a run (bytes, or with K/M/G): each linear memory is capped at it (past
    /// it allocations fail), and the run is killed (status 137) once everything it uses (all
    /// memories, tables, in-memory files) passes it plus 256 MiB for the runtime itself.
    #[arg(long, value_name = "SIZE", default_value_t = Size(DEFAULT_MEMORY_LIMIT), value_parser = parse_size)]
    pub memory_limit: Size,
    /// Keep at most this many bytes of each captured output stream per run (its start and its
    /// end; at most 64M). Once a case is reported, only 64K of each stream is kept for the end.
    #[arg(long, value_name = "SIZE", default_value_t = Size(DEFAULT_CAPTURE_LIMIT as u64),
          value_parser = parse_capture_limit)]
    pub capture_limit: Size,
    /// Compile the module even if a compiled copy is cached.
    #[arg(long)]
    pub no_cache: bool,
    /// Where compiled modules are cached [default: $WASIX_HARNESS_CACHE, else
    /// $XDG_CACHE_HOME/wasix-harness, else ~/.cache/wasix-harness].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl SandboxArgs {
    /// The run policy of this command line, on `runtimes`: built once, used by every run.
    pub fn policy(&self, runtimes: Vec<Runtime>) -> RunPolicy {
        RunPolicy {
            timeout: self.timeout.0,
            compile_timeout: self.compile_timeout.0,
            memory_limit: self.memory_limit.0,
            capture_limit: usize::try_from(self.capture_limit.0).unwrap_or(MAX_CAPTURE_LIMIT),
            cache: if self.no_cache {
                None
            } else {
                self.cache_dir.clone().or_else(ModuleCache::default_dir)
            },
            runtimes,
        }
    }
}

/// A number of seconds on the command line (`10`, `1.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// A size on the command line (`4096`, `64K`, `512M`, `1G`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (suffix, shift) in [("G", 30), ("M", 20), ("K", 10)] {
            if n >= 1 << shift && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{suffix}", n >> shift);
            }
        }
        write!(f, "{n}")
    }
}

fn parse_capture_limit(text: &str) -> Result<Size, String> {
    let size = parse_size(text)?;
    if size.0 > MAX_CAPTURE_LIMIT as u64 {
        return Err(format!("`{text}` is more than the largest capture limit, 64M"));
    }
    Ok(size)
}

pub fn parse_secs(text: &str) -> Result<Secs, String> {
    let secs: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("`{text}` is not between 0 and 86400 seconds"));
    }
    Ok(Secs(Duration::from_secs_f64(secs)))
}

/// `4096`, `64K`, `512M`, `1G` (binary multiples).
pub fn parse_size(text: &str) -> Result<Size, String> {
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
        .map(Size)
        .ok_or_else(|| format!("`{text}` is not between 1 byte and 4G"))
}

pub fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `HOST::GUEST`, split at the last `::` (a host path may contain `::`, a guest path may
/// not), or `HOST` alone (seen at the same path). When `HOST::GUEST` is itself a directory
/// too, which one is meant cannot be told: that is an error, never a guess.
pub fn parse_dir(text: &str) -> Result<MappedDir, String> {
    let whole = std::path::Path::new(text).is_dir();
    match text.rsplit_once("::") {
        Some((host, guest)) if std::path::Path::new(host).is_dir() => {
            if whole {
                return Err(format!(
                    "`{text}` is ambiguous: `{text}` and `{host}` are both directories (write `{text}::GUEST` to map the first)"
                ));
            }
            if guest.is_empty() {
                return Err(format!("`{text}` names no guest path after `::`"));
            }
            Ok(MappedDir { host: PathBuf::from(host), guest: guest.to_string() })
        }
        _ if whole => Ok(MappedDir { host: PathBuf::from(text), guest: text.to_string() }),
        Some((host, _)) => Err(format!("`{host}` is not a directory")),
        None => Err(format!("`{text}` is not a directory")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_accepts_fractions_and_rejects_nonsense() {
        assert_eq!(parse_secs("1.5").unwrap(), Secs(Duration::from_millis(1500)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096").unwrap(), Size(4096));
        assert_eq!(parse_size("64K").unwrap(), Size(64 << 10));
        assert_eq!(parse_size("512m").unwrap(), Size(512 << 20));
        assert_eq!(parse_size("1G").unwrap(), Size(1 << 30));
        assert!(parse_size("5G").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn defaults_are_the_policy_s_and_survive_their_own_display() {
        for secs in [DEFAULT_TIMEOUT, DEFAULT_COMPILE_TIMEOUT] {
            assert_eq!(parse_secs(&Secs(secs).to_string()).unwrap(), Secs(secs));
        }
        for size in [DEFAULT_MEMORY_LIMIT, DEFAULT_CAPTURE_LIMIT as u64, 4096, 3 << 20] {
            assert_eq!(parse_size(&Size(size).to_string()).unwrap(), Size(size));
        }
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
        assert_eq!((dir.host, dir.guest.as_str()), (host.clone(), "/g"));
        // `a::b` alone is the directory `a::b`, seen at the same path.
        let alone = parse_dir(host.to_str().unwrap()).unwrap();
        assert_eq!(alone.host, host);
    }

    #[test]
    fn a_dir_that_reads_two_ways_is_an_error_not_a_guess() {
        let tmp = tempfile::tempdir().unwrap();
        let (x, xy) = (tmp.path().join("x"), tmp.path().join("x::y"));
        std::fs::create_dir(&x).unwrap();
        std::fs::create_dir(&xy).unwrap();
        let err = parse_dir(xy.to_str().unwrap()).unwrap_err();
        assert!(err.contains("ambiguous"), "{err}");
        assert_eq!(parse_dir(&format!("{}::/g", xy.display())).unwrap().host, xy);
        assert!(parse_dir(&format!("{}::", x.display())).unwrap_err().contains("no guest path"));
    }
}
