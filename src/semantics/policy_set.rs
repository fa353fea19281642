//! The one compiled form of every policy kind the tool evaluates (NetworkPolicy and the
//! cluster-scoped tiers today): rules with peers, ports and an action, grouped in layers that
//! are evaluated in order for each direction of a connection (SEMANTICS.md point 12). Coverage,
//! `reach`, `explain`, `matrix`, the checks and generation all read this form, so a new policy
//! kind is compiled here once and every command gets it.
//!
//! Built once per run from the inventory; pure, no I/O.

use foldhash::HashMap;
use rayon::prelude::*;

use crate::model::{
    CiliumMode, CiliumPolicy, ClusterPolicy, ClusterPolicyKind, Direction, Inventory, Labels,
    Namespace, Tier, NAMESPACE_NAME_LABEL,
};

use super::calico::{self, CalicoCompiled, TierCompiled};
use super::cilium_selector::{EndpointSelector, Identity, Scope};
use super::network_subjects::{NetworkSubjects, PolicyLookup};
use super::traffic::{Action, CompiledRule};
use super::Selector;

/// The layers of point 12, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Admin,
    NetworkPolicy,
    Baseline,
    /// A Calico tier other than the built-in ones (its name is the policy's `tier`).
    Calico,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Admin => "Admin",
            Layer::NetworkPolicy => "NetworkPolicy",
            Layer::Baseline => "Baseline",
            Layer::Calico => "Calico tier",
        }
    }
}

/// A policy of any kind: an index into its inventory list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyId {
    /// `Inventory::policies`.
    Network(usize),
    /// `Inventory::cluster_policies`.
    Cluster(usize),
    /// One rule (`spec`, or an entry of `specs`) of `Inventory::cilium_policies[policy]`:
    /// Cilium evaluates each on its own.
    Cilium { policy: u32, spec: u32 },
    /// `Inventory::calico_policies`.
    Calico(usize),
}

impl PolicyId {
    /// The NetworkPolicy index, for a NetworkPolicy.
    pub fn network(self) -> Option<usize> {
        match self {
            PolicyId::Network(i) => Some(i),
            PolicyId::Cluster(_) | PolicyId::Cilium { .. } | PolicyId::Calico(_) => None,
        }
    }
}

/// A rule of a policy: `spec.<direction>[index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub policy: PolicyId,
    pub direction: Direction,
    pub index: usize,
}

/// A cluster-scoped policy compiled: its subject and its rules, with its place in its tier.
#[derive(Debug, Clone)]
pub struct ClusterCompiled {
    /// Index into `Inventory::cluster_policies`.
    pub index: usize,
    pub layer: Layer,
    /// Evaluation order inside the tier, ascending: the priority, then (Baseline) the
    /// BaselineAdminNetworkPolicy after every ClusterNetworkPolicy.
    pub rank: (i64, u8),
    /// The subject: pods matching `pods` in namespaces matching `namespaces`.
    pub namespaces: Selector,
    pub pods: Selector,
    /// `[ingress, egress]` rules in written order.
    rules: [Vec<CompiledRule>; 2],
}

/// One rule of a Cilium policy compiled (SEMANTICS.md points 17-19): its subject, whether it
/// asks for default deny per direction, and its allow then deny rules.
#[derive(Debug, Clone)]
pub struct CiliumCompiled {
    /// Index into `Inventory::cilium_policies`.
    pub index: usize,
    /// Its place in the policy: 0 for `spec`, then `specs` in order.
    pub spec: usize,
    /// `None` for a CiliumClusterwideNetworkPolicy.
    pub namespace: Option<String>,
    pub subject: EndpointSelector,
    /// `[ingress, egress]`: a non-empty allow or deny section and `enableDefaultDeny` not
    /// false for it (point 18).
    default_deny: [bool; 2],
    /// `[ingress, egress]`: the allow section's rules, then the deny section's.
    rules: [Vec<CompiledRule>; 2],
    /// `[ingress, egress]`: how many of `rules` are allow rules.
    allows: [usize; 2],
}

impl CiliumCompiled {
    pub fn id(&self) -> PolicyId {
        PolicyId::Cilium {
            policy: self.index as u32,
            spec: self.spec as u32,
        }
    }

    /// Whether the rule takes part in a direction: it has rules for it or asks for default deny.
    pub fn applies(&self, direction: Direction) -> bool {
        !self.rules[slot(direction)].is_empty() || self.default_deny[slot(direction)]
    }

