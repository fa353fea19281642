//! Per-direction isolation of workloads (SEMANTICS.md points 1-5 and 22) and namespace default
//! denies, read from the compiled [`PolicySet`]: the NetworkPolicies that select a pod come from
//! its subject index, the cluster-scoped tiers from their subjects, and point 22's anonymous
//! peers are walked through the layers only when a cluster-scoped policy takes part.

use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{Direction, Inventory, Labels, NetworkPolicy, Workload};

use super::decide::{SidePolicies, Walk};
pub use super::network_subjects::CompiledPolicy;
use super::policy_set::{Layer, PolicyId, PolicySet, RuleRef};
use super::traffic::{Action, Endpoint, PodRef, PortMatch};
use super::{ConnSet, HostNetwork};

/// How a pod stands in one direction, with every layer (SEMANTICS.md point 22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isolation {
    /// Traffic no rule names is denied from (to) pods and addresses alike.
    Isolated,
    /// Denied from (to) pods, allowed from (to) outside the cluster.
    PodsOnly,
    #[default]
    Open,
    /// Point 16: it depends on which of two same-priority policies the implementation applies.
    Ambiguous,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Isolated => "isolated",
            Isolation::PodsOnly => "pods-only",
            Isolation::Open => "open",
            Isolation::Ambiguous => "ambiguous",
        }
    }
}

/// What makes the default of a direction a deny.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DecidedBy {
    /// NetworkPolicies isolate the pod (point 3): `DirectionVerdict::policies`.
    NetworkPolicies,
    /// A Cilium rule selecting the pod asks for default deny (point 18): the first such.
    CiliumDefaultDeny(PolicyId),
    /// The Cilium agents' `always` mode makes every pod default-deny (point 18).
    CiliumMode,
    /// A Calico tier's default action denies what its policies leave (point 21): the tier
    /// (position in [`PolicySet::calico_tiers`]) and the first of its policies selecting the
    /// pod.
    CalicoTier { tier: usize, policy: PolicyId },
    /// A cluster-scoped rule denies what no earlier rule names.
    Rule { layer: Layer, rule: RuleRef },
}

/// Isolation of a workload in one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectionVerdict {
    /// `isolation == Isolated`: what the report's `isolated` has always meant.
    pub isolated: bool,
    pub isolation: Isolation,
    /// Indexes of the selecting NetworkPolicies whose effective types include this direction,
    /// in inventory order.
    pub policies: Vec<usize>,
    /// The rest, which the layers other than NetworkPolicies fill in (and `decided_by`):
    /// `None` when all of it is empty. One shared value per distinct content in
    /// [`Coverage::workloads`]: 100,000 pods under the same few cluster-scoped policies would
    /// otherwise carry the same lists 200,000 times.
    layers: Option<Arc<LayerDetail>>,
}

/// The fields of a [`DirectionVerdict`] read through its accessors of the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LayerDetail {
    /// Absent when open.
    pub decided_by: Option<DecidedBy>,
    /// Cluster-scoped policies (positions in [`PolicySet::cluster`]) whose subject selects the
    /// pod and that have rules for this direction, in evaluation order.
    pub cluster: Vec<usize>,
    /// Cilium rules (positions in [`PolicySet::cilium`]) selecting the pod that take part in
    /// this direction, in inventory order.
    pub cilium: Vec<usize>,
    /// A Cilium rule of `cilium` or the agents' mode makes the pod default-deny (point 18).
    pub cilium_default_deny: bool,
    /// Calico policies (positions in [`PolicySet::calico`]) selecting the pod for this
    /// direction, in evaluation order.
    pub calico: Vec<usize>,
    /// Their rules whose conditions on the pod's own end do not certainly hold
    /// ([`SidePolicies::calico_local`]).
    pub calico_local: Vec<(usize, usize, super::traffic::Match)>,
    /// With `Isolation::Ambiguous`: the two same-priority policies.
    pub ambiguous: Option<(PolicyId, PolicyId)>,
}

/// The detail of every pod NetworkPolicies alone isolate: shared rather than allocated per pod.
static NETWORK_POLICIES_ONLY: std::sync::LazyLock<Arc<LayerDetail>> =
    std::sync::LazyLock::new(|| {
        Arc::new(LayerDetail {
            decided_by: Some(DecidedBy::NetworkPolicies),
            ..Default::default()
        })
    });

impl DirectionVerdict {
    /// What makes the direction's default a deny; absent when open.
    pub fn decided_by(&self) -> Option<&DecidedBy> {
        self.layers.as_ref().and_then(|l| l.decided_by.as_ref())
    }

    /// Cluster-scoped policies (positions in [`PolicySet::cluster`]) whose subject selects the
    /// pod and that have rules for this direction, in evaluation order.
    pub fn cluster(&self) -> &[usize] {
        self.layers.as_ref().map_or(&[], |l| &l.cluster)
    }

    /// Cilium rules (positions in [`PolicySet::cilium`]) selecting the pod that take part in
    /// this direction, in inventory order.
    pub fn cilium(&self) -> &[usize] {
        self.layers.as_ref().map_or(&[], |l| &l.cilium)
    }

    /// A Cilium rule of `cilium` or the agents' mode makes the pod default-deny (point 18).
    pub fn cilium_default_deny(&self) -> bool {
        self.layers.as_ref().is_some_and(|l| l.cilium_default_deny)
    }

    /// Calico policies (positions in [`PolicySet::calico`]) selecting the pod for this
    /// direction, in evaluation order.
    pub fn calico(&self) -> &[usize] {
        self.layers.as_ref().map_or(&[], |l| &l.calico)
    }

    /// Their rules whose conditions on the pod's own end do not certainly hold
    /// ([`SidePolicies::calico_local`]).
    pub fn calico_local(&self) -> &[(usize, usize, super::traffic::Match)] {
        self.layers.as_ref().map_or(&[], |l| &l.calico_local)
    }

