//! The inventory: the compact, source-independent picture of a cluster that every mode builds
//! (manifests, Helm post-render, live cluster) and the semantics core reads.
//!
//! It keeps only what NetworkPolicy semantics and the report need, never raw objects, so that
//! 100,000 workloads fit in a few tens of megabytes.

use std::collections::BTreeMap;
use std::sync::Arc;

mod calico_policy;
mod cilium_policy;
mod cluster_policy;
mod labels;

pub use calico_policy::{
    CalicoEntity, CalicoPolicy, CalicoPolicyKind, CalicoRule, CalicoServiceAccounts, CalicoText,
    CalicoTier, CALICO_API_VERSIONS, KUBERNETES_POLICY_ORDER, TIER_DEFAULT, TIER_DEFAULT_ORDER,
    TIER_KIND, TIER_KUBE_ADMIN, TIER_KUBE_ADMIN_ORDER, TIER_KUBE_BASELINE,
    TIER_KUBE_BASELINE_ORDER,
};
pub use cilium_policy::{
    CiliumCidrRule, CiliumMode, CiliumPeerRule, CiliumPolicy, CiliumPolicyKind, CiliumPort,
    CiliumPortRule, CiliumRule,
};
pub use cluster_policy::{
    ClusterPeer, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule, NamespacedPods, Tier,
};
pub use labels::Labels;

/// The label every namespace carries (SEMANTICS.md point 6).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Where an object came from, for findings and error messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: Option<Arc<str>>,
    /// 1-based line of the object's first line in `file`.
    pub line: Option<u32>,
}

/// Findings suppressed by the `netpol-check.io/ignore` annotation of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppression {
    /// Rule ids or names, upper- or lower-case as written; `all` suppresses everything.
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

impl Suppression {
    pub const ANNOTATION: &'static str = "netpol-check.io/ignore";
    pub const REASON_ANNOTATION: &'static str = "netpol-check.io/ignore-reason";

    pub fn from_annotations(ignore: Option<&str>, reason: Option<&str>) -> Self {
        let rules = ignore
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Suppression {
            rules,
            reason: reason.map(str::to_owned),
        }
    }

