//! Reading a document exactly as kubectl does.
//!
//! kubectl converts YAML to JSON with sigs.k8s.io/yaml, which reads it through go-yaml v2: a
//! YAML 1.1 reader, where a plain `yes` is a boolean, `0123` is octal (83) and `8_0` is 80, and
//! where `<<` keys merge mappings into the one that holds them. The API server then decodes that
//! JSON into typed fields, refusing a number where a string is required. serde_norway reads
//! YAML 1.2, which differs on exactly those scalars and has no merge keys, so documents that
//! need either are re-read here: the document's events (with their scalar styles, which serde
//! does not pass on) become a tree resolved as go-yaml v2 resolves it, merges applied, then JSON
//! text laid out one value per line so that a typed decoding error can be traced back to the
//! YAML line, column and field path it came from.
//!
//! The fast path stays on serde_norway: [`maybe_not_string`] and [`only_yaml11_non_string`]
//! tell, from a string serde_norway handed over, whether the document could read differently
//! here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use granit_parser::{Event, Parser, ScalarStyle, Span};

/// A plain scalar resolved as go-yaml v2 resolves it for an untyped (`interface{}`) target.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    /// Any integer of `int64` or `uint64`.
    Int(i128),
    Float(f64),
    Str,
    /// The merge key `<<`.
    Merge,
}

/// How go-yaml v2 resolves a plain scalar (`resolve.go`): the first byte tells whether it can
/// be anything but a string; then a fixed table (booleans, nulls, infinities, `<<`), then an
/// integer with every `_` removed in Go's base-prefixed syntax (`0x`, `0o`, `0b`, and a leading
/// `0` for octal), then a float. Timestamps stay strings for an untyped target.
pub fn resolve_plain(s: &str) -> Resolved {
    let Some(&first) = s.as_bytes().first() else {
        return Resolved::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => table(s),
        b'.' => table(s).or_else_if_str(|| {
            decimal_float(s)
                .map(Resolved::Float)
                .unwrap_or(Resolved::Str)
        }),
        b'+' | b'-' | b'0'..=b'9' => table(s).or_else_if_str(|| number(s)),
        // go-yaml v2 tells a merge key by its text (a plain `<<`, or one tagged `!!merge`),
        // not by resolving it; the caller looks at the style and the tag.
        b'<' if s == "<<" => Resolved::Merge,
        _ => Resolved::Str,
    }
}

trait OrElseIfStr {
    fn or_else_if_str(self, f: impl FnOnce() -> Resolved) -> Resolved;
}

impl OrElseIfStr for Resolved {
    fn or_else_if_str(self, f: impl FnOnce() -> Resolved) -> Resolved {
        match self {
            Resolved::Str => f(),
            other => other,
        }
    }
}

fn table(s: &str) -> Resolved {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => Resolved::Str,
    }
}

fn number(s: &str) -> Resolved {
    let plain: std::borrow::Cow<str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    match decimal_float(&plain) {
        Some(f) => Resolved::Float(f),
        None => Resolved::Str,
    }
}

/// `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i128> {
    let (negative, signed, rest) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower = |i: usize| rest.as_bytes().get(i).map(u8::to_ascii_lowercase);
    let (radix, digits) = match (rest.as_bytes().first(), lower(1)) {
        (Some(b'0'), Some(b'x')) => (16, &rest[2..]),
        (Some(b'0'), Some(b'o')) => (8, &rest[2..]),
        (Some(b'0'), Some(b'b')) => (2, &rest[2..]),
        (Some(b'0'), Some(_)) => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    let value = if negative {
        -(magnitude as i128)
    } else {
        magnitude as i128
    };
    let fits_i64 = i64::try_from(value).is_ok();
    // ParseUint takes no sign.
    let fits_u64 = !signed && u64::try_from(value).is_ok();
    (magnitude <= u64::MAX as u128 && (fits_i64 || fits_u64)).then_some(value)
}

