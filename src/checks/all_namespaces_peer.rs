//! NPC106 all-namespaces-peer: `namespaceSelector: {}` without a podSelector in the same peer
//! matches every pod of every namespace, present and future: usually far more than meant.

use crate::report::{Finding, Severity};

use super::{effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC106",
    name: "all-namespaces-peer",
    severity: Severity::Warning,
    summary: "A peer `namespaceSelector: {}` without a podSelector matches every pod of every namespace",
    explanation: "An empty namespaceSelector matches every namespace, and without a podSelector \
        in the same `from`/`to` item it takes every pod in them: any workload of the cluster, \
        including ones deployed later in namespaces that do not exist yet, may connect (ingress) \
        or be reached (egress). It does not match addresses outside the cluster. Name the \
        namespaces (`kubernetes.io/metadata.name`) and, in the same item, the pods.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {}\n    ports:\n    - port: 5432\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-api}}\n      podSelector: {matchLabels: {app: api}}\n    ports:\n    - port: 5432\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            let field = peers_field(d);
            for (j, peer) in r.peers.iter().enumerate() {
                let all_namespaces = peer
                    .namespace_selector
                    .as_ref()
                    .is_some_and(|s| s.is_empty());
                if !all_namespaces || peer.pod_selector.is_some() {
                    continue;
                }
                let verb = match d {
                    crate::model::Direction::Ingress => "may connect to the pods it selects",
                    crate::model::Direction::Egress => "can be reached by the pods it selects",
                };
                out.push(RULE.policy_finding(
                    p,
                    format!(
                        "NetworkPolicy {ns}/{name} spec.{dir}[{i}].{field}[{j}] is \
                         `namespaceSelector: {{}}` without a podSelector: every pod of every \
                         namespace {verb}",
                        ns = p.namespace,
                        name = p.name,
                        dir = d.lower(),
                    ),
                    format!(
                        "In spec.{dir}[{i}].{field}[{j}], select the namespaces by name \
                         (namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: <namespace>}}}}) \
                         and add a podSelector in the same item for the pods meant.",
                        dir = d.lower(),
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run, DB_POD as POD};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_peer() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {{matchLabels: {{app: x}}}}\n    - namespaceSelector: {{}}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.egress[0].to[1] is `namespaceSelector: {}` without a \
             podSelector: every pod of every namespace can be reached by the pods it selects"
        );
    }

    #[test]
    fn with_a_pod_selector_or_a_label_it_is_narrower() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - namespaceSelector: {{}}\n      podSelector: {{matchLabels: {{app: prometheus}}}}\n    - namespaceSelector: {{matchLabels: {{team: a}}}}\n"),
            check,
        );
        assert!(f.is_empty(), "{f:#?}");
    }
}