    /// Whether the rule makes the pods it selects default-deny in `direction` (point 18).
    pub fn asks_default_deny(&self, direction: Direction) -> bool {
        self.default_deny[slot(direction)]
    }

    /// How many of the direction's rules allow; the rest deny.
    pub fn allow_count(&self, direction: Direction) -> usize {
        self.allows[slot(direction)]
    }
}

/// Compiles the rules of a Cilium policy that Cilium enforces: none when it refuses the policy,
/// and no host policy (`nodeSelector`: out of scope, said by the checks).
fn compile_cilium(index: usize, policy: &CiliumPolicy, out: &mut Vec<CiliumCompiled>) {
    let namespace = policy
        .namespace
        .as_deref()
        .filter(|_| !policy.kind.cluster_scoped());
    for (spec, rule) in policy.rules.iter().enumerate() {
        let Some(selector) = &rule.endpoint_selector else {
            continue;
        };
        let subject =
            EndpointSelector::compile(selector, namespace.map_or(Scope::Cluster, Scope::Subject));
        let mut rules: [Vec<CompiledRule>; 2] = Default::default();
        let mut allows = [0; 2];
        let mut default_deny = [false; 2];
        for direction in Direction::BOTH {
            let (allow, deny) = (rule.allows(direction), rule.denies(direction));
            let slot = slot(direction);
            for r in allow.unwrap_or_default() {
                rules[slot].push(CompiledRule::compile_cilium(r, Action::Allow, namespace));
            }
            allows[slot] = rules[slot].len();
            for r in deny.unwrap_or_default() {
                rules[slot].push(CompiledRule::compile_cilium(r, Action::Deny, namespace));
            }
            // `ingress: []` is no section (point 18). Cilium `pkg/policy/api/rule.go`,
            // `EnableDefaultDeny`: "the default is true for each traffic direction that has
            // rules, and false otherwise ... enabled if any policy requests it".
            let has_section = !rules[slot].is_empty();
            default_deny[slot] = has_section && rule.enable_default_deny(direction) != Some(false);
        }
        out.push(CiliumCompiled {
            index,
            spec,
            namespace: namespace.map(str::to_owned),
            subject,
            default_deny,
            rules,
            allows,
        });
    }
}

/// A NetworkPolicy's compiled rules (`None` when it does not count: the API server refuses it).
#[derive(Debug, Clone)]
struct NetworkCompiled {
    namespace: String,
    rules: [Vec<CompiledRule>; 2],
}

/// Every counted policy of an inventory, compiled.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// The NetworkPolicies' subjects, indexed for selection.
    subjects: NetworkSubjects,
    network: Vec<Option<NetworkCompiled>>,
    /// Counted cluster-scoped policies, in evaluation order: Admin tier first, by rank.
    cluster: Vec<ClusterCompiled>,
    /// Position in `cluster` of each `Inventory::cluster_policies` entry that counts.
    cluster_position: Vec<Option<usize>>,
    /// Counted Cilium rules, in inventory order.
    cilium: Vec<CiliumCompiled>,
    /// Position in `cilium` of the first rule of each `Inventory::cilium_policies` entry that
    /// counts (its rules follow it).
    cilium_position: Vec<Option<usize>>,
    /// Positions in `cilium` of the CiliumNetworkPolicy rules of each namespace, and of the
    /// clusterwide ones.
    cilium_by_namespace: HashMap<String, PolicyLookup>,
    cilium_clusterwide: PolicyLookup,
    /// The Cilium agents' enforcement mode (point 18).
    cilium_mode: CiliumMode,
    /// Calico's tiers in evaluation order (point 21), built-ins included, when any Calico
    /// policy counts; empty otherwise.
    calico_tiers: Vec<TierCompiled>,
    /// Counted Calico policies in evaluation order: by tier, then order, then name.
    calico: Vec<CalicoCompiled>,
    /// Position in `calico` of each `Inventory::calico_policies` entry that counts.
    calico_position: Vec<Option<usize>>,
    /// Positions in `calico` of the namespaced policies of each namespace, and of the global
    /// ones, indexed by what their selectors require.
    calico_by_namespace: HashMap<String, PolicyLookup>,
    calico_global: PolicyLookup,
    /// Per namespace of the inventory, its labels (with `kubernetes.io/metadata.name`).
    namespace_labels: HashMap<String, Labels>,
    /// The positions in `cluster` whose subject's namespace selector matches each namespace.
    cluster_by_namespace: HashMap<String, Vec<usize>>,
    empty: Labels,
}

