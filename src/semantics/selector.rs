//! Label selectors (`metav1.LabelSelector`), compiled once and matched many times.

use crate::model::{LabelSelector, Labels};

/// A compiled label selector. `matchLabels` and every `matchExpressions` requirement are ANDed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    /// An operator the API server refuses. Such a policy never reaches a cluster, so the
    /// selector matches nothing rather than guessing what was meant.
    Never,
}

/// What a set must carry for one term of a selector to match it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor<'s> {
    Pair(&'s str, &'s str),
    AnyOf(&'s str, &'s [String]),
    Key(&'s str),
    /// The term matches no set.
    Nothing,
}

impl Anchor<'_> {
    /// Whether `labels` carry what the term asks for: a set that does not is never matched.
    pub(crate) fn carried_by(&self, labels: &Labels) -> bool {
        match *self {
            Anchor::Pair(k, v) => labels.get(k).is_some_and(|x| x == v),
            Anchor::AnyOf(k, values) => labels.get(k).is_some_and(|x| values.contains(x)),
            Anchor::Key(k) => labels.contains_key(k),
            Anchor::Nothing => false,
        }
    }
}

impl Selector {
    pub fn compile(selector: &LabelSelector) -> Self {
        let mut terms: Vec<Term> = selector
            .match_labels
            .iter()
            .map(|(k, v)| Term::Equals(k.clone(), v.clone()))
            .collect();
        terms.extend(selector.match_expressions.iter().map(|r| {
            let key = r.key.clone();
            match r.operator.as_str() {
                "In" => Term::In(key, r.values.clone()),
                "NotIn" => Term::NotIn(key, r.values.clone()),
                "Exists" => Term::Exists(key),
                "DoesNotExist" => Term::DoesNotExist(key),
                _ => Term::Never,
            }
        }));
        Selector { terms }
    }

    /// The empty selector `{}`, which matches everything.
    pub fn everything() -> Self {
        Selector { terms: Vec::new() }
    }

    pub fn matches_everything(&self) -> bool {
        self.terms.is_empty()
    }

    /// For each term that only sets carrying some label can satisfy, that label: what an index
    /// narrows candidates by (see `LabelIndex`).
    pub(crate) fn anchors(&self) -> impl Iterator<Item = Anchor<'_>> {
        self.terms.iter().filter_map(|t| match t {
            Term::Equals(k, v) => Some(Anchor::Pair(k, v)),
            Term::In(k, vs) => Some(Anchor::AnyOf(k, vs)),
            Term::Exists(k) => Some(Anchor::Key(k)),
            Term::Never => Some(Anchor::Nothing),
            Term::NotIn(..) | Term::DoesNotExist(_) => None,
        })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Equals(k, v) => labels.get(k) == Some(v),
            Term::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            // NotIn also matches when the key is absent (unlike In).
            Term::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Term::Exists(k) => labels.contains_key(k),
            Term::DoesNotExist(k) => !labels.contains_key(k),
            Term::Never => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Requirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_labels: vec![],
            match_expressions: vec![Requirement {
                key: key.into(),
                operator: op.into(),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = Selector::compile(&LabelSelector::default());
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("app", "web")])));
    }

    #[test]
    fn match_labels_needs_every_pair() {
        let s = Selector::compile(&LabelSelector {
            match_labels: vec![("app".into(), "web".into()), ("tier".into(), "fe".into())],
            match_expressions: vec![],
        });
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "be")])));
    }

    #[test]
    fn in_requires_key_and_listed_value() {
        let s = Selector::compile(&expr("env", "In", &["prod", "stage"]));
        assert!(s.matches(&labels(&[("env", "prod")])));
        assert!(!s.matches(&labels(&[("env", "dev")])));
        assert!(!s.matches(&labels(&[])));
    }

    #[test]
    fn not_in_matches_absent_key_or_unlisted_value() {
        let s = Selector::compile(&expr("env", "NotIn", &["prod"]));
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn exists_and_does_not_exist() {
        let e = Selector::compile(&expr("canary", "Exists", &[]));
        let d = Selector::compile(&expr("canary", "DoesNotExist", &[]));
        let with = labels(&[("canary", "")]);
        let without = labels(&[("app", "x")]);
        assert!(e.matches(&with) && !e.matches(&without));
        assert!(!d.matches(&with) && d.matches(&without));
    }

    #[test]
    fn match_expressions_only_selector_is_not_match_all() {
        // Checkov and netfetch read only matchLabels and treat this as `{}`.
        let s = Selector::compile(&expr("app", "In", &["db"]));
        assert!(!s.matches_everything());
        assert!(!s.matches(&labels(&[("app", "web")])));
    }

    #[test]
    fn labels_and_expressions_are_anded() {
        let mut sel = expr("env", "NotIn", &["prod"]);
        sel.match_labels.push(("app".into(), "web".into()));
        let s = Selector::compile(&sel);
        assert!(s.matches(&labels(&[("app", "web"), ("env", "dev")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "prod")])));
        assert!(!s.matches(&labels(&[("app", "api"), ("env", "dev")])));
    }

    #[test]
    fn unknown_operator_matches_nothing() {
        let s = Selector::compile(&expr("app", "Equals", &["web"]));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[])));
    }
}