/// go-yaml's `yamlStyleFloat` (`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
/// followed by `ParseFloat`, which fails on overflow.
fn decimal_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
    } else {
        if digits(&mut i) == 0 {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Whether a string serde_norway read from a plain scalar where it resolves the scalar as
/// YAML 1.2 (any type but a string) would be something else than that string to kubectl.
/// Cheap for most strings: only those starting with a byte go-yaml's hint table names are
/// looked at.
pub fn only_yaml11_non_string(s: &str) -> bool {
    match resolve_plain(s) {
        Resolved::Str => false,
        // YAML 1.2 (serde_norway) resolves these forms too: a string that reached us in this
        // form came from a quoted scalar.
        Resolved::Null => false,
        Resolved::Bool(_) => !matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
        Resolved::Int(_) | Resolved::Float(_) => !yaml12_number(s),
        Resolved::Merge => false,
    }
}

/// Whether a string serde_norway handed over without resolving it (a `str` field) may have
/// been a plain scalar that kubectl reads as something else than a string: a number, a
/// boolean or null. Such a document is re-read exactly, where the style is known.
pub fn maybe_not_string(s: &str) -> bool {
    !matches!(resolve_plain(s), Resolved::Str | Resolved::Merge) || yaml12_number(s)
}

/// Whether serde_norway resolves a plain scalar as a number.
fn yaml12_number(s: &str) -> bool {
    // Every form below starts with a digit, a sign or a dot (Rust's float parser also reads
    // `inf`, `nan` and `infinity`, which are not finite): names and label values are turned
    // away here rather than by two failed number parses each.
    if !s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let leading_zero = unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned[1..].bytes().all(|b| b.is_ascii_digit());
    if leading_zero {
        return false;
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unsigned.strip_prefix(prefix) {
            if !rest.starts_with(['+', '-']) && u128::from_str_radix(rest, radix).is_ok() {
                return true;
            }
        }
    }
    if s.strip_prefix('+').unwrap_or(s).parse::<i128>().is_ok() {
        return true;
    }
    matches!(
        s,
        ".inf" | ".Inf" | ".INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN"
    ) || unsigned.parse::<f64>().is_ok_and(f64::is_finite)
}

/// serde_norway's YAML with the plain scalars that only YAML 1.2 reads as strings quoted: it
/// writes a label value `y` or `on` plainly, which kubectl (and Helm) read as `true`. Such a
/// scalar was a string (serde_norway quotes the strings that YAML 1.2 would read otherwise), so
/// quoting it keeps it one for every reader. Block scalars are left as they are.
pub fn quote_for_yaml11(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len());
    // The indentation of the line that opened a block scalar (`key: |-`), while in it.
    let mut block: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        if let Some(opened) = block {
            if body.trim().is_empty() || indent > opened {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let mut rest = &body[indent..];
        let mut prefix_len = indent;
        while let Some(r) = rest.strip_prefix("- ") {
            rest = r;
            prefix_len += 2;
        }
        out.push_str(&body[..prefix_len]);
        let (key, value) = match split_key(rest) {
            Some((key, value)) => (Some(key), value),
            None => (None, rest),
        };
        if let Some(key) = key {
            push_scalar(&mut out, key);
            out.push(':');
            if !value.is_empty() {
                out.push(' ');
            }
        }
        if value.starts_with(['|', '>']) {
            block = Some(indent);
        }
        push_scalar(&mut out, value);
        out.push_str(&line[body.len()..]);
    }
    out
}

/// `key: value` or `key:` with a plain key, as serde_norway writes them.
fn split_key(s: &str) -> Option<(&str, &str)> {
    if s.starts_with(['\'', '"']) {
        // A quoted key: its closing quote, then `:`.
        let quote = s.as_bytes()[0];
        let end = s[1..].bytes().position(|b| b == quote)? + 1;
        let rest = s[end + 1..].strip_prefix(':')?;
        return Some((&s[..=end], rest.strip_prefix(' ').unwrap_or(rest)));
    }
    match s.find(": ") {
        Some(i) => Some((&s[..i], &s[i + 2..])),
        None => s.strip_suffix(':').map(|k| (k, "")),
    }
}

fn push_scalar(out: &mut String, s: &str) {
    if only_yaml11_non_string(s) {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
    } else {
        out.push_str(s);
    }
}

/// A document read as kubectl reads it: JSON text with one value per line, and for each line
/// where in the YAML its value starts and the path of its field.
pub struct JsonDocument {
    pub json: String,
    lines: Vec<LineOrigin>,
}

#[derive(Clone)]
struct LineOrigin {
    line: u32,
    column: u32,
    path: Rc<str>,
}

/// An error with its position in the document (1-based line and column).
#[derive(Debug)]
pub struct ReadError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl JsonDocument {
    /// Where the JSON line `line` (1-based) came from: the YAML line and column, and the path.
    pub fn origin(&self, line: usize) -> Option<(u32, u32, &str)> {
        let o = self.lines.get(line.checked_sub(1)?)?;
        Some((o.line, o.column, &o.path))
    }

    /// Every value's path with the YAML line and column where it starts, in document order.
    pub fn positions(&self) -> impl Iterator<Item = (&str, u32, u32)> {
        self.lines.iter().map(|o| (&*o.path, o.line, o.column))
    }
}

#[derive(Debug)]
enum Node {
    Scalar(Scalar),
    Seq(Vec<Rc<Item>>),
    Map(Vec<(String, Rc<Item>)>),
}

#[derive(Debug)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Merge,
}

#[derive(Debug)]
struct Item {
    node: Node,
    line: u32,
    column: u32,
}

enum Frame {
    Seq {
        items: Vec<Rc<Item>>,
        anchor: usize,
        at: (u32, u32),
    },
    Map {
        entries: Vec<(String, Rc<Item>)>,
        /// Position of each key in `entries`, and whether it was written in this mapping
        /// (rather than merged into it).
        index: HashMap<String, (usize, bool)>,
        key: Option<Key>,
        anchor: usize,
        at: (u32, u32),
    },
}

enum Key {
    Name(String, (u32, u32)),
    Merge((u32, u32)),
}

/// Merges copy entries; aliases share nodes, and are expanded only when the JSON is written.
/// Both are bounded, relative to the document's size, so that a billion laughs or a merge of
/// merges is refused rather than expanded.
struct Budget {
    left: usize,
}

impl Budget {
    fn take(&mut self, n: usize, at: (u32, u32)) -> Result<(), ReadError> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(error(
                at,
                "too many alias expansions (a YAML alias bomb?): refusing to expand further",
            )),
        }
    }
}

