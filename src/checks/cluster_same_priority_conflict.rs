//! NPC201 same-priority-conflict: two cluster-scoped policies of one tier with the same
//! priority whose rules can both match one connection with different actions. The API leaves
//! their order to the implementation (SEMANTICS.md point 16), so the verdict may differ from
//! one CNI, or one version, to the next.
//!
//! "Can both match" is decided on the inventory: a workload both subjects select (or point
//! 22's anonymous pod, when both select it), and a peer that a rule of each matches with
//! overlapping ports: one pod of each kind the tied policies' selectors can tell apart, the
//! anonymous pod, and an address inside each CIDR the two policies name (and one more).

use std::collections::HashSet;
use std::net::IpAddr;

use rayon::prelude::*;

use crate::model::{Direction, Labels, Protocol, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::policy_set::ClusterCompiled;
use crate::semantics::traffic::{Action, CompiledRule, Endpoint, Match};
use crate::semantics::{ConnSet, Layer, PolicyId};

use super::{describe_cluster_rule, describe_workloads, pod_endpoint, AnonymousPod, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC201",
    name: "same-priority-conflict",
    severity: Severity::Warning,
    summary: "Two cluster-scoped policies of one tier share a priority and can both match a connection with different actions",
    explanation: "Admin-tier AdminNetworkPolicies and ClusterNetworkPolicies share one priority \
        scale, and Baseline-tier ClusterNetworkPolicies have theirs. When two policies of a \
        tier have the same priority, select the same pods and have rules that match the same \
        connection with different actions (Accept and Deny, or Pass), the API lets the \
        implementation apply either first: the connection may be allowed on one cluster and \
        denied on another, or after an upgrade. The coverage verdict calls such pods \
        `ambiguous`. The rule tries the workloads of the input (and a pod of a namespace no \
        selector names) as subjects and peers, names both policies, the priority, the pods \
        and one connection; the finding is about the policy evaluated first by name. A \
        warning: each implementation still gives one answer, but which one is not written \
        anywhere.",
    bad_example: include_str!("examples/NPC201-bad.yaml"),
    good_example: include_str!("examples/NPC201-good.yaml"),
};

/// A candidate peer: the endpoint, and the workload it stands for (none: the anonymous pod or
/// an address).
type Peer<'a> = (Endpoint<'a>, Option<&'a Workload>);

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    let cluster = set.cluster();
    // Same-tier, same-rank policies are neighbours in evaluation order.
    let mut ties = Vec::new();
    let mut start = 0;
    while start < cluster.len() {
        let key = (cluster[start].layer, cluster[start].rank);
        let end = (start..cluster.len())
            .find(|&i| (cluster[i].layer, cluster[i].rank) != key)
            .unwrap_or(cluster.len());
        for a in start..end {
            for b in a + 1..end {
                ties.push((a, b));
            }
        }
        start = end;
    }
    if ties.is_empty() {
        return Vec::new();
    }
    let anonymous = AnonymousPod::new();
    let mut tied: Vec<usize> = ties.iter().flat_map(|&(a, b)| [a, b]).collect();
    tied.sort_unstable();
    tied.dedup();
    let peers = pod_peers(ctx, &anonymous, &Keys::of(ctx, &tied));
    // Each pair may try every pod of the input as a peer: side by side.
    ties.into_par_iter()
        .filter_map(|pair| conflict(ctx, &anonymous, &peers, pair))
        .collect()
}

/// The label keys the peers of some policies look at: in namespaces, and on pods.
#[derive(Default)]
struct Keys<'a> {
    namespace: HashSet<&'a str>,
    pod: HashSet<&'a str>,
    /// Whether a rule names a port: the peer's container ports then matter (egress).
    named_ports: bool,
}

