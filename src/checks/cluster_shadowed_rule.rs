//! NPC203 shadowed-cluster-rule: a rule of a cluster-scoped policy that an earlier rule of the
//! same policy and direction already matches in full. The first matching rule decides
//! (SEMANTICS.md point 12), so the later rule never decides anything.
//!
//! Only certain shadowing is reported, read from the policy as written: an earlier peer that
//! is the same, or `namespaces: {}` (every pod) over any pod peer, or `namespaces: S` over
//! `pods` in `S`, or CIDRs holding every CIDR of the later peer (a /0 also holds every pod,
//! point 13); and earlier ports that are absent (every port) or hold every later port.

use ipnet::IpNet;

use crate::model::{ClusterPeer, ClusterPort, ClusterRule, Direction};
use crate::report::{Finding, Severity};

use super::{describe_cluster_rule, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC203",
    name: "shadowed-cluster-rule",
    severity: Severity::Warning,
    summary: "A rule of a cluster-scoped policy can never match: an earlier rule of the same policy matches all it names",
    explanation: "In ClusterNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy \
        rules are evaluated in written order and the first rule whose peers and ports match \
        decides. A rule whose every peer and port an earlier rule of the same policy and \
        direction already matches never decides anything: it is dead, and when its action \
        differs from the earlier rule's, what its author meant does not happen. Only certain \
        cases are reported: the same peer, `namespaces: {}` (every pod) before any pod or \
        namespace peer, `namespaces: S` before `pods` in the same `S`, CIDRs inside earlier \
        CIDRs (a /0 holds every pod too), and earlier ports absent or holding every later port. \
        A warning: the policy does what its earlier rule says, which may be what is wanted, but \
        the dead rule misleads whoever reads it.",
    bad_example: include_str!("examples/NPC203-bad.yaml"),
    good_example: include_str!("examples/NPC203-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, policy) in ctx.inventory.cluster_policies.iter().enumerate() {
        if !ctx.coverage.set.includes_cluster(i) {
            continue;
        }
        for direction in Direction::BOTH {
            let rules = policy.rules(direction);
            for (later, rule) in rules.iter().enumerate() {
                let Some(earlier) = (0..later).find(|&e| covers(&rules[e], rule)) else {
                    continue;
                };
                let what = if rules[earlier].action == rule.action {
                    "it is redundant".to_owned()
                } else {
                    format!(
                        "its {} never happens: the earlier rule's {} applies instead",
                        rule.action, rules[earlier].action
                    )
                };
                out.push(RULE.cluster_finding(
                    policy,
                    format!(
                        "{kind} {name} {shadowed} can never match: the earlier {earlier} \
                         matches every peer and port it names, and the first matching rule \
                         decides; {what}",
                        kind = policy.kind,
                        name = policy.name,
                        shadowed = describe_cluster_rule(policy, direction, later),
                        earlier = describe_cluster_rule(policy, direction, earlier),
                    ),
                    format!(
                        "Delete spec.{dir}[{later}] of {name}, or move it before \
                         spec.{dir}[{earlier}] if it is meant to decide what it names.",
                        dir = direction.lower(),
                        name = policy.name,
                    ),
                ));
            }
        }
    }
    out
}

/// Whether every connection `later` matches, `earlier` matches too.
fn covers(earlier: &ClusterRule, later: &ClusterRule) -> bool {
    !later.peers.is_empty()
        && later
            .peers
            .iter()
            .all(|b| earlier.peers.iter().any(|a| peer_covers(a, b)))
        && ports_cover(earlier.ports.as_deref(), later.ports.as_deref())
}

fn ports_cover(earlier: Option<&[ClusterPort]>, later: Option<&[ClusterPort]>) -> bool {
    match (earlier, later) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => {
            !b.is_empty() && b.iter().all(|pb| a.iter().any(|pa| port_covers(pa, pb)))
        }
    }
}

fn port_covers(a: &ClusterPort, b: &ClusterPort) -> bool {
    match (interval(a), interval(b)) {
        (Some((pa, sa, ea)), Some((pb, sb, eb))) => {
            pa.eq_ignore_ascii_case(pb) && sa <= sb && eb <= ea
        }
        _ => matches!((a, b), (ClusterPort::Named(x), ClusterPort::Named(y)) if x == y),
    }
}

fn interval(p: &ClusterPort) -> Option<(&str, i64, i64)> {
    match p {
        ClusterPort::Number { protocol, port } => Some((protocol, *port, *port)),
        ClusterPort::Range {
            protocol,
            start,
            end,
        } => Some((protocol, *start, *end)),
        _ => None,
    }
}

/// Whether peer `a` certainly matches everything peer `b` matches.
fn peer_covers(a: &ClusterPeer, b: &ClusterPeer) -> bool {
    // A peer this version cannot read fails closed one way or the other (point 15): no
    // certainty either way.
    if !a.unknown.is_empty() || !b.unknown.is_empty() {
        return false;
    }
    if a.fields().len() != 1 || b.fields().len() != 1 {
        return false;
    }
    if a == b {
        return true;
    }
    let pod_peer = b.namespaces.is_some() || b.pods.is_some();
    let every_pod = a.namespaces.as_ref().is_some_and(|s| s.is_empty())
        || a.pods
            .as_ref()
            .is_some_and(|p| p.namespace_selector.is_empty() && p.pod_selector.is_empty());
    if every_pod && pod_peer {
        return true;
    }
    if let (Some(s), Some(p)) = (&a.namespaces, &b.pods) {
        if *s == p.namespace_selector {
            return true;
        }
    }
    if let Some(nets) = a.networks.as_ref().and_then(|n| parse(n)) {
        if pod_peer && nets.iter().any(|n| n.prefix_len() == 0) {
            return true;
        }
        if let Some(later) = b.networks.as_ref().and_then(|n| parse(n)) {
            return later.iter().all(|l| {
                nets.iter()
                    .any(|e| e.contains(&l.network()) && e.prefix_len() <= l.prefix_len())
            });
        }
    }
    false
}

