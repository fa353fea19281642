//! NPC105 metadata-endpoint-reachable: an egress rule that lets pods reach the cloud instance
//! metadata endpoint (169.254.169.254, fd00:ec2::254). From there a pod can read the node's
//! cloud credentials and act as the node: a classic privilege escalation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{Direction, Protocol};
use crate::report::{Finding, Severity};
use crate::semantics::traffic::{CompiledRule, Endpoint, Port};

use super::{describe_ports, effective_rules, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC105",
    name: "metadata-endpoint-reachable",
    severity: Severity::Error,
    summary: "An egress rule lets pods reach the cloud metadata endpoint 169.254.169.254",
    explanation: "Cloud providers serve instance metadata, including the node's credentials, at \
        169.254.169.254 (and fd00:ec2::254 on AWS IPv6) over HTTP on port 80. A pod that can \
        reach it can often act with the node's cloud identity. The rule fires on every egress \
        rule that allows TCP port 80 to that address: an ipBlock that contains it without an \
        except for it (`0.0.0.0/0`, `169.254.0.0/16`...), and also a rule with no `to` at all, \
        which allows every destination (with no ports, or ports that include 80). Rules that \
        allow only other ports do not reach the endpoint and are not reported. Add \
        `169.254.169.254/32` to the block's except list, or narrow the destinations.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8]\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8, 169.254.169.254/32]\n",
};

const ENDPOINTS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let http = Port {
        protocol: Protocol::Tcp,
        number: 80,
    };
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            if d != Direction::Egress {
                continue;
            }
            let compiled = CompiledRule::compile(r);
            let reached: Vec<String> = ENDPOINTS
                .iter()
                .filter(|ip| {
                    let e = Endpoint::Address(**ip);
                    compiled.allows(&p.namespace, &e, &e, http)
                })
                .map(IpAddr::to_string)
                .collect();
            if reached.is_empty() {
                continue;
            }
            let how = if r.peers.is_empty() {
                "has no `to`, so it allows every destination".to_owned()
            } else {
                let blocks: Vec<String> = r
                    .peers
                    .iter()
                    .enumerate()
                    .filter(|(_, peer)| peer.ip_block.is_some())
                    .map(|(j, peer)| {
                        format!("to[{j}] ipBlock {}", peer.ip_block.as_ref().unwrap().cidr)
                    })
                    .collect();
                format!("allows {}", blocks.join(", "))
            };
            // What the rule allows, not only the port that matters here: "every destination on
            // TCP 80" about a rule without ports understated it.
            let ports = if r.ports.is_empty() {
                "every port and protocol".to_owned()
            } else {
                describe_ports(&r.ports)
            };
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} spec.egress[{i}] {how} on {ports}, including the \
                     cloud metadata endpoint {ips} on TCP 80: the pods it selects can read the \
                     node's cloud credentials",
                    ns = p.namespace,
                    name = p.name,
                    ips = reached.join(" and "),
                ),
                if r.peers.is_empty() {
                    format!(
                        "Give spec.egress[{i}] a `to` list naming the destinations needed; an \
                         ipBlock must except 169.254.169.254/32."
                    )
                } else {
                    format!(
                        "Add 169.254.169.254/32 (and fd00:ec2::254/128 for IPv6 blocks) to the \
                         except list of the ipBlock in spec.egress[{i}], or narrow its cidr."
                    )
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    fn policy(rule: &str) -> String {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - {rule}\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn fires_on_blocks_containing_it() {
        for rule in [
            "to: [{ipBlock: {cidr: 169.254.0.0/16}}]",
            "to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.0/32]}}]",
            "{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 1, endPort: 1024}]}",
        ] {
            let f = run(&policy(rule), check);
            assert_eq!(f.len(), 1, "{rule}");
            assert!(f[0].message.contains("169.254.169.254"), "{}", f[0].message);
            assert!(f[0].remediation.contains("except"));
        }
        let f = run(&policy("to: [{ipBlock: {cidr: 'fd00::/8'}}]"), check);
        assert!(f[0].message.contains("fd00:ec2::254"), "{}", f[0].message);
    }

    #[test]
    fn fires_on_rules_without_to() {
        let f = run(&policy("ports: [{port: 80}, {port: 443}]"), check);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("NetworkPolicy shop/out spec.egress[0] has no `to`, so it allows every destination on TCP 80, TCP 443, including the cloud metadata endpoint 169.254.169.254"), "{}", f[0].message);
        let f = run(&policy("{}"), check);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("NetworkPolicy shop/out spec.egress[0] has no `to`, so it allows every destination on every port and protocol, including"), "{}", f[0].message);
        let f = run(&policy("to: [{ipBlock: {cidr: 0.0.0.0/0}}]"), check);
        assert!(
            f[0].message
                .contains("allows to[0] ipBlock 0.0.0.0/0 on every port and protocol, including"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn silent_when_excepted_or_other_ports_or_pods_only() {
        for rule in [
            "to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16]}}]",
            "{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}",
            "ports: [{port: 53, protocol: UDP}]",
            "to: [{namespaceSelector: {}}]",
        ] {
            assert!(run(&policy(rule), check).is_empty(), "{rule}");
        }
    }
}