impl<'a> Keys<'a> {
    fn of(ctx: &Context<'a>, positions: &[usize]) -> Self {
        let mut keys = Keys::default();
        let add = |set: &mut HashSet<&'a str>, s: &'a crate::model::LabelSelector| {
            set.extend(s.match_labels.iter().map(|(k, _)| k.as_str()));
            set.extend(s.match_expressions.iter().map(|r| r.key.as_str()));
        };
        for &position in positions {
            let index = ctx.coverage.set.cluster()[position].index;
            let p = &ctx.inventory.cluster_policies[index];
            for rule in p.ingress.iter().chain(&p.egress) {
                keys.named_ports |= rule
                    .ports
                    .iter()
                    .flatten()
                    .any(|port| matches!(port, crate::model::ClusterPort::Named(_)));
                for peer in &rule.peers {
                    if let Some(ns) = &peer.namespaces {
                        add(&mut keys.namespace, ns);
                    }
                    if let Some(pods) = &peer.pods {
                        add(&mut keys.namespace, &pods.namespace_selector);
                        add(&mut keys.pod, &pods.pod_selector);
                    }
                }
            }
        }
        keys
    }
}

/// The pods of the workloads that the rules of the tied policies can tell apart, one of each
/// kind (hostNetwork pods are their nodes: no selector matches them), then the anonymous pod.
/// Pods alike in the labels their selectors read match the same rules: a cluster with 100,000
/// workloads has few kinds of pods for a handful of selectors.
fn pod_peers<'c, 'a: 'c>(
    ctx: &'c Context<'a>,
    anonymous: &'c AnonymousPod,
    keys: &Keys<'_>,
) -> Vec<Peer<'c>> {
    type Signature<'s> = (Vec<(&'s str, &'s str)>, Vec<(&'s str, &'s str)>, usize);
    let project = |labels: &'a Labels, wanted: &HashSet<&str>| -> Vec<(&'a str, &'a str)> {
        labels
            .iter()
            .filter(|(k, _)| wanted.contains(k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    };
    let mut seen: HashSet<Signature<'a>> = HashSet::new();
    let mut out = Vec::new();
    for (i, w) in ctx.inventory.workloads.iter().enumerate() {
        if ctx.coverage.on_node_network(w) {
            continue;
        }
        let namespace = project(
            ctx.coverage.set.namespace_labels(&w.namespace),
            &keys.namespace,
        );
        for labels in &w.label_sets {
            // With named ports, each workload is its own kind.
            let own = if keys.named_ports { i } else { 0 };
            if seen.insert((namespace.clone(), project(labels, &keys.pod), own)) {
                out.push((pod_endpoint(ctx, w, labels), Some(w)));
            }
        }
    }
    out.push((anonymous.endpoint(), None));
    out
}

fn selects(c: &ClusterCompiled, namespace: &Labels, labels: &Labels) -> bool {
    c.namespaces.matches(namespace) && c.pods.matches(labels)
}