    /// With `Isolation::Ambiguous`: the two same-priority policies.
    pub fn ambiguous(&self) -> Option<(PolicyId, PolicyId)> {
        self.layers.as_ref().and_then(|l| l.ambiguous)
    }

    /// The detail to write to, unshared first.
    fn layers_mut(&mut self) -> &mut LayerDetail {
        Arc::make_mut(self.layers.get_or_insert_with(Default::default))
    }

    fn set_decided_by(&mut self, by: Option<DecidedBy>) {
        match (&self.layers, by) {
            (None, None) => {}
            (None, Some(DecidedBy::NetworkPolicies)) => {
                self.layers = Some(Arc::clone(&NETWORK_POLICIES_ONLY));
            }
            (_, by) => {
                self.layers_mut().decided_by = by;
                if self.layers.as_deref() == Some(&LayerDetail::default()) {
                    self.layers = None;
                }
            }
        }
    }

    /// The same number for directions that share their layers' detail (one shared value per
    /// distinct content), `None` without one: what is worked out from the detail alone can be
    /// kept by it.
    pub fn layers_key(&self) -> Option<usize> {
        self.layers.as_ref().map(|l| Arc::as_ptr(l) as usize)
    }

    /// Whether NetworkPolicies isolate the pod in this direction (the NetworkPolicy tier
    /// decides everything the Admin tier leaves).
    pub fn network_isolated(&self) -> bool {
        !self.policies.is_empty()
    }

    /// Whether the NetworkPolicy layer isolates the pod: its NetworkPolicies, or on a Cilium
    /// cluster Cilium's default deny.
    pub fn middle_isolated(&self) -> bool {
        self.network_isolated() || self.cilium_default_deny()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadVerdict {
    pub ingress: DirectionVerdict,
    pub egress: DirectionVerdict,
    /// Every policy that selects the workload, whatever its types (to explain why a selected
    /// workload is still not isolated).
    pub selected_by: Vec<usize>,
}

impl WorkloadVerdict {
    pub fn direction(&self, direction: Direction) -> &DirectionVerdict {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    pub fn covered(&self) -> bool {
        self.ingress.isolated && self.egress.isolated
    }

    fn isolated_directions(&self) -> u8 {
        self.ingress.isolated as u8 + self.egress.isolated as u8
    }
}

/// Whether a namespace holds an empty-selector deny for each direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultDeny {
    pub ingress: bool,
    pub egress: bool,
}

impl DefaultDeny {
    pub fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

/// The coverage verdicts of one inventory.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// One verdict per `Inventory::workloads` entry.
    pub workloads: Vec<WorkloadVerdict>,
    host_network: HostNetwork,
    /// Every counted policy of every kind, compiled: what connectivity reads too.
    pub set: PolicySet,
    /// The anonymous peers of point 22, when cluster-scoped policies make them needed.
    probe: Option<Probe>,
    /// Point 22's verdicts already worked out: they depend only on the direction, the
    /// cluster-scoped policies that select the pod and whether NetworkPolicies isolate it, which
    /// most workloads share (100,000 workloads under 200 cluster-scoped policies: a few
    /// thousand distinct keys).
    isolation_cache: IsolationCache,
}

/// The direction, the cluster-scoped policies, whether the NetworkPolicy layer isolates, and
/// the Cilium rules (whose deny rules take part).
type IsolationKey = (
    Direction,
    Vec<usize>,
    bool,
    Vec<usize>,
    Vec<usize>,
    Vec<(usize, usize, super::traffic::Match)>,
);
type IsolationOutcome = (Isolation, Option<DecidedBy>, Option<(PolicyId, PolicyId)>);

#[derive(Debug, Default)]
struct IsolationCache(std::sync::Mutex<foldhash::HashMap<IsolationKey, IsolationOutcome>>);

impl Clone for IsolationCache {
    fn clone(&self) -> Self {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        IsolationCache(std::sync::Mutex::new(map))
    }
}

/// Point 22's anonymous peers: a TCP port no rule and no container names, and an address
/// outside every narrower-than-/0 CIDR a rule names.
#[derive(Debug, Clone)]
struct Probe {
    port: ConnSet,
    address: std::net::IpAddr,
    pod: AnonymousPod,
}

/// The namespace of the anonymous pod: no label value can be spelled like this, so no `In`
/// or equality requirement matches it.
const ANONYMOUS_NAMESPACE: &str = "(a namespace no selector names)";

/// Point 22's anonymous pod: no labels, no container ports, in a namespace labelled only with
/// a name no selector spells (a namespace created tomorrow). The isolation verdict and the
/// checks of the cluster-scoped tiers try it.
#[derive(Debug, Clone)]
pub struct AnonymousPod {
    namespace_labels: Labels,
    labels: Labels,
}

impl AnonymousPod {
    pub fn new() -> Self {
        let mut namespace_labels = Labels::new();
        namespace_labels.insert(
            crate::model::NAMESPACE_NAME_LABEL.to_owned(),
            ANONYMOUS_NAMESPACE.to_owned(),
        );
        AnonymousPod {
            namespace_labels,
            labels: Labels::new(),
        }
    }

    /// Its namespace's labels: a name label only.
    pub fn namespace_labels(&self) -> &Labels {
        &self.namespace_labels
    }

    pub fn endpoint(&self) -> Endpoint<'_> {
        Endpoint::Pod(PodRef {
            namespace: ANONYMOUS_NAMESPACE,
            labels: &self.labels,
            namespace_labels: &self.namespace_labels,
            ports: &[],
            service_account: "default",
            node_network: false,
            anonymous: true,
        })
    }
}

impl Default for AnonymousPod {
    fn default() -> Self {
        Self::new()
    }
}

impl Coverage {
    /// Evaluates every workload, hostNetwork pods as their nodes. `include_policy` decides
    /// which policies count (invalid ones, for instance, never reach a cluster).
    pub fn evaluate(inventory: &Inventory, include_policy: impl Fn(usize) -> bool + Sync) -> Self {
        Self::evaluate_with(inventory, include_policy, HostNetwork::default())
    }