pub(crate) fn slot(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

/// The action a written word means for a policy of this kind and tier; `None` when the CRD
/// refuses it (such a policy does not count).
pub fn action_of(policy: &ClusterPolicy, word: &str) -> Option<Action> {
    let allow = policy.kind.allow_word();
    match word {
        w if w == allow => Some(Action::Allow),
        "Deny" => Some(Action::Deny),
        "Pass" if policy.kind != ClusterPolicyKind::BaselineAdminNetworkPolicy => {
            Some(Action::Pass)
        }
        _ => None,
    }
}

/// Compiles a cluster-scoped policy, or `None` when what it says cannot be evaluated (no tier,
/// no single subject, an unknown action): the CRD would refuse it.
fn compile_cluster(index: usize, policy: &ClusterPolicy) -> Option<ClusterCompiled> {
    let tier = policy.tier()?;
    let subject = &policy.subject;
    let (namespaces, pods) = match (&subject.namespaces, &subject.pods) {
        (Some(ns), None) => (Selector::compile(ns), Selector::everything()),
        (None, Some(p)) => (
            Selector::compile(&p.namespace_selector),
            Selector::compile(&p.pod_selector),
        ),
        _ => return None,
    };
    let mut rules: [Vec<CompiledRule>; 2] = Default::default();
    for direction in Direction::BOTH {
        for rule in policy.rules(direction) {
            let action = action_of(policy, &rule.action)?;
            rules[slot(direction)].push(CompiledRule::compile_cluster(rule, action));
        }
    }
    let layer = match tier {
        Tier::Admin => Layer::Admin,
        Tier::Baseline => Layer::Baseline,
    };
    let rank = match policy.kind {
        ClusterPolicyKind::BaselineAdminNetworkPolicy => (i64::MAX, 1),
        _ => (policy.priority.unwrap_or(0), 0),
    };
    Some(ClusterCompiled {
        index,
        layer,
        rank,
        namespaces,
        pods,
        rules,
    })
}

impl PolicySet {
    /// Compiles the policies that count: `include_network(i)` for `Inventory::policies[i]`,
    /// `include_cluster(i)` for `Inventory::cluster_policies[i]`.
    pub fn compile(
        inventory: &Inventory,
        include_network: impl Fn(usize) -> bool + Sync,
        include_cluster: impl Fn(usize) -> bool + Sync,
        include_cilium: impl Fn(usize) -> bool + Sync,
        include_calico: impl Fn(usize) -> bool + Sync,
    ) -> Self {
        let cilium_mode = inventory.cilium_mode.unwrap_or_default();
        // `never`: the agents enforce no policy, Kubernetes NetworkPolicies included, since
        // Cilium enforces those too (point 18).
        let never = cilium_mode == CiliumMode::Never;
        // The kinds are compiled side by side: each has steps that run on one core (indexing
        // by namespace, validation of a few kinds), and one after the other they left the
        // second core idle for tens of milliseconds on 20,000 policies.
        let (((subjects, network), cilium), ((cluster, namespace_labels), calico)) = rayon::join(
            || {
                rayon::join(
                    || compile_network(inventory, |i| !never && include_network(i)),
                    || compile_cilium_all(inventory, |i| !never && include_cilium(i)),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || compile_cluster_all(inventory, &include_cluster),
                            || namespace_labels(inventory),
                        )
                    },
                    || compile_calico(inventory, &include_calico),
                )
            },
        );
        let (cilium, cilium_position, cilium_by_namespace, cilium_clusterwide) = cilium;
        let (cluster, cluster_position) = cluster;
        let (calico_tiers, calico, calico_position, calico_by_namespace, calico_global) = calico;
        let cluster_by_namespace = if cluster.is_empty() {
            HashMap::default()
        } else {
            namespace_labels
                .iter()
                .map(|(ns, labels)| {
                    let positions = (0..cluster.len())
                        .filter(|&i| cluster[i].namespaces.matches(labels))
                        .collect();
                    (ns.clone(), positions)
                })
                .collect()
        };
        PolicySet {
            subjects,
            network,
            cluster,
            cluster_position,
            cilium,
            cilium_position,
            cilium_by_namespace,
            cilium_clusterwide,
            cilium_mode,
            calico_tiers,
            calico,
            calico_position,
            calico_by_namespace,
            calico_global,
            namespace_labels,
            cluster_by_namespace,
            empty: Labels::new(),
        }
    }

    /// Whether `Inventory::policies[index]` counts.
    pub fn includes_network(&self, index: usize) -> bool {
        self.subjects.includes(index)
    }

    /// The NetworkPolicies' subjects: which policies select which pods (points 1-3).
    pub fn subjects(&self) -> &NetworkSubjects {
        &self.subjects
    }

    /// Whether `Inventory::cluster_policies[index]` counts.
    pub fn includes_cluster(&self, index: usize) -> bool {
        self.cluster_position
            .get(index)
            .is_some_and(Option::is_some)
    }

    /// Whether any cluster-scoped policy counts: without one, the NetworkPolicy layer alone
    /// decides and the fast paths apply.
    pub fn has_tiers(&self) -> bool {
        !self.cluster.is_empty()
    }

    /// Whether any Cilium rule counts, or the agents' mode isolates every pod: the
    /// NetworkPolicy layer then holds more than NetworkPolicies.
    pub fn has_cilium(&self) -> bool {
        !self.cilium.is_empty() || self.cilium_mode == CiliumMode::Always
    }

    /// Whether connections must be walked through layers (cluster-scoped tiers, Cilium or
    /// Calico policies) rather than read from NetworkPolicies alone.
    pub fn has_layers(&self) -> bool {
        self.has_tiers() || self.has_cilium() || self.has_calico()
    }

    /// Whether any Calico policy counts: the walk then goes through Calico's tiers, with
    /// Kubernetes NetworkPolicies in the `default` tier (point 21).
    pub fn has_calico(&self) -> bool {
        !self.calico.is_empty()
    }

    /// Calico's tiers in evaluation order (empty without Calico policies).
    pub fn calico_tiers(&self) -> &[TierCompiled] {
        &self.calico_tiers
    }

    /// The counted Calico policies, in evaluation order.
    pub fn calico(&self) -> &[CalicoCompiled] {
        &self.calico
    }

    /// The compiled Calico policy of `Inventory::calico_policies[index]`.
    pub fn calico_policy(&self, index: usize) -> Option<&CalicoCompiled> {
        self.calico_position
            .get(index)
            .copied()
            .flatten()
            .map(|p| &self.calico[p])
    }

    /// Whether `Inventory::calico_policies[index]` counts.
    pub fn includes_calico(&self, index: usize) -> bool {
        self.calico_policy(index).is_some()
    }

    /// The Calico policies (positions in [`PolicySet::calico`]) selecting the pod that take
    /// part in `direction`, in evaluation order. hostNetwork pods are never selected.
    pub fn calico_subjects(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
        direction: Direction,
    ) -> Vec<usize> {
        let mut out = self.calico_selecting(namespace, labels, service_account);
        out.retain(|&i| self.calico[i].applies(direction));
        out
    }

    /// [`calico_subjects`](Self::calico_subjects) for ingress and egress: the selectors are
    /// evaluated once for both (twice, once per direction, was most of Calico's verdicts).
    pub fn calico_subjects_both(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
    ) -> [Vec<usize>; 2] {
        let all = self.calico_selecting(namespace, labels, service_account);
        Direction::BOTH.map(|d| {
            (all.iter().copied())
                .filter(|&i| self.calico[i].applies(d))
                .collect()
        })
    }

    /// The Calico policies selecting the pod, whatever their directions, in evaluation order.
    fn calico_selecting(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
    ) -> Vec<usize> {
        if self.calico.is_empty() {
            return Vec::new();
        }
        let pod = super::traffic::PodRef {
            namespace,
            labels,
            namespace_labels: self.namespace_labels(namespace),
            ports: &[],
            service_account,
            node_network: false,
            anonymous: false,
        };
        // Calico's pseudo-labels (`calico_selector::pod_labels`), looked up beside the pod's.
        use super::calico_selector::{
            NAMESPACE_LABEL, ORCHESTRATOR_KUBERNETES, ORCHESTRATOR_LABEL, SERVICE_ACCOUNT_LABEL,
        };
        let pseudo = [
            (NAMESPACE_LABEL, namespace),
            (ORCHESTRATOR_LABEL, ORCHESTRATOR_KUBERNETES),
            (SERVICE_ACCOUNT_LABEL, service_account),
        ];
        let account = !service_account.is_empty() && service_account.len() < 63;
        let pseudo = &pseudo[..if account { 3 } else { 2 }];
        let mut out: Vec<usize> = self
            .calico_by_namespace
            .get(namespace)
            .map(|lookup| lookup.candidates_with(labels, pseudo))
            .unwrap_or_default();
        out.extend(self.calico_global.candidates_with(labels, pseudo));
        out.retain(|&i| self.calico[i].subject.matches(&pod));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The agents' enforcement mode (`default` when nothing says).
    pub fn cilium_mode(&self) -> CiliumMode {
        self.cilium_mode
    }

    /// The counted Cilium rules, in inventory order.
    pub fn cilium(&self) -> &[CiliumCompiled] {
        &self.cilium
    }

    /// Whether `Inventory::cilium_policies[index]` counts.
    pub fn includes_cilium(&self, index: usize) -> bool {
        self.cilium_position.get(index).is_some_and(Option::is_some)
    }

    /// The compiled rule of a Cilium policy's `spec`/`specs` entry.
    pub fn cilium_rule(&self, policy: usize, spec: usize) -> Option<&CiliumCompiled> {
        let first = self.cilium_position.get(policy).copied().flatten()?;
        self.cilium
            .get(first + spec)
            .filter(|c| c.index == policy && c.spec == spec)
    }

    /// The Cilium rules (positions in [`PolicySet::cilium`]) whose subject selects the pod and
    /// that take part in `direction`, in inventory order. hostNetwork pods are never
    /// endpoints; the caller leaves them out.
    pub fn cilium_subjects(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
        direction: Direction,
    ) -> Vec<usize> {
        let mut out = self.cilium_selecting(namespace, labels, service_account);
        out.retain(|&i| self.cilium[i].applies(direction));
        out
    }

    /// [`cilium_subjects`](Self::cilium_subjects) for ingress and egress: the selectors are
    /// evaluated once for both.
    pub fn cilium_subjects_both(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
    ) -> [Vec<usize>; 2] {
        let all = self.cilium_selecting(namespace, labels, service_account);
        Direction::BOTH.map(|d| {
            (all.iter().copied())
                .filter(|&i| self.cilium[i].applies(d))
                .collect()
        })
    }

    /// The Cilium rules selecting the pod, whatever their directions, in inventory order.
    fn cilium_selecting(
        &self,
        namespace: &str,
        labels: &Labels,
        service_account: &str,
    ) -> Vec<usize> {
        if self.cilium.is_empty() {
            return Vec::new();
        }
        let identity = Identity {
            labels,
            namespace_labels: self.namespace_labels(namespace),
            service_account,
        };
        let mut out: Vec<usize> = self
            .cilium_by_namespace
            .get(namespace)
            .map(|lookup| lookup.candidates(labels))
            .unwrap_or_default();
        out.extend(self.cilium_clusterwide.candidates(labels));
        out.retain(|&i| self.cilium[i].subject.matches(identity));
        out.sort_unstable();
        out
    }

    /// The counted cluster-scoped policies, in evaluation order.
    pub fn cluster(&self) -> &[ClusterCompiled] {
        &self.cluster
    }

    /// The compiled cluster-scoped policy of `Inventory::cluster_policies[index]`.
    pub fn cluster_policy(&self, index: usize) -> Option<&ClusterCompiled> {
        self.cluster_position
            .get(index)
            .copied()
            .flatten()
            .map(|p| &self.cluster[p])
    }

    /// The labels of a namespace (only its name label when the input does not list it).
    pub fn namespace_labels(&self, namespace: &str) -> &Labels {
        self.namespace_labels.get(namespace).unwrap_or(&self.empty)
    }

    /// The compiled rules of a policy for one direction (none when it does not count).
    pub fn rules(&self, policy: PolicyId, direction: Direction) -> &[CompiledRule] {
        match policy {
            PolicyId::Network(i) => self.network[i]
                .as_ref()
                .map_or(&[][..], |p| &p.rules[slot(direction)]),
            PolicyId::Cluster(i) => self
                .cluster_policy(i)
                .map_or(&[][..], |c| &c.rules[slot(direction)]),
            PolicyId::Cilium { policy, spec } => self
                .cilium_rule(policy as usize, spec as usize)
                .map_or(&[][..], |c| &c.rules[slot(direction)]),
            PolicyId::Calico(i) => self
                .calico_policy(i)
                .map_or(&[][..], |c| &c.rules[slot(direction)]),
        }
    }

    /// The namespace a rule's podSelector-only peers look in (NetworkPolicy); cluster-scoped
    /// rules have none.
    pub fn policy_namespace(&self, policy: PolicyId) -> &str {
        match policy {
            PolicyId::Network(i) => self.network[i].as_ref().map_or("", |p| &p.namespace),
            // Cilium peers carry their namespace in their compiled selectors.
            PolicyId::Cluster(_) | PolicyId::Cilium { .. } | PolicyId::Calico(_) => "",
        }
    }

    /// The cluster-scoped policies (positions in [`PolicySet::cluster`]) whose subject selects
    /// pods with `labels` in `namespace` and that have rules for `direction`, in evaluation
    /// order. hostNetwork pods are never subjects (point 13); the caller leaves them out.
    pub fn cluster_subjects(
        &self,
        namespace: &str,
        labels: &Labels,
        direction: Direction,
    ) -> Vec<usize> {
        let candidates = match self.cluster_by_namespace.get(namespace) {
            Some(c) => c.as_slice(),
            None => return Vec::new(),
        };
        candidates
            .iter()
            .copied()
            .filter(|&i| {
                let c = &self.cluster[i];
                !c.rules[slot(direction)].is_empty() && c.pods.matches(labels)
            })
            .collect()
    }

    /// [`cluster_subjects`](Self::cluster_subjects) for ingress and egress: each subject
    /// selector evaluated once for both.
    pub fn cluster_subjects_both(&self, namespace: &str, labels: &Labels) -> [Vec<usize>; 2] {
        let mut out = [Vec::new(), Vec::new()];
        let Some(candidates) = self.cluster_by_namespace.get(namespace) else {
            return out;
        };
        for &i in candidates {
            let c = &self.cluster[i];
            let wanted = Direction::BOTH.map(|d| !c.rules[slot(d)].is_empty());
            if wanted.iter().any(|&w| w) && c.pods.matches(labels) {
                for (list, wanted) in out.iter_mut().zip(wanted) {
                    if wanted {
                        list.push(i);
                    }
                }
            }
        }
        out
    }
}

