//! The items of a large `List` document, read in parallel.
//!
//! libyaml reads a document on one thread, and serde_norway collects the events of the whole
//! document before deserialising any of it: a `List` of 10,000 pods was read on one core, through
//! an event list of the whole List, while the same pods as separate documents are read on every
//! core. Here the `items:` block sequence is cut between its entries into chunks of about
//! [`CHUNK_BYTES`], each read on its own (as `items:` followed by the chunk's lines, untouched),
//! and the rest of the document (with `items:` standing for them) on its own too.
//!
//! Only success is taken from this path: on any error, or anything unexpected, the caller reads
//! the document whole as before, so that every message and position is the one it always was.
//! Success is exact because:
//! - the cuts are at lines that start, at the sequence's column, with `- `; a piece is parsed
//!   from the start of a line in block context, as the whole would be at that line. A cut
//!   inside a quoted scalar or a flow collection leaves it unterminated in its chunk (an
//!   error), a block or plain scalar cannot hold a line at the sequence's column, and each
//!   chunk must hold as many items as it has such lines;
//! - the rest of the document must read `items` as its top-level key, holding one object of a
//!   kind no input contains (checked): the `items:` line found is the List's;
//! - documents that may hold an alias are left whole (an alias may point into another chunk,
//!   and serde_norway bounds alias expansion per document), as are those with a merge key
//!   (the caller sends those to the exact reader first);
//! - a chunk read as `items:` and its lines nests its items as deep as the whole does, so
//!   serde_norway's depth limit applies alike.

use rayon::prelude::*;

use super::objects::{checked, RawObject};

/// About how much of a List's text one parallel task reads. Far above an item's size, so that
/// each task's fixed cost is small; far below a large List's, so that every core has work.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The object standing for the items in the rest of the document, which no input holds
/// (checked): reading it back as `items` proves that the `items:` line cut is the List's.
const STAND_IN: &str = "netpol-check.invalid/list-items-read-apart";

/// A List document cut apart.
struct Cut<'a> {
    /// The document without its items, `items:` holding one object of kind [`STAND_IN`].
    rest: String,
    /// The items' lines, cut between items, with the number of items each starts.
    chunks: Vec<(&'a str, usize)>,
}

/// The lines of `text` from `from`, with their byte offsets.
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = from;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        let line = (at, &text[at..end]);
        at = end;
        Some(line)
    })
}

/// Leading spaces, and whether the line holds nothing else but blanks or a comment.
fn indent(line: &str) -> (usize, bool) {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = line[spaces..].trim_start_matches([' ', '\t', '\r', '\n']);
    (spaces, rest.is_empty() || rest.starts_with('#'))
}

/// Whether the line, after `column` spaces, starts a block sequence entry.
fn is_entry(line: &str, column: usize) -> bool {
    let rest = line.as_bytes().get(column..).unwrap_or_default();
    rest.first() == Some(&b'-') && matches!(rest.get(1), None | Some(b' ' | b'\r' | b'\n'))
}

/// Whether `text` may hold an alias: a `*` where a node may begin (after `:` too, which ends a
/// key without a blank in flow style). Quoted text (a cron schedule) can match too; such a
/// document is only read whole.
fn may_hold_alias(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'*', bytes).any(|i| {
        i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
            )
    })
}

/// Cuts a document whose top-level `items:` holds a block sequence of more than one chunk of
/// about `chunk_bytes`; `None` for any other shape.
fn cut(text: &str, chunk_bytes: usize) -> Option<Cut<'_>> {
    if text.len() < 2 * chunk_bytes || may_hold_alias(text) {
        return None;
    }
    let bytes = text.as_bytes();
    // The first `items:` at the start of a line, followed by nothing but a comment.
    let key =
        memchr::memmem::find_iter(bytes, b"items:").find(|&i| i == 0 || bytes[i - 1] == b'\n')?;
    let (_, key_line) = lines_from(text, key).next()?;
    let after = key_line["items:".len()..].trim_start_matches([' ', '\t']);
    if !(after.trim_end().is_empty() || after.starts_with('#')) {
        return None;
    }
    let mut lines = lines_from(text, key + key_line.len()).skip_while(|(_, l)| indent(l).1);
    let (first, first_line) = lines.next()?;
    let column = indent(first_line).0;
    if !is_entry(first_line, column) {
        return None;
    }
    let mut starts = vec![first];
    let mut end = text.len();
    for (at, line) in lines {
        let (spaces, blank) = indent(line);
        if blank || spaces > column {
            continue;
        }
        if spaces == column && is_entry(line, column) {
            starts.push(at);
            continue;
        }
        // What follows the items must be the next top-level key, as the rest reads it.
        if spaces != 0 {
            return None;
        }
        end = at;
        break;
    }
    let mut chunks = Vec::new();
    let (mut from, mut count) = (first, 0);
    for &start in &starts {
        if start - from >= chunk_bytes {
            chunks.push((&text[from..start], count));
            (from, count) = (start, 0);
        }
        count += 1;
    }
    chunks.push((&text[from..end], count));
    if chunks.len() < 2 || memchr::memmem::find(bytes, STAND_IN.as_bytes()).is_some() {
        return None;
    }
    // Comments and blank lines above the object (often many) are left out of the rest.
    let content = lines_from(text, 0)
        .find(|(_, l)| !indent(l).1)
        .map_or(key, |(at, _)| at);
    let mut rest = String::with_capacity(key - content + 64 + text.len() - end);
    rest.push_str(&text[content..key]);
    rest.push_str("items: [{kind: ");
    rest.push_str(STAND_IN);
    rest.push_str("}]\n");
    rest.push_str(&text[end..]);
    Some(Cut { rest, chunks })
}