fn error(at: (u32, u32), message: impl Into<String>) -> ReadError {
    ReadError {
        line: at.0,
        column: at.1,
        message: message.into(),
    }
}

fn position(span: &Span) -> (u32, u32) {
    (span.start.line() as u32, span.start.col() as u32 + 1)
}

/// The top-level mapping's `kind`, if the document is a mapping whose `kind` is a string:
/// documents of kinds nobody reads are not expanded.
pub struct Tree {
    root: Option<Rc<Item>>,
    expansion_budget: usize,
}

/// Reads one document (the text of one document of a stream) into a tree.
pub fn read(text: &str) -> Result<Tree, ReadError> {
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, Rc<Item>> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Rc<Item>> = None;
    let mut events = 0usize;
    let mut budget = Budget {
        left: 10 * text.len() + 10_000,
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let m = e.marker();
            error((m.line() as u32, m.col() as u32 + 1), e.info().to_owned())
        })?;
        events += 1;
        let at = position(&span);
        let (item, anchor) = match event {
            Event::StreamStart | Event::DocumentStart(..) | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::Alias(id) => match anchors.get(&id) {
                Some(item) => (item.clone(), 0),
                None => return Err(error(at, "unknown anchor")),
            },
            Event::Scalar(value, style, anchor, tag) => {
                let scalar = scalar(&value, style, tag.as_deref(), at)?;
                (
                    Rc::new(Item {
                        node: Node::Scalar(scalar),
                        line: at.0,
                        column: at.1,
                    }),
                    anchor,
                )
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    at,
                });
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    index: HashMap::new(),
                    key: None,
                    anchor,
                    at,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { items, anchor, at }) => (
                    Rc::new(Item {
                        node: Node::Seq(items),
                        line: at.0,
                        column: at.1,
                    }),
                    anchor,
                ),
                Some(Frame::Map {
                    entries,
                    key,
                    anchor,
                    at,
                    ..
                }) => {
                    if key.is_some() {
                        return Err(error(at, "mapping key without a value"));
                    }
                    (
                        Rc::new(Item {
                            node: Node::Map(entries),
                            line: at.0,
                            column: at.1,
                        }),
                        anchor,
                    )
                }
                None => return Err(error(at, "unbalanced collection end")),
            },
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, item.clone());
        }
        match stack.last_mut() {
            None => {
                root = Some(item);
            }
            Some(Frame::Seq { items, .. }) => items.push(item),
            Some(Frame::Map {
                entries,
                index,
                key,
                ..
            }) => match key.take() {
                None => *key = Some(map_key(&item)?),
                Some(Key::Name(name, at)) => {
                    // kubectl keeps the last of duplicate keys; we refuse them everywhere, as
                    // the serde_norway path does (an object written twice is a mistake).
                    if index.get(&name).is_some_and(|&(_, written)| written) {
                        return Err(error(
                            at,
                            format!("duplicate entry with key {}", serde_json::json!(name)),
                        ));
                    }
                    set(entries, index, name, item, true)
                }
                Some(Key::Merge(at)) => merge(entries, index, &item, at, &mut budget)?,
            },
        }
    }
    Ok(Tree {
        root,
        expansion_budget: 100 * events + 10_000,
    })
}