/// Calico's tiers and counted policies, sorted for evaluation, and each inventory entry's
/// position. Without a counted policy, no tier is compiled: the cluster is then evaluated as
/// Kubernetes alone (the same verdicts, point 21 with NetworkPolicies only).
type CalicoParts = (
    Vec<TierCompiled>,
    Vec<CalicoCompiled>,
    Vec<Option<usize>>,
    HashMap<String, PolicyLookup>,
    PolicyLookup,
);

fn compile_calico(inventory: &Inventory, include: &(impl Fn(usize) -> bool + Sync)) -> CalicoParts {
    let mut position = vec![None; inventory.calico_policies.len()];
    if inventory.calico_policies.is_empty() {
        return Default::default();
    }
    let tiers = calico::compile_tiers(inventory);
    let mut compiled: Vec<CalicoCompiled> = inventory
        .calico_policies
        .par_iter()
        .enumerate()
        .filter(|(i, _)| include(*i))
        .filter_map(|(i, p)| calico::compile_policy(i, p, &tiers))
        .collect();
    if compiled.is_empty() {
        return (
            Vec::new(),
            Vec::new(),
            position,
            HashMap::default(),
            PolicyLookup::default(),
        );
    }
    // `policy_sorter.go`: by tier, then order (none last), then name.
    let key = |c: &CalicoCompiled| {
        let p = &inventory.calico_policies[c.index];
        (c.tier, c.order, p.namespace.as_deref(), p.name.as_str())
    };
    compiled.par_sort_by(|a, b| key(a).cmp(&key(b)));
    for (i, c) in compiled.iter().enumerate() {
        position[c.index] = Some(i);
    }
    let mut by_namespace: HashMap<String, PolicyLookup> = HashMap::default();
    let mut global = PolicyLookup::default();
    for (position, c) in compiled.iter().enumerate() {
        let lookup = match &c.subject.namespace {
            // Copied once per namespace, not once per policy.
            Some(ns) => {
                if !by_namespace.contains_key(ns) {
                    by_namespace.insert(ns.clone(), PolicyLookup::default());
                }
                by_namespace.get_mut(ns).expect("inserted above")
            }
            None => &mut global,
        };
        lookup.add_calico(position, &c.subject.selector);
    }
    (tiers, compiled, position, by_namespace, global)
}