    /// Evaluates every workload, hostNetwork pods as `host_network` says.
    pub fn evaluate_with(
        inventory: &Inventory,
        include_policy: impl Fn(usize) -> bool + Sync,
        host_network: HostNetwork,
    ) -> Self {
        // Cluster-scoped policies their CRD refuses never reach a cluster, and Cilium enforces
        // nothing of a policy it refuses (NPC120 reports both).
        let set = PolicySet::compile(
            inventory,
            include_policy,
            |i| super::cluster_validation::validate(&inventory.cluster_policies[i]).is_empty(),
            |i| !super::cilium_validation::refused(&inventory.cilium_policies[i]),
            |i| !super::calico_validation::refused(&inventory.calico_policies[i]),
        );
        let probe = set.has_layers().then(|| Probe::new(inventory, &set));
        let mut coverage = Coverage {
            workloads: Vec::new(),
            host_network,
            set,
            probe,
            isolation_cache: IsolationCache::default(),
        };
        // Each verdict is independent of the others; a large inventory has 100,000 of them.
        // Most pods share their detail with many others: one copy of each, as soon as each
        // verdict is made, so that the copies are freed before the next ones are allocated.
        let shared: std::sync::Mutex<foldhash::HashSet<Arc<LayerDetail>>> = Default::default();
        let share = |layers: &mut Option<Arc<LayerDetail>>| {
            let Some(l) = layers
                .as_mut()
                .filter(|l| !Arc::ptr_eq(l, &NETWORK_POLICIES_ONLY))
            else {
                return;
            };
            let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
            match shared.get(&**l) {
                Some(first) => *l = Arc::clone(first),
                None => {
                    shared.insert(Arc::clone(l));
                }
            }
        };
        // Pods of one namespace with the same labels and service account get the same verdict,
        // and manifests list a namespace's workloads together: with layers beyond
        // NetworkPolicies (whose verdicts cost several times more), each run of workloads a
        // worker takes remembers the verdicts it made (its copy shares the detail already).
        // NetworkPolicies alone are quicker to evaluate again than to look up.
        let remember = coverage.set.has_layers();
        type Seen<'i> = foldhash::HashMap<(&'i str, &'i Labels, &'i str, bool), WorkloadVerdict>;
        coverage.workloads = inventory
            .workloads
            .par_iter()
            .map_init(Seen::default, |seen, w| {
                let mut worst: Option<WorkloadVerdict> = None;
                for labels in &w.label_sets {
                    let key = (
                        w.namespace.as_str(),
                        labels,
                        w.service_account(),
                        w.host_network,
                    );
                    let v = match seen.get(&key) {
                        Some(v) => v.clone(),
                        None => {
                            let mut v = coverage.verdict_for_labels(w, labels);
                            share(&mut v.ingress.layers);
                            share(&mut v.egress.layers);
                            if remember {
                                seen.insert(key, v.clone());
                            }
                            v
                        }
                    };
                    if worst
                        .as_ref()
                        .is_none_or(|x| v.isolated_directions() < x.isolated_directions())
                    {
                        worst = Some(v);
                    }
                }
                worst.unwrap_or_default()
            })
            .collect();
        coverage
    }

    /// How hostNetwork pods are treated.
    pub fn host_network(&self) -> HostNetwork {
        self.host_network
    }

    /// Whether the workload's pods are their nodes on the network (point 5): never isolated,
    /// never matched by a selector.
    pub fn on_node_network(&self, workload: &Workload) -> bool {
        self.host_network.is_node(workload.host_network)
    }

    /// Whether the policy at this inventory index counts in the verdict.
    pub fn includes(&self, index: usize) -> bool {
        self.set.includes_network(index)
    }

    /// The compiled policies of a namespace.
    pub fn policies_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a CompiledPolicy> {
        self.set.subjects().policies_in(namespace)
    }

    /// The counted NetworkPolicies compiled, in inventory order.
    pub fn policies(&self) -> &[CompiledPolicy] {
        self.set.subjects().policies()
    }

    /// The verdict for a workload. With several label sets (pods of one owner mid-rollout), each
    /// is evaluated and the least isolated one is reported.
    pub fn verdict(&self, workload: &Workload) -> WorkloadVerdict {
        let mut worst: Option<WorkloadVerdict> = None;
        for labels in &workload.label_sets {
            let v = self.verdict_for_labels(workload, labels);
            if worst
                .as_ref()
                .is_none_or(|w| v.isolated_directions() < w.isolated_directions())
            {
                worst = Some(v);
            }
        }
        worst.unwrap_or_default()
    }

    /// The verdict for the workload's pods that carry `labels`.
    pub fn verdict_for_labels(&self, workload: &Workload, labels: &Labels) -> WorkloadVerdict {
        self.verdict_for(
            &workload.namespace,
            labels,
            workload.service_account(),
            workload.host_network,
        )
    }

    fn verdict_for(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
        host_network: bool,
    ) -> WorkloadVerdict {
        let mut verdict = WorkloadVerdict::default();
        for policy in self.set.subjects().selecting(namespace, labels) {
            verdict.selected_by.push(policy.index);
            if policy.types.ingress {
                verdict.ingress.policies.push(policy.index);
            }
            if policy.types.egress {
                verdict.egress.policies.push(policy.index);
            }
        }
        // Host-network pods share the node's network namespace; the common CNIs apply no
        // NetworkPolicy to them, whatever selects them (SEMANTICS.md point 5), unless the
        // pod model was asked for. No cluster-scoped subject selects them either (point 13).
        let node = self.host_network.is_node(host_network);
        if node {
            return verdict;
        }
        // Each selector evaluated once for both directions.
        let [cilium_ingress, cilium_egress] =
            self.set
                .cilium_subjects_both(namespace, labels, service_account);
        let [calico_ingress, calico_egress] =
            self.set
                .calico_subjects_both(namespace, labels, service_account);
        let [cluster_ingress, cluster_egress] = if self.set.has_tiers() {
            self.set.cluster_subjects_both(namespace, labels)
        } else {
            Default::default()
        };
        for (direction, v, cilium, calico, cluster) in [
            (
                Direction::Ingress,
                &mut verdict.ingress,
                cilium_ingress,
                calico_ingress,
                cluster_ingress,
            ),
            (
                Direction::Egress,
                &mut verdict.egress,
                cilium_egress,
                calico_egress,
                cluster_egress,
            ),
        ] {
            if !cluster.is_empty() {
                v.layers_mut().cluster = cluster;
            }
            self.cilium_side(direction, v, cilium);
            self.calico_side(namespace, labels, service_account, direction, v, calico);
            self.isolation(direction, v);
        }
        verdict
    }

