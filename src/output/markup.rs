//! Escaping for the markup outputs (HTML, SVG, JUnit XML): one place decides how names from the
//! input, which may hold anything, become text that cannot open a tag or end an attribute.

/// What becomes of control characters, which the formats treat differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controls {
    /// Left as they are (HTML text, where the browser shows them as it can).
    Keep,
    /// Spaces: labels drawn on one line (SVG).
    Space,
    /// Tabs and line breaks as character references, the rest (which XML 1.0 cannot carry at
    /// all, and which would make the whole file unreadable to a CI) as U+FFFD (JUnit).
    CharRefs,
}

/// `s` as markup text or a quoted attribute value.
pub fn escape(s: &str, controls: Controls) -> String {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || c.is_control();
    if !s.contains(special) && !s.contains(['\u{FFFE}', '\u{FFFF}']) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if controls == Controls::Keep => out.push(c),
            c if c.is_control() && controls == Controls::Space => out.push(' '),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_never_survives_and_controls_follow_the_format() {
        let s = "a\"b'<c>&d\u{1b}[0m\n";
        assert_eq!(
            escape(s, Controls::Keep),
            "a&quot;b&#39;&lt;c&gt;&amp;d\u{1b}[0m\n"
        );
        assert_eq!(
            escape(s, Controls::Space),
            "a&quot;b&#39;&lt;c&gt;&amp;d [0m "
        );
        assert_eq!(
            escape(s, Controls::CharRefs),
            "a&quot;b&#39;&lt;c&gt;&amp;d\u{FFFD}[0m&#10;"
        );
        assert_eq!(escape("plain", Controls::CharRefs), "plain");
    }
}
