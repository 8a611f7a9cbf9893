//! Text from the audited site or from a file, made safe to print. A
//! caption, file name or XMP field can carry terminal control sequences
//! (`ESC ] 0 ; title BEL` retitles the window, `ESC [ 2 J` clears the
//! screen, a bare carriage return overwrites a line); printed raw they act
//! on the reader's terminal. Every text output (lookup, check-photo, the
//! takedown register, CSV, HTML) shows them as visible escapes instead.
//! JSON needs nothing: serde_json escapes control characters itself.

use std::borrow::Cow;

/// `s` with every control character but newline and tab written as a
/// visible escape (`\x1b`, `\r`, `\u{9b}`); unchanged (borrowed) when it
/// has none.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_become_visible() {
        assert_eq!(
            escape_controls("Amy\x1b]0;pwned\x07\x1b[2J"),
            "Amy\\x1b]0;pwned\\x07\\x1b[2J"
        );
        assert_eq!(escape_controls("a\rb\u{9b}c\x7f"), "a\\rb\\u{9b}c\\x7f");
        assert!(matches!(escape_controls("line\n\ttab é"), Cow::Borrowed(_)));
    }
}