/// Reads a YAML document as the fast path does, with the YAML 1.1 checks on.
fn read(text: &str) -> Option<RawObject> {
    checked::while_reading_yaml(|| serde_norway::from_str::<RawObject>(text)).ok()
}

/// The object a large `List` document reads as, its items read in parallel; `None` when the
/// document is not such a List, or anything in it fails to read (the caller then reads it
/// whole, for the same result or the same error).
pub fn read_list(text: &str) -> Option<RawObject> {
    read_list_in(text, CHUNK_BYTES)
}

fn read_list_in(text: &str, chunk_bytes: usize) -> Option<RawObject> {
    let cut = cut(text, chunk_bytes)?;
    // The thread-local checks are switched on around each parse and around nothing that may
    // run another task on this thread.
    let (rest, items) = rayon::join(
        || read(&cut.rest),
        || {
            cut.chunks
                .par_iter()
                .map(|&(chunk, count)| {
                    let mut piece = String::with_capacity(chunk.len() + 7);
                    piece.push_str("items:\n");
                    piece.push_str(chunk);
                    match read(&piece)? {
                        RawObject {
                            api_version: None,
                            kind: None,
                            metadata: None,
                            spec: None,
                            specs: None,
                            status: None,
                            items: Some(items),
                        } if items.len() == count => Some(items),
                        _ => None,
                    }
                })
                .collect::<Option<Vec<Vec<RawObject>>>>()
        },
    );
    let (mut rest, items) = (rest?, items?);
    match rest.items.as_deref() {
        Some([stand_in])
            if stand_in.kind.as_deref() == Some(STAND_IN)
                && stand_in.api_version.is_none()
                && stand_in.metadata.is_none()
                && stand_in.spec.is_none()
                && stand_in.specs.is_none()
                && stand_in.status.is_none()
                && stand_in.items.is_none() => {}
        _ => return None,
    }
    let mut all = Vec::with_capacity(items.iter().map(Vec::len).sum());
    for chunk in items {
        all.extend(chunk);
    }
    rest.items = Some(all);
    Some(rest)
}

