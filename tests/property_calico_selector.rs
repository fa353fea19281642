//! Calico selectors (SEMANTICS.md point 20): random expressions, written out as text by this
//! test's own printer (either quote, optional blanks, redundant parentheses), must parse, and
//! match random label sets exactly as a naive evaluator of the generated tree says, written from
//! Calico's "Selectors" reference table alone: `!=` and `not in` match an absent label, the other
//! label tests need it, `global()` never matches a pod. Printing the parsed selector and parsing
//! it again gives the same selector. Arbitrary text never panics, and errors point inside it.

use std::collections::BTreeMap;

use netpol_check::model::Labels;
use netpol_check::semantics::calico_selector::CalicoSelector;
use proptest::prelude::*;

// Keys include words the lexer also knows as operators or functions.
const KEYS: [&str; 8] = [
    "app",
    "tier",
    "app.kubernetes.io/name",
    "projectcalico.org/namespace",
    "in",
    "not",
    "has",
    "starts",
];
// Values that are prefixes, suffixes and substrings of each other, the empty string, blanks,
// either quote (never both: Calico strings have no escapes), and a non-ASCII letter.
const VALUES: [&str; 9] = [
    "web",
    "we",
    "eb",
    "",
    "w e",
    "say \"hi\"",
    "it's",
    "café",
    "db",
];

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone)]
enum Sel {
    All,
    Global,
    Has(usize),
    Test(usize, Op, usize),
    In(usize, Vec<usize>),
    NotIn(usize, Vec<usize>),
    Not(Box<Sel>),
    And(Vec<Sel>),
    Or(Vec<Sel>),
}

fn naive(sel: &Sel, labels: &BTreeMap<&str, &str>) -> bool {
    let get = |k: usize| labels.get(KEYS[k]).copied();
    match sel {
        Sel::All => true,
        Sel::Global => false,
        Sel::Has(k) => get(*k).is_some(),
        Sel::Test(k, op, v) => {
            let want = VALUES[*v];
            match (get(*k), op) {
                (None, Op::Ne) => true,
                (None, _) => false,
                (Some(x), Op::Eq) => x == want,
                (Some(x), Op::Ne) => x != want,
                (Some(x), Op::Contains) => x.contains(want),
                (Some(x), Op::StartsWith) => x.starts_with(want),
                (Some(x), Op::EndsWith) => x.ends_with(want),
            }
        }
        Sel::In(k, vs) => get(*k).is_some_and(|x| vs.iter().any(|v| VALUES[*v] == x)),
        Sel::NotIn(k, vs) => !get(*k).is_some_and(|x| vs.iter().any(|v| VALUES[*v] == x)),
        Sel::Not(inner) => !naive(inner, labels),
        Sel::And(parts) => parts.iter().all(|p| naive(p, labels)),
        Sel::Or(parts) => parts.iter().any(|p| naive(p, labels)),
    }
}

/// Formatting choices, drawn in order from a list proptest generated.
struct Style<'a> {
    choices: &'a [u8],
    next: usize,
}

impl Style<'_> {
    fn pick(&mut self) -> u8 {
        let c = self.choices[self.next % self.choices.len()];
        self.next += 1;
        c
    }

    /// Blanks where Calico allows none or any.
    fn gap(&mut self) -> &'static str {
        ["", " ", "\t", "  "][usize::from(self.pick() % 4)]
    }

    /// Blanks where at least one is needed (between a key and a word operator).
    fn space(&mut self) -> &'static str {
        [" ", "\t", " \t "][usize::from(self.pick() % 3)]
    }

    fn quoted(&mut self, value: &str) -> String {
        let quote = if value.contains('\'') {
            '"'
        } else if value.contains('"') || self.pick() % 2 == 0 {
            '\''
        } else {
            '"'
        };
        format!("{quote}{value}{quote}")
    }
}

fn is_group(sel: &Sel) -> bool {
    matches!(sel, Sel::And(_) | Sel::Or(_))
}