    /// The Calico policies selecting pods with these labels, and which of their rules' own-end
    /// conditions fail or cannot be told for them.
    fn calico_side(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
        direction: Direction,
        v: &mut DirectionVerdict,
        calico: Vec<usize>,
    ) {
        if calico.is_empty() {
            return;
        }
        let mut local = Vec::new();
        let pod = PodRef {
            namespace,
            labels,
            namespace_labels: self.set.namespace_labels(namespace),
            ports: &[],
            service_account,
            node_network: false,
            anonymous: false,
        };
        for &position in &calico {
            let compiled = &self.set.calico()[position];
            if !compiled.has_local(direction) {
                continue;
            }
            let rules = self
                .set
                .rules(PolicyId::Calico(compiled.index), direction)
                .len();
            for rule in 0..rules {
                match compiled.local_match(direction, rule, &pod) {
                    super::traffic::Match::Yes => {}
                    other => local.push((position, rule, other)),
                }
            }
        }
        let layers = v.layers_mut();
        layers.calico = calico;
        layers.calico_local = local;
    }

    /// The policies of every layer that apply to pods with these labels in one direction,
    /// without working out the verdict (connectivity walks them itself). Empty for a
    /// hostNetwork pod seen as its node.
    pub fn side_for_labels(
        &self,
        workload: &Workload,
        labels: &Labels,
        direction: Direction,
    ) -> SidePolicies {
        if self.host_network.is_node(workload.host_network) {
            return SidePolicies::default();
        }
        let namespace = workload.namespace.as_str();
        let network = self
            .set
            .subjects()
            .selecting(namespace, labels)
            .filter(|p| p.types.has(direction))
            .map(|p| p.index)
            .collect();
        let mut v = DirectionVerdict {
            policies: network,
            ..Default::default()
        };
        if self.set.has_tiers() {
            let cluster = self.set.cluster_subjects(namespace, labels, direction);
            if !cluster.is_empty() {
                v.layers_mut().cluster = cluster;
            }
        }
        let account = workload.service_account();
        let cilium = self
            .set
            .cilium_subjects(namespace, labels, account, direction);
        self.cilium_side(direction, &mut v, cilium);
        let calico = self
            .set
            .calico_subjects(namespace, labels, account, direction);
        self.calico_side(namespace, labels, account, direction, &mut v, calico);
        self.side_policies(&v)
    }

    /// The Cilium rules selecting pods with these labels, and whether Cilium makes them
    /// default-deny (point 18).
    fn cilium_side(&self, direction: Direction, v: &mut DirectionVerdict, cilium: Vec<usize>) {
        if !self.set.has_cilium() {
            return;
        }
        let default_deny = self.set.cilium_mode() == crate::model::CiliumMode::Always
            || cilium
                .iter()
                .any(|&p| self.set.cilium()[p].asks_default_deny(direction));
        if !cilium.is_empty() || default_deny {
            let layers = v.layers_mut();
            layers.cilium = cilium;
            layers.cilium_default_deny = default_deny;
        }
    }

    /// The policies of every layer that apply to one side, as the verdict found them.
    pub fn side_policies(&self, verdict: &DirectionVerdict) -> SidePolicies {
        let mut side = self.side(
            &verdict.policies,
            verdict.cluster(),
            verdict.cilium(),
            verdict.cilium_default_deny(),
        );
        side.calico = verdict.calico().to_vec();
        side.calico_local = verdict.calico_local().to_vec();
        side
    }

    /// The policies of every layer that apply to a side selected by these NetworkPolicies
    /// (inventory indexes), cluster-scoped policies (positions in [`PolicySet::cluster`]) and
    /// Cilium rules (positions in [`PolicySet::cilium`]).
    pub fn side(
        &self,
        network: &[usize],
        cluster: &[usize],
        cilium: &[usize],
        cilium_default_deny: bool,
    ) -> SidePolicies {
        let (mut admin, mut baseline) = (Vec::new(), Vec::new());
        for &position in cluster {
            match self.set.cluster()[position].layer {
                Layer::Admin => admin.push(position),
                _ => baseline.push(position),
            }
        }
        SidePolicies {
            admin,
            network: network.to_vec(),
            cilium: cilium.to_vec(),
            cilium_default_deny,
            baseline,
            calico: Vec::new(),
            calico_local: Vec::new(),
        }
    }

    /// What makes the NetworkPolicy layer isolate a pod, when it does: its NetworkPolicies
    /// first, else the first Cilium rule asking for default deny, else the agents' mode.
    fn middle_decided_by(&self, v: &DirectionVerdict, direction: Direction) -> Option<DecidedBy> {
        if v.network_isolated() {
            return Some(DecidedBy::NetworkPolicies);
        }
        if !v.cilium_default_deny() {
            return None;
        }
        Some(
            v.cilium()
                .iter()
                .map(|&p| &self.set.cilium()[p])
                .find(|c| c.asks_default_deny(direction))
                .map_or(DecidedBy::CiliumMode, |c| {
                    DecidedBy::CiliumDefaultDeny(c.id())
                }),
        )
    }

