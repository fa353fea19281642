//! The policies of an inventory compiled once into rules, and what each side of a connection
//! allows (SEMANTICS.md points 3-11). `reach`, `explain` and `matrix` all ask this.

use std::net::IpAddr;

use crate::model::{Direction, Inventory, Labels};
use crate::semantics::decide::{Decision, SidePolicies, Walk};
use crate::semantics::traffic::{Action, CompiledRule, Endpoint, PodRef};
use crate::semantics::{ConnSet, Coverage, DirectionVerdict, HostNetwork, PolicyId, RuleRef};

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

/// What one side (the source's egress or the destination's ingress) lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideAnswer {
    pub direction: Direction,
    /// Whether NetworkPolicies isolate this side (the NetworkPolicy tier decides what the
    /// Admin tier leaves).
    pub isolated: bool,
    /// A hostNetwork pod seen as its node (point 5's default model): never isolated, whatever
    /// selects it.
    pub host_network: bool,
    /// The NetworkPolicies that isolate it (inventory indexes).
    pub policies: Vec<usize>,
    /// The cluster-scoped policies whose subject selects it for this direction
    /// (`Inventory::cluster_policies` indexes), in evaluation order.
    pub cluster: Vec<usize>,
    /// The Cilium rules selecting it for this direction, and those of them that make it
    /// default-deny (with NetworkPolicies, the NetworkPolicy layer on a Cilium cluster).
    pub cilium: Vec<PolicyId>,
    pub cilium_isolating: Vec<PolicyId>,
    /// The Calico policies selecting it for this direction, in evaluation order.
    pub calico: Vec<PolicyId>,
    /// The rules that allow something towards the destination, with what each allows.
    pub rules: Vec<(RuleRef, ConnSet)>,
    /// Every rule that decided something, in evaluation order, whatever its tier and action.
    pub decision: Decision,
    /// What the side allows.
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
    /// The verdicts, and in `coverage.set` every counted policy compiled.
    pub coverage: Coverage,
    empty: Labels,
}

impl<'a> Engine<'a> {
    /// An engine that sees hostNetwork pods as their nodes (point 5's default model).
    pub fn new(inventory: &'a Inventory) -> Self {
        Self::with_host_network(inventory, HostNetwork::default())
    }

    pub fn with_host_network(inventory: &'a Inventory, host_network: HostNetwork) -> Self {
        let invalid = crate::analysis::invalid_policies(inventory);
        let coverage = Coverage::evaluate_with(inventory, |i| !invalid.contains(&i), host_network);
        Engine {
            inventory,
            coverage,
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
        self.coverage.set.namespace_labels(namespace)
    }

    /// The member as the semantics see a pod.
    pub fn pod(&self, m: Member) -> PodRef<'_> {
        let w = &self.inventory.workloads[m.workload];
        self.pod_in(m, self.namespace_labels(&w.namespace))
    }

    /// `pod`, its namespace's labels already looked up (callers going namespace by namespace).
    pub fn pod_in<'s>(&'s self, m: Member, namespace_labels: &'s Labels) -> PodRef<'s> {
        let w = &self.inventory.workloads[m.workload];
        PodRef {
            namespace: &w.namespace,
            labels: w.label_sets.get(m.labels).unwrap_or(&self.empty),
            namespace_labels,
            ports: &w.ports,
            service_account: w.service_account(),
            node_network: self.coverage.on_node_network(w),
            anonymous: false,
        }
    }

    pub fn endpoint(&self, node: Node) -> Endpoint<'_> {
        match node {
            Node::Member(m) => Endpoint::Pod(self.pod(m)),
            Node::Address(ip) => Endpoint::Address(ip),
        }
    }

    /// The compiled rules of a policy for one direction (none when it does not count).
    pub fn rules(&self, policy: PolicyId, direction: Direction) -> &[CompiledRule] {
        self.coverage.set.rules(policy, direction)
    }

    /// The namespace a policy's podSelector-only peers look in.
    pub fn policy_namespace(&self, policy: PolicyId) -> &str {
        self.coverage.set.policy_namespace(policy)
    }

    /// A member's verdict for one direction.
    pub fn verdict(&self, m: Member, direction: Direction) -> DirectionVerdict {
        let w = &self.inventory.workloads[m.workload];
        let labels = w.label_sets.get(m.labels).unwrap_or(&self.empty);
        let verdict = self.coverage.verdict_for_labels(w, labels);
        match direction {
            Direction::Ingress => verdict.ingress,
            Direction::Egress => verdict.egress,
        }
    }

    /// The policies of every layer that apply to a member for a direction; none for a
    /// hostNetwork pod seen as its node.
    pub fn side_policies(&self, m: Member, direction: Direction) -> SidePolicies {
        let w = &self.inventory.workloads[m.workload];
        let labels = w.label_sets.get(m.labels).unwrap_or(&self.empty);
        self.coverage.side_for_labels(w, labels, direction)
    }

    /// The NetworkPolicies that isolate a member for a direction (empty when none does).
    pub fn isolating(&self, m: Member, direction: Direction) -> (bool, Vec<usize>) {
        let side = self.side_policies(m, direction);
        (!side.network.is_empty(), side.network)
    }

    /// The rules of the NetworkPolicies `policies` for `direction`, with their references.
    pub fn side_rules<'s>(
        &'s self,
        policies: &'s [usize],
        direction: Direction,
    ) -> impl Iterator<Item = (RuleRef, &'s CompiledRule)> + 's {
        policies.iter().flat_map(move |&p| {
            let policy = PolicyId::Network(p);
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
        let host_network = self
            .coverage
            .on_node_network(&self.inventory.workloads[m.workload]);
        let side = self.side_policies(m, direction);
        let decision = self.coverage.set.decide(
            &side,
            direction,
            peer,
            destination,
            &ConnSet::all(),
            Walk::default(),
        );
        let rules = decision
            .steps
            .iter()
            .filter(|s| s.action == Action::Allow)
            .map(|s| (s.rule, s.conns.clone()))
            .collect();
        let cluster = side
            .admin
            .iter()
            .chain(&side.baseline)
            .map(|&p| self.coverage.set.cluster()[p].index)
            .collect();
        let cilium = side
            .cilium
            .iter()
            .map(|&p| self.coverage.set.cilium()[p].id())
            .collect();
        let cilium_isolating = side
            .cilium
            .iter()
            .map(|&p| &self.coverage.set.cilium()[p])
            .filter(|c| c.asks_default_deny(direction))
            .map(|c| c.id())
            .collect();
        let calico = side
            .calico
            .iter()
            .map(|&p| PolicyId::Calico(self.coverage.set.calico()[p].index))
            .collect();
        SideAnswer {
            direction,
            isolated: side.middle_isolated(),
            calico,
            cilium,
            cilium_isolating,
            host_network,
            policies: side.network,
            cluster,
            rules,
            allowed: decision.allowed.clone(),
            decision,
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
