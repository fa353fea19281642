//! One direction of one connection decided through the layers (SEMANTICS.md point 12): the
//! Admin tier (first matching rule by priority and written order), the NetworkPolicy tier (if
//! it isolates the pod, the union of its rules, final), the Baseline tier (first match), then
//! allowed. Works on connection sets, as netpol-analyzer does: each rule decides what earlier
//! rules left undecided, so one walk answers every port at once.

use super::policy_set::{Layer, PolicyId, PolicySet, RuleRef};
use super::traffic::{Action, Endpoint, Match};
use super::ConnSet;
use crate::model::Direction;

/// The policies that apply to one pod in one direction, per layer, in evaluation order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SidePolicies {
    /// Positions in [`PolicySet::cluster`] of Admin-tier policies selecting the pod.
    pub admin: Vec<usize>,
    /// NetworkPolicies (inventory indexes) that isolate the pod in this direction.
    pub network: Vec<usize>,
    /// Cilium rules (positions in [`PolicySet::cilium`]) selecting the pod that take part in
    /// this direction: with NetworkPolicies, one layer on a Cilium cluster (point 19).
    pub cilium: Vec<usize>,
    /// A Cilium rule selecting the pod, or the agents' `always` mode, makes it default-deny
    /// in this direction (point 18).
    pub cilium_default_deny: bool,
    /// Positions in [`PolicySet::cluster`] of Baseline-tier policies selecting the pod.
    pub baseline: Vec<usize>,
    /// Positions in [`PolicySet::calico`] of Calico policies selecting the pod for this
    /// direction, in evaluation order (point 21).
    pub calico: Vec<usize>,
    /// Rules of those policies whose conditions on the pod's own end (`destination` of an
    /// ingress rule, `source` of an egress rule) do not certainly hold: `(position, rule,
    /// match)`, the match `No` or unknown (point 23).
    pub calico_local: Vec<(usize, usize, Match)>,
}

impl SidePolicies {
    pub fn is_empty(&self) -> bool {
        self.admin.is_empty()
            && self.network.is_empty()
            && self.cilium.is_empty()
            && !self.cilium_default_deny
            && self.baseline.is_empty()
            && self.calico.is_empty()
    }

    /// Whether the NetworkPolicy layer isolates the pod: NetworkPolicies (point 3) or Cilium's
    /// default deny (point 18).
    pub fn middle_isolated(&self) -> bool {
        !self.network.is_empty() || self.cilium_default_deny
    }
}

/// A rule that decided part of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub rule: RuleRef,
    pub layer: Layer,
    pub action: Action,
    /// What it decided: the connections it matched that no earlier rule had decided.
    pub conns: ConnSet,
}

/// What one side lets through, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: ConnSet,
    /// The rules that decided something, in evaluation order (NetworkPolicy rules: every one
    /// whose peers match, with what its ports let through).
    pub steps: Vec<Step>,
    /// What the NetworkPolicy tier (with Cilium policies on a Cilium cluster) denied because it
    /// isolates the pod and no rule allowed it; on a Calico cluster, what the default action of
    /// the tier `isolation_tier` names denied.
    pub isolation_denied: ConnSet,
    /// Calico: the position in [`PolicySet::calico_tiers`] of the tier whose default action
    /// denied `isolation_denied`.
    pub isolation_tier: Option<usize>,
    /// What reached no deciding rule and was allowed because nothing else decides (step 4).
    pub default_allowed: ConnSet,
    /// Set when a rule might match the peer but the input cannot say (point 23), and what it
    /// would decide is not already decided.
    pub unknown: Option<&'static str>,
    /// The connections whose verdict the unknown changes: allowed when the peers the input
    /// cannot decide match, denied when they do not, or the reverse (point 23).
    pub unknown_conns: ConnSet,
    /// Point 16: two policies of one tier with the same priority both match, and the verdict
    /// depends on which the implementation applies first.
    pub ambiguous: Option<(PolicyId, PolicyId)>,
    /// The connections whose verdict the other order of those two policies changes.
    pub ambiguous_conns: ConnSet,
}

/// Options of a walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walk {
    /// Point 22: the NetworkPolicy tier counts as a deny of everything (its isolation),
    /// whatever its rules allow.
    pub network_as_isolation: bool,
    /// Point 23: peers the input cannot decide are taken to match (to find which verdicts
    /// depend on them).
    pub unknown_matches: bool,
}

/// What a walk asks of one side: the direction, the other end (`peer`), the destination
/// (which resolves named ports), and how.
#[derive(Clone, Copy)]
struct Question<'e> {
    direction: Direction,
    peer: Endpoint<'e>,
    destination: Endpoint<'e>,
    walk: Walk,
}

