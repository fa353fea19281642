//! Effective `policyTypes` (SEMANTICS.md point 2).

use crate::model::{Direction, NetworkPolicy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyTypes {
    pub ingress: bool,
    pub egress: bool,
    /// The field was omitted or empty, and the API server's defaulting decided the types.
    pub defaulted: bool,
}

impl PolicyTypes {
    /// The types the API server stores: an omitted or empty `policyTypes` becomes `[Ingress]`,
    /// plus `Egress` when `spec.egress` has at least one rule (so `egress: []` adds nothing).
    /// A given list is used as written; values other than Ingress/Egress are invalid and add
    /// nothing here.
    pub fn of(policy: &NetworkPolicy) -> Self {
        match &policy.policy_types {
            Some(types) if !types.is_empty() => PolicyTypes {
                ingress: types.iter().any(|t| t == "Ingress"),
                egress: types.iter().any(|t| t == "Egress"),
                defaulted: false,
            },
            _ => PolicyTypes {
                ingress: true,
                egress: !policy.egress.is_empty(),
                defaulted: true,
            },
        }
    }

    pub fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }

    /// `["Ingress", "Egress"]`, `["Ingress"]`, ...: the effective types as the API server
    /// writes them.
    pub fn names(self) -> Vec<&'static str> {
        Direction::BOTH
            .into_iter()
            .filter(|d| self.has(*d))
            .map(Direction::as_str)
            .collect()
    }

    /// `[Ingress, Egress]`, `[Ingress]`, `[Egress]` or `[]`, as a user would write it.
    pub fn describe(self) -> String {
        let names = self.names();
        format!("[{}]", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LabelSelector, Rule};

    fn policy(types: Option<&[&str]>, ingress: usize, egress: usize) -> NetworkPolicy {
        NetworkPolicy {
            namespace: "ns".into(),
            name: "p".into(),
            pod_selector: LabelSelector::default(),
            policy_types: types.map(|t| t.iter().map(|s| s.to_string()).collect()),
            ingress: vec![Rule::default(); ingress],
            egress: vec![Rule::default(); egress],
            suppression: Default::default(),
            origin: Default::default(),
        }
    }

    #[test]
    fn omitted_types_default_to_ingress() {
        let t = PolicyTypes::of(&policy(None, 0, 0));
        assert!(t.ingress && !t.egress && t.defaulted);
    }

    #[test]
    fn omitted_types_with_egress_rules_add_egress() {
        let t = PolicyTypes::of(&policy(None, 0, 1));
        assert!(t.ingress && t.egress && t.defaulted);
    }

    #[test]
    fn empty_types_list_defaults_like_omitted() {
        let t = PolicyTypes::of(&policy(Some(&[]), 0, 0));
        assert!(t.ingress && !t.egress && t.defaulted);
        let t = PolicyTypes::of(&policy(Some(&[]), 0, 2));
        assert!(t.ingress && t.egress);
    }

    #[test]
    fn given_types_are_used_as_written() {
        // Egress rules without Egress in policyTypes are inert.
        let t = PolicyTypes::of(&policy(Some(&["Ingress"]), 0, 3));
        assert!(t.ingress && !t.egress && !t.defaulted);
        let t = PolicyTypes::of(&policy(Some(&["Egress"]), 2, 0));
        assert!(!t.ingress && t.egress);
    }

    #[test]
    fn describe_lists_effective_types() {
        assert_eq!(
            PolicyTypes::of(&policy(None, 0, 1)).describe(),
            "[Ingress, Egress]"
        );
        assert_eq!(
            PolicyTypes::of(&policy(Some(&["Egress"]), 0, 0)).describe(),
            "[Egress]"
        );
    }
}
