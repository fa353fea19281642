//! NPC101 allow-all-ingress: an ingress rule `- {}` (no `from`, no `ports`) allows every source,
//! in or outside the cluster, on every port: the pods the policy selects are isolated in name
//! only. Often left over from debugging, or written by someone who meant "deny all".

use crate::model::Direction;
use crate::report::{Finding, Severity};

use super::{describe_selector, effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC101",
    name: "allow-all-ingress",
    severity: Severity::Warning,
    summary: "An ingress rule with no from and no ports allows all ingress to the selected pods",
    explanation: "An ingress rule with neither `from` nor `ports` (`ingress: [{}]`) matches every \
        source, pods of every namespace and addresses outside the cluster alike, on every port \
        and protocol. Policies are additive, so one such rule undoes the ingress isolation of \
        every pod the policy selects, whatever other policies say. It is a common mistake for a \
        default deny, which has no ingress rules at all (`ingress: []` or none). Only rules of a \
        direction among the policy's effective policyTypes count; rules of an unlisted direction \
        are inert (NPC112).",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - {}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: api}}\n    ports:\n    - port: 5432\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    check_direction(&RULE, ctx, Direction::Ingress)
}

/// NPC101 and NPC102: rules `- {}` of a direction among the policy's effective types.
pub(super) fn check_direction(rule: &Rule, ctx: &Context<'_>, d: Direction) -> Vec<Finding> {
    let field = peers_field(d);
    let (who, prep) = match d {
        Direction::Ingress => ("source", "from"),
        Direction::Egress => ("destination", "to"),
    };
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (_, i, r) in effective_rules(p).filter(|(rd, _, _)| *rd == d) {
            if !r.peers.is_empty() || !r.ports.is_empty() {
                continue;
            }
            let selected = if p.pod_selector.is_empty() {
                format!("every pod of namespace {}", p.namespace)
            } else {
                format!(
                    "the pods matching {} in namespace {}",
                    describe_selector(&p.pod_selector),
                    p.namespace
                )
            };
            out.push(rule.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} spec.{dir}[{i}] has no {field} and no ports: it \
                     allows {dir} {prep} every {who}, in or outside the cluster, on every port, for \
                     {selected}",
                    ns = p.namespace,
                    name = p.name,
                    dir = d.lower(),
                ),
                format!(
                    "List the allowed {who}s in spec.{dir}[{i}].{field} and the ports in \
                     spec.{dir}[{i}].ports; for a default deny, remove the rule (no {dir} rules \
                     at all).",
                    dir = d.lower(),
                ),
            ));
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
    fn fires_on_an_empty_rule_and_names_it() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: open, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from: [{{podSelector: {{}}}}]\n  - {{}}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "NPC101");
        assert_eq!(f[0].kind, "NetworkPolicy");
        assert_eq!(f[0].object, "open");
        assert!(
            f[0].message
                .starts_with("NetworkPolicy shop/open spec.ingress[1] has no from and no ports"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("every pod of namespace shop"));
    }

    #[test]
    fn ports_only_or_peers_only_is_not_allow_all() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - ports: [{{port: 80}}]\n  - from: [{{podSelector: {{}}}}]\n"),
            check,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn inert_direction_is_left_to_npc112() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  ingress:\n  - {{}}\n"),
            check,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn defaulted_types_include_ingress() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: db}}}}\n  ingress:\n  - {{}}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0]
            .message
            .contains("the pods matching app=db in namespace shop"));
    }

    #[test]
    fn invalid_policies_are_left_to_npc120() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Bogus]\n  ingress:\n  - {{}}\n"),
            check,
        );
        assert!(f.is_empty());
    }
}