    /// Whether this suppression covers a rule, given by its id (`NPC001`) and name.
    pub fn covers(&self, id: &str, name: &str) -> bool {
        self.rules.iter().any(|r| {
            r.eq_ignore_ascii_case("all")
                || r.eq_ignore_ascii_case(id)
                || r.eq_ignore_ascii_case(name)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    /// Always includes `kubernetes.io/metadata.name`.
    pub labels: Labels,
    pub suppression: Suppression,
    pub origin: Origin,
}

impl Namespace {
    /// A namespace known only by name (from objects in it): it carries the one label the API
    /// server always sets, and nothing else.
    pub fn implicit(name: &str) -> Self {
        let mut labels = Labels::new();
        labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
        Namespace {
            name: name.to_owned(),
            labels,
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }
}

/// The kinds of object that produce pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 8] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::ReplicationController,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        WorkloadKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// Whether `group` (`""` for the core group) is an API group that serves this kind.
    /// `extensions` and the beta versions of `apps` served the controllers before `apps/v1`.
    pub fn served_by(self, group: &str) -> bool {
        match self {
            WorkloadKind::Pod | WorkloadKind::ReplicationController => group.is_empty(),
            WorkloadKind::StatefulSet => group == "apps",
            WorkloadKind::Deployment | WorkloadKind::DaemonSet | WorkloadKind::ReplicaSet => {
                group == "apps" || group == "extensions"
            }
            WorkloadKind::Job | WorkloadKind::CronJob => group == "batch",
        }
    }
}

/// The API group of an `apiVersion`: `apps/v1` -> `apps`, `v1` -> `""` (the core group).
pub fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// Policy kinds of other APIs that this version recognises but does not evaluate, as
/// `(group, kind, cluster-scoped)`. The `policy.networking.k8s.io` kinds are read in the
/// versions [`ClusterPolicyKind::versions`] names; only their other versions land here. Their objects are counted and named, never read as another
/// kind: an Antrea `NetworkPolicy` is not a Kubernetes one. Live clusters are asked for the
/// same list (`source::cluster`), in the version each group prefers.
pub const IGNORED_POLICY_KINDS: &[(&str, &str, bool)] = &[
    ("policy.networking.k8s.io", "AdminNetworkPolicy", true),
    (
        "policy.networking.k8s.io",
        "BaselineAdminNetworkPolicy",
        true,
    ),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy", true),
    // Antrea's own policies (antrea-io/antrea, build/charts/antrea/crds/networkpolicy.yaml and
    // clusternetworkpolicy.yaml): the kind names collide with Kubernetes' and the
    // network-policy-api's, the group tells them apart.
    ("crd.antrea.io", "NetworkPolicy", false),
    ("crd.antrea.io", "ClusterNetworkPolicy", true),
    // Policies of secondary (Multus) networks, k8snetworkplumbingwg/multi-networkpolicy.
    ("k8s.cni.cncf.io", "MultiNetworkPolicy", false),
    // OVN-Kubernetes' per-namespace egress rules (ovn-org/ovn-kubernetes,
    // egressfirewalls.k8s.ovn.org) and their OpenShift SDN predecessor (openshift/api,
    // egressnetworkpolicies.network.openshift.io).
    ("k8s.ovn.org", "EgressFirewall", false),
    ("network.openshift.io", "EgressNetworkPolicy", false),
    // GKE Dataplane V2's egress policy by domain name (GKE's "FQDN network policies" guide).
    ("networking.gke.io", "FQDNNetworkPolicy", false),
];

/// Whether `(group, kind)` is among [`IGNORED_POLICY_KINDS`]; `Some(cluster_scoped)` if so.
pub fn ignored_policy_kind(group: &str, kind: &str) -> Option<bool> {
    IGNORED_POLICY_KINDS
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map(|(_, _, cluster)| *cluster)
}

/// An object of a policy kind this version does not evaluate (see [`IGNORED_POLICY_KINDS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredPolicy {
    pub api_version: String,
    pub kind: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    pub name: String,
    pub origin: Origin,
}

impl IgnoredPolicy {
    /// How reports count it: `crd.antrea.io/v1beta1 NetworkPolicy`.
    pub fn kind_key(&self) -> String {
        format!("{} {}", self.api_version, self.kind)
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// A container port, kept for named-port resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: i64,
    /// As written; `None` means TCP.
    pub protocol: Option<String>,
}

/// Something that produces pods: a Pod, or the top-level controller its pods are folded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// The distinct label sets of its pods: the pod template's labels, plus those of pods folded
    /// into it that differ (a rollout in progress). Never empty.
    pub label_sets: Vec<Labels>,
    /// Pods counted (cluster) or declared/folded (manifests).
    pub pods: u32,
    pub host_network: bool,
    pub ports: Vec<ContainerPort>,
    /// `serviceAccountName` as written; `None` is Kubernetes' default, `default`.
    pub service_account: Option<String>,
    pub suppression: Suppression,
    pub origin: Origin,
}

impl Workload {
    /// The service account its pods run as (Cilium and Calico selectors can name it).
    pub fn service_account(&self) -> &str {
        self.service_account.as_deref().unwrap_or("default")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    pub fn lower(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// `metav1.LabelSelector` as written. Hashable so that checks can remember what a selector
/// matched: real policy sets repeat the same few selectors many times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// `{}`: selects everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: String,
    /// As written: `In`, `NotIn`, `Exists`, `DoesNotExist`, or anything the API server refuses.
    pub operator: String,
    pub values: Vec<String>,
}

/// A port or port range as written; `port` is an integer or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortValue {
    Number(i64),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPort {
    /// As written; `None` means TCP.
    pub protocol: Option<String>,
    pub port: Option<PortValue>,
    pub end_port: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub cidr: String,
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    pub pod_selector: Option<LabelSelector>,
    pub namespace_selector: Option<LabelSelector>,
    pub ip_block: Option<IpBlock>,
}

/// One ingress or egress rule. `peers` is `from` or `to`; an absent and an empty list mean the
/// same (every peer), as do absent and empty `ports` (every port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub peers: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub namespace: String,
    pub name: String,
    pub pod_selector: LabelSelector,
    /// `spec.policyTypes` as written (`None` when the field is absent).
    pub policy_types: Option<Vec<String>>,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    pub suppression: Suppression,
    pub origin: Origin,
}

impl NetworkPolicy {
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// Everything a run looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Namespaces listed explicitly (Namespace objects, or a cluster's namespace list).
    pub namespaces: Vec<Namespace>,
    pub workloads: Vec<Workload>,
    pub policies: Vec<NetworkPolicy>,
    /// ClusterNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy objects.
    pub cluster_policies: Vec<ClusterPolicy>,
    /// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy objects.
    pub cilium_policies: Vec<CiliumPolicy>,
    /// The Cilium agents' policy enforcement mode: read from ConfigMap `cilium-config` on live
    /// clusters, `--cilium-policy-mode` for manifests; `None` when nothing says (manifests
    /// then assume `default`).
    pub cilium_mode: Option<CiliumMode>,
    /// Calico's NetworkPolicy, GlobalNetworkPolicy and their staged forms (both API groups).
    pub calico_policies: Vec<CalicoPolicy>,
    /// Calico `Tier` objects read from the input or the cluster (the built-in tiers are added
    /// by the semantics when absent).
    pub calico_tiers: Vec<CalicoTier>,
    /// Objects of kinds this tool does not analyse, counted by kind.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Objects of other policy APIs, which this version does not evaluate.
    pub ignored_policies: Vec<IgnoredPolicy>,
    /// Pods folded into a workload, by `(namespace, pod name)`: the workload's kind and name,
    /// so that `reach pod/web-7d4f9-x2x ...` finds the Deployment it belongs to.
    pub pod_owners: BTreeMap<(String, String), (WorkloadKind, String)>,
}

impl Inventory {
    /// The namespace of every namespaced object (workloads and policies of each kind), in
    /// list order, repeated: namespaces are also named by the objects in them, not only by
    /// their own objects.
    pub fn object_namespaces(&self) -> impl Iterator<Item = &str> {
        (self.workloads.iter().map(|w| w.namespace.as_str()))
            .chain(self.policies.iter().map(|p| p.namespace.as_str()))
            .chain((self.cilium_policies.iter()).filter_map(|p| p.namespace.as_deref()))
            .chain((self.calico_policies.iter()).filter_map(|p| p.namespace.as_deref()))
    }

    /// The objects of [`Inventory::ignored_policies`], counted by [`IgnoredPolicy::kind_key`].
    pub fn ignored_policy_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for p in &self.ignored_policies {
            *counts.entry(p.kind_key()).or_default() += 1;
        }
        counts
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Small objects for unit tests across the crate.
    use super::*;

    pub fn workload(ns: &str, name: &str, labels: &[(&str, &str)]) -> Workload {
        Workload {
            kind: WorkloadKind::Deployment,
            namespace: ns.into(),
            name: name.into(),
            label_sets: vec![labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()],
            pods: 1,
            host_network: false,
            ports: vec![],
            service_account: None,
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }

    pub fn policy(
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        types: Option<&[&str]>,
        ingress_rules: usize,
        egress_rules: usize,
    ) -> NetworkPolicy {
        NetworkPolicy {
            namespace: ns.into(),
            name: name.into(),
            pod_selector: LabelSelector {
                match_labels: selector
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                match_expressions: vec![],
            },
            policy_types: types.map(|t| t.iter().map(|s| s.to_string()).collect()),
            ingress: vec![Rule::default(); ingress_rules],
            egress: vec![Rule::default(); egress_rules],
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }
}