    /// What a Calico tier's default deny is put down to: in the `default` tier, the
    /// NetworkPolicies when they isolate the pod (as without Calico); otherwise the tier's
    /// first policy selecting the pod.
    fn calico_decided_by(
        &self,
        v: &DirectionVerdict,
        direction: Direction,
        tier: usize,
    ) -> Option<DecidedBy> {
        let default =
            self.set.calico_tiers()[tier].builtin == Some(super::calico::BuiltinTier::Default);
        if default && v.middle_isolated() {
            return self.middle_decided_by(v, direction);
        }
        v.calico()
            .iter()
            .map(|&p| &self.set.calico()[p])
            .find(|c| c.tier == tier)
            .map(|c| DecidedBy::CalicoTier {
                tier,
                policy: PolicyId::Calico(c.index),
            })
            .or_else(|| self.middle_decided_by(v, direction))
    }

    /// Point 22: isolated when the NetworkPolicy tier isolates the pod and no Admin rule lets
    /// an anonymous peer through, or when a cluster-scoped tier denies it.
    fn isolation(&self, direction: Direction, v: &mut DirectionVerdict) {
        // Walks are needed when a cluster-scoped tier selects the pod, or when Cilium deny
        // rules apply to a pod the NetworkPolicy layer does not isolate (they may deny all).
        let walk = !v.cluster().is_empty()
            || (!v.middle_isolated() && !v.cilium().is_empty())
            || !v.calico().is_empty();
        let Some(probe) = self.probe.as_ref().filter(|_| walk) else {
            if let Some(by) = self.middle_decided_by(v, direction) {
                v.isolated = true;
                v.isolation = Isolation::Isolated;
                v.set_decided_by(Some(by));
            }
            return;
        };
        let key = (
            direction,
            v.cluster().to_vec(),
            v.middle_isolated(),
            v.cilium().to_vec(),
            v.calico().to_vec(),
            v.calico_local().to_vec(),
        );
        let cached = self
            .isolation_cache
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let (isolation, decided_by, ambiguous) = match cached {
            Some(outcome) => outcome,
            None => {
                let outcome = self.probe_isolation(direction, v, probe);
                self.isolation_cache
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, outcome.clone());
                outcome
            }
        };
        v.isolation = isolation;
        v.isolated = isolation == Isolation::Isolated;
        v.set_decided_by(decided_by);
        if ambiguous.is_some() {
            v.layers_mut().ambiguous = ambiguous;
        }
    }

    /// Point 22's walks for the anonymous pod and the outside address.
    fn probe_isolation(
        &self,
        direction: Direction,
        v: &DirectionVerdict,
        probe: &Probe,
    ) -> IsolationOutcome {
        let side = self.side_policies(v);
        let walk = Walk {
            network_as_isolation: true,
            ..Walk::default()
        };
        let anonymous = probe.pod.endpoint();
        let outside = Endpoint::Address(probe.address);
        // Named ports resolve on the destination: for ingress the pod itself, whose container
        // ports the probe port avoids; for egress the anonymous peer, which has none.
        let pod = self
            .set
            .decide(&side, direction, &anonymous, &anonymous, &probe.port, walk);
        let address = self
            .set
            .decide(&side, direction, &outside, &outside, &probe.port, walk);
        let decided_by = |d: &super::decide::Decision| {
            if let (false, Some(tier)) = (d.isolation_denied.is_empty(), d.isolation_tier) {
                self.calico_decided_by(v, direction, tier)
            } else if !d.isolation_denied.is_empty() {
                self.middle_decided_by(v, direction)
            } else {
                d.steps
                    .iter()
                    .find(|s| s.action == Action::Deny)
                    .map(|s| DecidedBy::Rule {
                        layer: s.layer,
                        rule: s.rule,
                    })
            }
        };
        let mut isolation = match (pod.allowed.is_empty(), address.allowed.is_empty()) {
            (true, true) => Isolation::Isolated,
            (true, false) => Isolation::PodsOnly,
            (false, _) => Isolation::Open,
        };
        let ambiguous = pod.ambiguous.or(address.ambiguous);
        if ambiguous.is_some() {
            isolation = Isolation::Ambiguous;
        }
        let decided_by = match isolation {
            Isolation::Open | Isolation::Ambiguous => None,
            _ => decided_by(&pod),
        };
        (isolation, decided_by, ambiguous)
    }

    /// Namespace default denies: a policy with an empty podSelector, the direction among its
    /// effective types, and no rules for that direction.
    pub fn default_deny(&self, inventory: &Inventory, namespace: &str) -> DefaultDeny {
        DefaultDeny {
            ingress: self
                .default_deny_policies(inventory, namespace, Direction::Ingress)
                .next()
                .is_some(),
            egress: self
                .default_deny_policies(inventory, namespace, Direction::Egress)
                .next()
                .is_some(),
        }
    }

    /// The namespace's default denies for a direction: an empty podSelector, the direction
    /// among the effective types, no rules for it.
    pub fn default_deny_policies<'a>(
        &'a self,
        inventory: &'a Inventory,
        namespace: &str,
        direction: Direction,
    ) -> impl Iterator<Item = &'a NetworkPolicy> + 'a {
        self.policies_in(namespace)
            .filter(move |p| p.selector.matches_everything() && p.types.has(direction))
            .map(|p| &inventory.policies[p.index])
            .filter(move |written| written.rules(direction).is_empty())
    }

    /// What isolates a pod of `namespace` that only catch-all selectors match (no labels,
    /// service account `default`) besides NetworkPolicies: a cluster-scoped deny rule, a Cilium
    /// default deny or the Cilium agents' mode (REPORT.md `defaultDenyBy`). NetworkPolicies are
    /// left out: `default_deny` says what they do.
    pub fn tier_default_deny(&self, namespace: &str, direction: Direction) -> Option<DecidedBy> {
        if !self.set.has_layers() {
            return None;
        }
        let labels = Labels::new();
        let mut v = DirectionVerdict::default();
        let cluster = self.set.cluster_subjects(namespace, &labels, direction);
        if !cluster.is_empty() {
            v.layers_mut().cluster = cluster;
        }
        let cilium = self
            .set
            .cilium_subjects(namespace, &labels, "default", direction);
        self.cilium_side(direction, &mut v, cilium);
        let calico = self
            .set
            .calico_subjects(namespace, &labels, "default", direction);
        self.calico_side(namespace, &labels, "default", direction, &mut v, calico);
        self.isolation(direction, &mut v);
        match (v.isolation, v.decided_by().cloned()) {
            (Isolation::Isolated, Some(DecidedBy::NetworkPolicies)) | (_, None) => None,
            (Isolation::Isolated, by) => by,
            _ => None,
        }
    }

    /// Number of (counted) policies in a namespace.
    pub fn policy_count(&self, namespace: &str) -> usize {
        self.set.subjects().policy_count(namespace)
    }
}

