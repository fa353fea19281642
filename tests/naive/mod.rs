//! Literal readings of SEMANTICS.md shared by the property tests, written without any of the
//! crate's code, so that the crate's indexed and compiled evaluators have something
//! independent to agree with; and the random label sets and requirements both tests draw.
#![allow(dead_code)]

use netpol_check::model::{LabelSelector, Labels, NetworkPolicy, Requirement};
use proptest::prelude::*;

pub const KEYS: [&str; 3] = ["app", "tier", "env"];
pub const VALUES: [&str; 3] = ["x", "y", "z"];

/// Up to two distinct keys of `keys`, each with one of `VALUES`.
pub fn label_pairs(keys: &[&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(
        prop::sample::select(keys.to_vec()),
        prop::sample::select(VALUES.to_vec()),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

/// A valid requirement: In/NotIn with values, Exists/DoesNotExist without.
pub fn requirement() -> impl Strategy<Value = Requirement> {
    (
        prop::sample::select(KEYS.to_vec()),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::collection::vec(prop::sample::select(VALUES.to_vec()), 1..3),
    )
        .prop_map(|(k, op, vals)| Requirement {
            key: k.into(),
            operator: op.into(),
            values: if op == "In" || op == "NotIn" {
                vals.into_iter().map(str::to_owned).collect()
            } else {
                vec![]
            },
        })
}

pub fn naive_selects(sel: &LabelSelector, labels: &Labels) -> bool {
    // "matchLabels and matchExpressions are ANDed."
    for (k, v) in &sel.match_labels {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for r in &sel.match_expressions {
        let ok = match r.operator.as_str() {
            // "In: key present and value listed."
            "In" => labels.contains_key(&r.key) && r.values.contains(&labels[&r.key]),
            // "NotIn: key absent, or value not listed."
            "NotIn" => !labels.contains_key(&r.key) || !r.values.contains(&labels[&r.key]),
            "Exists" => labels.contains_key(&r.key),
            "DoesNotExist" => !labels.contains_key(&r.key),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// "When the field is missing or an empty list, the API server sets it to [Ingress], plus
/// Egress when spec.egress has at least one rule."
pub fn naive_types(p: &NetworkPolicy) -> (bool, bool) {
    match &p.policy_types {
        None => (true, !p.egress.is_empty()),
        Some(t) if t.is_empty() => (true, !p.egress.is_empty()),
        Some(t) => (
            t.iter().any(|x| x == "Ingress"),
            t.iter().any(|x| x == "Egress"),
        ),
    }
}
