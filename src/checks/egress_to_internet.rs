//! NPC104 egress-to-internet: an egress ipBlock that covers most of the public address space
//! (`0.0.0.0/0`, `::/0`, `0.0.0.0/1`...) lets the selected pods reach any host on the internet,
//! the usual path for data exfiltration and command-and-control.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::{Direction, IpBlock};
use crate::report::{Finding, Severity};

use super::{describe_ports, effective_rules, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC104",
    name: "egress-to-internet",
    severity: Severity::Warning,
    summary: "An egress ipBlock covers most of the public internet",
    explanation: "An egress ipBlock such as `0.0.0.0/0` or `::/0` (or any block of prefix length \
        0 or 1) lets the selected pods connect to any host on the internet on the rule's ports. \
        Excepts that remove only private or special ranges (10.0.0.0/8, 172.16.0.0/12, \
        192.168.0.0/16, 169.254.0.0/16, 100.64.0.0/10, fc00::/7...) still leave the whole \
        internet open; the rule fires unless the excepts take out at least half of the public \
        space the block covers (measured on one sample address per public /8, or per /8 of \
        2000::/3 for IPv6). Rules without any `to` reach the internet too; they are NPC102 and \
        NPC103. List the external CIDRs the workload needs instead, or route it through an \
        egress proxy.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]\n    ports:\n    - port: 443\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n    ports:\n    - port: 443\n",
};

/// One sample address per public /8 (IPv4) or per /8 of global unicast 2000::/3 (IPv6).
fn public_samples(v4: bool) -> Vec<IpAddr> {
    if v4 {
        (1u8..224)
            .filter(|a| !matches!(a, 10 | 127))
            .map(|a| IpAddr::V4(Ipv4Addr::new(a, 123, 45, 67)))
            .collect()
    } else {
        (0x20u16..0x40)
            .map(|a| IpAddr::V6(Ipv6Addr::new(a << 8 | 0x01, 0x4567, 0, 0, 0, 0, 0, 1)))
            .collect()
    }
}

/// The share of public space the block leaves open, as (open, covered) samples, when the
/// block is internet-wide (prefix length 0 or 1).
fn internet_share(block: &IpBlock) -> Option<(usize, usize)> {
    let cidr: IpNet = block.cidr.parse().ok()?;
    if cidr.prefix_len() > 1 {
        return None;
    }
    let except: Vec<IpNet> = block.except.iter().filter_map(|e| e.parse().ok()).collect();
    let covered: Vec<IpAddr> = public_samples(matches!(cidr, IpNet::V4(_)))
        .into_iter()
        .filter(|ip| cidr.contains(ip))
        .collect();
    if covered.is_empty() {
        return None;
    }
    let open = covered
        .iter()
        .filter(|ip| !except.iter().any(|e| e.contains(*ip)))
        .count();
    Some((open, covered.len()))
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            if d != Direction::Egress {
                continue;
            }
            for (j, peer) in r.peers.iter().enumerate() {
                let Some(block) = &peer.ip_block else {
                    continue;
                };
                let Some((open, covered)) = internet_share(block) else {
                    continue;
                };
                if open * 2 < covered {
                    continue;
                }
                let excepts = if block.except.is_empty() {
                    "no except".to_owned()
                } else {
                    format!(
                        "except {} (which leave the public internet open)",
                        block.except.join(", ")
                    )
                };
                out.push(RULE.policy_finding(
                    p,
                    format!(
                        "NetworkPolicy {ns}/{name} spec.egress[{i}].to[{j}] is ipBlock {cidr} with \
                         {excepts}: the pods it selects can reach any host on the internet on {ports}",
                        ns = p.namespace,
                        name = p.name,
                        cidr = block.cidr,
                        ports = describe_ports(&r.ports),
                    ),
                    format!(
                        "Replace spec.egress[{i}].to[{j}] with the CIDRs of the external services \
                         the workload needs, or send its traffic through an egress proxy and allow \
                         only the proxy."
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
    use crate::checks::testutil::{examples, run};

    fn policy(block: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: api, namespace: shop, labels: {{app: api}}}}\nspec: {{containers: [{{name: api, image: api}}]}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {{}}\n    - ipBlock: {block}\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn fires_on_the_whole_internet() {
        for b in [
            "{cidr: 0.0.0.0/0}",
            "{cidr: '::/0'}",
            "{cidr: 0.0.0.0/1}",
            "{cidr: '::/1'}",
        ] {
            let f = run(&policy(b), check);
            assert_eq!(f.len(), 1, "{b}");
            assert!(
                f[0].message
                    .starts_with("NetworkPolicy shop/out spec.egress[0].to[1] is ipBlock "),
                "{}",
                f[0].message
            );
            assert!(f[0]
                .message
                .ends_with("can reach any host on the internet on every port"));
        }
    }

    #[test]
    fn private_excepts_do_not_matter() {
        let f = run(
            &policy("{cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.169.254/32]}"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0]
            .message
            .contains("which leave the public internet open"));
    }

    #[test]
    fn narrow_blocks_and_big_excepts_are_silent() {
        for b in [
            "{cidr: 10.0.0.0/8}",
            "{cidr: 52.0.0.0/8}",
            "{cidr: '2001:db8::/32'}",
            "{cidr: 0.0.0.0/0, except: [0.0.0.0/1, 128.0.0.0/2]}",
            "{cidr: '8000::/1'}",
        ] {
            assert!(run(&policy(b), check).is_empty(), "{b}");
        }
    }

    #[test]
    fn ingress_blocks_are_not_egress() {
        let yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: in, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n";
        assert!(run(yaml, check).is_empty());
    }
}