fn print(sel: &Sel, style: &mut Style) -> String {
    let text = match sel {
        Sel::All => format!("all({})", style.gap()),
        Sel::Global => format!("global({})", style.gap()),
        Sel::Has(k) => format!("has({}{}{})", style.gap(), KEYS[*k], style.gap()),
        Sel::Test(k, op, v) => {
            let op = match op {
                Op::Eq => format!("{}=={}", style.gap(), style.gap()),
                Op::Ne => format!("{}!={}", style.gap(), style.gap()),
                Op::Contains => format!("{}contains{}", style.space(), style.gap()),
                Op::StartsWith => {
                    format!("{}starts{}with{}", style.space(), style.gap(), style.gap())
                }
                Op::EndsWith => format!("{}ends{}with{}", style.space(), style.gap(), style.gap()),
            };
            format!("{}{op}{}", KEYS[*k], style.quoted(VALUES[*v]))
        }
        Sel::In(k, vs) | Sel::NotIn(k, vs) => {
            let op = if matches!(sel, Sel::In(..)) {
                "in".to_string()
            } else {
                format!("not{}in", style.gap())
            };
            let mut items: Vec<String> = vs
                .iter()
                .map(|v| format!("{}{}", style.gap(), style.quoted(VALUES[*v])))
                .collect();
            // Calico accepts a comma after the last value.
            if !items.is_empty() && style.pick() % 4 == 0 {
                items.last_mut().unwrap().push(',');
            }
            format!(
                "{}{}{op}{}{{{}{}}}",
                KEYS[*k],
                style.space(),
                style.gap(),
                items.join(","),
                style.gap()
            )
        }
        Sel::Not(inner) => {
            let body = print(inner, style);
            if is_group(inner) {
                format!("!{}({body})", style.gap())
            } else {
                format!("!{}{body}", style.gap())
            }
        }
        Sel::And(parts) | Sel::Or(parts) => {
            let op = if matches!(sel, Sel::And(_)) {
                "&&"
            } else {
                "||"
            };
            let printed: Vec<String> = parts
                .iter()
                .map(|p| {
                    let body = print(p, style);
                    if is_group(p) {
                        format!("({body})")
                    } else {
                        body
                    }
                })
                .collect();
            let sep = format!("{}{op}{}", style.gap(), style.gap());
            printed.join(&sep)
        }
    };
    if style.pick() % 8 == 0 {
        format!("({}{text}{})", style.gap(), style.gap())
    } else {
        text
    }
}

fn arb_sel() -> impl Strategy<Value = Sel> {
    let key = 0..KEYS.len();
    let value = 0..VALUES.len();
    let op = prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Contains),
        Just(Op::StartsWith),
        Just(Op::EndsWith)
    ];
    let leaf = prop_oneof![
        1 => Just(Sel::All),
        1 => Just(Sel::Global),
        3 => key.clone().prop_map(Sel::Has),
        6 => (key.clone(), op, value.clone()).prop_map(|(k, o, v)| Sel::Test(k, o, v)),
        2 => (key.clone(), prop::collection::vec(value.clone(), 0..4)).prop_map(|(k, v)| Sel::In(k, v)),
        2 => (key, prop::collection::vec(value, 0..4)).prop_map(|(k, v)| Sel::NotIn(k, v)),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Sel::Not(Box::new(s))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Sel::And),
            prop::collection::vec(inner, 2..4).prop_map(Sel::Or),
        ]
    })
}

fn arb_labels() -> impl Strategy<Value = BTreeMap<&'static str, &'static str>> {
    prop::collection::btree_map(
        prop::sample::select(KEYS.to_vec()),
        prop::sample::select(VALUES.to_vec()),
        0..5,
    )
}

fn owned(labels: &BTreeMap<&str, &str>) -> Labels {
    labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn parsed_selectors_match_as_the_naive_evaluator_says(
        sel in arb_sel(),
        choices in prop::collection::vec(any::<u8>(), 1..64),
        label_sets in prop::collection::vec(arb_labels(), 1..12),
    ) {
        let text = print(&sel, &mut Style { choices: &choices, next: 0 });
        let parsed = CalicoSelector::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        for labels in &label_sets {
            prop_assert_eq!(
                parsed.matches(&owned(labels)),
                naive(&sel, labels),
                "{:?} (read as {}) on {:?}", text, parsed, labels
            );
        }
        let canonical = parsed.to_string();
        let again = CalicoSelector::parse(&canonical)
            .map_err(|e| TestCaseError::fail(format!("{canonical:?}: {e}")))?;
        prop_assert_eq!(&again, &parsed, "{:?} printed as {:?}", text, canonical);
        prop_assert_eq!(again.to_string(), canonical);
    }

    #[test]
    fn any_text_parses_or_fails_at_a_place_inside_it(
        text in "[ a-z.(){}!=&|,'\"\t\né-]{0,40}",
    ) {
        match CalicoSelector::parse(&text) {
            Ok(parsed) => {
                let again = CalicoSelector::parse(&parsed.to_string());
                prop_assert_eq!(again.as_ref(), Ok(&parsed), "{:?}", text);
            }
            Err(e) => {
                prop_assert!(e.offset <= text.len() && text.is_char_boundary(e.offset));
                prop_assert_eq!(e.column, text[..e.offset].chars().count() + 1);
                prop_assert!(!e.message.is_empty() && !e.message.contains('\n'));
            }
        }
    }
}

#[test]
fn keyword_like_text_parses_too() {
    // Sanity check of the alphabet above: the fuzz strings do produce selectors.
    for text in ["has(a)", "a in {}", "!all()", "a=='b'||has(c)"] {
        assert!(CalicoSelector::parse(text).is_ok(), "{text}");
    }
}