impl PolicySet {
    /// Decides `within` (the connections asked about) for one side: `peer` is the other end,
    /// `destination` resolves named ports.
    pub fn decide(
        &self,
        side: &SidePolicies,
        direction: Direction,
        peer: &Endpoint<'_>,
        destination: &Endpoint<'_>,
        within: &ConnSet,
        walk: Walk,
    ) -> Decision {
        let q = Question {
            direction,
            peer: *peer,
            destination: *destination,
            walk,
        };
        let mut d = self.decide_in_order(side, q, within);
        if d.unknown.is_some() && !walk.unknown_matches {
            let walk = Walk {
                unknown_matches: true,
                ..walk
            };
            let other = self.decide_in_order(side, Question { walk, ..q }, within);
            d.unknown_conns = d
                .allowed
                .subtract(&other.allowed)
                .union(&other.allowed.subtract(&d.allowed));
        }
        // Point 16: the API leaves the order of same-priority policies to the implementation.
        // Each pair of same-priority neighbours that both decided something is tried the other
        // way round; a different verdict makes the answer ambiguous. (Adjacent swaps: three or
        // more tied policies that all match are rare, and each of their pairs is still seen.)
        for tier in [Layer::Admin, Layer::Baseline] {
            let positions = match tier {
                Layer::Admin => &side.admin,
                _ => &side.baseline,
            };
            for i in 1..positions.len() {
                let (a, b) = (positions[i - 1], positions[i]);
                let (pa, pb) = (&self.cluster()[a], &self.cluster()[b]);
                if pa.rank != pb.rank {
                    continue;
                }
                let decided = |p: usize| {
                    d.steps
                        .iter()
                        .any(|s| s.rule.policy == PolicyId::Cluster(self.cluster()[p].index))
                };
                let matched_b = decided(b)
                    || self
                        .rules(PolicyId::Cluster(pb.index), direction)
                        .iter()
                        .any(|r| r.peer_match("", peer) == Match::Yes);
                if !decided(a) || !matched_b {
                    continue;
                }
                let mut swapped = side.clone();
                let list = match tier {
                    Layer::Admin => &mut swapped.admin,
                    _ => &mut swapped.baseline,
                };
                list.swap(i - 1, i);
                let other = self.decide_in_order(&swapped, q, within);
                if other.allowed != d.allowed {
                    d.ambiguous_conns = d
                        .allowed
                        .subtract(&other.allowed)
                        .union(&other.allowed.subtract(&d.allowed));
                    d.ambiguous = Some((PolicyId::Cluster(pa.index), PolicyId::Cluster(pb.index)));
                    return d;
                }
            }
        }
        d
    }

    fn decide_in_order(&self, side: &SidePolicies, q: Question<'_>, within: &ConnSet) -> Decision {
        let mut d = Decision {
            allowed: ConnSet::none(),
            steps: Vec::new(),
            isolation_denied: ConnSet::none(),
            isolation_tier: None,
            default_allowed: ConnSet::none(),
            unknown: None,
            unknown_conns: ConnSet::none(),
            ambiguous: None,
            ambiguous_conns: ConnSet::none(),
        };
        let mut undecided = within.clone();
        if self.has_calico() {
            self.calico_walk(side, q, &mut undecided, &mut d);
            d.default_allowed = undecided.clone();
            d.allowed = d.allowed.union(&undecided);
            return d;
        }
        self.ordered(Layer::Admin, &side.admin, q, &mut undecided, &mut d);
        if (side.middle_isolated() || !side.cilium.is_empty()) && !undecided.is_empty() {
            self.middle(side, q, &mut undecided, &mut d, true);
        }
        self.ordered(Layer::Baseline, &side.baseline, q, &mut undecided, &mut d);
        d.default_allowed = undecided.clone();
        d.allowed = d.allowed.union(&undecided);
        d
    }