/// The first conflict between two tied policies (positions in the set), as a finding.
fn conflict(
    ctx: &Context<'_>,
    anonymous: &AnonymousPod,
    pod_peers: &[Peer<'_>],
    (pa, pb): (usize, usize),
) -> Option<Finding> {
    let set = &ctx.coverage.set;
    let (a, b) = (&set.cluster()[pa], &set.cluster()[pb]);
    let empty = Labels::new();
    let anonymous_both = selects(a, anonymous.namespace_labels(), &empty)
        && selects(b, anonymous.namespace_labels(), &empty);
    let (ida, idb) = (PolicyId::Cluster(a.index), PolicyId::Cluster(b.index));
    let addresses: Vec<Peer<'_>> = addresses(ctx, a, b)
        .into_iter()
        .map(|ip| (Endpoint::Address(ip), None))
        .collect();
    for d in Direction::BOTH {
        let (ra, rb) = (set.rules(ida, d), set.rules(idb, d));
        if !may_conflict(ra, rb) {
            continue;
        }
        // The pods both subjects select, as the verdicts found them (their lists of
        // cluster-scoped policies are in evaluation order).
        let mut both: Vec<&Workload> = (ctx.inventory.workloads.iter())
            .zip(&ctx.coverage.workloads)
            .filter(|(_, v)| {
                let c = v.direction(d).cluster();
                c.binary_search(&pa).is_ok() && c.binary_search(&pb).is_ok()
            })
            .map(|(w, _)| w)
            .collect();
        if both.is_empty() && !anonymous_both {
            continue;
        }
        // Named ports of ingress rules resolve on the subject: the first pod both select.
        let subject = both
            .first()
            .map(|w| pod_endpoint(ctx, w, &w.label_sets[0]))
            .unwrap_or_else(|| anonymous.endpoint());
        for (peer, workload) in pod_peers.iter().chain(&addresses) {
            let destination = match d {
                Direction::Ingress => subject,
                Direction::Egress => *peer,
            };
            let fa = first_matches(ra, peer, &destination);
            let fb = first_matches(rb, peer, &destination);
            for (ia, action_a, ca) in &fa {
                for (ib, action_b, cb) in &fb {
                    let common = ca.intersect(cb);
                    if action_a == action_b || common.is_empty() {
                        continue;
                    }
                    let inv = &ctx.inventory.cluster_policies;
                    let (pa, pb) = (&inv[a.index], &inv[b.index]);
                    // Sorted only for the message: most pairs have none to write.
                    both.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                    let who = if both.is_empty() {
                        "the pods of a namespace none of their selectors names".to_owned()
                    } else {
                        describe_workloads(&both)
                    };
                    let towards = match d {
                        Direction::Ingress => "from",
                        Direction::Egress => "to",
                    };
                    let tier = match a.layer {
                        Layer::Admin => "Admin",
                        _ => "Baseline",
                    };
                    return Some(RULE.cluster_finding(
                        pa,
                        format!(
                            "{ka} {na} and {kb} {nb} both have priority {prio} in the {tier} \
                             tier and both select {who}: {dir} {towards} {peer} on {port} \
                             matches {na} {rule_a} and {nb} {rule_b}; the API lets an \
                             implementation apply either policy first, so the verdict is \
                             ambiguous",
                            ka = pa.kind,
                            na = pa.name,
                            kb = pb.kind,
                            nb = pb.name,
                            prio = a.rank.0,
                            dir = d.lower(),
                            peer = describe_peer(peer, *workload),
                            port = describe_conns(&common),
                            rule_a = describe_cluster_rule(pa, d, *ia),
                            rule_b = describe_cluster_rule(pb, d, *ib),
                        ),
                        format!(
                            "Give {na} and {nb} different priorities (the lower number is \
                             evaluated first: give it to the one that must win), or make their \
                             subjects or these rules disjoint.",
                            na = pa.name,
                            nb = pb.name,
                        ),
                    ));
                }
            }
        }
    }
    None
}

/// Whether the two lists hold rules with different actions whose ports may overlap (a named
/// port may be any number): without them, no peer can make a conflict.
fn may_conflict(ra: &[CompiledRule], rb: &[CompiledRule]) -> bool {
    // Numbered ports do not depend on the destination.
    let anywhere = Endpoint::Address(IpAddr::from([192, 0, 2, 1]));
    ra.iter().any(|x| {
        rb.iter().any(|y| {
            x.action != y.action
                && (x.has_named_port()
                    || y.has_named_port()
                    || !x.conns(&anywhere).intersect(&y.conns(&anywhere)).is_empty())
        })
    })
}

/// What a policy's rules decide for one peer, first match first: each deciding rule's index,
/// action, and the connections it decides that no earlier rule did.
fn first_matches(
    rules: &[CompiledRule],
    peer: &Endpoint<'_>,
    destination: &Endpoint<'_>,
) -> Vec<(usize, Action, ConnSet)> {
    let mut undecided = ConnSet::all();
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if undecided.is_empty() {
            break;
        }
        // Only a certain match counts: an unknown one (a narrow CIDR against a pod) is no
        // evidence of a conflict.
        if rule.peer_match("", peer) != Match::Yes {
            continue;
        }
        let conns = rule.conns(destination).intersect(&undecided);
        if conns.is_empty() {
            continue;
        }
        undecided = undecided.subtract(&conns);
        out.push((i, rule.action, conns));
    }
    out
}