fn set(
    entries: &mut Vec<(String, Rc<Item>)>,
    index: &mut HashMap<String, (usize, bool)>,
    key: String,
    value: Rc<Item>,
    written: bool,
) {
    match index.get_mut(&key) {
        Some((i, was_written)) => {
            entries[*i].1 = value;
            *was_written |= written;
        }
        None => {
            index.insert(key.clone(), (entries.len(), written));
            entries.push((key, value));
        }
    }
}

/// go-yaml v2 applies a merge where the `<<` key stands: what it brings replaces keys set
/// before it and is replaced by keys set after it; of a list of mappings, earlier ones win.
fn merge(
    entries: &mut Vec<(String, Rc<Item>)>,
    index: &mut HashMap<String, (usize, bool)>,
    value: &Rc<Item>,
    at: (u32, u32),
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let wrong = || {
        error(
            at,
            "map merge requires map or sequence of maps as the value",
        )
    };
    let sources: Vec<&Rc<Item>> = match &value.node {
        Node::Map(_) => vec![value],
        Node::Seq(items) => items.iter().rev().collect(),
        Node::Scalar(_) => return Err(wrong()),
    };
    for source in sources {
        let Node::Map(merged) = &source.node else {
            return Err(wrong());
        };
        budget.take(merged.len(), at)?;
        for (k, v) in merged {
            set(entries, index, k.clone(), v.clone(), false);
        }
    }
    Ok(())
}

