//! Splitting a YAML stream into its documents without parsing it.
//!
//! A line that starts with `---` or `...` followed by a blank or the end of the line is always a
//! document marker in YAML 1.2: the spec forbids such lines inside any scalar (`c-forbidden`), so
//! splitting on them is exact. Splitting first lets documents be parsed in parallel, tells each
//! object's first line for findings, and (for the post-renderer) keeps every byte in place.

/// One document of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    /// The document's text, from the line after its `---` marker (or the start of the stream)
    /// up to, not including, the next marker line.
    pub text: &'a str,
    /// Byte offset of `text` in the stream.
    pub offset: usize,
    /// 1-based line of the first line of `text`.
    pub line: u32,
    /// Byte offset of the marker line (`---`) that opens the document, if one does.
    pub marker: Option<usize>,
}

/// A line before a document's content: blank, a comment, a directive (`%YAML 1.2`), or the
/// bare `---` that follows directives.
fn is_preamble(line: &str) -> bool {
    line.starts_with('%')
        || (line.starts_with("---")
            && line[3..]
                .trim_start()
                .chars()
                .next()
                .is_none_or(|c| c == '#'))
        || matches!(line.trim_start().chars().next(), None | Some('#'))
}

impl Document<'_> {
    /// Whether the document holds nothing but blank lines, comments and directives.
    pub fn is_blank(&self) -> bool {
        self.text.lines().all(is_preamble)
    }

    /// 1-based line of the document's first line that is neither blank nor a comment (nor a
    /// directive or its `---`): where the object it holds begins.
    pub fn content_line(&self) -> u32 {
        let skipped = self.text.lines().take_while(|l| is_preamble(l)).count();
        self.line + skipped as u32
    }
}

/// Where the directives (`%YAML 1.2`, `%TAG ...`) that end `bytes[start..marker]`, just before
/// the `---` at `marker`, begin: they belong to the document that `---` opens. `marker` when
/// there are none. Comments and blank lines among them go with them.
fn directives_before(bytes: &[u8], start: usize, marker: usize) -> usize {
    let mut first = marker;
    let mut end = marker;
    while end > start {
        let line_start = bytes[start..end - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(start, |i| start + i + 1);
        let line = &bytes[line_start..end];
        let body = line.trim_ascii_start();
        if line.starts_with(b"%") {
            first = line_start;
        } else if !(body.is_empty() || body.starts_with(b"#")) {
            break;
        }
        end = line_start;
    }
    first
}

fn is_marker(line: &[u8]) -> bool {
    (line.starts_with(b"---") || line.starts_with(b"..."))
        && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Splits `stream` into documents. The text after a `---` on its own line (`--- {a: 1}`) stays
/// part of the next document's first line, as YAML reads it.
pub fn split(stream: &str) -> Vec<Document<'_>> {
    let bytes = stream.as_bytes();
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut seen_marker = false;
    let mut marker: Option<usize> = None;
    // Line numbers are counted up to each marker: most lines are not looked at one by one.
    let mut counted = 0usize;
    let mut line_no = 1u32;
    for pos in marker_candidates(bytes) {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = &bytes[pos..end];
        if !is_marker(line) {
            continue;
        }
        line_no += memchr::memchr_iter(b'\n', &bytes[counted..pos]).count() as u32;
        counted = pos;
        let opening = if line.starts_with(b"---") {
            directives_before(bytes, start, pos)
        } else {
            pos
        };
        if opening > start || (seen_marker && opening == pos) {
            docs.push(Document {
                text: &stream[start..opening],
                offset: start,
                line: start_line,
                marker,
            });
        }
        seen_marker = true;
        marker = line.starts_with(b"---").then_some(opening);
        // Content on the marker line itself (`--- |` or `--- {}`) belongs to the document.
        let rest = pos + 3;
        if opening < pos {
            // The document's text starts at its directives, which the parser must see.
            start = opening;
            start_line = line_no - memchr::memchr_iter(b'\n', &bytes[opening..pos]).count() as u32;
        } else if line.starts_with(b"---") && line[3..].iter().any(|b| !b.is_ascii_whitespace()) {
            start = rest;
            start_line = line_no;
        } else {
            start = (end + 1).min(bytes.len());
            start_line = line_no + 1;
        }
    }
    if start < bytes.len() || docs.is_empty() {
        docs.push(Document {
            text: &stream[start.min(bytes.len())..],
            offset: start.min(bytes.len()),
            line: start_line,
            marker,
        });
    }
    docs
}

/// The starts of the lines that may be markers, ascending: the first line, and each line that
/// begins with `---` or `...`. Found with a vectorised search rather than line by line, which
/// took 30 ms on a 33 MB stream.
fn marker_candidates(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let after = |needle: &'static [u8]| {
        memchr::memmem::find_iter(bytes, needle)
            .map(|i| i + 1)
            .peekable()
    };
    let mut dashes = after(b"\n---");
    let mut dots = after(b"\n...");
    std::iter::once(0).chain(std::iter::from_fn(move || {
        match (dashes.peek().copied(), dots.peek().copied()) {
            (Some(a), Some(b)) if b < a => dots.next(),
            (Some(_), _) => dashes.next(),
            (None, _) => dots.next(),
        }
    }))
}

