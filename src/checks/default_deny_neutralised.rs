//! NPC114 default-deny-neutralised: a namespace default deny next to another policy that selects
//! the same pods and allows everything in that direction: the deny protects nothing there,
//! because policies add up (the union of their rules applies).

use std::collections::{BTreeSet, HashMap};

use crate::model::{Direction, NetworkPolicy};
use crate::report::{Finding, Severity};
use crate::semantics::{PolicyTypes, Selector};

use super::{describe_selector, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC114",
    name: "default-deny-neutralised",
    severity: Severity::Error,
    summary: "A default deny is neutralised by another policy allowing everything to the same pods",
    explanation: "NetworkPolicies add up: a pod is allowed whatever any policy selecting it \
        allows. A namespace default deny (empty podSelector, the direction in its policyTypes, \
        no rules) isolates every pod, but another policy of the namespace that selects some of \
        those pods with an allow-all rule (`- {}`: no peers, no ports) opens them again to \
        everything in that direction, and the default deny gives a false sense of protection. \
        The rule reports the allow-all policy when its podSelector is empty or matches at least \
        one workload of the namespace.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: nginx}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - {}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: nginx}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: frontend}}\n    ports:\n    - port: 8080\n",
};

/// Whether the policy is a default deny for this direction.
fn is_default_deny(p: &NetworkPolicy, d: Direction) -> bool {
    p.pod_selector.is_empty() && PolicyTypes::of(p).has(d) && p.rules(d).is_empty()
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let policies: Vec<&NetworkPolicy> = valid_policies(ctx).collect();
    // Looked up per allow-all rule: scanning every policy and workload for each was quadratic.
    let mut denies: HashMap<(&str, Direction), BTreeSet<&str>> = HashMap::new();
    for q in &policies {
        for d in Direction::BOTH {
            if is_default_deny(q, d) {
                denies
                    .entry((q.namespace.as_str(), d))
                    .or_default()
                    .insert(q.name.as_str());
            }
        }
    }
    let workloads = ctx.workload_index();
    let mut out = Vec::new();
    for p in &policies {
        for d in Direction::BOTH {
            if !PolicyTypes::of(p).has(d) {
                continue;
            }
            let Some(allow_all) = p
                .rules(d)
                .iter()
                .position(|r| r.peers.is_empty() && r.ports.is_empty())
            else {
                continue;
            };
            let Some(denies) = denies.get(&(p.namespace.as_str(), d)) else {
                continue;
            };
            let selected: Vec<String> = if p.pod_selector.is_empty() {
                Vec::new()
            } else {
                let s = Selector::compile(&p.pod_selector);
                let hits: Vec<String> = workloads
                    .matching_in(&[p.namespace.as_str()], &s, usize::MAX)
                    .into_iter()
                    .map(|w| format!("{} {}", w.kind, w.name))
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                hits
            };
            let who = if selected.is_empty() {
                format!("every pod of namespace {}", p.namespace)
            } else {
                let more = if selected.len() > 3 {
                    format!(" and {} more", selected.len() - 3)
                } else {
                    String::new()
                };
                format!(
                    "{}{more}",
                    selected
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let denies: Vec<&str> = denies.iter().copied().collect();
            let (dir, field) = (d.lower(), super::peers_field(d));
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} (podSelector {sel}) allows all {dir} with \
                     spec.{dir}[{allow_all}] (no {field}, no ports): the default deny {denies} \
                     of namespace {ns} does not protect {who} for {dir}",
                    ns = p.namespace,
                    name = p.name,
                    sel = describe_selector(&p.pod_selector),
                    denies = denies.join(", "),
                ),
                format!(
                    "Replace spec.{dir}[{allow_all}] of {name} with the peers ({field}) and ports \
                     the pods actually need, or delete it if the default deny is meant to apply.",
                    name = p.name,
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\n";

    fn yaml(deny: &str, allow: &str) -> String {
        format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec:\n{deny}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: allow, namespace: shop}}\nspec:\n{allow}")
    }

    const DENY_ALL: &str = "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_both_policies_and_the_pods() {
        let f = run(
            &yaml(
                DENY_ALL,
                "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {}}]}, {}]\n",
            ),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].object, "allow");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/allow (podSelector app=web) allows all egress with spec.egress[1] \
             (no to, no ports): the default deny deny of namespace shop does not protect Pod web \
             for egress"
        );
    }

    #[test]
    fn an_empty_selector_counts_even_without_workloads() {
        let f = run(
            &yaml(DENY_ALL, "  podSelector: {}\n  ingress: [{}]\n").replace(POD, ""),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0]
            .message
            .ends_with("does not protect every pod of namespace shop for ingress"));
    }

    #[test]
    fn silent_cases() {
        for (deny, allow) in [
            // The allow-all is in the other direction.
            (
                "  podSelector: {}\n  policyTypes: [Ingress]\n",
                "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]\n",
            ),
            // The allow-all policy selects no workload.
            (DENY_ALL, "  podSelector: {matchLabels: {app: ghost}}\n  ingress: [{}]\n"),
            // Not a default deny: it has rules, or a selector.
            (
                "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]\n",
                "  podSelector: {}\n  ingress: [{}]\n",
            ),
            (
                "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n",
                "  podSelector: {matchLabels: {app: web}}\n  ingress: [{}]\n",
            ),
            // Rules with peers or ports are not allow-all.
            (DENY_ALL, "  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n"),
            // An ingress rule in an Egress-only policy is inert.
            (
                DENY_ALL,
                "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n  egress: [{ports: [{port: 53, protocol: UDP}]}]\n",
            ),
        ] {
            assert!(run(&yaml(deny, allow), check).is_empty(), "{deny}{allow}");
        }
    }

    #[test]
    fn another_namespace_does_not_count() {
        let y = yaml(DENY_ALL, "  podSelector: {}\n  ingress: [{}]\n").replace(
            "{name: deny, namespace: shop}",
            "{name: deny, namespace: other}",
        );
        assert!(run(&y, check).is_empty());
    }
}