/// How many parts a document's List items are read in, in parallel; `None` when it is read
/// whole. For tests and benchmarks: whether an input takes the parallel path.
pub fn parallel_parts(text: &str) -> Option<usize> {
    cut(text, CHUNK_BYTES).map(|c| c.chunks.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document read whole, as the fast path reads it.
    fn whole(text: &str) -> Result<String, String> {
        checked::while_reading_yaml(|| serde_norway::from_str::<RawObject>(text))
            .map(|o| format!("{o:?}"))
            .map_err(|e| e.to_string())
    }

    /// Whatever the parallel path reads is what the whole document reads as.
    fn agrees(text: &str, chunk_bytes: usize) -> bool {
        match read_list_in(text, chunk_bytes) {
            None => false,
            Some(parallel) => {
                assert_eq!(Ok(format!("{parallel:?}")), whole(text), "{text}");
                true
            }
        }
    }

    fn pod(i: usize, indent: &str) -> String {
        format!(
            "{indent}- apiVersion: v1\n{indent}  kind: Pod\n{indent}  metadata:\n{indent}    name: p-{i}\n{indent}    labels: {{app: a{i}}}\n{indent}  spec:\n{indent}    containers:\n{indent}    - name: c\n{indent}      ports: [{{containerPort: {i}}}]\n"
        )
    }

    #[test]
    fn a_large_list_is_cut_between_items_and_reads_as_a_whole() {
        let mut text = "# a comment above\n".repeat(1000);
        text.push_str("apiVersion: v1\nitems:   # the pods\n");
        for i in 0..1200 {
            text.push_str(&pod(i, ""));
            if i % 7 == 0 {
                text.push_str("# between items\n\n");
            }
        }
        text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        let parts = parallel_parts(&text).expect("cut");
        assert!(parts >= 2, "{parts}");
        assert!(agrees(&text, CHUNK_BYTES));
        let object = read_list(&text).unwrap();
        assert_eq!(object.kind.as_deref(), Some("List"));
        let items = object.items.unwrap();
        assert_eq!(items.len(), 1200);
        let names: Vec<_> = items
            .iter()
            .map(|i| i.metadata.as_ref().unwrap().name.clone().unwrap())
            .collect();
        assert_eq!(names[0], "p-0");
        assert_eq!(names[1199], "p-1199");
        // Items indented under `items:` are cut the same way.
        let indented = format!(
            "kind: List\nitems:\n{}",
            (0..1200).map(|i| pod(i, "  ")).collect::<String>()
        );
        assert!(parallel_parts(&indented).is_some());
        assert!(agrees(&indented, CHUNK_BYTES));
    }

    #[test]
    fn small_documents_and_other_shapes_are_read_whole() {
        let small = format!("kind: List\nitems:\n{}", pod(0, ""));
        assert_eq!(parallel_parts(&small), None);
        let items = (0..1200).map(|i| pod(i, "")).collect::<String>();
        for text in [
            // Items in a flow sequence, or not at the top level.
            format!("kind: List\nitems: [\n{items}]\n"),
            format!(
                "kind: List\nspec:\n  items:\n{}",
                (0..1200).map(|i| pod(i, "  ")).collect::<String>()
            ),
            // The `items:` found is inside a string; the List's own items come after it.
            format!("kind: List\nnote: \"\nitems:\n{items}\"\nitems: [{{kind: Pod}}]\n"),
            // An alias (it may point into another chunk), also right after a flow key.
            format!("kind: List\nitems:\n- &p {{kind: Pod, metadata: {{name: x}}}}\n{items}- *p\n"),
            format!("kind: List\nitems:\n- &p {{kind: Pod, metadata: {{name: x}}}}\n{items}- {{\"kind\":*k}}\n"),
            // What follows the items is not a top-level key.
            format!(
                "kind: List\nitems:\n    {}\n  x: 1\n",
                items.replace('\n', "\n    ")
            ),
        ] {
            assert_eq!(
                read_list_in(&text, 1024).map(|o| format!("{o:?}")),
                None,
                "{text}"
            );
        }
    }

    /// Items and lines meant to mislead a cut: entries inside quoted and block scalars and flow
    /// collections, `items:` inside a string, aliases, tabs, comments and misplaced lines.
    #[test]
    fn no_cut_reads_differently_from_the_whole_document() {
        let pieces = [
            "- kind: Pod\n  metadata: {name: a}\n",
            "- kind: Pod\n  metadata:\n    name: b\n    annotations: {n: \"x\n- kind: Pod\n  y\"}\n",
            "- kind: Pod\n  metadata: {name: c, annotations: {n: 'x\n- kind: Pod\n'}}\n",
            "- kind: Pod\n  metadata:\n    name: d\n    annotations:\n      n: |\n        - kind: Pod\n        x\n",
            "- kind: Pod\n  metadata: {name: f}\n  spec: {containers: [\n  {name: c}]}\n",
            "- kind: Pod\n  metadata: {name: g}\n  spec:\n    containers:\n    - name: c\n",
            "# - kind: Pod\n",
            "\n",
            "  # indented comment\n",
            "- {kind: Pod, metadata: {name: o}}\n",
            "- kind: Pod\n  metadata: {name: e,\n- kind: Pod\n  }\n",
            "-\n",
            "- 5\n",
            "- |\n  text\n",
            "- &a {kind: Pod, metadata: {name: h}}\n",
            "- *a\n",
            "- kind: Pod\n  metadata: {name: i}\n\tx: 1\n",
            "-\tkind: Pod\n",
            "- kind: Pod\n  metadata: {name: j}\nnote: \"\n",
            "\"\n",
            "- kind: Pod\n  metadata: {name: k}\n  kind: Pod\n",
            "- kind: Pod\n  metadata:\n    name: l\n    labels: {a: yes}\n",
            "- kind: Pod\n  metadata: {name: m, labels: {a: \"1\"}}\n",
            "items:\n",
            "- kind: Pod\n  metadata: {name: \"n\n  \"}\n",
            "- !!map {kind: Pod, metadata: {name: p}}\n",
        ];
        let heads = [
            "apiVersion: v1\nkind: List\nitems:\n",
            "# c\n%YAML 1.1\n---\nkind: List\nitems: # c\n",
            "kind: List\nnote: \"\nitems:\n",
            "kind: List\nnote: |\n  x\nitems:\n",
            "kind: List\nmetadata: {a: 1,\nitems:\n",
            "items:\n",
        ];
        let tails = [
            "",
            "kind: List\n",
            "metadata: {}\n",
            "\"\n",
            "items: []\n",
            "\"\nitems: [{kind: Pod, metadata: {name: z}}]\n",
            " x: 1\n",
        ];
        let seed = std::cell::Cell::new(0x9e37_79b9_7f4a_7c15u64);
        let next = |n: usize| {
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seed.set(x);
            (x % n as u64) as usize
        };
        // Mostly the first, plain choices, so that many documents read without error.
        let pick = |all: &[&'static str], plain: usize| {
            all[if next(4) == 0 {
                next(all.len())
            } else {
                next(plain)
            }]
        };
        let mut parallel = 0;
        for _ in 0..4000 {
            let mut text = pick(&heads, 2).to_owned();
            for _ in 0..2 + next(10) {
                text.push_str(pick(&pieces, 10));
            }
            text.push_str(pick(&tails, 3));
            for chunk_bytes in [1, 1 + next(64)] {
                parallel += agrees(&text, chunk_bytes) as usize;
            }
        }
        // The parallel path was taken often enough for the comparison to mean something.
        assert!(parallel > 300, "{parallel}");
    }
}
