//! NPC109 disparate-peers-one-rule: one rule that lists both ipBlock peers and pod or namespace
//! selector peers with several ports grants every peer every port, which is rarely what was
//! meant (the external range usually needs one port, the pods another).

use crate::model::Peer;
use crate::report::{Finding, Severity};

use super::{describe_ports, effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC109",
    name: "disparate-peers-one-rule",
    severity: Severity::Info,
    summary: "One rule mixes ipBlock and selector peers with several ports",
    explanation: "Within a rule, every peer is allowed on every port: the peer list and the \
        port list are ANDed, their items ORed. A rule that lists an ipBlock (addresses outside \
        the cluster) together with podSelector or namespaceSelector peers, and several ports, \
        grants the external range the pods' ports and the pods the external range's ports. \
        Such rules usually merge two intents; one rule per kind of peer, each with the ports it \
        needs, says what is meant and allows no more.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock: {cidr: 203.0.113.0/24}\n    - podSelector: {matchLabels: {app: web}}\n    ports:\n    - port: 443\n    - port: 8080\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock: {cidr: 203.0.113.0/24}\n    ports:\n    - port: 443\n  - from:\n    - podSelector: {matchLabels: {app: web}}\n    ports:\n    - port: 8080\n",
};

fn is_selector(peer: &Peer) -> bool {
    peer.ip_block.is_none() && (peer.pod_selector.is_some() || peer.namespace_selector.is_some())
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (direction, index, rule) in effective_rules(p) {
            if rule.ports.len() < 2 {
                continue;
            }
            let blocks = rule.peers.iter().filter(|x| x.ip_block.is_some()).count();
            let selectors = rule.peers.iter().filter(|x| is_selector(x)).count();
            if blocks == 0 || selectors == 0 {
                continue;
            }
            let field = format!("spec.{}[{index}]", direction.lower());
            let peers = peers_field(direction);
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} {field} lists {blocks} ipBlock and {selectors} \
                     selector peer(s) in {peers} with ports {ports}: every peer is allowed on \
                     every one of these ports",
                    ns = p.namespace,
                    name = p.name,
                    ports = describe_ports(&rule.ports),
                ),
                format!(
                    "Split {field} into one rule for the ipBlock peers and one for the selector \
                     peers, each with only the ports it needs."
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

    fn yaml(rule: &str) -> String {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  egress: [{rule}]\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_rule_and_the_ports() {
        let f = run(
            &yaml("{to: [{ipBlock: {cidr: 10.0.0.0/8}}, {namespaceSelector: {}}], ports: [{port: 53, protocol: UDP}, {port: 443}]}"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.egress[0] lists 1 ipBlock and 1 selector peer(s) in to \
             with ports UDP 53, TCP 443: every peer is allowed on every one of these ports"
        );
    }

    #[test]
    fn silent_cases() {
        for rule in [
            // One port: nothing more is granted than written.
            "{to: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {}}], ports: [{port: 443}]}",
            // Every port anyway.
            "{to: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {}}]}",
            // Peers of one kind.
            "{to: [{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: 192.168.0.0/16}}], ports: [{port: 1}, {port: 2}]}",
            "{to: [{podSelector: {}}, {namespaceSelector: {}}], ports: [{port: 1}, {port: 2}]}",
        ] {
            assert!(run(&yaml(rule), check).is_empty(), "{rule}");
        }
    }
}
