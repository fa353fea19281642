//! NPC003 namespace-without-default-deny: a namespace with workloads where a new pod is open
//! until someone remembers to write a policy for it.

use std::collections::{HashMap, HashSet};

use crate::model::{Direction, Origin};
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC003",
    name: "namespace-without-default-deny",
    severity: Severity::Warning,
    summary:
        "A namespace with workloads has no default-deny NetworkPolicy for ingress and/or egress",
    explanation: "Policies that select workloads by label protect the pods that exist today. A \
        default deny (an empty podSelector, the direction in policyTypes, no rules for it) protects \
        every pod the namespace will ever run, including the one someone deploys tomorrow without \
        a policy. The finding says which direction lacks it.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers: [{name: web, image: nginx}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers: [{name: web, image: nginx}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let with_workloads: HashSet<&str> = ctx
        .inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    let origins: HashMap<&str, &Origin> = ctx
        .inventory
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), &n.origin))
        .collect();
    let mut out = Vec::new();
    for ns in ctx.namespaces {
        if !with_workloads.contains(ns.as_str()) {
            continue;
        }
        let deny = ctx.coverage.default_deny(ctx.inventory, ns);
        // A cluster-scoped tier or a Cilium policy that denies every pod of the namespace is a
        // default deny too.
        let missing: Vec<Direction> = Direction::BOTH
            .into_iter()
            .filter(|d| !deny.has(*d) && ctx.coverage.tier_default_deny(ns, *d).is_none())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let lower: Vec<&str> = missing.iter().map(|d| d.lower()).collect();
        let types: Vec<&str> = missing.iter().map(|d| d.as_str()).collect();
        let origin = origins
            .get(ns.as_str())
            .copied()
            .cloned()
            .unwrap_or_default();
        let name = if missing.len() == 2 {
            "default-deny-all"
        } else if missing[0] == Direction::Ingress {
            "default-deny-ingress"
        } else {
            "default-deny-egress"
        };
        out.push(RULE.finding(
            ns,
            "Namespace",
            ns,
            &origin,
            format!(
                "Namespace {ns} has no default-deny NetworkPolicy for {}: new pods there are open until a policy selects them",
                lower.join(" or ")
            ),
            if ctx.inventory.cilium_policies.is_empty() {
                format!(
                    "Add a NetworkPolicy `{name}` to {ns} with podSelector: {{}}, policyTypes: [{}] and no rules, \
                     then allow the traffic each workload needs.",
                    types.join(", ")
                )
            } else {
                // The input writes Cilium policies: the default deny in their form.
                let sections: Vec<String> = lower.iter().map(|d| format!("{d}: [{{}}]")).collect();
                format!(
                    "Add a CiliumNetworkPolicy `{name}` to {ns} with endpointSelector: {{}}, {} \
                     (or the NetworkPolicy equivalent), then allow the traffic each workload needs.",
                    sections.join(", ")
                )
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{policy, workload};
    use crate::model::{Inventory, Requirement};
    use crate::semantics::Coverage;

    fn run(inv: &Inventory, namespaces: &[&str]) -> Vec<Finding> {
        let coverage = Coverage::evaluate(inv, |_| true);
        let ns: Vec<String> = namespaces.iter().map(|s| s.to_string()).collect();
        check(&Context::new(inv, &coverage, &ns, None))
    }

    #[test]
    fn says_which_direction_is_missing() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![policy("shop", "deny-in", &[], None, 0, 0)],
            ..Default::default()
        };
        let f = run(&inv, &["shop"]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("for egress:"), "{}", f[0].message);
        assert!(f[0].remediation.contains("default-deny-egress"));
    }

    #[test]
    fn silent_with_a_full_default_deny_and_for_empty_namespaces() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![policy(
                "shop",
                "deny",
                &[],
                Some(&["Ingress", "Egress"]),
                0,
                0,
            )],
            ..Default::default()
        };
        assert!(run(&inv, &["shop", "empty"]).is_empty());
    }

    #[test]
    fn a_selector_or_rules_make_it_not_a_default_deny() {
        let mut with_expr = policy("shop", "p", &[], Some(&["Ingress", "Egress"]), 0, 0);
        with_expr.pod_selector.match_expressions.push(Requirement {
            key: "app".into(),
            operator: "Exists".into(),
            values: vec![],
        });
        let allow_all = policy("shop", "q", &[], Some(&["Ingress", "Egress"]), 1, 1);
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "x")])],
            policies: vec![with_expr, allow_all],
            ..Default::default()
        };
        let f = run(&inv, &["shop"]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("for ingress or egress"));
    }
}
