//! The policies of an inventory compiled once into rules, and what each side of a connection
//! allows (SEMANTICS.md points 3-11). `reach`, `explain` and `matrix` all ask this.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::{Direction, Inventory, Labels, Namespace, NAMESPACE_NAME_LABEL};
use crate::semantics::traffic::{CompiledRule, Endpoint, PodRef};
use crate::semantics::{ConnSet, Coverage, HostNetwork};

/// One pod shape of a workload: the workload and one of its label sets (pods of one owner
/// mid-rollout can carry different labels, and policies may treat them differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    pub workload: usize,
    pub labels: usize,
}

/// One end of a connection as the user names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Member(Member),
    Address(IpAddr),
}

/// A rule of a policy: `spec.<direction>[index]` of `inventory.policies[policy]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub policy: usize,
    pub direction: Direction,
    pub index: usize,
}

/// What one side (the source's egress or the destination's ingress) lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideAnswer {
    pub direction: Direction,
    /// Whether any policy isolates this side; when not, everything is allowed.
    pub isolated: bool,
    /// A hostNetwork pod seen as its node (point 5's default model): never isolated, whatever
    /// selects it.
    pub host_network: bool,
    /// The policies that isolate it (inventory indexes).
    pub policies: Vec<usize>,
    /// The rules that match the peer, each with what it allows towards the destination.
    pub rules: Vec<(RuleRef, ConnSet)>,
    /// What the side allows: everything when not isolated, else the union of `rules`.
    pub allowed: ConnSet,
}

/// A connection's answer: both sides, and what gets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The source's egress, when the source is a pod.
    pub egress: Option<SideAnswer>,
    /// The destination's ingress, when the destination is a pod.
    pub ingress: Option<SideAnswer>,
    /// A pod talking to itself (point 11): always allowed.
    pub same_pod: bool,
    pub allowed: ConnSet,
}

pub struct Engine<'a> {
    pub inventory: &'a Inventory,
    pub coverage: Coverage,
    namespace_labels: HashMap<String, Labels>,
    /// Per inventory policy, its compiled `[ingress, egress]` rules; `None` when the policy does
    /// not count (the API server refuses it).
    rules: Vec<Option<[Vec<CompiledRule>; 2]>>,
    empty: Labels,
}

