//! NPC302 cilium-deny-shadows-allow: an allow rule (of a Cilium policy, or of a NetworkPolicy,
//! which Cilium enforces in the same layer) that a Cilium deny rule applying to the same pods
//! matches in full. Deny rules win over every allow (SEMANTICS.md point 19), so the allow
//! never takes effect there: what its author wanted to let through is dropped.
//!
//! Compared through the compiled rules, not the YAML: an allow is shadowed for a pod when,
//! for every peer it may match among the inventory's workloads, point 22's anonymous pod and a
//! few addresses (public ones, private ones and those the policies' CIDRs name), the deny
//! certainly matches that peer too, on every port the allow lets through. Each pair of rules is
//! worked out once per list of container ports of the pods both apply to (an ingress rule's
//! named ports resolve on the pod itself); only pods with a deny rule cost anything, and deny
//! rules are few.

use std::collections::BTreeMap;

use foldhash::HashMap as FastMap;
use std::net::IpAddr;
use std::sync::Mutex;

use ipnet::IpNet;

use crate::connectivity::describe::{policy_name, rule_label, rule_ref};
use crate::model::{Direction, Inventory, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::traffic::{CompiledRule, Endpoint, Match};
use crate::semantics::{Coverage, DirectionVerdict, LabelIndex, PolicyId, RuleRef};

use super::{describe_workloads, endpoint, AnonymousPod, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC302",
    name: "cilium-deny-shadows-allow",
    severity: Severity::Warning,
    summary: "A Cilium deny rule matches everything an allow rule for the same pods lets through",
    explanation: "Cilium applies `ingressDeny` and `egressDeny` rules before any allow, whatever \
        policy (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or Kubernetes \
        NetworkPolicy) the allow comes from. When a deny rule that applies to a pod matches \
        every peer and every port an allow rule for that pod names, the allow never takes \
        effect there: the traffic its author meant to let through is dropped, often because the \
        deny was written as \"everything else\" (`fromEntities: [cluster]`), which Cilium's \
        default deny already does. The rules are compared as the semantics evaluate them, \
        against the workloads of the input, a pod of a new namespace and a few addresses, not as \
        text. Only complete shadowing is reported: a deny that carves some peers or ports out of \
        an allow is what deny rules are for.",
    bad_example: include_str!("examples/NPC302-bad.yaml"),
    good_example: include_str!("examples/NPC302-good.yaml"),
};

type Pair = (RuleRef, RuleRef);

/// What a pair's answer depends on besides the two rules: for ingress the pod's container ports,
/// on which the rules' named ports resolve (for egress they resolve on each peer, and the class
/// is 0). Positions in the list of distinct port lists.
type PortClass = u32;

/// Pods that share a direction, a port class, their NetworkPolicies and their Cilium rules.
type GroupKey<'v> = (Direction, PortClass, &'v [usize], usize, usize);

struct Group {
    direction: Direction,
    class: PortClass,
    /// Positions in the inventory's workloads, ascending.
    pods: Vec<usize>,
}

