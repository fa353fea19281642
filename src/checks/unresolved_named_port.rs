//! NPC113 unresolved-named-port: a named port in a policy rule that no destination pod of the
//! rule defines (with that name and protocol) matches nothing, so the traffic it was meant to
//! allow stays blocked. A named port never matches an ipBlock destination either.

use std::sync::{Arc, Mutex};

// Hashed for every named port of every rule, some keys whole selectors: a fast hasher.
use foldhash::HashMap;
use rayon::prelude::*;

use crate::model::{
    self, Direction, LabelSelector, NetworkPolicy, PolicyPort, PortValue, Workload,
};
use crate::report::{Finding, Severity};
use crate::semantics::Selector;

use super::index::{NamespaceIndex, WorkloadIndex};
use super::{effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC113",
    name: "unresolved-named-port",
    severity: Severity::Warning,
    summary: "A named port in a rule is defined by no destination pod of that rule",
    explanation: "A named port (`port: http`) is resolved against the container ports of the \
        destination pod, for ingress and egress rules alike: the name and the protocol (TCP when \
        not written, on both sides) must both match. When no destination pod defines that name, \
        the port matches nothing and the traffic the rule was written for stays blocked, \
        silently. The destinations of an ingress rule are the workloads the policy selects; \
        those of an egress rule are the workloads its peers match (every workload when it has \
        no peers). A named port can never match an ipBlock destination, so an egress rule whose \
        peers are only ipBlocks is reported too. Rules whose destinations match no workload in \
        scope are not reported (there is nothing to resolve against).",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    ports:\n    - {name: http, containerPort: 8080}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: web\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    ports:\n    - {name: http, containerPort: 8080}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: http\n",
};

pub fn check<'c>(ctx: &'c Context<'_>) -> Vec<Finding> {
    let namespaces = ctx.namespace_index();
    let workloads = ctx.workload_index();
    let ports = PortIndex::new(&ctx.inventory.workloads);
    // Sorted, so that the destinations named in messages do not depend on a hash map's order.
    let with_workloads: Arc<[&str]> = workloads.namespaces().into();
    let known = Known::default();
    let policies: Vec<&'c NetworkPolicy> = valid_policies(ctx).collect();
    // Policy by policy, in parallel: each only reads the indexes.
    let per_policy = |p: &&'c NetworkPolicy| {
        let p = *p;
        let mut out = Vec::new();
        for (direction, index, rule) in effective_rules(p) {
            let named: Vec<(&PolicyPort, &str)> = rule
                .ports
                .iter()
                .filter_map(|pp| match &pp.port {
                    Some(PortValue::Name(n)) => Some((pp, n.as_str())),
                    _ => None,
                })
                .collect();
            if named.is_empty() {
                continue;
            }
            let field = format!("spec.{}[{index}]", direction.lower());
            let ip_only = direction == Direction::Egress
                && !rule.peers.is_empty()
                && rule.peers.iter().all(|peer| peer.ip_block.is_some());
            if ip_only {
                for (pp, name) in &named {
                    let proto = pp.protocol.as_deref().unwrap_or("TCP");
                    out.push(RULE.policy_finding(
                        p,
                        format!(
                            "NetworkPolicy {ns}/{pname} {field} allows the named port {proto} \
                             {name} to ipBlock peers only: a named port never matches an \
                             address outside the pods, so this port allows nothing",
                            ns = p.namespace,
                            pname = p.name,
                        ),
                        format!(
                            "Replace the named port {name} in {field}.ports with the port \
                             number the external destination listens on."
                        ),
                    ));
                }
                continue;
            }
            let dest = Destinations::of(p, direction, rule, namespaces);
            let unresolved: Vec<&(&PolicyPort, &str)> = named
                .iter()
                .filter(|(pp, name)| {
                    let proto = pp.protocol.as_deref().unwrap_or("TCP");
                    !dest.define(&ports, workloads, (name, proto), &known)
                })
                .collect();
            if unresolved.is_empty() {
                continue;
            }
            // For the message: a few of the destinations (four tell "and more" apart).
            let destinations = dest.first(4, workloads, &with_workloads);
            if destinations.is_empty() {
                continue;
            }
            for (pp, name) in unresolved {
                let proto = pp.protocol.as_deref().unwrap_or("TCP");
                let names: Vec<String> = destinations
                    .iter()
                    .take(3)
                    .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                    .collect();
                let more = if destinations.len() > 3 {
                    " and more".to_owned()
                } else {
                    String::new()
                };
                let role = match direction {
                    Direction::Ingress => "the pods it selects",
                    Direction::Egress => "the pods its peers match",
                };
                out.push(RULE.policy_finding(
                    p,
                    format!(
                        "NetworkPolicy {ns}/{pname} {field} allows the named port {proto} {name}, \
                         which no destination pod defines ({names}{more}): the port matches \
                         nothing and this traffic stays blocked",
                        ns = p.namespace,
                        pname = p.name,
                        names = names.join(", "),
                    ),
                    format!(
                        "Use a container port name that {role} define with protocol {proto} (or \
                         the port number), or name the container port {name} in the workloads; \
                         check {field}.{peers} as well.",
                        peers = peers_field(direction),
                    ),
                ));
            }
        }
        out
    };
    policies.par_iter().flat_map_iter(per_policy).collect()
}

