//! Calico's selector language (SEMANTICS.md point 20): the expressions of a Calico policy's
//! `selector`, `namespaceSelector` and `serviceAccountSelector`, and of its rules' selectors.
//!
//! Sources (projectcalico/calico unless said otherwise):
//! - Calico's reference documentation, "Selectors" section of the NetworkPolicy resource page
//!   (docs.tigera.io, calico/latest/reference/resources/networkpolicy): the operators, and `!=`
//!   and `not in` matching resources without the label.
//! - `libcalico-go/lib/selector/tokenizer/tokenizer.go`: what a word is. Only spaces and tabs
//!   separate words (a line break is an error); strings are quoted with `'` or `"`, with no
//!   escapes; a label key is `[a-zA-Z0-9_./-]+`; `has(`, `all(` and `global(` are written with
//!   their parenthesis; after a label key, `contains`, `starts with`, `ends with`, `not in` and
//!   `in` are read as operators, by prefix (`a notin {}` and `a in{}` are accepted).
//! - `libcalico-go/lib/selector/parser/parser.go`: the grammar. `||` binds loosest, then `&&`,
//!   then `!` (a run of `!` collapses to one or none), then an operation or a parenthesised
//!   expression; an empty selector (or only spaces) is `all()`; a set may be empty and may end
//!   with a comma (`{'a',}`).
//! - `libcalico-go/lib/selector/parser/ast.go`: evaluation, and the canonical text
//!   ([`CalicoSelector`]'s `Display` prints what Calico's `String()` prints).
//! - `libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go` (`PodToWorkloadEndpoint`)
//!   and `conversion.go` (`NamespaceToProfile`, `ServiceAccountToProfile`), `constants.go`, and
//!   projectcalico/api `pkg/apis/projectcalico/v3` (`LabelNamespace`, ...): the labels Calico adds
//!   for selectors ([`pod_labels`], [`namespace_labels`], [`service_account_labels`]).
//!
//! The parser is written by hand: the language is a dozen tokens and three precedence levels,
//! and its lexer is context-sensitive as Calico's is (an operator word only after a label key),
//! which a parser crate would not make shorter; errors name the column of the offending word.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::model::Labels;

/// How deeply parentheses may nest. Calico sets no limit; real selectors nest a few levels, and
/// the limit keeps the recursive parser (and everything that walks the tree) off the stack's end.
pub const MAX_DEPTH: usize = 100;

/// `projectcalico.org/namespace`: the pod's namespace, on every workload endpoint.
pub const NAMESPACE_LABEL: &str = "projectcalico.org/namespace";
/// `projectcalico.org/serviceaccount`: the pod's service account.
pub const SERVICE_ACCOUNT_LABEL: &str = "projectcalico.org/serviceaccount";
/// `projectcalico.org/orchestrator`: `k8s` on every pod's workload endpoint.
pub const ORCHESTRATOR_LABEL: &str = "projectcalico.org/orchestrator";
/// The orchestrator value of Kubernetes pods.
pub const ORCHESTRATOR_KUBERNETES: &str = "k8s";
/// `projectcalico.org/name`: a namespace's or service account's name, for `namespaceSelector`
/// and `serviceAccountSelector`.
pub const NAME_LABEL: &str = "projectcalico.org/name";

/// One node of a parsed selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `all()`, and the empty selector.
    All,
    /// `global()`: non-namespaced resources (global network sets, host endpoints), never a pod.
    Global,
    /// `has(key)`.
    Has(String),
    /// `key == 'value'`.
    Eq(String, String),
    /// `key != 'value'`: also true without the label.
    Ne(String, String),
    /// `key in {...}`.
    In(String, BTreeSet<String>),
    /// `key not in {...}`: also true without the label.
    NotIn(String, BTreeSet<String>),
    /// `key contains 'value'`.
    Contains(String, String),
    /// `key starts with 'value'`.
    StartsWith(String, String),
    /// `key ends with 'value'`.
    EndsWith(String, String),
    Not(Box<Expr>),
    /// Two or more operands.
    And(Vec<Expr>),
    /// Two or more operands.
    Or(Vec<Expr>),
}

/// A parsed Calico selector. Shared, not copied: a policy's selectors are parsed once (see
/// [`CalicoText::selector`](crate::model::CalicoText::selector)) and held by every compiled
/// form that needs them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalicoSelector {
    expr: Arc<Expr>,
}

/// Why a selector does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// Byte offset in the selector text.
    pub offset: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, without the position.
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for SelectorError {}