/// A pod's container ports: name, number, protocol.
type Ports<'a> = Vec<(Option<&'a str>, i64, Option<&'a str>)>;

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    use rayon::prelude::*;
    let set = &ctx.coverage.set;
    if set.cilium().is_empty() {
        return Vec::new();
    }
    let anonymous = AnonymousPod::new();
    let peers = sample_peers(ctx.coverage, ctx.inventory, &anonymous);
    // The pods with a deny rule and, for each pair of an allow and a deny rule of theirs, one
    // pod to work it out on: a pair gives the same answer for every pod with the same ports.
    // Every pair is worked out, in parallel, before any is looked up, so that which pod it is
    // worked out on, and whether an earlier deny already shadows the allow, cannot change it.
    let mut classes: FastMap<Ports<'_>, PortClass> = FastMap::default();
    // Pods under the same policies share their rules, and so their answers: each group of
    // them is worked out once (100,000 pods come in a few thousand groups). A direction's
    // Cilium list is one shared value per distinct content, so its address tells lists apart.
    let mut with_denies: FastMap<(Direction, usize, usize), bool> = FastMap::default();
    let mut group_of: FastMap<GroupKey<'_>, usize> = FastMap::default();
    let mut groups: Vec<Group> = Vec::new();
    type Todo<'r> = (&'r CompiledRule, &'r str, &'r CompiledRule, &'r Workload);
    let mut todo: FastMap<(Pair, PortClass), Todo<'_>> = FastMap::default();
    let workloads = ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads);
    for (i, (w, v)) in workloads.enumerate() {
        if ctx.coverage.on_node_network(w) {
            continue;
        }
        for d in Direction::BOTH {
            let dv = v.direction(d);
            let list = dv.cilium();
            let denies = *with_denies
                .entry((d, list.as_ptr() as usize, list.len()))
                .or_insert_with(|| {
                    list.iter().any(|&p| {
                        let c = &set.cilium()[p];
                        set.rules(c.id(), d).len() > c.allow_count(d)
                    })
                });
            if !denies {
                continue;
            }
            let class = match d {
                Direction::Egress => 0,
                Direction::Ingress => {
                    let ports = (w.ports.iter())
                        .map(|p| (p.name.as_deref(), p.port, p.protocol.as_deref()))
                        .collect();
                    let next = classes.len() as PortClass + 1;
                    *classes.entry(ports).or_insert(next)
                }
            };
            let key = (
                d,
                class,
                dv.policies.as_slice(),
                list.as_ptr() as usize,
                list.len(),
            );
            let next = groups.len();
            let g = *group_of.entry(key).or_insert(next);
            if g == next {
                let (allows, denies) = rules(ctx, d, dv);
                for &(allow, a, namespace) in &allows {
                    for &(deny, r) in &denies {
                        let class = pair_class(a, r, class);
                        todo.entry(((allow, deny), class))
                            .or_insert((a, namespace, r, w));
                    }
                }
                groups.push(Group {
                    direction: d,
                    class,
                    pods: Vec::new(),
                });
            }
            groups[g].pods.push(i);
        }
    }
    let memo = PeersMemo::default();
    let known: FastMap<(Pair, PortClass), bool> = todo
        .into_par_iter()
        .map(|(key, (allow, namespace, deny, w))| {
            let subject = endpoint(ctx.coverage, w, &w.label_sets[0]);
            let direction = key.0 .0.direction;
            (
                key,
                shadows(allow, namespace, deny, direction, &subject, &peers, &memo),
            )
        })
        .collect();
    let mut shadowed: BTreeMap<Pair, Vec<usize>> = BTreeMap::new();
    for group in &groups {
        let first = group.pods[0];
        let verdict = ctx.coverage.workloads[first].direction(group.direction);
        let (allows, denies) = rules(ctx, group.direction, verdict);
        for (allow, a, _) in &allows {
            let first = (denies.iter())
                .find(|(deny, d)| known[&((*allow, *deny), pair_class(a, d, group.class))]);
            if let Some((deny, _)) = first {
                shadowed
                    .entry((*allow, *deny))
                    .or_default()
                    .extend(&group.pods);
            }
        }
    }
    let inv = ctx.inventory;
    shadowed
        .into_iter()
        .map(|((allow, deny), mut pods)| {
            // In inventory order, whichever groups they came in.
            pods.sort_unstable();
            let workloads: Vec<&Workload> = pods.iter().map(|&i| &inv.workloads[i]).collect();
            let message = format!(
                "{allowed} never takes effect for {who}: {denied} matches every peer and port it \
                 allows there, and a Cilium deny rule wins over every allow",
                allowed = describe(inv, allow),
                who = describe_workloads(&workloads),
                denied = describe(inv, deny),
            );
            let remediation = format!(
                "Narrow {deny} (other peers or ports, or an `except` in a CIDR set) so that it \
                 leaves out what the allow is for, or delete the allow if the deny is what is \
                 meant.",
                deny = rule_label(inv, deny),
            );
            match allow.policy {
                PolicyId::Network(i) => RULE.policy_finding(&inv.policies[i], message, remediation),
                PolicyId::Cilium { policy, .. } => {
                    RULE.cilium_finding(&inv.cilium_policies[policy as usize], message, remediation)
                }
                PolicyId::Cluster(i) => {
                    RULE.cluster_finding(&inv.cluster_policies[i], message, remediation)
                }
                PolicyId::Calico(i) => {
                    RULE.calico_finding(&inv.calico_policies[i], message, remediation)
                }
            }
        })
        .collect()
}

/// `CiliumNetworkPolicy shop/db spec.ingress[0] (Allow from ...)`, `NetworkPolicy shop/db
/// spec.ingress[1] (from ...)`.
fn describe(inventory: &Inventory, at: RuleRef) -> String {
    match at.policy {
        PolicyId::Network(_) => format!(
            "NetworkPolicy {} spec.{}[{}] ({})",
            policy_name(inventory, at.policy),
            at.direction.lower(),
            at.index,
            rule_ref(inventory, at)
        ),
        _ => format!(
            "{} {} ({})",
            policy_name(inventory, at.policy),
            rule_label(inventory, at),
            rule_ref(inventory, at)
        ),
    }
}

