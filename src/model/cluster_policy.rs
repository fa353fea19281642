//! The cluster-scoped policy tiers of Kubernetes' network-policy-api, as written:
//! `ClusterNetworkPolicy` (policy.networking.k8s.io v1beta1 and v1alpha2, `spec.tier` Admin or
//! Baseline), `AdminNetworkPolicy` and `BaselineAdminNetworkPolicy` (v1alpha1).
//!
//! Fields are kept as written (actions, tiers and protocols as strings, numbers unchecked) so
//! that validation can report what a CRD would refuse; the semantics core compiles them.
//! Source: kubernetes-sigs/network-policy-api `apis/v1alpha2/clusternetworkpolicy_types.go`,
//! `apis/v1alpha1/adminnetworkpolicy_types.go`, `baselineadminnetworkpolicy_types.go`,
//! `shared_types.go`.

use super::{Direction, LabelSelector, Origin, Suppression};

/// Which of the three kinds an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterPolicyKind {
    ClusterNetworkPolicy,
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
}

impl ClusterPolicyKind {
    pub const ALL: [ClusterPolicyKind; 3] = [
        ClusterPolicyKind::ClusterNetworkPolicy,
        ClusterPolicyKind::AdminNetworkPolicy,
        ClusterPolicyKind::BaselineAdminNetworkPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            ClusterPolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            ClusterPolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The API versions of `policy.networking.k8s.io` this version reads the kind in; other
    /// versions stay among the ignored policy kinds.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => &["v1beta1", "v1alpha2"],
            _ => &["v1alpha1"],
        }
    }

    /// Whether `api_version` (`policy.networking.k8s.io/v1alpha2`) is one this version reads.
    pub fn reads(self, api_version: &str) -> bool {
        api_version
            .strip_prefix("policy.networking.k8s.io/")
            .is_some_and(|v| self.versions().contains(&v))
    }

    /// The resource's plural, for list requests.
    pub fn plural(self) -> &'static str {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => "clusternetworkpolicies",
            ClusterPolicyKind::AdminNetworkPolicy => "adminnetworkpolicies",
            ClusterPolicyKind::BaselineAdminNetworkPolicy => "baselineadminnetworkpolicies",
        }
    }

    /// The v1alpha1 kinds say `Allow` where ClusterNetworkPolicy says `Accept`.
    pub fn allow_word(self) -> &'static str {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => "Accept",
            _ => "Allow",
        }
    }

    /// The most rules one direction may hold (the CRDs' MaxItems).
    pub fn max_rules(self) -> usize {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => 25,
            _ => 100,
        }
    }
}

impl std::fmt::Display for ClusterPolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two cluster-scoped tiers, around the NetworkPolicy tier (SEMANTICS.md point 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Admin,
    Baseline,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::Baseline => "Baseline",
        }
    }
}

/// One object of the three kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPolicy {
    pub kind: ClusterPolicyKind,
    pub api_version: String,
    pub name: String,
    /// `spec.tier` as written (ClusterNetworkPolicy only; the other kinds have a fixed tier).
    pub tier: Option<String>,
    /// `spec.priority` as written (none for BaselineAdminNetworkPolicy).
    pub priority: Option<i64>,
    pub subject: ClusterPeer,
    pub ingress: Vec<ClusterRule>,
    pub egress: Vec<ClusterRule>,
    pub suppression: Suppression,
    pub origin: Origin,
}

impl ClusterPolicy {
    /// The tier the policy sits in; `None` when `spec.tier` is missing or unknown (the CRD
    /// refuses such an object).
    pub fn tier(&self) -> Option<Tier> {
        match self.kind {
            ClusterPolicyKind::AdminNetworkPolicy => Some(Tier::Admin),
            ClusterPolicyKind::BaselineAdminNetworkPolicy => Some(Tier::Baseline),
            ClusterPolicyKind::ClusterNetworkPolicy => match self.tier.as_deref() {
                Some("Admin") => Some(Tier::Admin),
                Some("Baseline") => Some(Tier::Baseline),
                _ => None,
            },
        }
    }

    pub fn rules(&self, direction: Direction) -> &[ClusterRule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// The CIDRs of the `networks` peers of one direction's rules, those that parse.
    pub fn networks(&self, direction: Direction) -> impl Iterator<Item = ipnet::IpNet> + '_ {
        self.rules(direction)
            .iter()
            .flat_map(|r| &r.peers)
            .filter_map(|p| p.networks.as_ref())
            .flatten()
            .filter_map(|n| n.parse().ok())
    }
}

/// A subject or a peer: the CRDs require exactly one field; every field is kept so that
/// validation can say which are set, and a peer with none this version knows fails closed
/// (SEMANTICS.md point 15).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterPeer {
    /// Every pod of the matching namespaces.
    pub namespaces: Option<LabelSelector>,
    /// Pods matching `pod_selector` in namespaces matching `namespace_selector`.
    pub pods: Option<NamespacedPods>,
    /// Egress only: the addresses of the matching nodes.
    pub nodes: Option<LabelSelector>,
    /// Egress only: CIDRs as written.
    pub networks: Option<Vec<String>>,
    /// Egress only (v1alpha2+, v1alpha1 ANP): DNS names as written.
    pub domain_names: Option<Vec<String>>,
    /// Field names this version does not know (a newer CRD), sorted.
    pub unknown: Vec<String>,
}

impl ClusterPeer {
    /// The names of the known fields that are set, in API order.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.namespaces.is_some() {
            out.push("namespaces");
        }
        if self.pods.is_some() {
            out.push("pods");
        }
        if self.nodes.is_some() {
            out.push("nodes");
        }
        if self.networks.is_some() {
            out.push("networks");
        }
        if self.domain_names.is_some() {
            out.push("domainNames");
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespacedPods {
    /// `{}` (or absent) selects every namespace.
    pub namespace_selector: LabelSelector,
    pub pod_selector: LabelSelector,
}

/// One ingress or egress rule, in written order (the order decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterRule {
    pub name: Option<String>,
    /// As written: `Accept` (ClusterNetworkPolicy), `Allow` (v1alpha1), `Deny`, `Pass`.
    pub action: String,
    /// `from` or `to`.
    pub peers: Vec<ClusterPeer>,
    /// `protocols` (v1alpha2+) or `ports` (v1alpha1); `None` when absent: every port.
    pub ports: Option<Vec<ClusterPort>>,
}

/// A port match of either API version, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterPort {
    /// v1alpha2 `{tcp: {destinationPort: {number}}}`, v1alpha1 `{portNumber: {protocol, port}}`.
    Number { protocol: String, port: i64 },
    /// v1alpha2 `{tcp: {destinationPort: {range: {start, end}}}}`, v1alpha1 `{portRange}`.
    Range {
        protocol: String,
        start: i64,
        end: i64,
    },
    /// `destinationNamedPort` / `namedPort`: resolved on the destination pod.
    Named(String),
    /// An entry the CRD refuses (no field, or several): the words say what is wrong.
    Invalid(String),
}