/// An address inside each CIDR the two policies name, and one that is in none of the usual
/// ranges (TEST-NET-3).
fn addresses(ctx: &Context<'_>, a: &ClusterCompiled, b: &ClusterCompiled) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for c in [a, b] {
        let p = &ctx.inventory.cluster_policies[c.index];
        for rule in p.ingress.iter().chain(&p.egress) {
            for peer in &rule.peers {
                for cidr in peer.networks.iter().flatten() {
                    if let Ok(net) = cidr.parse::<ipnet::IpNet>() {
                        out.push(net.network());
                    }
                }
            }
        }
    }
    out.push(IpAddr::from([203, 0, 113, 77]));
    out.sort_unstable();
    out.dedup();
    out
}

fn describe_peer(peer: &Endpoint<'_>, workload: Option<&Workload>) -> String {
    match (peer, workload) {
        (Endpoint::Address(ip), _) => format!("address {ip}"),
        (_, Some(w)) => format!("{} {}/{}", w.kind, w.namespace, w.name),
        (_, None) => "a pod of a namespace no selector names".to_owned(),
    }
}

/// One connection of a set, for a message: `TCP 80`, `UDP 1000-2000`, `every port`.
fn describe_conns(conns: &ConnSet) -> String {
    if conns.is_all() {
        return "every port".to_owned();
    }
    [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
        .into_iter()
        .find_map(|p| {
            conns
                .ranges(p)
                .first()
                .map(|&(start, end)| match (start, end) {
                    (s, e) if s == e => format!("{} {s}", p.as_str()),
                    (1, u16::MAX) => format!("every {} port", p.as_str()),
                    (s, e) => format!("{} {s}-{e}", p.as_str()),
                })
        })
        .unwrap_or_else(|| "no port".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cases_say, examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: shop, labels: {app: client}}\nspec: {containers: [{name: c, image: curl}]}\n---\n";

    /// Two policies: (tier, priority, subject, rules) each.
    fn two(a: (&str, i64, &str, &str), b: (&str, i64, &str, &str)) -> String {
        let one = |name: &str, (tier, prio, subject, rules): (&str, i64, &str, &str)| {
            format!("apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {{name: {name}}}\nspec:\n  tier: {tier}\n  priority: {prio}\n  subject: {subject}\n{rules}")
        };
        format!("{PODS}{}---\n{}", one("a", a), one("b", b))
    }

    const ALL: &str = "{namespaces: {}}";
    const DENY_ALL: &str = "  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n";
    const ACCEPT_ALL: &str = "  ingress: [{action: Accept, from: [{namespaces: {}}]}]\n";

    #[test]
    fn table_of_cases() {
        let web = "{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}";
        let client = "{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}}";
        // (policies, what the finding says; none: silent)
        let cases: Vec<(String, Option<&str>)> = vec![
            (
                two(("Admin", 5, ALL, DENY_ALL), ("Admin", 5, ALL, ACCEPT_ALL)),
                Some("both have priority 5 in the Admin tier and both select Pod shop/client, Pod shop/web: ingress from Pod shop/web on every port matches a spec.ingress[0] (Deny from namespaces {}) and b spec.ingress[0] (Accept from namespaces {})"),
            ),
            // Baseline CNPs too.
            (
                two(("Baseline", 7, ALL, DENY_ALL), ("Baseline", 7, ALL, ACCEPT_ALL)),
                Some("priority 7 in the Baseline tier"),
            ),
            // Pass differs from Deny.
            (
                two(("Admin", 5, ALL, DENY_ALL), ("Admin", 5, ALL, &DENY_ALL.replace("Deny", "Pass"))),
                Some("(Pass from namespaces {})"),
            ),
            // Different priorities, or tiers.
            (two(("Admin", 5, ALL, DENY_ALL), ("Admin", 6, ALL, ACCEPT_ALL)), None),
            (two(("Admin", 5, ALL, DENY_ALL), ("Baseline", 5, ALL, ACCEPT_ALL)), None),
            // The same action.
            (two(("Admin", 5, ALL, DENY_ALL), ("Admin", 5, ALL, DENY_ALL)), None),
            // Subjects that select different pods (and no namespace could hold both).
            (two(("Admin", 5, web, DENY_ALL), ("Admin", 5, client, ACCEPT_ALL)), None),
            // Subjects overlapping only on the anonymous pod: still a conflict.
            (
                two(
                    ("Admin", 5, "{namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop]}]}}", DENY_ALL),
                    ("Admin", 5, ALL, ACCEPT_ALL),
                ),
                Some("both select the pods of a namespace none of their selectors names"),
            ),
            // Peers that no pod is both: web vs client.
            (
                two(
                    ("Admin", 5, ALL, &format!("  ingress: [{{action: Deny, from: [{web}]}}]\n")),
                    ("Admin", 5, ALL, &format!("  ingress: [{{action: Accept, from: [{client}]}}]\n")),
                ),
                None,
            ),
            // Disjoint ports.
            (
                two(
                    ("Admin", 5, ALL, "  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]\n"),
                    ("Admin", 5, ALL, "  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}]\n"),
                ),
                None,
            ),
            // A named port resolves on the subject: http is 8080 on web.
            (
                two(
                    ("Admin", 5, web, "  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 8080}}}]}]\n"),
                    ("Admin", 5, web, "  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}]\n"),
                ),
                Some("on TCP 8080"),
            ),
            // Egress to an address both name.
            (
                two(
                    ("Admin", 5, ALL, "  egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}]}]\n"),
                    ("Admin", 5, ALL, "  egress: [{action: Accept, to: [{networks: [10.1.0.0/16]}]}]\n"),
                ),
                Some("egress to address 10.1.0.0"),
            ),
            // An earlier rule of the same policy decides first: no overlap left.
            (
                two(
                    ("Admin", 5, ALL, "  ingress:\n  - {action: Accept, from: [{namespaces: {}}]}\n  - {action: Deny, from: [{namespaces: {}}]}\n"),
                    ("Admin", 5, ALL, ACCEPT_ALL),
                ),
                None,
            ),
        ];
        cases_say(&cases, check);
    }

    #[test]
    fn pods_alike_but_for_their_namespace_labels_are_each_tried() {
        // Both pods are app=web; only the one in a team=b namespace is denied.
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n---\n\
            apiVersion: v1\nkind: Namespace\nmetadata: {name: zoo, labels: {team: b}}\n---\n\
            apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: i}]}\n---\n\
            apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: zoo, labels: {app: web}}\nspec: {containers: [{name: c, image: i}]}\n---\n\
            apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: a}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: b}}}]}]\n---\n\
            apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: b}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]}]\n";
        let f = run(yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message
                .contains("ingress from Pod zoo/web on every port"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn an_admin_network_policy_and_a_cluster_network_policy_share_the_scale() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace, None);
        assert_eq!(
            (f[0].kind.as_str(), f[0].object.as_str()),
            ("AdminNetworkPolicy", "allow-monitoring")
        );
        assert_eq!(
            f[0].message,
            "AdminNetworkPolicy allow-monitoring and ClusterNetworkPolicy isolate-shop both have \
             priority 10 in the Admin tier and both select Pod shop/web: ingress from Pod \
             monitoring/prometheus on every port matches allow-monitoring spec.ingress[0] \
             \"from-prometheus\" (Allow from pods app=prometheus in namespaces \
             kubernetes.io/metadata.name=monitoring) and isolate-shop spec.ingress[0] \
             \"deny-other-namespaces\" (Deny from namespaces kubernetes.io/metadata.name notin \
             (shop)); the API lets an implementation apply either policy first, so the verdict \
             is ambiguous"
        );
    }
}