    /// The NetworkPolicy layer (point 12 step 2), with Cilium policies on a Cilium cluster:
    /// Cilium deny rules first, as they win over every allow (point 19; cilium
    /// `pkg/policy/api/rule.go`: `IngressDeny` "will be denied regardless of the allowed ingress
    /// rules", and docs.cilium.io "Deny policies": deny takes precedence); then, if the layer
    /// isolates the pod, what no allow rule of either kind lets through is denied, finally.
    /// Otherwise what no deny matched goes on to the Baseline tier. With `final_deny` false
    /// (Calico's `default` tier, point 21) what no allow rule lets through stays undecided for
    /// the tier's later policies and its default action.
    fn middle(
        &self,
        side: &SidePolicies,
        q: Question<'_>,
        undecided: &mut ConnSet,
        d: &mut Decision,
        final_deny: bool,
    ) {
        let (direction, peer, destination, walk) = (q.direction, &q.peer, &q.destination, q.walk);
        let cilium = side.cilium.iter().map(|&p| self.cilium()[p].id());
        for &position in &side.cilium {
            let compiled = &self.cilium()[position];
            let policy = compiled.id();
            let rules = self.rules(policy, direction);
            // A Cilium rule's deny rules follow its allow rules.
            let allows = compiled.allow_count(direction);
            for (index, rule) in rules.iter().enumerate().skip(allows) {
                if undecided.is_empty() {
                    return;
                }
                let Some(conns) = self.matched(rule, "", q, undecided, d) else {
                    continue;
                };
                *undecided = undecided.subtract(&conns);
                d.steps.push(Step {
                    rule: RuleRef {
                        policy,
                        direction,
                        index,
                    },
                    layer: Layer::NetworkPolicy,
                    action: Action::Deny,
                    conns,
                });
            }
        }
        if !side.middle_isolated() {
            return;
        }
        let mut allowed = ConnSet::none();
        if !walk.network_as_isolation {
            let network = side.network.iter().map(|&p| PolicyId::Network(p));
            for policy in network.chain(cilium) {
                let namespace = self.policy_namespace(policy);
                for (index, rule) in self.rules(policy, direction).iter().enumerate() {
                    if rule.action != Action::Allow {
                        continue;
                    }
                    let (matches, why) =
                        rule.peer_match(namespace, peer).under(walk.unknown_matches);
                    if !matches && why.is_none() {
                        continue;
                    }
                    let conns = rule.conns(destination).intersect(undecided);
                    if let (Some(why), false) = (why, walk.unknown_matches) {
                        if !conns.is_empty() {
                            d.unknown.get_or_insert(why);
                        }
                    }
                    if !matches {
                        continue;
                    }
                    // Every matching rule is named, even one whose ports resolve to nothing
                    // here (a named port the destination lacks): `reach` says so.
                    allowed = allowed.union(&conns);
                    d.steps.push(Step {
                        rule: RuleRef {
                            policy,
                            direction,
                            index,
                        },
                        layer: Layer::NetworkPolicy,
                        action: Action::Allow,
                        conns,
                    });
                }
            }
        }
        d.allowed = d.allowed.union(&allowed);
        if final_deny {
            d.isolation_denied = undecided.subtract(&allowed);
            *undecided = ConnSet::none();
        } else {
            *undecided = undecided.subtract(&allowed);
        }
    }

    /// Point 21: Calico's tiers in order. A tier that holds no policy selecting the pod is
    /// skipped; in the others, policies by order and their rules in order, the first matching
    /// rule decides (`Allow`, `Deny` final; `Pass` goes to the next tier; `Log` goes on), and
    /// what none decides gets the tier's default action. The Admin and Baseline tiers of the
    /// cluster-scoped policies are Calico's `kube-admin` and `kube-baseline`; Kubernetes
    /// NetworkPolicies (with Cilium's, should both be present) sit in `default` at order 1000.
    fn calico_walk(
        &self,
        side: &SidePolicies,
        q: Question<'_>,
        undecided: &mut ConnSet,
        d: &mut Decision,
    ) {
        use super::calico::{BuiltinTier, KUBERNETES_ORDER};
        let mut next = 0;
        for (t, tier) in self.calico_tiers().iter().enumerate() {
            let start = next;
            while next < side.calico.len() && self.calico()[side.calico[next]].tier == t {
                next += 1;
            }
            if undecided.is_empty() {
                return;
            }
            let mine = &side.calico[start..next];
            let mut passed = ConnSet::none();
            let mut applies = !mine.is_empty();
            match tier.builtin {
                Some(BuiltinTier::KubeAdmin) => {
                    applies |= !side.admin.is_empty();
                    self.ordered(Layer::Admin, &side.admin, q, undecided, d);
                }
                Some(BuiltinTier::KubeBaseline) => {
                    applies |= !side.baseline.is_empty();
                    self.ordered(Layer::Baseline, &side.baseline, q, undecided, d);
                }
                _ => {}
            }
            let layer = match tier.builtin {
                Some(BuiltinTier::KubeAdmin) => Layer::Admin,
                Some(BuiltinTier::KubeBaseline) => Layer::Baseline,
                Some(BuiltinTier::Default) => Layer::NetworkPolicy,
                None => Layer::Calico,
            };
            if tier.builtin == Some(BuiltinTier::Default) {
                applies |= side.middle_isolated();
                let split = mine
                    .iter()
                    .position(|&p| self.calico()[p].order > KUBERNETES_ORDER)
                    .unwrap_or(mine.len());
                let (before, after) = mine.split_at(split);
                self.calico_policies(layer, side, before, q, undecided, &mut passed, d);
                if (side.middle_isolated() || !side.cilium.is_empty()) && !undecided.is_empty() {
                    self.middle(side, q, undecided, d, false);
                }
                self.calico_policies(layer, side, after, q, undecided, &mut passed, d);
            } else {
                self.calico_policies(layer, side, mine, q, undecided, &mut passed, d);
            }
            if applies && tier.default_action == Action::Deny && !undecided.is_empty() {
                d.isolation_denied = undecided.clone();
                d.isolation_tier = Some(t);
                *undecided = ConnSet::none();
            }
            *undecided = undecided.union(&passed);
        }
    }