/// The port class a pair's answer depends on: the pod's, when one of the rules names a port by
/// name, else none (most pairs, worked out once for every pod).
fn pair_class(allow: &CompiledRule, deny: &CompiledRule, pod: PortClass) -> PortClass {
    if allow.has_named_port() || deny.has_named_port() {
        pod
    } else {
        0
    }
}

type Allows<'a> = Vec<(RuleRef, &'a CompiledRule, &'a str)>;

/// The rules of a pod's policies for a direction: the allows (with the namespace their
/// selectors default to) and the Cilium denies, in the order of its verdict.
fn rules<'a>(
    ctx: &Context<'a>,
    direction: Direction,
    v: &DirectionVerdict,
) -> (Allows<'a>, Vec<(RuleRef, &'a CompiledRule)>) {
    let set = &ctx.coverage.set;
    let mut allows: Allows<'a> = Vec::new();
    let mut denies: Vec<(RuleRef, &CompiledRule)> = Vec::new();
    for &i in &v.policies {
        let id = PolicyId::Network(i);
        for (index, r) in set.rules(id, direction).iter().enumerate() {
            let at = RuleRef {
                policy: id,
                direction,
                index,
            };
            allows.push((at, r, set.policy_namespace(id)));
        }
    }
    for &p in v.cilium() {
        let c = &set.cilium()[p];
        let id = c.id();
        for (index, r) in set.rules(id, direction).iter().enumerate() {
            let at = RuleRef {
                policy: id,
                direction,
                index,
            };
            if index < c.allow_count(direction) {
                allows.push((at, r, ""));
            } else {
                denies.push((at, r));
            }
        }
    }
    (allows, denies)
}

/// Answers of [`peers_shadowed`] with `fixed`, by the peers keys of the allow and the deny.
type PeersMemo = Mutex<FastMap<(String, String), bool>>;

/// Whether `deny` matches every peer and port `allow` lets through to (from) `subject`, and
/// `allow` lets something through.
fn shadows(
    allow: &CompiledRule,
    namespace: &str,
    deny: &CompiledRule,
    direction: Direction,
    subject: &Endpoint<'_>,
    peers: &SamplePeers<'_>,
    memo: &PeersMemo,
) -> bool {
    // Named ports resolve on the destination: the pod itself for ingress, each peer for
    // egress. Without any, or for ingress, what each rule lets through is the same for every
    // peer: compared once, before any peer (a deny of other ports settles the pair at once).
    let fixed =
        direction == Direction::Ingress || !(allow.has_named_port() || deny.has_named_port());
    if !fixed {
        return peers_shadowed(allow, namespace, deny, false, peers);
    }
    let conns = allow.conns(subject);
    if conns.is_empty() || conns.intersect(&deny.conns(subject)) != conns {
        return false;
    }
    // What is left depends on the two rules' peers only, and many policies write the same
    // ones (`fromEntities: [world]` allowed and denied: every address compared, for each of
    // 1,230 pairs of 20,000 Cilium policies): worked out once per pair of peers keys.
    let key = (allow.peers_key(namespace), deny.peers_key(""));
    if let Some(&known) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return known;
    }
    let answer = peers_shadowed(allow, namespace, deny, true, peers);
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, answer);
    answer
}

/// Whether `deny` matches every peer `allow` matches, and `allow` matches some, among the
/// sample peers; unless `fixed` (what the rules let through was compared before, for every
/// peer), on every port `allow` lets through to that peer too.
fn peers_shadowed(
    allow: &CompiledRule,
    namespace: &str,
    deny: &CompiledRule,
    fixed: bool,
    peers: &SamplePeers<'_>,
) -> bool {
    let mut allows_something = false;
    // Peers the allow cannot match are skipped: they cannot settle the answer, and testing
    // each of thousands of addresses (the ends of every CIDR of 20,000 policies) against
    // every pair was most of this check.
    let pods = allow.may_match_pod_network_pods();
    let candidates = if pods {
        candidate_pods(allow, namespace, peers)
    } else {
        Box::new(std::iter::empty())
    };
    let anonymous = pods.then_some(&peers.anonymous);
    let addresses = if allow.may_match_addresses() {
        peers.addresses.as_slice()
    } else {
        &[]
    };
    for peer in candidates.chain(anonymous).chain(addresses) {
        if allow.peer_match(namespace, peer) == Match::No {
            continue;
        }
        if !fixed {
            let conns = allow.conns(peer);
            if conns.is_empty() {
                continue;
            }
            if conns.intersect(&deny.conns(peer)) != conns {
                return false;
            }
        }
        allows_something = true;
        if deny.peer_match("", peer) != Match::Yes {
            return false;
        }
    }
    allows_something
}