impl CalicoSelector {
    /// Parses a selector as Calico does; an empty one (or only spaces) is `all()`.
    pub fn parse(text: &str) -> Result<CalicoSelector, SelectorError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            text,
            tokens,
            pos: 0,
            depth: 0,
        };
        if parser.peek().kind == Kind::Eof {
            return Ok(CalicoSelector::all());
        }
        let expr = parser.or_expression(None)?;
        let rest = parser.next();
        if rest.kind != Kind::Eof {
            return Err(parser.error(
                rest.start,
                format!(
                    "expected `&&`, `||` or the end of the selector, found {}",
                    parser.describe(&rest)
                ),
            ));
        }
        Ok(CalicoSelector {
            expr: Arc::new(expr),
        })
    }

    /// The `all()` selector.
    pub fn all() -> CalicoSelector {
        CalicoSelector {
            expr: Arc::new(Expr::All),
        }
    }

    /// Whether both hold one parse (not merely equal ones).
    #[cfg(test)]
    pub(crate) fn same_parse(&self, other: &CalicoSelector) -> bool {
        Arc::ptr_eq(&self.expr, &other.expr)
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether this is `all()` (or was empty).
    pub fn is_all(&self) -> bool {
        *self.expr == Expr::All
    }

    /// Whether a pod with these labels (see [`pod_labels`]) matches. For pods only: `global()`
    /// is false here, since it selects non-namespaced resources and a pod always has a namespace.
    /// Global network sets and host endpoints, which `global()` selects, are not evaluated yet.
    pub fn matches(&self, labels: &Labels) -> bool {
        eval(&self.expr, &|key| labels.get(key).map(String::as_str))
    }

    /// Whether the selector matches a pod's workload endpoint: what [`pod_labels`] gives,
    /// without building the map (selectors are matched against many pods).
    pub fn matches_pod(&self, labels: &Labels, namespace: &str, service_account: &str) -> bool {
        let account =
            (!service_account.is_empty() && service_account.len() < 63).then_some(service_account);
        eval(&self.expr, &|key| match key {
            NAMESPACE_LABEL => Some(namespace),
            ORCHESTRATOR_LABEL => Some(ORCHESTRATOR_KUBERNETES),
            SERVICE_ACCOUNT_LABEL if account.is_some() => account,
            _ => labels.get(key).map(String::as_str),
        })
    }

    /// Whether the selector matches a namespace: what [`namespace_labels`] gives.
    pub fn matches_namespace(&self, labels: &Labels, name: &str) -> bool {
        eval(&self.expr, &|key| match key {
            NAME_LABEL => Some(name),
            _ => labels.get(key).map(String::as_str),
        })
    }

    /// Whether the selector matches a service account known only by its name.
    pub fn matches_service_account(&self, name: &str) -> bool {
        eval(&self.expr, &|key| (key == NAME_LABEL).then_some(name))
    }

    /// A label pair or key every match must carry, for indexing: `k == 'v'`, `k in {..}` or
    /// `has(k)`, alone or as a term of a top-level `&&`. `None` when there is none.
    pub fn anchor(&self) -> Option<CalicoAnchor<'_>> {
        fn of(expr: &Expr) -> Option<CalicoAnchor<'_>> {
            match expr {
                Expr::Eq(k, v) => Some(CalicoAnchor::Pair(k, v)),
                Expr::In(k, set) => Some(CalicoAnchor::AnyOf(k, set)),
                Expr::Has(k) => Some(CalicoAnchor::Key(k)),
                Expr::Global => Some(CalicoAnchor::Nothing),
                Expr::And(operands) => operands.iter().find_map(of),
                _ => None,
            }
        }
        of(&self.expr)
    }
}

/// What every label set a selector matches must carry (see [`CalicoSelector::anchor`]).
#[derive(Debug, Clone, Copy)]
pub enum CalicoAnchor<'s> {
    Pair(&'s str, &'s str),
    AnyOf(&'s str, &'s BTreeSet<String>),
    Key(&'s str),
    /// Nothing matches.
    Nothing,
}

impl FromStr for CalicoSelector {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CalicoSelector::parse(s)
    }
}

fn eval<'a>(expr: &Expr, value: &dyn Fn(&str) -> Option<&'a str>) -> bool {
    match expr {
        Expr::All => true,
        Expr::Global => false,
        Expr::Has(key) => value(key).is_some(),
        Expr::Eq(key, v) => value(key) == Some(v.as_str()),
        Expr::Ne(key, v) => value(key) != Some(v.as_str()),
        Expr::In(key, set) => value(key).is_some_and(|x| set.contains(x)),
        Expr::NotIn(key, set) => !value(key).is_some_and(|x| set.contains(x)),
        Expr::Contains(key, v) => value(key).is_some_and(|x| x.contains(v.as_str())),
        Expr::StartsWith(key, v) => value(key).is_some_and(|x| x.starts_with(v.as_str())),
        Expr::EndsWith(key, v) => value(key).is_some_and(|x| x.ends_with(v.as_str())),
        Expr::Not(inner) => !eval(inner, value),
        Expr::And(operands) => operands.iter().all(|e| eval(e, value)),
        Expr::Or(operands) => operands.iter().any(|e| eval(e, value)),
    }
}

impl fmt::Display for CalicoSelector {
    /// Calico's canonical form (`String()` in ast.go): `"` quotes unless the value holds one,
    /// every `&&` and `||` group in parentheses, sets sorted without repeats.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, &self.expr)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let quote = if value.contains('"') { '\'' } else { '"' };
    write!(f, "{quote}{value}{quote}")
}