impl Probe {
    fn new(inventory: &Inventory, set: &PolicySet) -> Self {
        let mut named_tcp: Vec<(u16, u16)> = Vec::new();
        let mut cidrs: Vec<ipnet::IpNet> = Vec::new();
        let ids = (0..inventory.policies.len())
            .map(PolicyId::Network)
            .chain(set.cluster().iter().map(|c| PolicyId::Cluster(c.index)))
            .chain(set.cilium().iter().map(|c| c.id()))
            .chain(set.calico().iter().map(|c| PolicyId::Calico(c.index)));
        for id in ids {
            for direction in Direction::BOTH {
                for rule in set.rules(id, direction) {
                    for port in rule.ports() {
                        if let PortMatch::Range { start, end, .. } = port {
                            named_tcp.push((*start, *end));
                        }
                    }
                }
            }
        }
        for p in &inventory.cluster_policies {
            cidrs.extend(Direction::BOTH.into_iter().flat_map(|d| p.networks(d)));
        }
        for p in &inventory.calico_policies {
            for rule in p.ingress.iter().chain(&p.egress) {
                for end in [&rule.source, &rule.destination] {
                    for net in end.nets.iter().chain(&end.not_nets) {
                        cidrs.extend(net.parse::<ipnet::IpNet>().ok());
                    }
                }
            }
        }
        for p in &inventory.policies {
            for rule in p.ingress.iter().chain(&p.egress) {
                for peer in &rule.peers {
                    if let Some(b) = &peer.ip_block {
                        cidrs.extend(b.cidr.parse::<ipnet::IpNet>().ok());
                    }
                }
            }
        }
        for w in &inventory.workloads {
            for cp in &w.ports {
                if let Ok(n) = u16::try_from(cp.port) {
                    named_tcp.push((n, n));
                }
            }
        }
        let port = (1..=u16::MAX)
            .rev()
            .find(|n| !named_tcp.iter().any(|(s, e)| s <= n && n <= e))
            // Every port is named somewhere: the answer for the last one stands for all.
            .unwrap_or(u16::MAX);
        cidrs.retain(|c| c.prefix_len() > 0);
        let address = outside_every(&cidrs);
        Probe {
            port: ConnSet::range(crate::model::Protocol::Tcp, port, port),
            address,
            pod: AnonymousPod::new(),
        }
    }
}

/// An IPv4 address outside every one of `cidrs` (none of which is a /0).
fn outside_every(cidrs: &[ipnet::IpNet]) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv4Addr};
    let inside = |ip: &IpAddr| cidrs.iter().any(|c| c.contains(ip));
    let mut candidates: Vec<u32> = vec![u32::from(Ipv4Addr::new(203, 0, 113, 77))];
    for c in cidrs {
        if let ipnet::IpNet::V4(n) = c {
            candidates.push(u32::from(n.network()).wrapping_sub(1));
            candidates.push(u32::from(n.broadcast()).wrapping_add(1));
        }
    }
    candidates
        .into_iter()
        .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
        .find(|ip| !inside(ip))
        // Every IPv4 address is inside some CIDR (two /1s): no address is outside them all.
        .unwrap_or(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 77)))
}

#[cfg(test)]
mod tests {
    //! SEMANTICS.md points 1-6 (the rest are in traffic.rs).
    use super::*;
    use crate::model::fixtures::workload;
    use crate::model::{Requirement, Rule};

    /// A policy without rules.
    fn policy(ns: &str, name: &str, sel: &[(&str, &str)], types: Option<&[&str]>) -> NetworkPolicy {
        crate::model::fixtures::policy(ns, name, sel, types, 0, 0)
    }

    fn eval(workloads: Vec<Workload>, policies: Vec<NetworkPolicy>) -> (Inventory, Coverage) {
        let inv = Inventory {
            workloads,
            policies,
            ..Default::default()
        };
        let c = Coverage::evaluate(&inv, |_| true);
        (inv, c)
    }

    #[test]
    fn p1_policy_selects_in_its_own_namespace_only() {
        let (_, c) = eval(
            vec![workload("a", "web", &[("app", "web")])],
            vec![policy(
                "b",
                "p",
                &[("app", "web")],
                Some(&["Ingress", "Egress"]),
            )],
        );
        assert_eq!(c.workloads[0], WorkloadVerdict::default());
    }

    #[test]
    fn p1_empty_selector_selects_every_pod_of_the_namespace() {
        let (_, c) = eval(
            vec![workload("a", "x", &[]), workload("a", "y", &[("k", "v")])],
            vec![policy("a", "p", &[], Some(&["Ingress"]))],
        );
        assert!(c
            .workloads
            .iter()
            .all(|v| v.ingress.isolated && !v.egress.isolated));
    }