fn compile_network(
    inventory: &Inventory,
    include: impl Fn(usize) -> bool + Sync,
) -> (NetworkSubjects, Vec<Option<NetworkCompiled>>) {
    // Which policies count, on every core: `include` validates each.
    let included: Vec<bool> = (0..inventory.policies.len())
        .into_par_iter()
        .map(&include)
        .collect();
    let subjects = NetworkSubjects::compile(inventory, |i| included[i]);
    // 20,000 policies' rules compiled on every core.
    let network = inventory
        .policies
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            subjects.includes(i).then(|| NetworkCompiled {
                namespace: p.namespace.clone(),
                rules: Direction::BOTH
                    .map(|d| p.rules(d).iter().map(CompiledRule::compile).collect()),
            })
        })
        .collect();
    (subjects, network)
}

type CiliumParts = (
    Vec<CiliumCompiled>,
    Vec<Option<usize>>,
    HashMap<String, PolicyLookup>,
    PolicyLookup,
);

fn compile_cilium_all(
    inventory: &Inventory,
    include: impl Fn(usize) -> bool + Sync,
) -> CiliumParts {
    let per_policy: Vec<Vec<CiliumCompiled>> = (inventory.cilium_policies.par_iter())
        .enumerate()
        .map(|(i, policy)| {
            let mut out = Vec::new();
            if include(i) {
                compile_cilium(i, policy, &mut out);
            }
            out
        })
        .collect();
    let mut cilium = Vec::with_capacity(per_policy.iter().map(Vec::len).sum());
    let mut cilium_position = vec![None; inventory.cilium_policies.len()];
    for (i, compiled) in per_policy.into_iter().enumerate() {
        if !compiled.is_empty() {
            cilium_position[i] = Some(cilium.len());
        }
        cilium.extend(compiled);
    }
    // Indexed by their subjects' pod labels: with 20,000 rules over 100,000 workloads,
    // each workload tries the few its labels can match, not every rule of its namespace.
    let mut by_namespace: HashMap<String, PolicyLookup> = HashMap::default();
    let mut clusterwide = PolicyLookup::default();
    for (position, c) in cilium.iter().enumerate() {
        let lookup = match &c.namespace {
            Some(ns) => by_namespace.entry(ns.clone()).or_default(),
            None => &mut clusterwide,
        };
        lookup.add(position, c.subject.pods());
    }
    (cilium, cilium_position, by_namespace, clusterwide)
}