fn write_set(f: &mut fmt::Formatter<'_>, set: &BTreeSet<String>) -> fmt::Result {
    f.write_str("{")?;
    for (i, value) in set.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_quoted(f, value)?;
    }
    f.write_str("}")
}

fn write_group(f: &mut fmt::Formatter<'_>, operands: &[Expr], op: &str) -> fmt::Result {
    f.write_str("(")?;
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(op)?;
        }
        write_expr(f, operand)?;
    }
    f.write_str(")")
}

fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    let labelled = |f: &mut fmt::Formatter<'_>, key: &str, op: &str, value: &str| {
        write!(f, "{key}{op}")?;
        write_quoted(f, value)
    };
    match expr {
        Expr::All => f.write_str("all()"),
        Expr::Global => f.write_str("global()"),
        Expr::Has(key) => write!(f, "has({key})"),
        Expr::Eq(key, v) => labelled(f, key, " == ", v),
        Expr::Ne(key, v) => labelled(f, key, " != ", v),
        Expr::Contains(key, v) => labelled(f, key, " contains ", v),
        Expr::StartsWith(key, v) => labelled(f, key, " starts with ", v),
        Expr::EndsWith(key, v) => labelled(f, key, " ends with ", v),
        Expr::In(key, set) => {
            write!(f, "{key} in ")?;
            write_set(f, set)
        }
        Expr::NotIn(key, set) => {
            write!(f, "{key} not in ")?;
            write_set(f, set)
        }
        Expr::Not(inner) => {
            f.write_str("!")?;
            write_expr(f, inner)
        }
        Expr::And(operands) => write_group(f, operands, " && "),
        Expr::Or(operands) => write_group(f, operands, " || "),
    }
}

// ---- Labels Calico gives selectors. ----

/// The labels a pod's workload endpoint offers Calico's `selector`s: its own labels, then
/// `projectcalico.org/namespace`, `projectcalico.org/orchestrator: k8s` and, for a service
/// account name shorter than 63 characters, `projectcalico.org/serviceaccount` (longer names
/// could not be label values; Calico leaves the label out). Calico's labels replace pod labels
/// of the same keys, as `PodToWorkloadEndpoint` writes them after copying the pod's.
pub fn pod_labels(labels: &Labels, namespace: &str, service_account: &str) -> Labels {
    let mut out = labels.clone();
    out.insert(NAMESPACE_LABEL.to_string(), namespace.to_string());
    out.insert(
        ORCHESTRATOR_LABEL.to_string(),
        ORCHESTRATOR_KUBERNETES.to_string(),
    );
    if !service_account.is_empty() && service_account.len() < 63 {
        out.insert(
            SERVICE_ACCOUNT_LABEL.to_string(),
            service_account.to_string(),
        );
    }
    out
}

/// The labels a `namespaceSelector` sees: the namespace's labels and `projectcalico.org/name`
/// (which wins over a namespace label of that key, as in `NamespaceToProfile`).
pub fn namespace_labels(labels: &Labels, name: &str) -> Labels {
    let mut out = labels.clone();
    out.insert(NAME_LABEL.to_string(), name.to_string());
    out
}

/// The labels a `serviceAccountSelector` sees. Calico adds the service account's own labels;
/// the inventory does not hold ServiceAccount objects, so only `projectcalico.org/name` is there
/// and a selector on other service account labels matches nothing.
pub fn service_account_labels(name: &str) -> Labels {
    let mut out = Labels::new();
    out.insert(NAME_LABEL.to_string(), name.to_string());
    out
}

// ---- Lexer. ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Label,
    Str,
    LBrace,
    RBrace,
    Comma,
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    Not,
    All,
    Global,
    Has,
    LParen,
    RParen,
    And,
    Or,
    Eof,
}

/// A word of the selector: `text[start..end]` is what was written; `value` is a label key (of
/// `Label` and `Has`) or a string's content (of `Str`).
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    start: usize,
    end: usize,
    value: &'a str,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_blank(bytes[i]) {
        i += 1;
    }
    i
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

/// The length of the label key at `i` (0 when there is none).
fn key_len(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().take_while(|b| is_key_byte(**b)).count()
}

fn column(text: &str, offset: usize) -> usize {
    text[..offset].chars().count() + 1
}

fn error_at(text: &str, offset: usize, message: impl Into<String>) -> SelectorError {
    SelectorError {
        offset,
        column: column(text, offset),
        message: message.into(),
    }
}

const OPERATORS: &str = "==, !=, in, not in, contains, starts with or ends with";