/// Per namespace (sorted), the workloads that define one port.
type Holders<'a> = Vec<(&'a str, Vec<&'a Workload>)>;

/// The workloads that define each named port (name, protocol), grouped by namespace: resolving
/// a named port only looks at those.
struct PortIndex<'a> {
    /// Sorted by namespace; each workload once, in inventory order.
    holders: HashMap<(&'a str, &'a str), Holders<'a>>,
    /// How many workloads define each port: asked for every named port of every rule.
    total: HashMap<(&'a str, &'a str), usize>,
    /// Per port, the positions of the workloads that define it, as bits: asked of each
    /// workload a rule's peers may match, without reading the workload.
    defined: HashMap<(&'a str, &'a str), Vec<u64>>,
}

impl<'a> PortIndex<'a> {
    fn new(workloads: &'a [Workload]) -> Self {
        let mut grouped: HashMap<(&str, &str), HashMap<&str, Vec<&Workload>>> = HashMap::default();
        let mut defined: HashMap<(&str, &str), Vec<u64>> = HashMap::default();
        for (i, w) in workloads.iter().enumerate() {
            for cp in &w.ports {
                let Some(name) = cp.name.as_deref() else {
                    continue;
                };
                let proto = cp.protocol.as_deref().unwrap_or("TCP");
                let bits = defined
                    .entry((name, proto))
                    .or_insert_with(|| vec![0; workloads.len().div_ceil(64)]);
                bits[i / 64] |= 1 << (i % 64);
                let list = grouped
                    .entry((name, proto))
                    .or_default()
                    .entry(w.namespace.as_str())
                    .or_default();
                // Two containers of one workload may both define it.
                if !list.last().is_some_and(|last| std::ptr::eq(*last, w)) {
                    list.push(w);
                }
            }
        }
        let holders: HashMap<(&str, &str), Holders> = grouped
            .into_iter()
            .map(|(port, by_namespace)| {
                let mut sorted: Vec<(&str, Vec<&Workload>)> = by_namespace.into_iter().collect();
                sorted.sort_unstable_by_key(|(ns, _)| *ns);
                (port, sorted)
            })
            .collect();
        let total = holders
            .iter()
            .map(|(port, h): (&(&str, &str), &Holders)| {
                (*port, h.iter().map(|(_, ws)| ws.len()).sum())
            })
            .collect();
        PortIndex {
            holders,
            total,
            defined,
        }
    }