fn slot(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl<'a> Engine<'a> {
    /// An engine that sees hostNetwork pods as their nodes (point 5's default model).
    pub fn new(inventory: &'a Inventory) -> Self {
        Self::with_host_network(inventory, HostNetwork::default())
    }

    pub fn with_host_network(inventory: &'a Inventory, host_network: HostNetwork) -> Self {
        let invalid = crate::analysis::invalid_policies(inventory);
        let coverage = Coverage::evaluate_with(inventory, |i| !invalid.contains(&i), host_network);
        let mut namespace_labels: HashMap<String, Labels> = inventory
            .namespaces
            .iter()
            .map(|n| {
                let mut labels = n.labels.clone();
                labels
                    .entry(NAMESPACE_NAME_LABEL.to_owned())
                    .or_insert_with(|| n.name.clone());
                (n.name.clone(), labels)
            })
            .collect();
        // Namespaces only seen on objects carry just their name label (point 6).
        let seen = inventory
            .workloads
            .iter()
            .map(|w| w.namespace.as_str())
            .chain(inventory.policies.iter().map(|p| p.namespace.as_str()));
        for ns in seen {
            if !namespace_labels.contains_key(ns) {
                namespace_labels.insert(ns.to_owned(), Namespace::implicit(ns).labels);
            }
        }
        let rules = inventory
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| {
                coverage.includes(i).then(|| {
                    Direction::BOTH.map(|d| p.rules(d).iter().map(CompiledRule::compile).collect())
                })
            })
            .collect();
        Engine {
            inventory,
            coverage,
            namespace_labels,
            rules,
            empty: Labels::new(),
        }
    }

    /// Every pod shape of every workload, in inventory order.
    pub fn members(&self) -> impl Iterator<Item = Member> + '_ {
        self.inventory
            .workloads
            .iter()
            .enumerate()
            .flat_map(|(w, wl)| {
                (0..wl.label_sets.len().max(1)).map(move |labels| Member {
                    workload: w,
                    labels,
                })
            })
    }

    /// The pod shapes of one workload.
    pub fn members_of(&self, workload: usize) -> impl Iterator<Item = Member> {
        let n = self.inventory.workloads[workload].label_sets.len().max(1);
        (0..n).map(move |labels| Member { workload, labels })
    }

    pub fn namespace_labels(&self, namespace: &str) -> &Labels {
        self.namespace_labels.get(namespace).unwrap_or(&self.empty)
    }

    /// The member as the semantics see a pod.
    pub fn pod(&self, m: Member) -> PodRef<'_> {
        let w = &self.inventory.workloads[m.workload];
        PodRef {
            namespace: &w.namespace,
            labels: w.label_sets.get(m.labels).unwrap_or(&self.empty),
            namespace_labels: self.namespace_labels(&w.namespace),
            ports: &w.ports,
            node_network: self.coverage.on_node_network(w),
        }
    }

    pub fn endpoint(&self, node: Node) -> Endpoint<'_> {
        match node {
            Node::Member(m) => Endpoint::Pod(self.pod(m)),
            Node::Address(ip) => Endpoint::Address(ip),
        }
    }

    /// The compiled rules of a policy for one direction (none when it does not count).
    pub fn rules(&self, policy: usize, direction: Direction) -> &[CompiledRule] {
        self.rules[policy]
            .as_ref()
            .map_or(&[][..], |r| &r[slot(direction)])
    }

    /// The policies that isolate a member for a direction (empty when none does).
    pub fn isolating(&self, m: Member, direction: Direction) -> (bool, Vec<usize>) {
        let w = &self.inventory.workloads[m.workload];
        let labels = w.label_sets.get(m.labels).unwrap_or(&self.empty);
        let verdict = self
            .coverage
            .verdict_for_labels(&w.namespace, labels, w.host_network);
        let v = verdict.direction(direction);
        (v.isolated, v.policies.clone())
    }

    /// The rules of `policies` for `direction`, with their references.
    pub fn side_rules<'s>(
        &'s self,
        policies: &'s [usize],
        direction: Direction,
    ) -> impl Iterator<Item = (RuleRef, &'s CompiledRule)> + 's {
        policies.iter().flat_map(move |&policy| {
            self.rules(policy, direction)
                .iter()
                .enumerate()
                .map(move |(index, r)| {
                    (
                        RuleRef {
                            policy,
                            direction,
                            index,
                        },
                        r,
                    )
                })
        })
    }

    /// What `m`'s side for `direction` allows with `peer`, towards `destination` (which is `m`
    /// itself for ingress, the peer for egress: named ports resolve on the destination).
    pub fn side(
        &self,
        m: Member,
        direction: Direction,
        peer: &Endpoint<'_>,
        destination: &Endpoint<'_>,
    ) -> SideAnswer {
        let (isolated, policies) = self.isolating(m, direction);
        let host_network = self
            .coverage
            .on_node_network(&self.inventory.workloads[m.workload]);
        let mut rules = Vec::new();
        let mut allowed = ConnSet::none();
        for (at, rule) in self.side_rules(&policies, direction) {
            let namespace = &self.inventory.policies[at.policy].namespace;
            if !rule.matches_peer(namespace, peer) {
                continue;
            }
            let conns = ConnSet::of_ports(rule.ports(), destination);
            allowed = allowed.union(&conns);
            rules.push((at, conns));
        }
        if !isolated {
            allowed = ConnSet::all();
        }
        SideAnswer {
            direction,
            isolated,
            host_network,
            policies,
            rules,
            allowed,
        }
    }

    /// Point 4: a connection needs the source's egress AND the destination's ingress; an
    /// address is not a pod, so no policy polices its side.
    pub fn connection(&self, source: Node, destination: Node) -> Answer {
        let (src, dst) = (self.endpoint(source), self.endpoint(destination));
        let egress = match source {
            Node::Member(m) => Some(self.side(m, Direction::Egress, &dst, &dst)),
            Node::Address(_) => None,
        };
        let ingress = match destination {
            Node::Member(m) => Some(self.side(m, Direction::Ingress, &src, &dst)),
            Node::Address(_) => None,
        };
        // Point 11: one pod is one Pod object; the pods of a controller are many.
        let same_pod = match (source, destination) {
            (Node::Member(a), Node::Member(b)) => {
                a.workload == b.workload
                    && self.inventory.workloads[a.workload].kind == crate::model::WorkloadKind::Pod
            }
            _ => false,
        };
        let allowed = if same_pod {
            ConnSet::all()
        } else {
            let e = egress
                .as_ref()
                .map_or_else(ConnSet::all, |s| s.allowed.clone());
            let i = ingress
                .as_ref()
                .map_or_else(ConnSet::all, |s| s.allowed.clone());
            e.intersect(&i)
        };
        Answer {
            egress,
            ingress,
            same_pod,
            allowed,
        }
    }
}