    /// One tier's Calico policies: the first matching rule decides.
    #[allow(clippy::too_many_arguments)]
    fn calico_policies(
        &self,
        layer: Layer,
        side: &SidePolicies,
        positions: &[usize],
        q: Question<'_>,
        undecided: &mut ConnSet,
        passed: &mut ConnSet,
        d: &mut Decision,
    ) {
        let (direction, walk) = (q.direction, q.walk);
        for &position in positions {
            let compiled = &self.calico()[position];
            let policy = PolicyId::Calico(compiled.index);
            for (index, rule) in self.rules(policy, direction).iter().enumerate() {
                if undecided.is_empty() {
                    return;
                }
                if rule.action == Action::Log {
                    continue;
                }
                let local = side
                    .calico_local
                    .iter()
                    .find(|(p, r, _)| *p == position && *r == index)
                    .map_or(Match::Yes, |(_, _, m)| *m);
                let (applies, why) = local.under(walk.unknown_matches);
                if !applies && why.is_none() {
                    continue;
                }
                let conns = self.matched(rule, "", q, undecided, d);
                if let (Some(why), Some(_), false) = (why, &conns, walk.unknown_matches) {
                    d.unknown.get_or_insert(why);
                }
                let conns = conns.filter(|_| applies);
                let Some(conns) = conns else {
                    continue;
                };
                *undecided = undecided.subtract(&conns);
                match rule.action {
                    Action::Allow => d.allowed = d.allowed.union(&conns),
                    Action::Pass => *passed = passed.union(&conns),
                    Action::Deny | Action::Log => {}
                }
                d.steps.push(Step {
                    rule: RuleRef {
                        policy,
                        direction,
                        index,
                    },
                    layer,
                    action: rule.action,
                    conns,
                });
            }
        }
    }

    /// What a rule decides of `undecided` for `peer`: `None` when it does not match, when its
    /// ports leave nothing, or when whether it matches is unknown (noted in `d`; what comes
    /// after is evaluated as if it did not match, and the answer says so).
    fn matched(
        &self,
        rule: &super::traffic::CompiledRule,
        namespace: &str,
        q: Question<'_>,
        undecided: &ConnSet,
        d: &mut Decision,
    ) -> Option<ConnSet> {
        let (peer, destination, walk) = (&q.peer, &q.destination, q.walk);
        let (matches, why) = rule.peer_match(namespace, peer).under(walk.unknown_matches);
        if !matches && why.is_none() {
            return None;
        }
        let conns = rule.conns(destination).intersect(undecided);
        if conns.is_empty() {
            return None;
        }
        if let (Some(why), false) = (why, walk.unknown_matches) {
            d.unknown.get_or_insert(why);
        }
        matches.then_some(conns)
    }

    /// A cluster-scoped tier: the first matching rule decides; Pass hands its connections to
    /// the next layer, as does what no rule matched.
    fn ordered(
        &self,
        layer: Layer,
        positions: &[usize],
        q: Question<'_>,
        undecided: &mut ConnSet,
        d: &mut Decision,
    ) {
        let direction = q.direction;
        let mut passed = ConnSet::none();
        'policies: for &position in positions {
            let policy = PolicyId::Cluster(self.cluster()[position].index);
            for (index, rule) in self.rules(policy, direction).iter().enumerate() {
                if undecided.is_empty() {
                    break 'policies;
                }
                let Some(conns) = self.matched(rule, "", q, undecided, d) else {
                    continue;
                };
                *undecided = undecided.subtract(&conns);
                match rule.action {
                    Action::Allow => d.allowed = d.allowed.union(&conns),
                    Action::Deny => {}
                    Action::Pass => passed = passed.union(&conns),
                    // Calico's only; cluster-scoped rules never log.
                    Action::Log => {}
                }
                d.steps.push(Step {
                    rule: RuleRef {
                        policy,
                        direction,
                        index,
                    },
                    layer,
                    action: rule.action,
                    conns,
                });
            }
        }
        *undecided = undecided.union(&passed);
    }
}