    /// The positions in the inventory of the workloads that define the port, as bits.
    fn defined<'s>(&'s self, name: &'s str, proto: &'s str) -> &'s [u64] {
        self.defined.get(&(name, proto)).map_or(&[], Vec::as_slice)
    }

    /// How many workloads define the port.
    fn count(&self, name: &str, proto: &str) -> usize {
        self.total.get(&(name, proto)).copied().unwrap_or(0)
    }

    /// The workloads of the given namespaces (sorted) that define the port.
    fn defining<'s>(
        &'s self,
        name: &'s str,
        proto: &'s str,
        namespaces: &'s [&'s str],
    ) -> impl Iterator<Item = &'a Workload> + 's {
        let holders = self
            .holders
            .get(&(name, proto))
            .map_or(&[][..], Vec::as_slice);
        // Whichever list is shorter is walked, the other searched.
        let lists: Box<dyn Iterator<Item = &'s [&'a Workload]> + 's> =
            if holders.len() < namespaces.len() {
                Box::new(
                    holders
                        .iter()
                        .filter(|(ns, _)| namespaces.binary_search(ns).is_ok())
                        .map(|(_, ws)| ws.as_slice()),
                )
            } else {
                Box::new(namespaces.iter().filter_map(|ns| {
                    holders
                        .binary_search_by_key(ns, |(n, _)| *n)
                        .ok()
                        .map(|i| holders[i].1.as_slice())
                }))
            };
        lists.flatten().copied()
    }
}

/// What `define` found for a peer with a namespaceSelector, by (namespaceSelector,
/// podSelector, port name, protocol).
type Known<'a> = Mutex<
    HashMap<
        (
            &'a LabelSelector,
            Option<&'a LabelSelector>,
            &'a str,
            &'a str,
        ),
        bool,
    >,
>;

