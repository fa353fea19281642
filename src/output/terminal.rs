//! Text for people's terminals. Names, labels and messages come from manifests and clusters that
//! anyone may have written: a name holding `\e[2J` or `\e]0;title\a` must not clear a screen or
//! retitle a window, and a `\r` must not hide what precedes it. Every human-readable output goes
//! through [`Escaping`], which writes control characters as visible escapes (`\e`, `\r`,
//! `\u{9b}`), as JSON and SARIF already do. The only control sequences let through are the
//! colour codes of the table, and only when colour is on; the table escapes the input's own
//! fields with [`escape`] so that a colour code in a name is shown, not obeyed.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether a character is written as an escape: C0 controls (newline excepted where the caller
/// allows it), DEL and the C1 controls, which some terminals obey as 8-bit sequences.
fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}')
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// One field of the input (a name, a label, a file name) for a line of text: every control
/// character, newline included, written as a visible escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whole lines of text (a message, a report): newlines and tabs stay, other control characters
/// are escaped.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) && c != '\n' && c != '\t' {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that escapes control characters on their way to a terminal (see the module docs).
/// With `colour`, SGR sequences (`ESC [ digits/semicolons m`) pass, as the table's colours.
pub struct Escaping<W: Write> {
    inner: W,
    colour: bool,
    /// Bytes of a character or a colour sequence split across two writes.
    carry: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(inner: W, colour: bool) -> Self {
        Escaping {
            inner,
            colour,
            carry: Vec::new(),
        }
    }

    /// The length of an SGR sequence at the start of `b`: `Some(n)` when complete, `None` when
    /// it is not one, `Some(0)` when `b` ends before it could be told.
    fn sgr_len(b: &[u8]) -> Option<usize> {
        if b.len() < 2 {
            return Some(0);
        }
        if b[1] != b'[' {
            return None;
        }
        for (i, &c) in b.iter().enumerate().skip(2) {
            match c {
                b'0'..=b'9' | b';' => continue,
                b'm' => return Some(i + 1),
                _ => return None,
            }
        }
        Some(0)
    }

    fn escape_chunk(&mut self, b: &[u8]) -> io::Result<()> {
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'\x1b' && self.colour {
                match Self::sgr_len(&b[i..]) {
                    Some(0) => {
                        self.carry.extend_from_slice(&b[i..]);
                        break;
                    }
                    Some(n) => {
                        out.extend_from_slice(&b[i..i + n]);
                        i += n;
                        continue;
                    }
                    None => {}
                }
            }
            if c == 0xc2 {
                // C1 controls are U+0080..U+009F: 0xC2 0x80..0x9F in UTF-8.
                match b.get(i + 1) {
                    None => {
                        self.carry.push(c);
                        break;
                    }
                    Some(&next @ 0x80..=0x9f) => {
                        let mut s = String::new();
                        push_escaped(char::from(next), &mut s);
                        out.extend_from_slice(s.as_bytes());
                        i += 2;
                        continue;
                    }
                    Some(_) => {}
                }
            }
            if (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7f {
                let mut s = String::new();
                push_escaped(char::from(c), &mut s);
                out.extend_from_slice(s.as_bytes());
            } else {
                out.push(c);
            }
            i += 1;
        }
        self.inner.write_all(&out)
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.carry.is_empty() {
            self.escape_chunk(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(buf);
            self.escape_chunk(&joined)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // What is still held is not a colour sequence after all: escape it as it is.
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            let colour = std::mem::replace(&mut self.colour, false);
            let result = self.escape_chunk(&carry);
            self.colour = colour;
            result?;
            if !self.carry.is_empty() {
                // A lone 0xC2 at the very end.
                let rest = std::mem::take(&mut self.carry);
                self.inner.write_all(&rest)?;
            }
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Escaping<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(parts: &[&[u8]], colour: bool) -> String {
        let mut out = Vec::new();
        {
            let mut w = Escaping::new(&mut out, colour);
            for p in parts {
                w.write_all(p).unwrap();
            }
            w.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_issues_names_are_shown_not_obeyed() {
        assert_eq!(
            through(&[b"web\x1b[2J\x1b[31mEVIL\r\n"], false),
            "web\\e[2J\\e[31mEVIL\\r\n"
        );
        assert_eq!(
            through(&[b"ns\x1b]0;title\x07 x"], false),
            "ns\\e]0;title\\a x"
        );
        assert_eq!(escape("web\x1b[2J\r"), "web\\e[2J\\r");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape_lines("a\nb\x1b"), "a\nb\\e");
        assert!(matches!(escape("plain-name"), Cow::Borrowed(_)));
    }

    #[test]
    fn c1_controls_and_del_are_escaped_and_other_text_kept() {
        assert_eq!(
            through(&["a\u{9b}2Jb\x7fé€".as_bytes()], false),
            "a\\u{9b}2Jb\\u{7f}é€"
        );
        assert_eq!(escape("a\u{9b}b"), "a\\u{9b}b");
    }

    #[test]
    fn colour_codes_pass_only_with_colour_and_across_writes() {
        let red = b"\x1b[31mopen\x1b[0m";
        assert_eq!(through(&[red], true), "\x1b[31mopen\x1b[0m");
        assert_eq!(through(&[red], false), "\\e[31mopen\\e[0m");
        assert_eq!(
            through(&[b"x\x1b[3", b"1mopen\x1b", b"[0m"], true),
            "x\x1b[31mopen\x1b[0m"
        );
        // Not a colour: shown.
        assert_eq!(through(&[b"\x1b[2J"], true), "\\e[2J");
        assert_eq!(through(&[b"end\x1b["], true), "end\\e[");
        // A C1 character split between writes.
        assert_eq!(through(&[b"a\xc2", b"\x9bb"], false), "a\\u{9b}b");
    }
}