fn tokenize<'t>(text: &'t str) -> Result<Vec<Token<'t>>, SelectorError> {
    let bytes = text.as_bytes();
    let mut tokens: Vec<Token<'t>> = Vec::new();
    let mut i = 0;
    loop {
        i = skip_blanks(bytes, i);
        let start = i;
        if i == bytes.len() {
            tokens.push(Token {
                kind: Kind::Eof,
                start,
                end: start,
                value: "",
            });
            return Ok(tokens);
        }
        let after_key: Option<&'t str> = tokens
            .last()
            .filter(|t| t.kind == Kind::Label)
            .map(|t| t.value);
        let rest = &text[i..];
        let mut push = |kind: Kind, end: usize, value: &'t str| {
            tokens.push(Token {
                kind,
                start,
                end,
                value,
            })
        };
        let simple = match bytes[i] {
            b'(' => Some((Kind::LParen, 1)),
            b')' => Some((Kind::RParen, 1)),
            b'{' => Some((Kind::LBrace, 1)),
            b'}' => Some((Kind::RBrace, 1)),
            b',' => Some((Kind::Comma, 1)),
            b'=' if rest.starts_with("==") => Some((Kind::Eq, 2)),
            b'!' if rest.starts_with("!=") => Some((Kind::Ne, 2)),
            b'!' => Some((Kind::Not, 1)),
            b'&' if rest.starts_with("&&") => Some((Kind::And, 2)),
            b'|' if rest.starts_with("||") => Some((Kind::Or, 2)),
            _ => None,
        };
        if let Some((kind, len)) = simple {
            push(kind, i + len, "");
            i += len;
            continue;
        }
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                let Some(len) = memchr::memchr(quote, &bytes[i + 1..]) else {
                    return Err(error_at(
                        text,
                        start,
                        format!(
                            "unterminated string: the {} opened here is never closed",
                            char::from(quote)
                        ),
                    ));
                };
                let end = i + 1 + len + 1;
                push(Kind::Str, end, &text[i + 1..i + 1 + len]);
                i = end;
            }
            b'=' => return Err(error_at(text, start, "expected `==`, found a single `=`")),
            b'&' => return Err(error_at(text, start, "expected `&&`, found a single `&`")),
            b'|' => return Err(error_at(text, start, "expected `||`, found a single `|`")),
            _ if after_key.is_some() => {
                let key = after_key.unwrap_or_default();
                // Two-word operators may have blanks between their words, as in Calico.
                let two_words = |first: &str, second: &str| -> Option<usize> {
                    let after = i + first.len();
                    rest.strip_prefix(first)?;
                    let j = skip_blanks(bytes, after);
                    text[j..].starts_with(second).then_some(j + second.len())
                };
                let found = if rest.starts_with("contains") {
                    Some((Kind::Contains, i + "contains".len()))
                } else if let Some(end) = two_words("starts", "with") {
                    Some((Kind::StartsWith, end))
                } else if let Some(end) = two_words("ends", "with") {
                    Some((Kind::EndsWith, end))
                } else if let Some(end) = two_words("not", "in") {
                    Some((Kind::NotIn, end))
                } else if rest.starts_with("in") {
                    Some((Kind::In, i + 2))
                } else {
                    None
                };
                let Some((kind, end)) = found else {
                    return Err(error_at(
                        text,
                        start,
                        format!(
                            "expected an operator ({OPERATORS}) after `{key}`, found {}",
                            describe_text(rest)
                        ),
                    ));
                };
                push(kind, end, "");
                i = end;
            }
            _ => {
                let call = |name: &str| rest.strip_prefix(name).map(|_| i + name.len());
                if let Some(open) = call("has(") {
                    let k = skip_blanks(bytes, open);
                    let len = key_len(bytes, k);
                    if len == 0 {
                        return Err(error_at(
                            text,
                            k,
                            format!(
                                "expected a label key inside `has(`, found {}",
                                describe_text(&text[k..])
                            ),
                        ));
                    }
                    let close = skip_blanks(bytes, k + len);
                    if bytes.get(close) != Some(&b')') {
                        return Err(error_at(
                            text,
                            close,
                            format!(
                                "expected `)` to close `has({}`, found {}",
                                &text[k..k + len],
                                describe_text(&text[close..])
                            ),
                        ));
                    }
                    push(Kind::Has, close + 1, &text[k..k + len]);
                    i = close + 1;
                } else if let Some((kind, open)) = call("all(")
                    .map(|o| (Kind::All, o))
                    .or_else(|| call("global(").map(|o| (Kind::Global, o)))
                {
                    let close = skip_blanks(bytes, open);
                    if bytes.get(close) != Some(&b')') {
                        return Err(error_at(
                            text,
                            close,
                            format!(
                                "expected `)` after `{}`: it takes no argument, found {}",
                                &text[i..open],
                                describe_text(&text[close..])
                            ),
                        ));
                    }
                    push(kind, close + 1, "");
                    i = close + 1;
                } else {
                    let len = key_len(bytes, i);
                    if len == 0 {
                        return Err(unexpected_character(text, start));
                    }
                    let key = &text[i..i + len];
                    let next = skip_blanks(bytes, i + len);
                    if bytes.get(next) == Some(&b'(') {
                        let message = if matches!(key, "has" | "all" | "global") {
                            format!("write `{key}(` without a space before `(`")
                        } else {
                            format!(
                                "unknown function `{key}(`: Calico's selectors have has(), all() \
                                 and global()"
                            )
                        };
                        return Err(error_at(text, start, message));
                    }
                    push(Kind::Label, i + len, key);
                    i += len;
                }
            }
        }
    }
}

