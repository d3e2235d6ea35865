//! Text helpers for the harness's messages: every error and guest-provided string is shown as one
//! safe line.

/// Collapses a multi-line error into one line, so every failure is a single readable line;
/// control characters are escaped (see [`escape_controls`]).
pub fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(escape_controls)
        .collect::<Vec<_>>()
        .join("; ");
    const MAX: usize = 400;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// Guest output shown to a person: control characters other than newline and tab are
/// written as `\u{1b}`, so a guest cannot move the cursor, clear the screen, retitle the
/// terminal or hide text in the harness's report.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for an XML document: what XML 1.0 cannot hold (control characters other than tab,
/// newline and carriage return, and the non-characters U+FFFE and U+FFFF) written as
/// `\u{fffe}`, so a guest's output can never make a report unreadable.
pub fn xml_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let allowed = matches!(c, '\t' | '\n' | '\r')
            || (!c.is_control() && c != '\u{fffe}' && c != '\u{ffff}');
        if allowed {
            out.push(c);
        } else {
            out.extend(c.escape_unicode());
        }
    }
    out
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
    fn control_characters_are_escaped_but_newlines_and_tabs_kept() {
        let hostile = "a\x1b]0;pwned\x07b\x1b[2Jc\r\td\ne\u{9b}";
        assert_eq!(
            escape_controls(hostile),
            "a\\u{1b}]0;pwned\\u{7}b\\u{1b}[2Jc\\u{d}\td\ne\\u{9b}"
        );
        assert!(!one_line(hostile).chars().any(|c| c.is_control() && c != '\t'));
    }

    #[test]
    fn xml_text_keeps_what_xml_holds_and_escapes_the_rest() {
        assert_eq!(
            xml_safe("a\u{fffe}b\u{ffff}c\u{1b}d\te\nf\u{fffd}"),
            "a\\u{fffe}b\\u{ffff}c\\u{1b}d\te\nf\u{fffd}"
        );
    }

    #[test]
    fn io_reason_drops_os_error_suffix() {
        let err = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&err), "No such file or directory");
    }
}