fn compile_cluster_all(
    inventory: &Inventory,
    include: &(impl Fn(usize) -> bool + Sync),
) -> (Vec<ClusterCompiled>, Vec<Option<usize>>) {
    let mut cluster: Vec<ClusterCompiled> = inventory
        .cluster_policies
        .iter()
        .enumerate()
        .filter(|(i, _)| include(*i))
        .filter_map(|(i, p)| compile_cluster(i, p))
        .collect();
    // Same-priority policies keep a stable order (by name) here; point 16's ambiguity is
    // looked for separately.
    cluster.sort_by(|a, b| {
        (a.layer, a.rank, &inventory.cluster_policies[a.index].name).cmp(&(
            b.layer,
            b.rank,
            &inventory.cluster_policies[b.index].name,
        ))
    });
    let mut cluster_position = vec![None; inventory.cluster_policies.len()];
    for (position, c) in cluster.iter().enumerate() {
        cluster_position[c.index] = Some(position);
    }
    (cluster, cluster_position)
}

/// Every namespace's labels, with its name label; namespaces only seen on objects carry just
/// their name label (point 6).
fn namespace_labels(inventory: &Inventory) -> HashMap<String, Labels> {
    let mut namespace_labels: HashMap<String, Labels> = inventory
        .namespaces
        .iter()
        .map(|n| {
            let mut labels = n.labels.clone();
            if !labels.contains_key(NAMESPACE_NAME_LABEL) {
                labels.insert(NAMESPACE_NAME_LABEL.to_owned(), n.name.clone());
            }
            (n.name.clone(), labels)
        })
        .collect();
    for ns in inventory.object_namespaces() {
        if !namespace_labels.contains_key(ns) {
            namespace_labels.insert(ns.to_owned(), Namespace::implicit(ns).labels);
        }
    }
    namespace_labels
}