    #[test]
    fn p2_omitted_or_empty_policy_types_default_to_ingress() {
        let mut with_egress = policy("a", "e", &[], None);
        with_egress.egress = vec![Rule::default()];
        let mut empty_egress_list = policy("a", "z", &[("app", "z")], Some(&[]));
        empty_egress_list.egress = vec![];
        let (_, c) = eval(
            vec![workload("a", "x", &[("app", "z")])],
            vec![empty_egress_list, with_egress],
        );
        assert!(c.workloads[0].ingress.isolated);
        assert_eq!(c.workloads[0].ingress.policies, [0, 1]);
        assert_eq!(
            c.workloads[0].egress.policies,
            [1],
            "only the policy with egress rules"
        );
    }

    #[test]
    fn p2_rules_for_unlisted_direction_are_inert() {
        let mut p = policy("a", "p", &[], Some(&["Ingress"]));
        p.egress = vec![Rule::default()];
        let (_, c) = eval(vec![workload("a", "x", &[])], vec![p]);
        assert!(c.workloads[0].ingress.isolated && !c.workloads[0].egress.isolated);
    }

    #[test]
    fn p3_isolation_is_per_direction() {
        let (_, c) = eval(
            vec![workload("a", "x", &[])],
            vec![policy("a", "p", &[], Some(&["Egress"]))],
        );
        assert!(!c.workloads[0].ingress.isolated && c.workloads[0].egress.isolated);
        assert_eq!(c.workloads[0].selected_by, [0]);
    }

    #[test]
    fn p3_unselected_pod_is_not_isolated() {
        let (_, c) = eval(
            vec![workload("a", "x", &[("app", "x")])],
            vec![policy(
                "a",
                "p",
                &[("app", "y")],
                Some(&["Ingress", "Egress"]),
            )],
        );
        assert!(!c.workloads[0].ingress.isolated && !c.workloads[0].egress.isolated);
        assert!(c.workloads[0].selected_by.is_empty());
    }

    #[test]
    fn p4_policies_are_additive_and_order_free() {
        let ps = vec![
            policy("a", "in", &[], Some(&["Ingress"])),
            policy("a", "out", &[("app", "x")], Some(&["Egress"])),
        ];
        let mut reversed = ps.clone();
        reversed.reverse();
        let (_, c1) = eval(vec![workload("a", "x", &[("app", "x")])], ps);
        let (_, c2) = eval(vec![workload("a", "x", &[("app", "x")])], reversed);
        assert!(c1.workloads[0].covered() && c2.workloads[0].covered());
    }

    #[test]
    fn p5_host_network_is_never_isolated() {
        let mut w = workload("a", "x", &[]);
        w.host_network = true;
        let (_, c) = eval(
            vec![w],
            vec![policy("a", "p", &[], Some(&["Ingress", "Egress"]))],
        );
        assert!(!c.workloads[0].ingress.isolated && !c.workloads[0].egress.isolated);
        assert_eq!(
            c.workloads[0].selected_by,
            [0],
            "selected, yet not isolated"
        );
    }

    #[test]
    fn p5_host_network_is_isolated_like_any_pod_in_the_pod_model() {
        let mut w = workload("a", "x", &[]);
        w.host_network = true;
        let inv = Inventory {
            workloads: vec![w],
            policies: vec![policy("a", "p", &[], Some(&["Ingress", "Egress"]))],
            ..Default::default()
        };
        let c = Coverage::evaluate_with(&inv, |_| true, HostNetwork::Pod);
        assert!(c.workloads[0].ingress.isolated && c.workloads[0].egress.isolated);
        assert!(!c.on_node_network(&inv.workloads[0]));
        let c = Coverage::evaluate_with(&inv, |_| true, HostNetwork::Node);
        assert!(c.on_node_network(&inv.workloads[0]));
    }

    #[test]
    fn p6_default_deny_needs_empty_selector_direction_and_no_rules() {
        let mut allow_all_egress = policy("a", "q", &[], Some(&["Egress"]));
        allow_all_egress.egress = vec![Rule::default()];
        let mut with_expr = policy("a", "r", &[], Some(&["Ingress"]));
        with_expr.pod_selector.match_expressions.push(Requirement {
            key: "k".into(),
            operator: "Exists".into(),
            values: vec![],
        });
        let (inv, c) = eval(vec![], vec![allow_all_egress, with_expr]);
        assert_eq!(c.default_deny(&inv, "a"), DefaultDeny::default());
        let (inv, c) = eval(vec![], vec![policy("a", "d", &[], None)]);
        assert_eq!(
            c.default_deny(&inv, "a"),
            DefaultDeny {
                ingress: true,
                egress: false
            }
        );
    }