/// A mapping key as sigs.k8s.io/yaml turns it into a JSON object key.
fn map_key(item: &Item) -> Result<Key, ReadError> {
    let at = (item.line, item.column);
    let Node::Scalar(scalar) = &item.node else {
        return Err(error(at, "invalid map key: not a scalar"));
    };
    Ok(Key::Name(
        match scalar {
            Scalar::Merge => return Ok(Key::Merge(at)),
            Scalar::Str(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => go_float_key(*f),
            Scalar::Null => return Err(error(at, "unsupported map key: null")),
        },
        at,
    ))
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`, as sigs.k8s.io/yaml writes a float map key: the
/// shortest digits, with an exponent below 1e-4 and from 1e6 on.
fn go_float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let f = f as f32;
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if f != 0.0 && !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{f}")
    }
}

fn scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&granit_parser::Tag>,
    at: (u32, u32),
) -> Result<Scalar, ReadError> {
    let resolved = match tag {
        None if style == ScalarStyle::Plain => resolve_plain(value),
        None => Resolved::Str,
        Some(tag) => match tag.core_suffix() {
            Some("str" | "binary") => Resolved::Str,
            Some("merge") if value == "<<" => Resolved::Merge,
            Some(expected @ ("int" | "float" | "bool" | "null")) => {
                let r = match resolve_plain(value) {
                    Resolved::Merge => Resolved::Str,
                    r => r,
                };
                let matches = matches!(
                    (expected, &r),
                    ("int", Resolved::Int(_))
                        | ("float", Resolved::Float(_) | Resolved::Int(_))
                        | ("bool", Resolved::Bool(_))
                        | ("null", Resolved::Null)
                );
                if !matches {
                    return Err(error(
                        at,
                        format!("cannot decode `{value}` as a !!{expected}"),
                    ));
                }
                r
            }
            _ => Resolved::Str,
        },
    };
    Ok(match resolved {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Merge if style == ScalarStyle::Plain || tag.is_some() => Scalar::Merge,
        Resolved::Merge | Resolved::Str => Scalar::Str(value.to_owned()),
    })
}

impl Tree {
    /// A top-level field (`kind`, `apiVersion`) when it is a string.
    pub fn top_string(&self, key: &str) -> Option<&str> {
        let Node::Map(entries) = &self.root.as_ref()?.node else {
            return None;
        };
        entries.iter().find_map(|(k, v)| match &v.node {
            Node::Scalar(Scalar::Str(s)) if k == key => Some(s.as_str()),
            _ => None,
        })
    }

    /// The document as JSON, one value per line.
    pub fn to_json(&self) -> Result<JsonDocument, ReadError> {
        let mut out = JsonDocument {
            json: String::new(),
            lines: Vec::new(),
        };
        match &self.root {
            None => out.json.push_str("null"),
            Some(root) => {
                let mut budget = Budget {
                    left: self.expansion_budget,
                };
                let path: Rc<str> = "".into();
                out.lines.push(LineOrigin {
                    line: root.line,
                    column: root.column,
                    path: path.clone(),
                });
                write_item(root, &path, &mut out, &mut budget, 0)?;
            }
        }
        Ok(out)
    }
}

/// Past this depth serde_json refuses anyway (its recursion limit is 128).
const MAX_DEPTH: usize = 128;

fn write_item(
    item: &Item,
    path: &Rc<str>,
    out: &mut JsonDocument,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), ReadError> {
    let at = (item.line, item.column);
    budget.take(1, at)?;
    if depth > MAX_DEPTH {
        return Err(error(at, "nested too deeply"));
    }
    let child = |out: &mut JsonDocument, child: &Item, child_path: Rc<str>| {
        out.json.push('\n');
        out.lines.push(LineOrigin {
            line: child.line,
            column: child.column,
            path: child_path.clone(),
        });
        (child_path, ())
    };
    match &item.node {
        Node::Scalar(s) => match s {
            Scalar::Null => out.json.push_str("null"),
            Scalar::Bool(b) => out.json.push_str(if *b { "true" } else { "false" }),
            Scalar::Int(i) => {
                let _ = write!(out.json, "{i}");
            }
            Scalar::Float(f) => {
                if !f.is_finite() {
                    return Err(error(
                        at,
                        format!("unsupported value: {f} is not valid in JSON"),
                    ));
                }
                // Go's encoding/json writes integral floats without a fraction: `80.0` and
                // `8e1` reach the API server as 80.
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    let _ = write!(out.json, "{f:.0}");
                } else {
                    let _ = write!(out.json, "{f}");
                }
            }
            Scalar::Str(s) => {
                out.json
                    .push_str(&serde_json::to_string(s).expect("strings serialise"));
            }
            Scalar::Merge => out.json.push_str("\"<<\""),
        },
        Node::Seq(items) => {
            out.json.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.json.push(',');
                }
                let (p, ()) = child(out, v, format!("{path}[{i}]").into());
                write_item(v, &p, out, budget, depth + 1)?;
            }
            out.json.push(']');
        }
        Node::Map(entries) => {
            out.json.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.json.push(',');
                }
                let p: Rc<str> = if path.is_empty() {
                    k.as_str().into()
                } else {
                    format!("{path}.{k}").into()
                };
                let (p, ()) = child(out, v, p);
                out.json
                    .push_str(&serde_json::to_string(k).expect("strings serialise"));
                out.json.push(':');
                write_item(v, &p, out, budget, depth + 1)?;
            }
            out.json.push('}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_resolve_as_go_yaml_v2_does() {
        use Resolved::*;
        for (s, r) in [
            ("yes", Bool(true)),
            ("Y", Bool(true)),
            ("off", Bool(false)),
            ("n", Bool(false)),
            ("0123", Int(83)),
            ("-0123", Int(-83)),
            ("8_0", Int(80)),
            ("80_", Int(80)),
            ("0x_50", Int(80)),
            ("0X50", Int(80)),
            ("0B1", Int(1)),
            ("0o120", Int(80)),
            ("09", Float(9.0)),
            ("8e1", Float(80.0)),
            ("1e400", Str),
            ("_80", Str),
            ("2001-12-14", Str),
            ("1:20", Str),
            ("", Null),
            ("~", Null),
            ("nginx", Str),
            (".5", Float(0.5)),
            ("+80", Int(80)),
            ("-", Str),
            ("18446744073709551615", Int(u64::MAX as i128)),
            ("-9223372036854775809", Float(-9223372036854775809.0)),
        ] {
            assert_eq!(resolve_plain(s), r, "{s:?}");
        }
    }

    #[test]
    fn strings_that_only_yaml_1_1_reads_otherwise_are_told_apart() {
        for s in ["yes", "on", "0123", "8_0", "0X50", "09"] {
            assert!(only_yaml11_non_string(s), "{s}");
            assert!(maybe_not_string(s), "{s}");
        }
        for s in ["80", "true", "0x50", "1.5", "~"] {
            assert!(!only_yaml11_non_string(s), "{s}");
            assert!(maybe_not_string(s), "{s}");
        }
        for s in ["web", "nginx:1.2", "_80", "2001-12-14", "TCP", "Ingress"] {
            assert!(!maybe_not_string(s), "{s}");
        }
    }

    #[test]
    fn numbers_as_serde_norway_resolves_them() {
        for s in [
            ".inf", "-.Inf", ".NaN", "+1", "-0x1f", ".5", "1e3", "0o17", "0b1",
        ] {
            assert!(yaml12_number(s), "{s}");
        }
        // Rust's float parser reads the first three, as infinite or not a number.
        for s in ["inf", "NaN", "infinity", "e5", "x1", "", "web", "0123", "-"] {
            assert!(!yaml12_number(s), "{s}");
        }
    }

    #[test]
    fn strings_only_yaml_1_2_reads_as_strings_are_quoted_for_kubectl() {
        let mut labels = std::collections::BTreeMap::new();
        for v in ["y", "on", "0123", "web", "8_0"] {
            labels.insert(v.to_owned(), v.to_owned());
        }
        let doc = serde_json::json!({"spec": {"labels": labels, "list": ["no", "x"],
            "port": 53, "quoted": "53", "text": "first line\nyes\n"}});
        let yaml = quote_for_yaml11(&serde_norway::to_string(&doc).unwrap());
        let back = read(&yaml).unwrap().to_json().unwrap().json;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&back).unwrap(),
            doc,
            "{yaml}"
        );
        assert!(yaml.contains("'y': 'y'"), "{yaml}");
    }

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(&read(text).unwrap().to_json().unwrap().json).unwrap()
    }

    #[test]
    fn merge_keys_apply_in_order_as_go_yaml_v2_does() {
        assert_eq!(
            json("{a: 1, <<: {a: 2, b: 3}}"),
            serde_json::json!({"a": 2, "b": 3})
        );
        assert_eq!(
            json("{<<: {a: 2, b: 3}, a: 1}"),
            serde_json::json!({"a": 1, "b": 3})
        );
        assert_eq!(
            json("{<<: [{a: 2, b: 3}, {a: 4, c: 5}]}"),
            serde_json::json!({"a": 2, "b": 3, "c": 5})
        );
        assert_eq!(
            json("base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n"),
            serde_json::json!({"base": {"x": 1}, "m": {"x": 1, "z": 2}})
        );
        assert_eq!(json("{'<<': {a: 1}}"), serde_json::json!({"<<": {"a": 1}}));
        assert!(read("{<<: x}").is_err());
        let e = read("{<<: {a: 1}, a: 2, b: 3, a: 4}").err().unwrap();
        assert_eq!(
            (e.line, e.column, &*e.message),
            (1, 26, "duplicate entry with key \"a\"")
        );
    }

    #[test]
    fn keys_become_strings_as_sigs_k8s_io_yaml_writes_them() {
        assert_eq!(
            json("{1: a, on: b, 0123: c, 1.5: d, 1e3: e}"),
            serde_json::json!({"1": "a", "true": "b", "83": "c", "1.5": "d", "1000": "e"})
        );
    }

    #[test]
    fn json_lines_lead_back_to_yaml_positions_and_paths() {
        let doc = read("a:\n  b: [1, x]\n").unwrap().to_json().unwrap();
        let line = doc.json.lines().position(|l| l.contains("\"x\"")).unwrap();
        assert_eq!(doc.origin(line + 1), Some((2, 10, "a.b[1]")));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            let _ = writeln!(
                text,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        let e = read(&text).unwrap().to_json().err().unwrap();
        assert!(e.message.contains("alias"), "{}", e.message);
    }
}