fn parse(cidrs: &[String]) -> Option<Vec<IpNet>> {
    cidrs.iter().map(|c| c.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run, DB_POD};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    /// An Admin ClusterNetworkPolicy selecting every pod, with these ingress (or egress) rules.
    fn cnp(direction: &str, rules: &str) -> String {
        format!(
            "{DB_POD}apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n\
             metadata: {{name: p}}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  \
             {direction}:\n{rules}"
        )
    }

    #[test]
    fn table_of_cases() {
        // (direction, rules, which rule is shadowed)
        let cases: &[(&str, &str, Option<usize>)] = &[
            // Every pod, no ports, before a narrower pod peer with ports.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {}}]}\n  - {action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n",
                Some(1),
            ),
            // The same peer, a superset of ports.
            (
                "ingress",
                "  - {action: Pass, from: [{namespaces: {matchLabels: {t: x}}}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 90}}}}]}\n  - {action: Deny, from: [{namespaces: {matchLabels: {t: x}}}], protocols: [{tcp: {destinationPort: {number: 85}}}]}\n",
                Some(1),
            ),
            // namespaces S before pods in S.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {matchLabels: {t: x}}}]}\n  - {action: Accept, from: [{pods: {namespaceSelector: {matchLabels: {t: x}}, podSelector: {}}}]}\n",
                Some(1),
            ),
            // A /0 holds every pod and every narrower network.
            (
                "egress",
                "  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}\n  - {action: Accept, to: [{namespaces: {}}, {networks: [10.0.0.0/8]}]}\n",
                Some(1),
            ),
            (
                "egress",
                "  - {action: Deny, to: [{networks: [10.0.0.0/8]}]}\n  - {action: Accept, to: [{networks: [10.1.0.0/16, 10.2.0.0/16]}]}\n",
                Some(1),
            ),
            // Named ports: the same name.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}\n  - {action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}\n",
                Some(1),
            ),
            // Not shadowed: the earlier rule has ports, the later none.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n  - {action: Accept, from: [{namespaces: {}}]}\n",
                None,
            ),
            // Not shadowed: another protocol.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 53}}}]}\n  - {action: Accept, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {number: 53}}}]}\n",
                None,
            ),
            // Not shadowed: one of the later peers is outside the earlier ones.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {matchLabels: {t: x}}}]}\n  - {action: Accept, from: [{namespaces: {matchLabels: {t: x}}}, {namespaces: {matchLabels: {t: z}}}]}\n",
                None,
            ),
            // Not certain: a narrower selector is not compared with a wider one.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {matchLabels: {t: x}}}]}\n  - {action: Accept, from: [{namespaces: {matchLabels: {t: x, u: w}}}]}\n",
                None,
            ),
            // A narrow CIDR does not hold pods; a CIDR not inside.
            (
                "egress",
                "  - {action: Deny, to: [{networks: [10.0.0.0/8]}]}\n  - {action: Accept, to: [{namespaces: {}}, {networks: [11.0.0.0/8]}]}\n",
                None,
            ),
            // A named port against a number: not certain.
            (
                "ingress",
                "  - {action: Deny, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}\n  - {action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n",
                None,
            ),
            // The later rule comes first: nothing is shadowed.
            (
                "ingress",
                "  - {action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}]}\n  - {action: Deny, from: [{namespaces: {}}]}\n",
                None,
            ),
        ];
        for (direction, rules, shadowed) in cases {
            let f = run(&cnp(direction, rules), check);
            match shadowed {
                Some(i) => {
                    assert_eq!(f.len(), 1, "{rules}: {f:#?}");
                    assert!(
                        f[0].message.contains(&format!("spec.{direction}[{i}]")),
                        "{}",
                        f[0].message
                    );
                }
                None => assert!(f.is_empty(), "{rules}: {f:#?}"),
            }
        }
    }

    #[test]
    fn the_finding_is_about_the_cluster_scoped_policy_and_names_both_rules() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace, None);
        assert_eq!(f[0].kind, "ClusterNetworkPolicy");
        assert_eq!(f[0].object, "protect-db");
        assert_eq!(
            f[0].message,
            "ClusterNetworkPolicy protect-db spec.ingress[1] \"accept-guest-monitoring\" (Accept \
             from pods app=prometheus in namespaces tenant=guest on some ports) can never match: \
             the earlier spec.ingress[0] \"deny-guests\" (Deny from namespaces tenant=guest) \
             matches every peer and port it names, and the first matching rule decides; its \
             Accept never happens: the earlier rule's Deny applies instead"
        );
    }

    #[test]
    fn an_invalid_policy_is_left_to_npc120() {
        let y = cnp(
            "ingress",
            "  - {action: Deny, from: [{namespaces: {}}]}\n  - {action: Deny, from: [{namespaces: {}}]}\n",
        )
        .replace("priority: 1", "priority: 1001");
        assert!(run(&y, check).is_empty());
    }
}