    #[test]
    fn mid_rollout_label_sets_report_the_least_isolated() {
        let mut w = workload("a", "x", &[("app", "x"), ("v", "1")]);
        w.label_sets.push(
            [("app", "x"), ("v", "2")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let (_, c) = eval(
            vec![w],
            vec![policy(
                "a",
                "v1",
                &[("v", "1")],
                Some(&["Ingress", "Egress"]),
            )],
        );
        assert!(!c.workloads[0].ingress.isolated && !c.workloads[0].egress.isolated);
    }

    /// The verdicts remembered per run of workloads are told apart by everything a selector of
    /// any layer reads: two pods of one namespace with the same labels but other service
    /// accounts (Cilium selects by it) or hostNetwork, and a rollout whose second pod shape is
    /// the open one, each get their own verdict, as `verdict` works it out alone.
    #[test]
    fn remembered_verdicts_tell_service_accounts_host_network_and_shapes_apart() {
        let pod = |name: &str, sa: &str, host: bool| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: api}}}}\nspec: {{serviceAccountName: {sa}, hostNetwork: {host}, containers: [{{name: c, image: c}}]}}\n---\n"
            )
        };
        let yaml = format!(
            "{}{}{}{}apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: by-account, namespace: shop}}\nspec:\n  endpointSelector: {{matchLabels: {{io.cilium.k8s.policy.serviceaccount: locked}}}}\n  ingress: [{{fromEndpoints: [{{matchLabels: {{app: web}}}}]}}]\n---\n\
             apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: by-version, namespace: shop}}\nspec:\n  endpointSelector: {{matchLabels: {{v: one}}}}\n  ingress: [{{fromEndpoints: [{{matchLabels: {{app: web}}}}]}}]\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: rollout, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api, v: one}}}}\n    spec: {{serviceAccountName: open, containers: [{{name: c, image: c}}]}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: rollout-new, namespace: shop, labels: {{app: api, v: two}}, ownerReferences: [{{kind: Deployment, name: rollout}}]}}\nspec: {{serviceAccountName: open, containers: [{{name: c, image: c}}]}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: one-alone, namespace: shop, labels: {{app: api, v: one}}}}\nspec: {{serviceAccountName: open, containers: [{{name: c, image: c}}]}}\n",
            pod("locked-1", "locked", false),
            pod("locked-host", "locked", true),
            pod("open-1", "open", false),
            pod("locked-2", "locked", false),
        );
        let inv = crate::checks::testutil::inventory(&yaml);
        // On one thread the list is cut in two runs of workloads at most (rayon's first split):
        // the pods after `locked-1` in its half could reuse its remembered verdict.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let c = one.install(|| Coverage::evaluate(&inv, |_| true));
        let isolated = |name: &str| {
            let i = inv.workloads.iter().position(|w| w.name == name).unwrap();
            assert_eq!(c.workloads[i], c.verdict(&inv.workloads[i]), "{name}");
            c.workloads[i].ingress.isolated
        };
        assert!(isolated("locked-1"));
        assert!(!isolated("open-1"));
        assert!(isolated("locked-2"));
        assert!(!isolated("locked-host"));
        assert!(isolated("one-alone"));
        assert!(!isolated("rollout"));
    }

    /// The other layers' fields take one pointer in a verdict (there are 200,000 of them on
    /// the 100,000-workload benchmark), and their contents are stored once per distinct value
    /// without changing any verdict: over the synthetic cluster with cluster-scoped policies
    /// and in Cilium form.
    #[test]
    fn layer_details_are_shared_and_change_no_verdict() {
        use crate::synth::{generate, SynthConfig};
        assert!(std::mem::size_of::<DirectionVerdict>() <= 48);
        let small = SynthConfig::scaled(0.01);
        for cfg in [
            SynthConfig {
                cluster_policies: 20,
                ..small
            },
            SynthConfig {
                cilium: true,
                ..small
            },
        ] {
            let mut yaml = Vec::new();
            generate(&cfg, &mut yaml).unwrap();
            let inv = crate::checks::testutil::inventory(std::str::from_utf8(&yaml).unwrap());
            let c = Coverage::evaluate(&inv, |_| true);
            let mut by_content: std::collections::HashMap<&LayerDetail, *const LayerDetail> =
                Default::default();
            let mut layered = 0;
            for (w, v) in inv.workloads.iter().zip(&c.workloads) {
                assert_eq!(*v, c.verdict(w), "{}/{}", w.namespace, w.name);
                for d in [&v.ingress, &v.egress] {
                    let Some(l) = &d.layers else { continue };
                    assert_ne!(**l, LayerDetail::default());
                    layered += 1;
                    let first = *by_content.entry(&**l).or_insert(Arc::as_ptr(l));
                    assert_eq!(first, Arc::as_ptr(l), "two copies of {l:?}");
                }
            }
            assert!(
                layered > 2 * by_content.len(),
                "{layered} {}",
                by_content.len()
            );
        }
    }

    /// The Cilium and Calico subjects looked up once for both directions are those looked up
    /// direction by direction, for every pod of the synthetic cluster in Cilium and in Calico
    /// form and of the Calico and Cilium fixtures, service accounts included.
    #[test]
    fn subjects_found_for_both_directions_at_once_are_those_of_each() {
        use crate::synth::{generate, SynthConfig};
        let small = SynthConfig::scaled(0.01);
        let mut inputs: Vec<String> = [
            SynthConfig {
                cilium: true,
                ..small
            },
            SynthConfig {
                calico: true,
                ..small
            },
            SynthConfig {
                cluster_policies: 20,
                ..small
            },
        ]
        .iter()
        .map(|cfg| {
            let mut yaml = Vec::new();
            generate(cfg, &mut yaml).unwrap();
            String::from_utf8(yaml).unwrap()
        })
        .collect();
        for dir in [
            "tests/fixtures/calico",
            "tests/fixtures/cilium",
            "tests/fixtures/tier-scenarios",
        ] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    inputs.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let (mut cilium, mut calico, mut cluster) = (0, 0, 0);
        for yaml in &inputs {
            let inv = crate::checks::testutil::inventory(yaml);
            let c = Coverage::evaluate(&inv, |_| true);
            for w in &inv.workloads {
                let account = w.service_account();
                for labels in &w.label_sets {
                    let ns = w.namespace.as_str();
                    let both = c.set.cilium_subjects_both(ns, labels, account);
                    let each =
                        Direction::BOTH.map(|d| c.set.cilium_subjects(ns, labels, account, d));
                    assert_eq!(both, each, "{ns}/{}", w.name);
                    cilium += both.iter().map(Vec::len).sum::<usize>();
                    let both = c.set.calico_subjects_both(ns, labels, account);
                    let each =
                        Direction::BOTH.map(|d| c.set.calico_subjects(ns, labels, account, d));
                    assert_eq!(both, each, "{ns}/{}", w.name);
                    calico += both.iter().map(Vec::len).sum::<usize>();
                    let both = c.set.cluster_subjects_both(ns, labels);
                    let each = Direction::BOTH.map(|d| c.set.cluster_subjects(ns, labels, d));
                    assert_eq!(both, each, "{ns}/{}", w.name);
                    cluster += both.iter().map(Vec::len).sum::<usize>();
                }
            }
        }
        assert!(
            cilium > 0 && calico > 0 && cluster > 0,
            "{cilium} {calico} {cluster}"
        );
    }
}
