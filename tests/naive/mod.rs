//! Literal readings of SEMANTICS.md shared by the property tests, written without any of the
//! crate's code, so that the crate's indexed and compiled evaluators have something
//! independent to agree with.
#![allow(dead_code)]

use netpol_check::model::{LabelSelector, Labels, NetworkPolicy};

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