/// 1-based line and column (in characters) of a byte offset in `bytes`, for messages.
pub fn position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splitter as first written, line by line: what the faster one must agree with.
    fn reference_split(stream: &str) -> Vec<Document<'_>> {
        let bytes = stream.as_bytes();
        let mut docs = Vec::new();
        let mut start = 0usize;
        let mut start_line = 1u32;
        let mut line_no = 1u32;
        let mut pos = 0usize;
        let mut seen_marker = false;
        let mut marker: Option<usize> = None;
        while pos < bytes.len() {
            let end = memchr_newline(bytes, pos);
            let line = &bytes[pos..end];
            if is_marker(line) {
                let opening = if line.starts_with(b"---") {
                    directives_before(bytes, start, pos)
                } else {
                    pos
                };
                if opening > start || (seen_marker && opening == pos) {
                    docs.push(Document {
                        text: &stream[start..opening],
                        offset: start,
                        line: start_line,
                        marker,
                    });
                }
                seen_marker = true;
                marker = line.starts_with(b"---").then_some(opening);
                // Content on the marker line itself (`--- |` or `--- {}`) belongs to the document.
                let rest = pos + 3;
                if opening < pos {
                    start = opening;
                    start_line = line_no - stream[opening..pos].matches('\n').count() as u32;
                } else if line.starts_with(b"---")
                    && line[3..].iter().any(|b| !b.is_ascii_whitespace())
                {
                    start = rest;
                    start_line = line_no;
                } else {
                    start = (end + 1).min(bytes.len());
                    start_line = line_no + 1;
                }
            }
            pos = end + 1;
            line_no += 1;
        }
        if start < bytes.len() || docs.is_empty() {
            docs.push(Document {
                text: &stream[start.min(bytes.len())..],
                offset: start.min(bytes.len()),
                line: start_line,
                marker,
            });
        }
        docs
    }
    fn memchr_newline(bytes: &[u8], from: usize) -> usize {
        bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| from + i)
    }

    #[test]
    fn agrees_with_a_line_by_line_split_on_random_streams() {
        let pieces = [
            "---\n",
            "--- \n",
            "---\t# c\n",
            "--- {a: 1}\n",
            "...\n",
            "... \n",
            "----\n",
            "a: 1\n",
            "  - x\n",
            "\n",
            "# c\n",
            "-- -\n",
            "..\n",
            "b: ---\n",
            "x",
            "---",
            "%YAML 1.2\n",
            "%TAG ! tag:x:\n",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut stream = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 12) {
                let r = seed.rotate_left(k as u32 * 5) % pieces.len() as u64;
                stream.push_str(pieces[r as usize]);
            }
            assert_eq!(split(&stream), reference_split(&stream), "{stream:?}");
        }
    }

    fn texts(s: &str) -> Vec<(&str, u32)> {
        split(s).iter().map(|d| (d.text, d.line)).collect()
    }

    #[test]
    fn single_document_without_marker() {
        assert_eq!(texts("a: 1\nb: 2\n"), [("a: 1\nb: 2\n", 1)]);
    }

    #[test]
    fn leading_marker_does_not_make_an_empty_document() {
        assert_eq!(
            texts("---\na: 1\n---\nb: 2\n"),
            [("a: 1\n", 2), ("b: 2\n", 4)]
        );
    }

    #[test]
    fn empty_documents_are_kept() {
        assert_eq!(
            texts("a: 1\n---\n---\nb: 2"),
            [("a: 1\n", 1), ("", 3), ("b: 2", 4)]
        );
    }

    #[test]
    fn marker_needs_a_blank_after_it() {
        assert_eq!(texts("a: |\n  x\n---b\n"), [("a: |\n  x\n---b\n", 1)]);
    }

    #[test]
    fn indented_dashes_are_content() {
        assert_eq!(texts("a: |\n  ---\n  x\n"), [("a: |\n  ---\n  x\n", 1)]);
    }

    #[test]
    fn crlf_markers_split() {
        assert_eq!(
            texts("a: 1\r\n---\r\nb: 2\r\n"),
            [("a: 1\r\n", 1), ("b: 2\r\n", 3)]
        );
    }

    #[test]
    fn content_on_the_marker_line_stays_with_its_document() {
        assert_eq!(
            texts("--- {a: 1}\n--- x\n"),
            [(" {a: 1}\n", 1), (" x\n", 2)]
        );
    }

    #[test]
    fn directives_belong_to_the_document_that_follows_them() {
        assert_eq!(
            texts("%YAML 1.2\n---\na: 1\n"),
            [("%YAML 1.2\n---\na: 1\n", 1)]
        );
        assert_eq!(
            texts("a: 1\n...\n%YAML 1.2\n# c\n---\nb: 2\n"),
            [("a: 1\n", 1), ("%YAML 1.2\n# c\n---\nb: 2\n", 3)]
        );
        let docs = split("a: 1\n%YAML 1.2\n---\nb: 2\n");
        assert_eq!(docs[1].text, "%YAML 1.2\n---\nb: 2\n");
        assert_eq!(docs[1].marker, Some(5));
        assert_eq!(docs[1].content_line(), 4);
        assert!(split("%YAML 1.2\n---\n# only\n")[0].is_blank());
    }

    #[test]
    fn document_end_marker_splits() {
        assert_eq!(texts("a: 1\n...\n"), [("a: 1\n", 1)]);
    }

    #[test]
    fn content_line_skips_comments() {
        let docs = split("---\n# Source: chart/templates/a.yaml\n\napiVersion: v1\n");
        assert_eq!(docs[0].content_line(), 4);
        assert!(!docs[0].is_blank());
        assert!(split("# only a comment\n")[0].is_blank());
    }

    #[test]
    fn markers_point_at_the_line_that_opens_a_document() {
        let s = "a: 1\n---\nb: 2\n--- {c: 3}\n";
        let docs = split(s);
        let markers: Vec<Option<usize>> = docs.iter().map(|d| d.marker).collect();
        assert_eq!(markers, [None, Some(5), Some(14)]);
        assert_eq!(&s[14..17], "---");
    }

    #[test]
    fn offsets_point_into_the_stream() {
        let s = "a: 1\n---\nb: 2\n";
        for d in split(s) {
            assert_eq!(&s[d.offset..d.offset + d.text.len()], d.text);
        }
    }
}
