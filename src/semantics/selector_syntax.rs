//! kubectl's label-selector syntax (`-l`): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
//! `a`, `!a`, requirements ANDed by commas. Parsed into a `LabelSelector` so that it matches
//! exactly as a policy's selector would.

use crate::model::{LabelSelector, Requirement};

use super::validation::{label_value_errors, qualified_name_errors};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Equals,
    NotEquals,
    Not,
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            ',' => {
                chars.next();
                out.push(Token::Comma);
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '=' => {
                chars.next();
                // `==` is the same as `=`.
                if chars.peek() == Some(&'=') {
                    chars.next();
                }
                out.push(Token::Equals);
            }
            '!' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    out.push(Token::NotEquals);
                } else {
                    out.push(Token::Not);
                }
            }
            '<' | '>' => {
                return Err(format!(
                    "the operator '{c}' is not supported (use =, ==, !=, in, notin, KEY or !KEY)"
                ))
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || ",()=!<>".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

fn key(word: &str) -> Result<String, String> {
    match qualified_name_errors(word).into_iter().next() {
        None => Ok(word.to_owned()),
        Some(msg) => Err(format!("{word:?} is not a valid label key: {msg}")),
    }
}

fn value(word: &str) -> Result<String, String> {
    match label_value_errors(word).into_iter().next() {
        None => Ok(word.to_owned()),
        Some(msg) => Err(format!("{word:?} is not a valid label value: {msg}")),
    }
}

/// Parses a selector as kubectl does; the error says what is wrong, without the flag's name.
pub fn parse(text: &str) -> Result<LabelSelector, String> {
    let tokens = tokens(text)?;
    let mut selector = LabelSelector::default();
    let mut rest = tokens.as_slice();
    if rest.is_empty() {
        return Err("empty selector (expected e.g. app=web)".to_owned());
    }
    loop {
        let requirement = match rest {
            [Token::Not, Token::Word(k), tail @ ..] => {
                rest = tail;
                Requirement {
                    key: key(k)?,
                    operator: "DoesNotExist".into(),
                    values: vec![],
                }
            }
            [Token::Word(k), Token::Equals | Token::NotEquals, tail @ ..] => {
                let operator = if rest[1] == Token::Equals {
                    "In"
                } else {
                    "NotIn"
                };
                // `a=` is the empty value, as kubectl reads it.
                let (v, tail) = match tail {
                    [Token::Word(v), tail @ ..] => (value(v)?, tail),
                    _ => (String::new(), tail),
                };
                rest = tail;
                Requirement {
                    key: key(k)?,
                    operator: operator.into(),
                    values: vec![v],
                }
            }
            [Token::Word(k), Token::Word(op), Token::Open, tail @ ..]
                if op == "in" || op == "notin" =>
            {
                let close = tail
                    .iter()
                    .position(|t| *t == Token::Close)
                    .ok_or_else(|| format!("missing ')' after '{k} {op} ('"))?;
                let mut values = Vec::new();
                for (i, t) in tail[..close].iter().enumerate() {
                    match (i % 2, t) {
                        (0, Token::Word(v)) => values.push(value(v)?),
                        (1, Token::Comma) => {}
                        _ => return Err(format!("expected values like '{k} {op} (a,b)'")),
                    }
                }
                if values.is_empty() {
                    return Err(format!("'{k} {op} ()' needs at least one value"));
                }
                if close % 2 == 0 {
                    return Err(format!("expected values like '{k} {op} (a,b)'"));
                }
                rest = &tail[close + 1..];
                Requirement {
                    key: key(k)?,
                    operator: if op == "in" { "In" } else { "NotIn" }.into(),
                    values,
                }
            }
            [Token::Word(k), Token::Comma, ..] | [Token::Word(k)] => {
                rest = &rest[1..];
                Requirement {
                    key: key(k)?,
                    operator: "Exists".into(),
                    values: vec![],
                }
            }
            _ => {
                return Err(format!(
                    "cannot parse {text:?}: expected KEY=VALUE, KEY!=VALUE, KEY in (A,B), KEY notin (A), KEY or !KEY, separated by commas"
                ))
            }
        };
        selector.match_expressions.push(requirement);
        match rest {
            [] => return Ok(selector),
            [Token::Comma, tail @ ..] if !tail.is_empty() => rest = tail,
            _ => {
                return Err(format!(
                    "cannot parse {text:?}: requirements must be separated by commas, without a trailing one"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;
    use crate::semantics::Selector;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn matches(text: &str, pairs: &[(&str, &str)]) -> bool {
        Selector::compile(&parse(text).unwrap()).matches(&labels(pairs))
    }

    #[test]
    fn equality_and_inequality() {
        assert!(matches("app=web", &[("app", "web")]));
        assert!(matches("app==web", &[("app", "web")]));
        assert!(!matches("app=web", &[("app", "db")]));
        assert!(matches("app!=web", &[("app", "db")]));
        // kubectl: != also matches pods without the label.
        assert!(matches("app!=web", &[]));
        assert!(!matches("app!=web", &[("app", "web")]));
        assert!(matches("app=", &[("app", "")]));
    }

    #[test]
    fn sets_existence_and_conjunction() {
        assert!(matches("tier in (a, b)", &[("tier", "b")]));
        assert!(!matches("tier in (a,b)", &[("tier", "c")]));
        assert!(matches("tier notin (a)", &[]));
        assert!(!matches("tier notin (a)", &[("tier", "a")]));
        assert!(matches("app", &[("app", "x")]));
        assert!(!matches("app", &[]));
        assert!(matches("!app", &[]));
        assert!(!matches("!app", &[("app", "x")]));
        assert!(matches(
            "app.kubernetes.io/part-of=shop,tier in (web),!legacy",
            &[("app.kubernetes.io/part-of", "shop"), ("tier", "web")]
        ));
        assert!(!matches(
            "app=web,tier=db",
            &[("app", "web"), ("tier", "web")]
        ));
    }

    #[test]
    fn bad_syntax_is_refused_with_a_reason() {
        for bad in [
            "",
            "app=web,",
            ",app=web",
            "app in ()",
            "app in (a",
            "app in (a b)",
            "app=web tier=db",
            "app=we b",
            "=web",
            "app>1",
            "bad key=x",
            "app=-x",
            "a/b/c=x",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(!e.is_empty(), "{bad}");
        }
    }
}