#[cfg(test)]
mod tests {
    //! SEMANTICS.md points 12-16 and 22, one group per point, on hand-built policies.
    use super::*;
    use crate::model::fixtures::{policy, workload};
    use crate::model::{
        ClusterPeer, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule, ContainerPort,
        Inventory, LabelSelector, NamespacedPods, Protocol, Workload,
    };
    use crate::semantics::coverage::{DecidedBy, Isolation};
    use crate::semantics::traffic::PodRef;
    use crate::semantics::Coverage;

    fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        }
    }

    fn namespaces(pairs: &[(&str, &str)]) -> ClusterPeer {
        ClusterPeer {
            namespaces: Some(sel(pairs)),
            ..Default::default()
        }
    }

    fn pods(ns: &[(&str, &str)], pods: &[(&str, &str)]) -> ClusterPeer {
        ClusterPeer {
            pods: Some(NamespacedPods {
                namespace_selector: sel(ns),
                pod_selector: sel(pods),
            }),
            ..Default::default()
        }
    }

    fn networks(cidrs: &[&str]) -> ClusterPeer {
        ClusterPeer {
            networks: Some(cidrs.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    fn rule(action: &str, peers: Vec<ClusterPeer>) -> ClusterRule {
        ClusterRule {
            name: None,
            action: action.into(),
            peers,
            ports: None,
        }
    }

    fn tcp(port: i64) -> ClusterPort {
        ClusterPort::Number {
            protocol: "TCP".into(),
            port,
        }
    }

    fn cnp(
        name: &str,
        tier: &str,
        priority: i64,
        subject: ClusterPeer,
        ingress: Vec<ClusterRule>,
        egress: Vec<ClusterRule>,
    ) -> ClusterPolicy {
        ClusterPolicy {
            kind: ClusterPolicyKind::ClusterNetworkPolicy,
            api_version: "policy.networking.k8s.io/v1alpha2".into(),
            name: name.into(),
            tier: Some(tier.into()),
            priority: Some(priority),
            subject,
            ingress,
            egress,
            suppression: Default::default(),
            origin: Default::default(),
        }
    }

    fn banp(
        subject: ClusterPeer,
        ingress: Vec<ClusterRule>,
        egress: Vec<ClusterRule>,
    ) -> ClusterPolicy {
        ClusterPolicy {
            kind: ClusterPolicyKind::BaselineAdminNetworkPolicy,
            api_version: "policy.networking.k8s.io/v1alpha1".into(),
            name: "default".into(),
            tier: None,
            priority: None,
            ..cnp("default", "Baseline", 0, subject, ingress, egress)
        }
    }

    fn everyone() -> ClusterPeer {
        namespaces(&[])
    }

    struct World {
        inv: Inventory,
        cov: Coverage,
    }

    impl World {
        fn new(
            workloads: Vec<Workload>,
            nps: Vec<crate::model::NetworkPolicy>,
            cluster: Vec<ClusterPolicy>,
        ) -> Self {
            let inv = Inventory {
                workloads,
                policies: nps,
                cluster_policies: cluster,
                ..Default::default()
            };
            let cov = Coverage::evaluate(&inv, |_| true);
            World { inv, cov }
        }

        fn pod(&self, w: usize) -> Endpoint<'_> {
            let w = &self.inv.workloads[w];
            Endpoint::Pod(PodRef {
                namespace: &w.namespace,
                labels: &w.label_sets[0],
                namespace_labels: self.cov.set.namespace_labels(&w.namespace),
                ports: &w.ports,
                service_account: "default",
                node_network: false,
                anonymous: false,
            })
        }

        fn side(&self, w: usize, direction: Direction, peer: &Endpoint<'_>) -> Decision {
            let wl = &self.inv.workloads[w];
            let v = self.cov.verdict_for_labels(wl, &wl.label_sets[0]);
            let v = match direction {
                Direction::Ingress => v.ingress,
                Direction::Egress => v.egress,
            };
            let side = self.cov.side_policies(&v);
            let me = self.pod(w);
            let destination = match direction {
                Direction::Ingress => me,
                Direction::Egress => *peer,
            };
            self.cov.set.decide(
                &side,
                direction,
                peer,
                &destination,
                &ConnSet::all(),
                Walk::default(),
            )
        }

        /// Whether `src` may open TCP `port` to `dst` (both sides).
        fn allows(&self, src: usize, dst: usize, port: u16) -> bool {
            let e = self.side(src, Direction::Egress, &self.pod(dst));
            let i = self.side(dst, Direction::Ingress, &self.pod(src));
            e.allowed.contains(Protocol::Tcp, port) && i.allowed.contains(Protocol::Tcp, port)
        }

        fn ingress_from_outside(&self, dst: usize, port: u16) -> bool {
            let outside = Endpoint::Address("198.51.100.7".parse().unwrap());
            self.side(dst, Direction::Ingress, &outside)
                .allowed
                .contains(Protocol::Tcp, port)
        }
    }

    fn two_pods() -> Vec<Workload> {
        vec![
            workload("a", "web", &[("app", "web")]),
            workload("b", "db", &[("app", "db")]),
        ]
    }

    fn deny_all_np(ns: &str) -> crate::model::NetworkPolicy {
        policy(ns, "deny", &[], Some(&["Ingress", "Egress"]), 0, 0)
    }

    // Point 12: the tiers in order.
    #[test]
    fn p12_admin_deny_wins_over_a_networkpolicy_allow_and_admin_allow_over_its_isolation() {
        let allow_all = policy("b", "allow", &[], Some(&["Ingress"]), 1, 0);
        let deny = cnp(
            "deny-a",
            "Admin",
            10,
            namespaces(&[("kubernetes.io/metadata.name", "b")]),
            vec![rule(
                "Deny",
                vec![namespaces(&[("kubernetes.io/metadata.name", "a")])],
            )],
            vec![],
        );
        let w = World::new(two_pods(), vec![allow_all], vec![deny]);
        assert!(
            !w.allows(0, 1, 80),
            "admin Deny beats the NetworkPolicy's allow-all"
        );

        let accept = cnp(
            "accept-a",
            "Admin",
            10,
            everyone(),
            vec![rule(
                "Accept",
                vec![namespaces(&[("kubernetes.io/metadata.name", "a")])],
            )],
            vec![],
        );
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![accept]);
        assert!(
            w.allows(0, 1, 80),
            "admin Accept beats the NetworkPolicy isolation"
        );
        assert!(
            !w.ingress_from_outside(1, 80),
            "what the Accept does not name stays isolated"
        );
    }

    #[test]
    fn p12_priority_then_written_order_first_match_decides() {
        let low = cnp(
            "p20-accept",
            "Admin",
            20,
            everyone(),
            vec![rule("Accept", vec![everyone()])],
            vec![],
        );
        let high = cnp(
            "p10-deny",
            "Admin",
            10,
            everyone(),
            vec![rule("Deny", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![low.clone(), high]);
        assert!(!w.allows(0, 1, 80), "priority 10 is evaluated before 20");

        let ordered = cnp(
            "both",
            "Admin",
            10,
            everyone(),
            vec![
                rule("Accept", vec![everyone()]),
                rule("Deny", vec![everyone()]),
            ],
            vec![],
        );
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![ordered]);
        assert!(w.allows(0, 1, 80), "the first written rule decides");
    }

    #[test]
    fn p12_pass_skips_the_admin_tier_and_the_networkpolicy_decides() {
        let pass = cnp(
            "pass",
            "Admin",
            1,
            everyone(),
            vec![rule("Pass", vec![everyone()])],
            vec![],
        );
        let deny = cnp(
            "deny",
            "Admin",
            2,
            everyone(),
            vec![rule("Deny", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![pass.clone(), deny.clone()]);
        assert!(
            w.allows(0, 1, 80),
            "passed, no NetworkPolicy, no baseline: allowed"
        );
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![pass, deny]);
        assert!(!w.allows(0, 1, 80), "passed to the isolating NetworkPolicy");
    }

    #[test]
    fn p12_networkpolicy_decides_before_baseline_and_baseline_decides_unisolated_pods() {
        let base = banp(everyone(), vec![rule("Deny", vec![everyone()])], vec![]);
        let allow_all = policy("b", "allow", &[], Some(&["Ingress"]), 1, 0);
        let w = World::new(two_pods(), vec![allow_all], vec![base.clone()]);
        assert!(
            w.allows(0, 1, 80),
            "the NetworkPolicy decides finally: baseline never reached"
        );
        let w = World::new(two_pods(), vec![], vec![base]);
        assert!(!w.allows(0, 1, 80), "no NetworkPolicy: the baseline denies");
    }

    #[test]
    fn p12_banp_comes_after_every_baseline_cnp_and_baseline_pass_allows() {
        let base_cnp = cnp(
            "z-allow",
            "Baseline",
            1000,
            everyone(),
            vec![rule("Accept", vec![everyone()])],
            vec![],
        );
        let base = banp(everyone(), vec![rule("Deny", vec![everyone()])], vec![]);
        let w = World::new(two_pods(), vec![], vec![base.clone(), base_cnp]);
        assert!(
            w.allows(0, 1, 80),
            "a Baseline CNP, even at priority 1000, goes before the BANP"
        );
        let pass = cnp(
            "pass",
            "Baseline",
            0,
            everyone(),
            vec![rule("Pass", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![pass, base]);
        assert!(
            w.allows(0, 1, 80),
            "Pass in the Baseline tier goes on to step 4: allowed"
        );
    }

    #[test]
    fn p12_a_connection_needs_both_sides() {
        let deny_egress = cnp(
            "no-egress",
            "Admin",
            1,
            namespaces(&[("kubernetes.io/metadata.name", "a")]),
            vec![],
            vec![rule("Deny", vec![everyone()])],
        );
        let w = World::new(two_pods(), vec![], vec![deny_egress]);
        assert!(!w.allows(0, 1, 80));
        assert!(
            w.allows(1, 0, 80),
            "the other way is not the subject's egress"
        );
    }

    // Point 13: subjects and peers.
    #[test]
    fn p13_pods_subject_and_peer_and_the_namespaces_selector() {
        let deny_db = cnp(
            "deny-db",
            "Admin",
            1,
            pods(&[], &[("app", "db")]),
            vec![rule("Deny", vec![pods(&[], &[("app", "web")])])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![deny_db]);
        assert!(!w.allows(0, 1, 80));
        assert!(w.allows(1, 0, 80), "web is not a subject");
    }

    #[test]
    fn p13_ingress_peers_are_never_outside_addresses() {
        let deny = banp(everyone(), vec![rule("Deny", vec![everyone()])], vec![]);
        let w = World::new(two_pods(), vec![], vec![deny]);
        assert!(!w.allows(0, 1, 80));
        assert!(
            w.ingress_from_outside(1, 80),
            "`namespaces: {{}}` is every pod, no address"
        );
        let v = &w.cov.workloads[1].ingress;
        assert_eq!(v.isolation, Isolation::PodsOnly);
        assert!(!v.isolated);
    }

    #[test]
    fn p13_networks_match_addresses_and_every_pod_only_when_slash_zero() {
        let deny_all = cnp(
            "deny",
            "Admin",
            1,
            everyone(),
            vec![],
            vec![rule("Deny", vec![networks(&["0.0.0.0/0"])])],
        );
        let w = World::new(two_pods(), vec![], vec![deny_all]);
        assert!(!w.allows(0, 1, 80), "0.0.0.0/0 holds every pod");
        let to_outside = w.side(
            0,
            Direction::Egress,
            &Endpoint::Address("8.8.8.8".parse().unwrap()),
        );
        assert!(to_outside.allowed.is_empty());
        assert_eq!(w.cov.workloads[0].egress.isolation, Isolation::Isolated);

        let narrow = cnp(
            "deny",
            "Admin",
            1,
            everyone(),
            vec![],
            vec![rule("Deny", vec![networks(&["10.0.0.0/8"])])],
        );
        let w = World::new(two_pods(), vec![], vec![narrow]);
        let to_db = w.side(0, Direction::Egress, &w.pod(1));
        assert!(
            to_db.unknown.is_some(),
            "a pod may or may not be in 10.0.0.0/8"
        );
        let inside = w.side(
            0,
            Direction::Egress,
            &Endpoint::Address("10.1.2.3".parse().unwrap()),
        );
        assert!(inside.allowed.is_empty());
        let outside = w.side(
            0,
            Direction::Egress,
            &Endpoint::Address("11.0.0.1".parse().unwrap()),
        );
        assert!(outside.allowed.is_all());
        assert_eq!(
            w.cov.workloads[0].egress.isolation,
            Isolation::Open,
            "the anonymous pod is outside every narrow CIDR"
        );
    }

    #[test]
    fn p13_host_network_pods_are_never_subjects() {
        let mut ws = two_pods();
        ws[1].host_network = true;
        let deny = cnp(
            "deny",
            "Admin",
            1,
            everyone(),
            vec![rule("Deny", vec![everyone()])],
            vec![],
        );
        let w = World::new(ws, vec![], vec![deny]);
        assert!(w.cov.workloads[1].ingress.cluster().is_empty());
        assert_eq!(w.cov.workloads[1].ingress.isolation, Isolation::Open);
    }

    // Point 14: ports.
    #[test]
    fn p14_ports_ranges_and_named_ports_on_the_destination() {
        let mut ws = two_pods();
        ws[1].ports.push(ContainerPort {
            name: Some("pg".into()),
            port: 5432,
            protocol: None,
        });
        let mut r = rule("Deny", vec![everyone()]);
        r.ports = Some(vec![
            tcp(80),
            ClusterPort::Range {
                protocol: "TCP".into(),
                start: 9000,
                end: 9010,
            },
            ClusterPort::Named("pg".into()),
        ]);
        let w = World::new(
            ws,
            vec![],
            vec![cnp("deny", "Admin", 1, everyone(), vec![r], vec![])],
        );
        assert!(!w.allows(0, 1, 80));
        assert!(!w.allows(0, 1, 9010));
        assert!(!w.allows(0, 1, 5432), "pg is 5432 on the destination");
        assert!(w.allows(0, 1, 81));
        assert!(w.allows(0, 1, 9011));
    }

    // Point 15: fail closed.
    #[test]
    fn p15_unknown_peers_fail_closed() {
        let unknown = ClusterPeer {
            unknown: vec!["futurePeer".into()],
            ..Default::default()
        };
        let deny = cnp(
            "deny",
            "Admin",
            1,
            everyone(),
            vec![rule("Deny", vec![unknown.clone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![deny]);
        assert!(
            !w.allows(0, 1, 80),
            "Deny with an unknown peer denies everything"
        );
        assert!(
            !w.ingress_from_outside(1, 80),
            "even from outside the cluster"
        );
        let accept = cnp(
            "accept",
            "Admin",
            1,
            everyone(),
            vec![rule("Accept", vec![unknown])],
            vec![],
        );
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![accept]);
        assert!(
            !w.allows(0, 1, 80),
            "Accept with an unknown peer matches nothing"
        );
    }

    // Point 16: same priority.
    #[test]
    fn p16_same_priority_policies_with_different_verdicts_are_ambiguous() {
        let a = cnp(
            "a",
            "Admin",
            5,
            everyone(),
            vec![rule("Deny", vec![everyone()])],
            vec![],
        );
        let b = cnp(
            "b",
            "Admin",
            5,
            everyone(),
            vec![rule("Accept", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![a.clone(), b]);
        let d = w.side(1, Direction::Ingress, &w.pod(0));
        assert!(d.ambiguous.is_some());
        assert_eq!(w.cov.workloads[1].ingress.isolation, Isolation::Ambiguous);
        let same = cnp(
            "c",
            "Admin",
            5,
            everyone(),
            vec![rule("Deny", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![], vec![a, same]);
        assert!(
            w.side(1, Direction::Ingress, &w.pod(0)).ambiguous.is_none(),
            "same verdict either way"
        );
    }

    // Point 22: isolation with every layer.
    #[test]
    fn p22_isolation_names_the_layer() {
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![]);
        assert_eq!(w.cov.workloads[1].ingress.isolation, Isolation::Isolated);
        assert_eq!(
            w.cov.workloads[1].ingress.decided_by(),
            Some(&DecidedBy::NetworkPolicies)
        );

        let accept_all = cnp(
            "accept",
            "Admin",
            1,
            everyone(),
            vec![rule("Accept", vec![everyone()])],
            vec![],
        );
        let w = World::new(two_pods(), vec![deny_all_np("b")], vec![accept_all]);
        assert_eq!(
            w.cov.workloads[1].ingress.isolation,
            Isolation::Open,
            "an admin Accept of every pod neutralises it"
        );

        let deny_everything = cnp(
            "lockdown",
            "Baseline",
            1,
            everyone(),
            vec![],
            vec![
                rule("Deny", vec![everyone()]),
                rule("Deny", vec![networks(&["0.0.0.0/0"])]),
            ],
        );
        let w = World::new(two_pods(), vec![], vec![deny_everything]);
        let v = &w.cov.workloads[0].egress;
        assert_eq!(v.isolation, Isolation::Isolated);
        assert!(v.isolated);
        match v.decided_by() {
            Some(DecidedBy::Rule { layer, rule }) => {
                assert_eq!(*layer, Layer::Baseline);
                assert_eq!(rule.index, 0);
            }
            other => panic!("{other:?}"),
        }
    }
}
