//! Text helpers for the harness's messages: every error and guest-provided string is shown as one
//! safe line.

/// Collapses a multi-line error into one line, so every failure is a single readable line.
pub fn one_line(text: &str) -> String {
    let joined =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    const MAX: usize = 400;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// "No such file or directory" without Rust's " (os error 2)" suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_and_trims() {
        assert_eq!(one_line("a\n  b\n\nc  "), "a; b; c");
    }

    #[test]
    fn io_reason_drops_os_error_suffix() {
        let err = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&err), "No such file or directory");
    }
}
