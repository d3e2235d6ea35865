//! std's panic message, written by the crate itself (stable API only).
//!
//! std 1.96's default hook (`library/std/src/panicking.rs`, `default_hook`) prints
//!
//! ```text
//! \nthread '{name}' ({id}) panicked at {file}:{line}:{col}:\n{payload}\n
//! ```
//!
//! then, for a process's first panic with `RUST_BACKTRACE` unset or `0`, the line
//! ``note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace``. `name`
//! is the thread's name, `main` for the main thread and `<unnamed>` otherwise. `id` is the OS
//! thread id where there is one; WASI has none, so std prints its own `ThreadId` number
//! (`thread::current_os_id` falls back to `ThreadId::as_u64`), which is what `ThreadId`'s
//! `Debug` shows. The payload is the `&str` or `String` the panic carries, else
//! `Box<dyn Any>`. With `RUST_BACKTRACE` set (not `0`), std prints a backtrace header instead
//! of the note; on wasm std finds no frames, so what remains is `stack backtrace:` and, for the
//! short style, std's note about `RUST_BACKTRACE=full`.
//!
//! The message is built whole in memory so the hook can write it with one `fd_write`.

use std::any::Any;
use std::fmt::Write as _;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};

/// std's `FIRST_PANIC`: the `note:` line is printed for the first panic of the process only.
static FIRST_PANIC: AtomicBool = AtomicBool::new(true);

/// What std prints after the message, by `RUST_BACKTRACE` (std's `BacktraceStyle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backtrace {
    /// Unset or `0`: the `note:` line, on the first panic only.
    Off,
    /// Any other value: a short backtrace (no frames on wasm).
    Short,
    /// `full`: a full backtrace (no frames on wasm).
    Full,
}

impl Backtrace {
    /// The style std would pick from `RUST_BACKTRACE`'s value.
    pub(crate) fn from_env_value(value: Option<&std::ffi::OsStr>) -> Self {
        match value {
            None => Backtrace::Off,
            Some(v) if v == "0" => Backtrace::Off,
            Some(v) if v == "full" => Backtrace::Full,
            Some(_) => Backtrace::Short,
        }
    }
}

/// Records that the process's first panic was printed elsewhere (by std's own hook, which
/// keeps its own flag), so that the crate does not print the `note:` line a second time.
#[cfg_attr(not(target_os = "wasi"), allow(dead_code))] // the native build compiles this for its tests only
pub(crate) fn first_panic_done() {
    FIRST_PANIC.store(false, Ordering::Relaxed);
}

/// The payload as std shows it.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "Box<dyn Any>"
    }
}

/// The number in `ThreadId(N)`: what std prints as the thread id where the OS has none.
pub(crate) fn thread_id_number(id: std::thread::ThreadId) -> String {
    // Written into a String and filtered bytewise rather than `format!` and a pattern search:
    // std's own hook never links those, so they would count in full as the crate's size.
    let mut number = String::with_capacity(24);
    let _ = write!(number, "{id:?}");
    number.retain(|c| c.is_ascii_digit());
    number
}

/// The whole text std's default hook prints for this panic in the current thread.
pub(crate) fn for_panic(info: &PanicHookInfo<'_>) -> String {
    let thread = std::thread::current();
    let style = Backtrace::from_env_value(std::env::var_os("RUST_BACKTRACE").as_deref());
    let first = FIRST_PANIC.swap(false, Ordering::Relaxed);
    format(
        thread.name().unwrap_or("<unnamed>"),
        &thread_id_number(thread.id()),
        info.location().map(|l| (l.file(), l.line(), l.column())),
        payload_text(info.payload()),
        style,
        first,
    )
}

/// std's layout; `first` says whether this is the process's first panic.
pub(crate) fn format(
    name: &str,
    id: &str,
    location: Option<(&str, u32, u32)>,
    payload: &str,
    style: Backtrace,
    first: bool,
) -> String {
    let mut text = String::with_capacity(96 + name.len() + payload.len());
    let _ = write!(text, "\nthread '{name}' ({id}) panicked at ");
    match location {
        Some((file, line, column)) => {
            let _ = write!(text, "{file}:{line}:{column}");
        }
        None => text.push_str("<unknown>"),
    }
    text.push_str(":\n");
    text.push_str(payload);
    text.push('\n');
    match style {
        Backtrace::Off if first => text.push_str(
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
        ),
        Backtrace::Off => {}
        Backtrace::Short => text.push_str(
            "stack backtrace:\nnote: Some details are omitted, run with `RUST_BACKTRACE=full` \
             for a verbose backtrace.\n",
        ),
        Backtrace::Full => text.push_str("stack backtrace:\n"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_panic_has_the_note() {
        let text = format("main", "1", Some(("src/x.rs", 5, 9)), "msg", Backtrace::Off, true);
        assert_eq!(
            text,
            "\nthread 'main' (1) panicked at src/x.rs:5:9:\nmsg\nnote: run with \
             `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
        );
    }

    #[test]
    fn later_panics_have_no_note() {
        let text =
            format("<unnamed>", "3", Some(("a.rs", 1, 2)), "Box<dyn Any>", Backtrace::Off, false);
        assert_eq!(text, "\nthread '<unnamed>' (3) panicked at a.rs:1:2:\nBox<dyn Any>\n");
    }

    #[test]
    fn backtrace_styles_follow_std() {
        use std::ffi::OsStr;
        assert_eq!(Backtrace::from_env_value(None), Backtrace::Off);
        assert_eq!(Backtrace::from_env_value(Some(OsStr::new("0"))), Backtrace::Off);
        assert_eq!(Backtrace::from_env_value(Some(OsStr::new("1"))), Backtrace::Short);
        assert_eq!(Backtrace::from_env_value(Some(OsStr::new("full"))), Backtrace::Full);
    }

    #[test]
    fn payloads_as_std_shows_them() {
        let s: Box<dyn Any + Send> = Box::new("static");
        let owned: Box<dyn Any + Send> = Box::new(String::from("owned"));
        let other: Box<dyn Any + Send> = Box::new(5u32);
        assert_eq!(payload_text(&*s), "static");
        assert_eq!(payload_text(&*owned), "owned");
        assert_eq!(payload_text(&*other), "Box<dyn Any>");
    }

    #[test]
    #[cfg_attr(
        all(target_family = "wasm", not(panic = "unwind")),
        ignore = "needs unwinding: the panicking thread is joined"
    )]
    fn a_real_panic_is_described_like_std() {
        use std::sync::Mutex;
        static TEXT: Mutex<Option<String>> = Mutex::new(None);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| {
            *TEXT.lock().unwrap_or_else(|e| e.into_inner()) = Some(for_panic(info));
        }));
        let worker = std::thread::Builder::new().name("fmt-probe".into());
        let handle = worker.spawn(|| panic!("probe {}", 7)).unwrap();
        let id = handle.thread().id();
        assert!(handle.join().is_err());
        std::panic::set_hook(previous);
        let text = TEXT.lock().unwrap().take().expect("the hook ran");
        let head =
            format!("\nthread 'fmt-probe' ({}) panicked at src/message.rs:", thread_id_number(id));
        assert!(text.starts_with(&head), "{text:?}");
        assert!(text.contains(":\nprobe 7\n"), "{text:?}");
    }

    #[test]
    fn thread_ids_print_as_their_number() {
        let id = std::thread::current().id();
        let n = thread_id_number(id);
        assert!(n.parse::<u64>().is_ok(), "{n}");
        assert_eq!(format!("{id:?}"), format!("ThreadId({n})"));
    }
}