fn unexpected_character(text: &str, offset: usize) -> SelectorError {
    let c = text[offset..].chars().next().unwrap_or(' ');
    let message = match c {
        '\n' | '\r' => "unexpected line break (Calico reads a selector as one line, with spaces \
                        or tabs between its words)"
            .to_string(),
        c if c.is_control() => format!("unexpected control character {:?}", c),
        c => format!("unexpected character `{c}`"),
    };
    error_at(text, offset, message)
}

/// How an error names what it found at the start of `rest`.
fn describe_text(rest: &str) -> String {
    match rest.chars().next() {
        None => "the end of the selector".to_string(),
        Some(c) if c.is_control() => format!("{c:?}"),
        Some(c) => {
            let key = key_len(rest.as_bytes(), 0);
            if key > 0 {
                format!("`{}`", &rest[..key])
            } else {
                format!("`{c}`")
            }
        }
    }
}

// ---- Parser. ----

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Token<'a> {
        self.tokens[self.pos]
    }

    /// The next token; the end of input repeats.
    fn next(&mut self) -> Token<'a> {
        let token = self.tokens[self.pos];
        if token.kind != Kind::Eof {
            self.pos += 1;
        }
        token
    }

    fn error(&self, offset: usize, message: String) -> SelectorError {
        error_at(self.text, offset, message)
    }

    fn describe(&self, token: &Token<'_>) -> String {
        let written = &self.text[token.start..token.end];
        match token.kind {
            Kind::Eof => "the end of the selector".to_string(),
            // A string may hold line breaks; the error stays on one line.
            _ if written.chars().any(char::is_control) => format!("{written:?}"),
            _ => format!("`{written}`"),
        }
    }

    /// `after` names what came before, for errors ("after `&&`").
    fn or_expression(&mut self, after: Option<&str>) -> Result<Expr, SelectorError> {
        let mut operands = vec![self.and_expression(after)?];
        while self.peek().kind == Kind::Or {
            self.next();
            operands.push(self.and_expression(Some("`||`"))?);
        }
        Ok(if operands.len() == 1 {
            operands.pop().unwrap_or(Expr::All)
        } else {
            Expr::Or(operands)
        })
    }

    fn and_expression(&mut self, after: Option<&str>) -> Result<Expr, SelectorError> {
        let mut operands = vec![self.operation(after)?];
        while self.peek().kind == Kind::And {
            self.next();
            operands.push(self.operation(Some("`&&`"))?);
        }
        Ok(if operands.len() == 1 {
            operands.pop().unwrap_or(Expr::All)
        } else {
            Expr::And(operands)
        })
    }

    fn operation(&mut self, mut after: Option<&str>) -> Result<Expr, SelectorError> {
        let mut negated = false;
        while self.peek().kind == Kind::Not {
            self.next();
            negated = !negated;
            after = Some("`!`");
        }
        let token = self.next();
        let expr = match token.kind {
            Kind::All => Expr::All,
            Kind::Global => Expr::Global,
            Kind::Has => Expr::Has(token.value.to_string()),
            Kind::Label => self.label_operation(token)?,
            Kind::LParen => {
                if self.depth == MAX_DEPTH {
                    return Err(self.error(
                        token.start,
                        format!("parentheses nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.depth += 1;
                let inner = self.or_expression(Some("`(`"))?;
                self.depth -= 1;
                let close = self.next();
                if close.kind != Kind::RParen {
                    return Err(self.error(
                        close.start,
                        format!(
                            "expected `)` to close the `(` at column {}, found {}",
                            column(self.text, token.start),
                            self.describe(&close)
                        ),
                    ));
                }
                inner
            }
            _ => {
                let after = after.map(|a| format!(" after {a}")).unwrap_or_default();
                return Err(self.error(
                    token.start,
                    format!(
                        "expected a selector expression (a label test, has(), all(), `!` or \
                         `(`){after}, found {}",
                        self.describe(&token)
                    ),
                ));
            }
        };
        Ok(match (negated, expr) {
            // `!(!e)` is `e`. Calico keeps both nodes and prints them `!!e`, which it reads
            // back as `e`: dropping them here keeps the canonical form stable.
            (true, Expr::Not(inner)) => *inner,
            (true, expr) => Expr::Not(Box::new(expr)),
            (false, expr) => expr,
        })
    }

    fn label_operation(&mut self, key_token: Token<'a>) -> Result<Expr, SelectorError> {
        let key = key_token.value.to_string();
        let op = self.next();
        let op_text = &self.text[op.start..op.end];
        let with_value: Option<fn(String, String) -> Expr> = match op.kind {
            Kind::Eq => Some(Expr::Eq),
            Kind::Ne => Some(Expr::Ne),
            Kind::Contains => Some(Expr::Contains),
            Kind::StartsWith => Some(Expr::StartsWith),
            Kind::EndsWith => Some(Expr::EndsWith),
            _ => None,
        };
        if let Some(build) = with_value {
            let value = self.next();
            if value.kind != Kind::Str {
                let hint = if value.kind == Kind::Label {
                    format!(" (values are quoted: '{}')", value.value)
                } else {
                    String::new()
                };
                return Err(self.error(
                    value.start,
                    format!(
                        "expected a quoted value after `{op_text}`, found {}{hint}",
                        self.describe(&value)
                    ),
                ));
            }
            return Ok(build(key, value.value.to_string()));
        }
        if !matches!(op.kind, Kind::In | Kind::NotIn) {
            return Err(self.error(
                op.start,
                format!(
                    "expected an operator ({OPERATORS}) after `{key}`, found {}",
                    self.describe(&op)
                ),
            ));
        }
        let open = self.next();
        if open.kind != Kind::LBrace {
            return Err(self.error(
                open.start,
                format!(
                    "expected `{{` after `{op_text}` (a set is written {{'a', 'b'}}), found {}",
                    self.describe(&open)
                ),
            ));
        }
        let mut values = BTreeSet::new();
        let mut expecting_value = true;
        while self.peek().kind == Kind::Str {
            values.insert(self.next().value.to_string());
            expecting_value = self.peek().kind == Kind::Comma;
            if !expecting_value {
                break;
            }
            self.next();
        }
        let close = self.next();
        if close.kind != Kind::RBrace {
            let wanted = if expecting_value {
                "a quoted value or `}`"
            } else {
                "`,` or `}`"
            };
            return Err(self.error(
                close.start,
                format!(
                    "expected {wanted} in the set after `{op_text}`, found {}",
                    self.describe(&close)
                ),
            ));
        }
        Ok(if op.kind == Kind::In {
            Expr::In(key, values)
        } else {
            Expr::NotIn(key, values)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(text: &str) -> CalicoSelector {
        CalicoSelector::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn err(text: &str) -> SelectorError {
        match CalicoSelector::parse(text) {
            Ok(s) => panic!("{text:?} parsed as {s}"),
            Err(e) => e,
        }
    }

    /// Which of these label sets the selector matches.
    fn which(text: &str, sets: &[&[(&str, &str)]]) -> Vec<bool> {
        let s = sel(text);
        sets.iter().map(|set| s.matches(&labels(set))).collect()
    }

    const NONE: &[(&str, &str)] = &[];
    const WEB: &[(&str, &str)] = &[("app", "web")];
    const DB: &[(&str, &str)] = &[("app", "db")];

    #[test]
    fn equality_with_either_quote() {
        assert_eq!(
            which("app == 'web'", &[WEB, DB, NONE]),
            [true, false, false]
        );
        assert_eq!(
            which("app == \"web\"", &[WEB, DB, NONE]),
            [true, false, false]
        );
        assert_eq!(which("app=='web'", &[WEB, DB]), [true, false]);
    }

    #[test]
    fn not_equal_also_matches_an_absent_label() {
        assert_eq!(which("app != 'web'", &[WEB, DB, NONE]), [false, true, true]);
    }

    #[test]
    fn has_and_not_has() {
        assert_eq!(which("has(app)", &[WEB, NONE]), [true, false]);
        assert_eq!(which("!has(app)", &[WEB, NONE]), [false, true]);
        assert_eq!(which("has( app )", &[WEB, NONE]), [true, false]);
    }

    #[test]
    fn in_and_not_in() {
        let cache: &[(&str, &str)] = &[("app", "cache")];
        assert_eq!(
            which("app in {'web', \"db\"}", &[WEB, DB, cache, NONE]),
            [true, true, false, false]
        );
        assert_eq!(
            which("app not in {'web', 'db'}", &[WEB, DB, cache, NONE]),
            [false, false, true, true]
        );
        // Calico accepts an empty set and a trailing comma, and reads `notin` and `in{` too.
        assert_eq!(which("app in {}", &[WEB, NONE]), [false, false]);
        assert_eq!(which("app not in {}", &[WEB, NONE]), [true, true]);
        assert_eq!(which("app in {'web',}", &[WEB, DB]), [true, false]);
        assert_eq!(which("app notin{'web'}", &[WEB, DB]), [false, true]);
    }

    #[test]
    fn substring_operators_need_the_label() {
        let v: &[(&str, &str)] = &[("ver", "prod-eu-1")];
        assert_eq!(which("ver contains 'eu'", &[v, NONE]), [true, false]);
        assert_eq!(which("ver contains 'us'", &[v]), [false]);
        assert_eq!(which("ver starts with 'prod'", &[v, NONE]), [true, false]);
        assert_eq!(which("ver starts with 'eu'", &[v]), [false]);
        assert_eq!(which("ver ends with '-1'", &[v, NONE]), [true, false]);
        assert_eq!(which("ver ends  with 'prod'", &[v]), [false]);
        // The empty string is a prefix of every value, not of a missing one.
        assert_eq!(which("ver starts with ''", &[v, NONE]), [true, false]);
    }

    #[test]
    fn all_global_and_the_empty_selector() {
        assert_eq!(which("all()", &[WEB, NONE]), [true, true]);
        assert_eq!(which("!all()", &[WEB, NONE]), [false, false]);
        assert_eq!(which("", &[WEB, NONE]), [true, true]);
        assert_eq!(which(" \t ", &[WEB, NONE]), [true, true]);
        assert!(sel("").is_all() && sel("all()").is_all() && sel("!!all()").is_all());
        assert!(!sel("!all()").is_all() && !sel("has(a)").is_all());
        // global() selects non-namespaced resources: never a pod.
        assert_eq!(which("global()", &[WEB, NONE]), [false, false]);
        assert_eq!(which("!global()", &[WEB, NONE]), [true, true]);
        assert_eq!(which("global() || app == 'web'", &[WEB, DB]), [true, false]);
    }

    #[test]
    fn prefixed_keys() {
        let pod = labels(&[
            ("app.kubernetes.io/name", "api"),
            ("projectcalico.org/namespace", "prod"),
        ]);
        assert!(sel("app.kubernetes.io/name == 'api'").matches(&pod));
        assert!(sel("projectcalico.org/namespace in {'prod'}").matches(&pod));
        assert!(sel("has(app.kubernetes.io/name)").matches(&pod));
        assert!(!sel("has(app.kubernetes.io/version)").matches(&pod));
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        // Calico's documented example, bracketed as
        // ((!has(my-label)) || ((my-label starts with 'prod') && (role in {...}))).
        let s = sel(
            "! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}",
        );
        assert_eq!(
            s.to_string(),
            "(!has(my-label) || (my-label starts with \"prod\" && role in {\"business\", \"frontend\"}))"
        );
        let m = |pairs: &[(&str, &str)]| s.matches(&labels(pairs));
        assert!(m(&[]));
        assert!(m(&[("my-label", "prod-1"), ("role", "frontend")]));
        assert!(!m(&[("my-label", "prod-1")]));
        assert!(!m(&[("my-label", "dev"), ("role", "frontend")]));

        // `!` takes one operation, not the `&&` after it.
        let b: &[(&str, &str)] = &[("b", "y")];
        let ab_xy: &[(&str, &str)] = &[("a", "x"), ("b", "y")];
        assert_eq!(which("!a == 'x' && b == 'y'", &[b, ab_xy]), [true, false]);
        // `&&` before `||` on either side.
        let ab: &[(&str, &str)] = &[("a", "1"), ("b", "1")];
        let c: &[(&str, &str)] = &[("c", "1")];
        let a: &[(&str, &str)] = &[("a", "1")];
        assert_eq!(
            which("has(a) && has(b) || has(c)", &[ab, c, a]),
            [true, true, false]
        );
        assert_eq!(
            which("has(c) || has(a) && has(b)", &[ab, c, a]),
            [true, true, false]
        );
        // Parentheses override.
        assert_eq!(
            which("has(a) && (has(b) || has(c))", &[ab, c, a]),
            [true, false, false]
        );
        assert_eq!(which("!(has(a) && has(b))", &[ab, a]), [false, true]);
        // A run of `!` collapses.
        assert_eq!(sel("!!!has(a)"), sel("!has(a)"));
        assert_eq!(sel("!!has(a)"), sel("has(a)"));
        assert_eq!(sel("!(!has(a))"), sel("has(a)"));
        assert_eq!(sel("!(!(!has(a)))"), sel("!has(a)"));
    }

    #[test]
    fn display_is_calicos_canonical_form() {
        assert_eq!(sel("").to_string(), "all()");
        assert_eq!(sel("a=='x'").to_string(), "a == \"x\"");
        assert_eq!(sel("a == 'say \"hi\"'").to_string(), "a == 'say \"hi\"'");
        assert_eq!(sel("a in {'b','a','b'}").to_string(), "a in {\"a\", \"b\"}");
        assert_eq!(sel("a not in {}").to_string(), "a not in {}");
        assert_eq!(
            sel("has(a) && b != 'c' && !global()").to_string(),
            "(has(a) && b != \"c\" && !global())"
        );
        assert_eq!(sel("((has(a)))").to_string(), "has(a)");
        for text in [
            "a ends with 'x' || (b contains 'y' && !c starts with 'z')",
            "!(a in {'1', '2'} || has(b)) && all()",
        ] {
            let s = sel(text);
            assert_eq!(sel(&s.to_string()), s, "{text}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases: &[(&str, usize, &str)] = &[
            ("app == 'web", 8, "unterminated string"),
            ("app ==", 7, "expected a quoted value after `==`, found the end of the selector"),
            ("app == web", 8, "expected a quoted value after `==`, found `web` (values are quoted: 'web')"),
            ("app", 4, "expected an operator"),
            ("app = 'web'", 5, "expected `==`, found a single `=`"),
            ("app is 'web'", 5, "expected an operator (==, !=, in, not in, contains, starts with or ends with) after `app`, found `is`"),
            ("foo(app)", 1, "unknown function `foo(`"),
            ("has (app)", 1, "write `has(` without a space"),
            ("has()", 5, "expected a label key inside `has(`"),
            ("has(app", 8, "expected `)` to close `has(app`"),
            ("all(x)", 5, "expected `)` after `all(`"),
            ("app in 'web'", 8, "expected `{` after `in`"),
            ("app in {'a' 'b'}", 13, "expected `,` or `}` in the set"),
            ("app in {'a', b}", 14, "expected a quoted value or `}` in the set"),
            ("app == 'web' &&", 16, "expected a selector expression (a label test, has(), all(), `!` or `(`) after `&&`, found the end of the selector"),
            ("|| has(a)", 1, "expected a selector expression"),
            ("has(a) & has(b)", 8, "expected `&&`, found a single `&`"),
            ("(has(a) || has(b)", 18, "expected `)` to close the `(` at column 1"),
            ("has(a))", 7, "expected `&&`, `||` or the end of the selector, found `)`"),
            ("has(a) has(b)", 8, "expected `&&`, `||` or the end of the selector, found `has(b)`"),
            ("!", 2, "expected a selector expression (a label test, has(), all(), `!` or `(`) after `!`"),
            ("app == 'x'\n&& has(b)", 11, "unexpected line break"),
            ("app == 'x' ; has(b)", 12, "unexpected character `;`"),
            ("é == 'x'", 1, "unexpected character `é`"),
            ("a == 'é' && ?", 13, "unexpected character `?`"),
        ];
        for (text, column, message) in cases {
            let e = err(text);
            assert_eq!(e.column, *column, "{text:?}: {e}");
            assert!(e.message.starts_with(message), "{text:?}: {e}");
            assert!(e.to_string().ends_with(&format!(" at column {column}")));
        }
        // The offset is in bytes, the column in characters.
        let e = err("a == 'é' && ?");
        assert_eq!(e.offset, 13);
        assert_eq!(e.column, 13);
        let e = err("a == 'éé' ?");
        assert_eq!((e.offset, e.column), (12, 11));
        assert_eq!(
            err("app == ").to_string(),
            "expected a quoted value after `==`, found the end of the selector at column 8"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "(".repeat(10_000);
        let e = err(&deep);
        assert_eq!(e.column, MAX_DEPTH + 1);
        assert!(e.message.contains("nested deeper than 100"), "{e}");
        let e = err(&format!(
            "{}has(a){}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ));
        assert!(e.message.contains("nested deeper"), "{e}");
        let fine = format!("{}has(a){}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(sel(&fine), sel("has(a)"));
        // `!` does not nest: a long run is fine.
        assert_eq!(
            sel(&format!("{}has(a)", "!".repeat(100_001))),
            sel("!has(a)")
        );
    }

    #[test]
    fn pod_namespace_and_service_account_labels() {
        let pod = pod_labels(&labels(&[("app", "web")]), "prod", "api");
        assert_eq!(
            pod,
            labels(&[
                ("app", "web"),
                (NAMESPACE_LABEL, "prod"),
                (ORCHESTRATOR_LABEL, "k8s"),
                (SERVICE_ACCOUNT_LABEL, "api"),
            ])
        );
        assert!(sel("projectcalico.org/namespace == 'prod' && app == 'web'").matches(&pod));
        assert!(sel("projectcalico.org/serviceaccount == 'api'").matches(&pod));
        assert!(sel("projectcalico.org/orchestrator == 'k8s'").matches(&pod));
        // A pod label of the same key does not hide Calico's.
        let spoof = pod_labels(&labels(&[(NAMESPACE_LABEL, "kube-system")]), "prod", "");
        assert_eq!(spoof.get(NAMESPACE_LABEL).map(String::as_str), Some("prod"));
        assert!(!spoof.contains_key(SERVICE_ACCOUNT_LABEL));
        // Names of 63 characters or more are left out.
        assert!(
            !pod_labels(&Labels::new(), "n", &"s".repeat(63)).contains_key(SERVICE_ACCOUNT_LABEL)
        );
        assert!(
            pod_labels(&Labels::new(), "n", &"s".repeat(62)).contains_key(SERVICE_ACCOUNT_LABEL)
        );

        let ns = namespace_labels(&labels(&[("env", "prod"), (NAME_LABEL, "other")]), "shop");
        assert!(sel("projectcalico.org/name == 'shop' && env == 'prod'").matches(&ns));
        let sa = service_account_labels("api");
        assert_eq!(sa, labels(&[(NAME_LABEL, "api")]));
        assert!(sel("projectcalico.org/name in {'api', 'worker'}").matches(&sa));
    }
}