/// Where the destinations of one rule are: the pods the policy selects (ingress), or the pods
/// its peers match (egress).
enum Destinations<'a> {
    Selected { namespace: &'a str, pods: Selector },
    Everywhere,
    Peers(Vec<PeerDestinations<'a>>),
}

struct PeerDestinations<'a> {
    /// The peer's selectors, when it has a namespaceSelector: what its answers are remembered
    /// by (many policies repeat `{}` or `team: x` with the same podSelector).
    selectors: Option<(&'a LabelSelector, Option<&'a LabelSelector>)>,
    /// Sorted: the namespaces its namespaceSelector matches, or the policy's namespace.
    namespace_names: Arc<[&'a str]>,
    /// None: every pod there.
    pods: Option<Selector>,
}

impl<'a> Destinations<'a> {
    fn of(
        p: &'a NetworkPolicy,
        direction: Direction,
        rule: &'a model::Rule,
        namespaces: &NamespaceIndex<'a>,
    ) -> Self {
        match direction {
            Direction::Ingress => Destinations::Selected {
                namespace: &p.namespace,
                pods: Selector::compile(&p.pod_selector),
            },
            Direction::Egress if rule.peers.is_empty() => Destinations::Everywhere,
            Direction::Egress => Destinations::Peers(
                rule.peers
                    .iter()
                    .filter(|peer| peer.ip_block.is_none())
                    .map(|peer| PeerDestinations {
                        selectors: peer
                            .namespace_selector
                            .as_ref()
                            .map(|ns| (ns, peer.pod_selector.as_ref())),
                        namespace_names: match &peer.namespace_selector {
                            Some(sel) => namespaces.matching(sel),
                            None => Arc::from([p.namespace.as_str()]),
                        },
                        pods: peer.pod_selector.as_ref().map(Selector::compile),
                    })
                    .collect(),
            ),
        }
    }

    /// Whether some destination defines the named port.
    fn define(
        &self,
        ports: &PortIndex<'_>,
        workloads: &WorkloadIndex<'_>,
        port: (&'a str, &'a str),
        known: &Known<'a>,
    ) -> bool {
        let (name, proto) = port;
        let holders = ports.count(name, proto);
        if holders == 0 {
            return false;
        }
        let bits = ports.defined(name, proto);
        let defines = |i: usize| bits.get(i / 64).is_some_and(|b| b & (1 << (i % 64)) != 0);
        // From whichever side is smaller: the workloads defining the port, or those the
        // selector can match (each first looked up in the port's bits).
        let search = |namespaces: &[&str], pods: &Selector| {
            if holders <= workloads.cost(namespaces, pods) {
                ports
                    .defining(name, proto, namespaces)
                    .any(|w| w.label_sets.iter().any(|l| pods.matches(l)))
            } else {
                workloads.any_position_in_where(namespaces, pods, defines)
            }
        };
        match self {
            Destinations::Selected { namespace, pods } => search(&[namespace], pods),
            Destinations::Everywhere => true,
            Destinations::Peers(peers) => {
                let everything = Selector::everything();
                peers.iter().any(|peer| {
                    let run = || {
                        search(
                            &peer.namespace_names,
                            peer.pods.as_ref().unwrap_or(&everything),
                        )
                    };
                    let Some((ns, pods)) = peer.selectors else {
                        return run();
                    };
                    let key = (ns, pods, name, proto);
                    if let Some(&found) = known.lock().expect("not poisoned").get(&key) {
                        return found;
                    }
                    let found = run();
                    known.lock().expect("not poisoned").insert(key, found);
                    found
                })
            }
        }
    }

    /// Up to `n` destinations, by namespace and then in inventory order.
    fn first(
        &self,
        n: usize,
        workloads: &WorkloadIndex<'a>,
        with_workloads: &Arc<[&'a str]>,
    ) -> Vec<&'a Workload> {
        let everything = Selector::everything();
        match self {
            Destinations::Selected { namespace, pods } => {
                workloads.matching_in(&[namespace], pods, n)
            }
            Destinations::Everywhere => workloads.matching_in(with_workloads, &everything, n),
            Destinations::Peers(peers) => {
                let mut all: Vec<&Workload> = peers
                    .iter()
                    .flat_map(|peer| {
                        let pods = peer.pods.as_ref().unwrap_or(&everything);
                        workloads.matching_in(&peer.namespace_names, pods, n)
                    })
                    .collect();
                // By namespace, then in inventory order: the workloads are one slice.
                all.sort_unstable_by_key(|w| (w.namespace.as_str(), *w as *const Workload));
                all.dedup_by_key(|w| *w as *const Workload);
                all.truncate(n);
                all
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: data, labels: {app: db}}\nspec: {containers: [{name: db, image: pg, ports: [{name: pg, containerPort: 5432}]}]}\n---\n";

    fn policy(spec: &str) -> String {
        format!("{PODS}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n{spec}")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn ingress_resolves_on_the_selected_pods() {
        let f = run(
            &policy(
                "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: pg}]}]\n",
            ),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.ingress[0] allows the named port TCP pg, which no \
             destination pod defines (Pod shop/web): the port matches nothing and this traffic \
             stays blocked"
        );
        assert!(run(
            &policy(
                "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: http}]}]\n"
            ),
            check
        )
        .is_empty());
    }

    #[test]
    fn protocol_must_match_too() {
        let f = run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: dns}]}]\n"),
            check,
        );
        assert_eq!(f.len(), 1, "dns is UDP, the rule asks TCP");
        assert!(run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: dns, protocol: UDP}]}]\n"),
            check
        )
        .is_empty());
    }

    #[test]
    fn egress_resolves_on_the_peers() {
        let to_db = "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}], ports: [{port: PORT}]}]\n";
        assert!(run(&policy(&to_db.replace("PORT", "pg")), check).is_empty());
        assert_eq!(run(&policy(&to_db.replace("PORT", "http")), check).len(), 1);
        // No peers: every workload is a destination.
        let any =
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: PORT}]}]\n";
        assert!(run(&policy(&any.replace("PORT", "pg")), check).is_empty());
        assert_eq!(run(&policy(&any.replace("PORT", "nope")), check).len(), 1);
    }

    #[test]
    fn ipblock_only_peers_always_fire() {
        let f = run(
            &policy("  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: http}]}]\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("ipBlock peers only"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn silent_without_destinations_or_named_ports() {
        // The peer matches no workload: NPC111's business, nothing to resolve against.
        assert!(run(
            &policy("  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {matchLabels: {app: ghost}}}], ports: [{port: x}]}]\n"),
            check
        )
        .is_empty());
        assert!(run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]\n"),
            check
        )
        .is_empty());
        // An ingress rule in a policy without Ingress in its types is inert.
        assert!(run(
            &policy(
                "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{ports: [{port: x}]}]\n"
            ),
            check
        )
        .is_empty());
    }
}