/// The pods `allow` may match, in no particular order and possibly more than once: the
/// answer of [`shadows`] depends on neither. Whole namespaces whose pods the allow cannot
/// match are skipped (a pair compared against every pod of the cluster one by one was most of
/// a run on 20,000 Cilium policies), and when its peers select pods by their labels, only the
/// pods carrying a label they require are looked at, found through the label index.
fn candidate_pods<'p, 'a>(
    allow: &'p CompiledRule,
    namespace: &'p str,
    peers: &'p SamplePeers<'a>,
) -> Box<dyn Iterator<Item = &'p Endpoint<'a>> + 'p> {
    let namespaces = candidate_namespaces(allow, namespace, peers)
        .into_iter()
        .map(|i| &peers.namespaces[i]);
    match allow.pod_label_selectors() {
        // Within each namespace, not across the cluster: a selector without a label to look
        // up (`NotIn`, `DoesNotExist` alone) would otherwise test every pod of the cluster.
        Some(selectors) => Box::new(
            namespaces
                .flat_map(move |n| {
                    (selectors.iter())
                        .flat_map(|s| peers.index.matching_within(s, n.pods.clone()))
                        .collect::<Vec<_>>()
                })
                .map(|i| &peers.pods[i]),
        ),
        None => Box::new(namespaces.flat_map(|n| &peers.pods[n.pods.clone()])),
    }
}

/// The positions in `peers.namespaces` of the namespaces where `allow` may match pods (those
/// [`CompiledRule::may_match_pods_in`] keeps), ascending.
fn candidate_namespaces(
    allow: &CompiledRule,
    namespace: &str,
    peers: &SamplePeers<'_>,
) -> Vec<usize> {
    // Found through the namespaces' label index when the allow's peers say where their pods
    // live: asking each of 2,000 namespaces for each pair was most of this check.
    let position = |name: &str| peers.namespace_at.get(name).copied();
    match allow.pod_namespace_positions(namespace, &peers.namespace_index, position) {
        Some((mut positions, named)) => {
            positions.extend(named);
            positions.sort_unstable();
            positions.dedup();
            positions
        }
        None => (peers.namespaces.iter().enumerate())
            .filter(|(_, n)| allow.may_match_pods_in(namespace, n.namespace, n.labels))
            .map(|(i, _)| i)
            .collect(),
    }
}

/// The peers an allow is compared on: pods grouped by namespace, the anonymous pod and
/// addresses.
struct SamplePeers<'a> {
    /// Grouped by namespace, in the order the namespaces first appear.
    pods: Vec<Endpoint<'a>>,
    /// The pods' labels, by position in `pods`.
    index: LabelIndex<'a>,
    namespaces: Vec<NamespacePods<'a>>,
    /// The labels of `namespaces`, by position there.
    namespace_index: LabelIndex<'a>,
    /// The position of each namespace in `namespaces`.
    namespace_at: FastMap<&'a str, usize>,
    /// Point 22's anonymous pod.
    anonymous: Endpoint<'a>,
    addresses: Vec<Endpoint<'a>>,
}

struct NamespacePods<'a> {
    namespace: &'a str,
    labels: &'a crate::model::Labels,
    /// Its pods' positions in [`SamplePeers::pods`].
    pods: std::ops::Range<usize>,
}

