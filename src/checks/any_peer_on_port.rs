//! NPC103 any-peer-on-port: a rule with ports but no `from`/`to` opens those ports to every
//! source or destination, the internet included. Usually someone meant "from my frontend" and
//! forgot the peer list, or wrote it at the wrong indentation.

use crate::report::{Finding, Severity};

use super::{describe_ports, effective_rules, peers_field, valid_policies, Context, Rule};
use crate::model::Direction;

pub const RULE: Rule = Rule {
    id: "NPC103",
    name: "any-peer-on-port",
    severity: Severity::Warning,
    summary: "A rule with ports but no from/to allows every peer, in or outside the cluster, on those ports",
    explanation: "Within a rule, `from`/`to` and `ports` are ANDed, and a missing or empty \
        `from`/`to` matches every peer: pods of every namespace and any address outside the \
        cluster. A rule that lists only ports therefore opens those ports to the whole world \
        (ingress) or lets the selected pods reach anything on them (egress). That is sometimes \
        intended (a public web server, DNS to any resolver), but more often a peer list was \
        forgotten or mis-indented (`- from:` and `- ports:` as two rules instead of one). Only \
        rules of a direction among the policy's effective policyTypes count.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: 5432\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: api}}\n    ports:\n    - port: 5432\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            if !r.peers.is_empty() || r.ports.is_empty() {
                continue;
            }
            let field = peers_field(d);
            let (what, who) = match d {
                Direction::Ingress => ("accept connections from", "every source"),
                Direction::Egress => ("connect to", "every destination"),
            };
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} spec.{dir}[{i}] lists ports ({ports}) but no {field}: \
                     the pods it selects {what} {who}, pods of every namespace and addresses \
                     outside the cluster alike, on those ports",
                    ns = p.namespace,
                    name = p.name,
                    dir = d.lower(),
                    ports = describe_ports(&r.ports),
                ),
                format!(
                    "Add the intended peers to spec.{dir}[{i}].{field} (podSelector, \
                     namespaceSelector or ipBlock) in the same rule as the ports; if every peer \
                     is really meant, suppress NPC103 on this policy with a reason.",
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
    fn names_the_rule_and_ports() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: dns, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  egress:\n  - to: [{{podSelector: {{}}}}]\n  - ports: [{{port: 53, protocol: UDP}}, {{port: 8000, endPort: 8080}}]\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/dns spec.egress[1] lists ports (UDP 53, TCP 8000-8080) but no to: \
             the pods it selects connect to every destination, pods of every namespace and \
             addresses outside the cluster alike, on those ports"
        );
    }

    #[test]
    fn allow_all_rules_are_npc101_and_inert_rules_npc112() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n  ingress:\n  - {{}}\n  egress:\n  - ports: [{{port: 53}}]\n"),
            check,
        );
        assert!(f.is_empty(), "{f:#?}");
    }
}