/// One pod of each label set of the input (hostNetwork pods are no endpoint), point 22's
/// anonymous pod, and addresses: public, private, the metadata service, and the first and
/// last address of every CIDR the policies name.
fn sample_peers<'a>(
    coverage: &'a Coverage,
    inventory: &'a Inventory,
    anonymous: &'a AnonymousPod,
) -> SamplePeers<'a> {
    use rayon::prelude::*;
    // Namespace by namespace, on whichever cores are free.
    let groups = super::index::namespace_groups(&inventory.workloads);
    let per_namespace: Vec<Vec<Endpoint<'a>>> = groups
        .par_iter()
        .map(|(_, members)| {
            // Two pods with the same labels and service account are the same peer to every
            // rule, unless their container ports differ (an egress rule's named port resolves
            // on them).
            let mut seen: foldhash::HashSet<_> = Default::default();
            let mut pods = Vec::new();
            for w in members.iter().map(|&i| &inventory.workloads[i as usize]) {
                if coverage.on_node_network(w) {
                    continue;
                }
                for labels in &w.label_sets {
                    if seen.insert((labels, w.service_account(), w.ports.as_slice())) {
                        pods.push(endpoint(coverage, w, labels));
                    }
                }
            }
            pods
        })
        .collect();
    let mut pods = Vec::new();
    let mut namespaces = Vec::new();
    for ((namespace, _), mut members) in groups.into_iter().zip(per_namespace) {
        if members.is_empty() {
            continue;
        }
        let start = pods.len();
        pods.append(&mut members);
        namespaces.push(NamespacePods {
            namespace,
            labels: coverage.set.namespace_labels(namespace),
            pods: start..pods.len(),
        });
    }
    let mut addresses: Vec<IpAddr> = [
        "8.8.8.8",
        "1.1.1.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "2001:4860:4860::8888",
        "fd00::1",
    ]
    .iter()
    .map(|a| a.parse().expect("a literal address"))
    .collect();
    let cidrs = inventory
        .cilium_policies
        .iter()
        .flat_map(|p| &p.rules)
        .flat_map(|r| {
            [&r.ingress, &r.ingress_deny, &r.egress, &r.egress_deny]
                .into_iter()
                .flatten()
                .flatten()
        })
        .flat_map(|r| {
            let sets = r.cidr_set.iter().flatten();
            (r.cidr.iter().flatten())
                .chain(sets.clone().filter_map(|s| s.cidr.as_ref()))
                .chain(sets.flat_map(|s| &s.except))
        })
        .chain(
            (inventory.policies.iter())
                .flat_map(|p| Direction::BOTH.into_iter().flat_map(|d| p.rules(d)))
                .flat_map(|r| &r.peers)
                .filter_map(|p| p.ip_block.as_ref())
                .flat_map(|b| std::iter::once(&b.cidr).chain(&b.except)),
        );
    for cidr in cidrs {
        if let Ok(net) = cidr.parse::<IpNet>() {
            addresses.push(net.network());
            addresses.push(net.broadcast());
        }
    }
    addresses.sort_unstable();
    addresses.dedup();
    let addresses = addresses.into_iter().map(Endpoint::Address).collect();
    let index = LabelIndex::new(pods.iter().map(|p| match p {
        Endpoint::Pod(pod) => pod.labels,
        Endpoint::Address(_) => unreachable!("only pods are grouped by namespace"),
    }));
    let namespace_index = LabelIndex::new(namespaces.iter().map(|n| n.labels));
    let namespace_at = (namespaces.iter().enumerate())
        .map(|(i, n)| (n.namespace, i))
        .collect();
    SamplePeers {
        pods,
        index,
        namespaces,
        namespace_index,
        namespace_at,
        anonymous: anonymous.endpoint(),
        addresses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\nspec: {containers: [{name: db, image: postgres, ports: [{name: pg, containerPort: 5432}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api, image: api}]}\n---\n";

    fn cnp(name: &str, body: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  endpointSelector: {{matchLabels: {{app: db}}}}\n{body}---\n"
        )
    }

    const ALLOW_API_5432: &str = "  ingress: [{fromEndpoints: [{matchLabels: {app: api}}], toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n";

    #[test]
    fn table_of_cases() {
        // (policies after the pods, what the finding says; none: silent)
        let cases: Vec<(String, Option<&str>)> = vec![
            // The same policy: the deny names the very peer.
            (
                cnp(
                    "db",
                    &format!(
                        "{ALLOW_API_5432}  ingressDeny: [{{fromEndpoints: [{{matchLabels: {{app: api}}}}]}}]\n"
                    ),
                ),
                Some("CiliumNetworkPolicy shop/db spec.ingress[0] (Allow from pods app=api"),
            ),
            // A deny by port alone (every peer on that port) over an allow on that port.
            (
                format!(
                    "{}{}",
                    cnp("allow", ALLOW_API_5432),
                    cnp(
                        "deny",
                        "  ingressDeny: [{toPorts: [{ports: [{port: '5000', endPort: 6000, protocol: TCP}]}]}]\n"
                    )
                ),
                Some("CiliumNetworkPolicy shop/deny spec.ingressDeny[0]"),
            ),
            // The deny covers another port only: partial, silent.
            (
                format!(
                    "{}{}",
                    cnp("allow", ALLOW_API_5432),
                    cnp(
                        "deny",
                        "  ingressDeny: [{toPorts: [{ports: [{port: '5433', protocol: TCP}]}]}]\n"
                    )
                ),
                None,
            ),
            // UDP deny, TCP allow: silent.
            (
                format!(
                    "{}{}",
                    cnp("allow", ALLOW_API_5432),
                    cnp(
                        "deny",
                        "  ingressDeny: [{toPorts: [{ports: [{port: '5432', protocol: UDP}]}]}]\n"
                    )
                ),
                None,
            ),
            // Deny from the world, allow from a pod: disjoint peers.
            (
                format!(
                    "{}{}",
                    cnp("allow", ALLOW_API_5432),
                    cnp("deny", "  ingressDeny: [{fromEntities: [world]}]\n")
                ),
                None,
            ),
            // An allow of every endpoint against a deny of one of them: partial.
            (
                cnp(
                    "db",
                    "  ingress: [{fromEndpoints: [{}]}]\n  ingressDeny: [{fromEndpoints: [{matchLabels: {app: api}}]}]\n",
                ),
                None,
            ),
            // A NetworkPolicy allow counts too (Cilium enforces both in one layer).
            (
                format!(
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: np, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: db}}}}\n  ingress: [{{from: [{{podSelector: {{matchLabels: {{app: api}}}}}}], ports: [{{port: pg}}]}}]\n---\n{}",
                    cnp("deny", "  ingressDeny: [{fromEntities: [cluster]}]\n")
                ),
                Some("NetworkPolicy shop/np spec.ingress[0]"),
            ),
            // Egress: allow to a CIDR inside a denied wider one.
            (
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: out, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: api}}\n  egress: [{toCIDR: [203.0.113.0/24]}]\n  egressDeny: [{toCIDRSet: [{cidr: 203.0.0.0/16}]}]\n---\n".to_owned(),
                Some("spec.egress[0] (Allow to addresses 203.0.113.0/24"),
            ),
            // ... and with the allowed range carved out of the deny: silent.
            (
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: out, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: api}}\n  egress: [{toCIDR: [203.0.113.0/24]}]\n  egressDeny: [{toCIDRSet: [{cidr: 203.0.0.0/16, except: [203.0.113.0/24]}]}]\n---\n".to_owned(),
                None,
            ),
        ];
        for (policies, says) in cases {
            let yaml = format!("{PODS}{policies}");
            let f = run(&yaml, check);
            match says {
                Some(says) => {
                    assert_eq!(f.len(), 1, "{yaml}: {f:#?}");
                    assert!(f[0].message.contains(says), "{}", f[0].message);
                }
                None => assert!(f.is_empty(), "{yaml}: {f:#?}"),
            }
        }
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "db-from-api");
        assert!(
            f[0].message.starts_with(
                "CiliumNetworkPolicy shop/db-from-api spec.ingress[0] (Allow from pods app=api"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.ends_with(
                "never takes effect for Deployment shop/db: CiliumNetworkPolicy shop/db-lockdown \
                 spec.ingressDeny[0] (Deny from entities cluster, every port and protocol) matches \
                 every peer and port it allows there, and a Cilium deny rule wins over every \
                 allow"
            ),
            "{}",
            f[0].message
        );
    }

    /// A named port resolves on each pod the allow applies to: a pair of rules is not decided
    /// once for every pod, on whichever pod comes first. Here `pg` is 5432 on `db1`, which the
    /// deny covers, and 6000 on `db2`, which it does not, in both orders of the pods.
    #[test]
    fn a_named_port_is_resolved_on_each_pod() {
        let pod = |name: &str, port: u16| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: db}}}}\nspec: {{containers: [{{name: db, image: postgres, ports: [{{name: pg, containerPort: {port}}}]}}]}}\n---\n"
            )
        };
        let policies = format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: np, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: db}}}}\n  ingress: [{{from: [{{podSelector: {{matchLabels: {{app: api}}}}}}], ports: [{{port: pg}}]}}]\n---\n{}",
            cnp(
                "deny",
                "  ingressDeny: [{toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n"
            )
        );
        let api = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api, image: api}]}\n---\n";
        let (db1, db2) = (pod("db1", 5432), pod("db2", 6000));
        for pods in [format!("{api}{db1}{db2}"), format!("{api}{db2}{db1}")] {
            let f = run(&format!("{pods}{policies}"), check);
            assert_eq!(f.len(), 1, "{pods}: {f:#?}");
            assert!(
                f[0].message
                    .contains("never takes effect for Pod shop/db1:"),
                "{}",
                f[0].message
            );
        }
    }

    /// For egress a named port resolves on each peer: two peers with the same labels whose
    /// `pg` is 5432 and 6000 are two peers, not one. The deny covers 5432 only, so the allow
    /// still lets `api` reach `db2`, whichever pod comes first.
    #[test]
    fn peers_with_the_same_labels_and_other_ports_are_each_compared() {
        let pod = |name: &str, port: u16| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: db}}}}\nspec: {{containers: [{{name: db, image: postgres, ports: [{{name: pg, containerPort: {port}}}]}}]}}\n---\n"
            )
        };
        let api = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api, image: api}]}\n---\n";
        let policy = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: out, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: api}}\n  egress: [{toEndpoints: [{matchLabels: {app: db}}], toPorts: [{ports: [{port: pg, protocol: TCP}]}]}]\n  egressDeny: [{toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n---\n";
        let (db1, db2) = (pod("db1", 5432), pod("db2", 6000));
        for pods in [format!("{api}{db1}{db2}"), format!("{api}{db2}{db1}")] {
            let f = run(&format!("{pods}{policy}"), check);
            assert!(f.is_empty(), "{pods}: {f:#?}");
        }
        // With db1 alone the deny covers all the allow reaches: reported.
        let f = run(&format!("{api}{db1}{policy}"), check);
        assert_eq!(f.len(), 1, "{f:#?}");
    }

    /// The synthetic clusters in NetworkPolicy form with cluster-scoped policies, in Cilium
    /// form, and hand-written peers the generator does not write.
    fn varied_inputs() -> Vec<String> {
        use crate::synth::{generate, SynthConfig};
        let synth = |cfg: SynthConfig| {
            let mut out = Vec::new();
            generate(&cfg, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let small = SynthConfig::scaled(0.01);
        let extra = "apiVersion: v1\nkind: Pod\nmetadata: {name: node, namespace: infra, labels: {app: agent}}\nspec: {hostNetwork: true, containers: [{name: a, image: a}]}\n---\n\
            apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: ccnp}\nspec:\n  endpointSelector: {}\n  ingress: [{fromEntities: [host]}, {fromEntities: [remote-node, world]}, {fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: a}}]}, {fromEndpoints: [{matchLabels: {app: agent}}]}]\n  egress: [{toCIDR: [10.0.0.0/8]}, {toFQDNs: [{matchName: example.com}]}, {toServices: [{k8sService: {serviceName: s, namespace: infra}}]}]\n---\n\
            apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: cnp, namespace: infra}\nspec:\n  endpointSelector: {}\n  ingress: [{}, {fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: shop}}]}, {fromEndpoints: [{matchLabels: {app: agent}}]}]\n  egressDeny: [{toEntities: [cluster]}]\n---\n\
            apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: infra}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}, {podSelector: {matchLabels: {app: agent}}}, {ipBlock: {cidr: 0.0.0.0/0}}]}]\n";
        vec![
            synth(SynthConfig {
                cluster_policies: 20,
                ..small
            }),
            synth(SynthConfig {
                cilium: true,
                ..small
            }),
            format!("{}\n---\n{extra}", synth(small)),
        ]
    }

    /// The shortcut `shadows` takes: a namespace `may_match_pods_in` rules out holds no pod
    /// that `peer_match` matches (or may match), for every rule of every kind, hostNetwork pods
    /// included. Over the synthetic clusters in NetworkPolicy form with cluster-scoped
    /// policies, in Cilium form, and hand-written peers the generator does not write.
    #[test]
    fn a_namespace_skipped_holds_no_pod_the_rule_may_match() {
        use crate::checks::testutil::inventory;
        use crate::semantics::validation;
        let inputs = varied_inputs();
        for yaml in &inputs {
            let inv = inventory(yaml);
            let coverage =
                Coverage::evaluate(&inv, |i| validation::validate(&inv.policies[i]).is_empty());
            let set = &coverage.set;
            let ids = (0..inv.policies.len())
                .map(PolicyId::Network)
                .chain(set.cluster().iter().map(|c| PolicyId::Cluster(c.index)))
                .chain(set.cilium().iter().map(|c| c.id()));
            let (mut skipped, mut kept) = (0, 0);
            for id in ids {
                for direction in Direction::BOTH {
                    for rule in set.rules(id, direction) {
                        for namespace in [set.policy_namespace(id), ""] {
                            for w in &inv.workloads {
                                let ns_labels = set.namespace_labels(&w.namespace);
                                if rule.may_match_pods_in(namespace, &w.namespace, ns_labels) {
                                    kept += 1;
                                    continue;
                                }
                                skipped += 1;
                                for labels in &w.label_sets {
                                    let pod = endpoint(&coverage, w, labels);
                                    assert_eq!(
                                        rule.peer_match(namespace, &pod),
                                        Match::No,
                                        "{id:?} {direction:?} {rule:?} on {}/{}",
                                        w.namespace,
                                        w.name
                                    );
                                }
                            }
                        }
                    }
                }
            }
            assert!(skipped > 0 && kept > 0, "{skipped} skipped, {kept} kept");
        }
    }

    /// The namespaces found through the namespaces' label index are exactly those
    /// `may_match_pods_in` keeps, for every rule of every kind, in its policy's namespace and
    /// in none.
    #[test]
    fn the_indexed_namespaces_are_those_may_match_pods_in_keeps() {
        use crate::checks::testutil::inventory;
        use crate::semantics::validation;
        for yaml in &varied_inputs() {
            let inv = inventory(yaml);
            let coverage =
                Coverage::evaluate(&inv, |i| validation::validate(&inv.policies[i]).is_empty());
            let anonymous = AnonymousPod::new();
            let peers = sample_peers(&coverage, &inv, &anonymous);
            let set = &coverage.set;
            let ids = (0..inv.policies.len())
                .map(PolicyId::Network)
                .chain(set.cluster().iter().map(|c| PolicyId::Cluster(c.index)))
                .chain(set.cilium().iter().map(|c| c.id()));
            let (mut indexed, mut some, mut none) = (0, 0, 0);
            for id in ids {
                for direction in Direction::BOTH {
                    for rule in set.rules(id, direction) {
                        for namespace in [set.policy_namespace(id), ""] {
                            indexed += usize::from(rule.pod_namespaces(namespace).is_some());
                            let expected: Vec<usize> = (peers.namespaces.iter().enumerate())
                                .filter(|(_, n)| {
                                    rule.may_match_pods_in(namespace, n.namespace, n.labels)
                                })
                                .map(|(i, _)| i)
                                .collect();
                            let found = candidate_namespaces(rule, namespace, &peers);
                            assert_eq!(found, expected, "{id:?} {direction:?} {rule:?}");
                            if expected.is_empty() {
                                none += 1;
                            } else if expected.len() < peers.namespaces.len() {
                                some += 1;
                            }
                        }
                    }
                }
            }
            assert!(
                indexed > 0 && some > 0 && none > 0,
                "{indexed} indexed, {some} narrowed, {none} empty"
            );
        }
    }

    /// The pods `shadows` compares an allow on: every pod `peer_match` matches (or may match)
    /// is among them, for every rule of every kind, whether they are found through the label
    /// index or namespace by namespace.
    #[test]
    fn the_candidate_pods_hold_every_pod_the_rule_may_match() {
        use crate::checks::testutil::inventory;
        use crate::semantics::validation;
        for yaml in &varied_inputs() {
            let inv = inventory(yaml);
            let coverage =
                Coverage::evaluate(&inv, |i| validation::validate(&inv.policies[i]).is_empty());
            let anonymous = AnonymousPod::new();
            let peers = sample_peers(&coverage, &inv, &anonymous);
            let set = &coverage.set;
            let ids = (0..inv.policies.len())
                .map(PolicyId::Network)
                .chain(set.cluster().iter().map(|c| PolicyId::Cluster(c.index)))
                .chain(set.cilium().iter().map(|c| c.id()));
            let (mut indexed, mut narrowed) = (0, 0);
            for id in ids {
                for direction in Direction::BOTH {
                    for rule in set.rules(id, direction) {
                        indexed += usize::from(rule.pod_label_selectors().is_some());
                        for namespace in [set.policy_namespace(id), ""] {
                            let candidates: std::collections::HashSet<*const Endpoint<'_>> =
                                candidate_pods(rule, namespace, &peers)
                                    .map(|p| p as *const _)
                                    .collect();
                            narrowed += usize::from(candidates.len() < peers.pods.len());
                            for pod in &peers.pods {
                                if rule.peer_match(namespace, pod) != Match::No {
                                    assert!(
                                        candidates.contains(&(pod as *const _)),
                                        "{id:?} {direction:?} {rule:?} on {pod:?}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
            assert!(
                indexed > 0 && narrowed > 0,
                "{indexed} indexed, {narrowed} narrowed"
            );
        }
    }
}
