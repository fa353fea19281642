//! Calico's own policies, as written: `NetworkPolicy` (namespaced) and `GlobalNetworkPolicy`
//! of projectcalico.org/v3 (and crd.projectcalico.org/v1, how a cluster without Calico's API
//! server stores them), their `Staged*` forms, and `Tier`.
//!
//! Calico's namespaced kind is also called `NetworkPolicy`: objects are told apart from
//! Kubernetes' by their API group, never by kind alone (SEMANTICS.md, Calico).
//!
//! Fields are kept as written (selectors as text, ports and protocols as strings, order as a
//! float) so that validation can report what Calico refuses and the semantics core decides
//! what they mean. Source: projectcalico/api `pkg/apis/projectcalico/v3` (`networkpolicy.go`,
//! `globalnetworkpolicy.go`, `stagednetworkpolicy.go`, `stagedglobalnetworkpolicy.go`,
//! `stagedkubernetesnetworkpolicy.go`, `tier.go`, `policy_common.go`: Rule, EntityRule,
//! ServiceAccountMatch, ServiceMatch; `pkg/lib/numorstring`: Port, Protocol).

use std::sync::OnceLock;

use super::{Origin, Suppression};
use crate::semantics::calico_selector::{CalicoSelector, SelectorError};

/// Which kind an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CalicoPolicyKind {
    NetworkPolicy,
    GlobalNetworkPolicy,
    StagedNetworkPolicy,
    StagedGlobalNetworkPolicy,
    /// A staged Kubernetes NetworkPolicy: its spec is a Kubernetes NetworkPolicy's, read into
    /// [`CalicoPolicy::staged_kubernetes`].
    StagedKubernetesNetworkPolicy,
}

impl CalicoPolicyKind {
    pub const ALL: [CalicoPolicyKind; 5] = [
        CalicoPolicyKind::NetworkPolicy,
        CalicoPolicyKind::GlobalNetworkPolicy,
        CalicoPolicyKind::StagedNetworkPolicy,
        CalicoPolicyKind::StagedGlobalNetworkPolicy,
        CalicoPolicyKind::StagedKubernetesNetworkPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalicoPolicyKind::NetworkPolicy => "NetworkPolicy",
            CalicoPolicyKind::GlobalNetworkPolicy => "GlobalNetworkPolicy",
            CalicoPolicyKind::StagedNetworkPolicy => "StagedNetworkPolicy",
            CalicoPolicyKind::StagedGlobalNetworkPolicy => "StagedGlobalNetworkPolicy",
            CalicoPolicyKind::StagedKubernetesNetworkPolicy => "StagedKubernetesNetworkPolicy",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The kind with Calico's group, `projectcalico.org/NetworkPolicy`, whichever group the
    /// object came from: how reports count them and name them in findings, apart from
    /// Kubernetes' `NetworkPolicy`.
    pub fn qualified(self) -> &'static str {
        match self {
            CalicoPolicyKind::NetworkPolicy => "projectcalico.org/NetworkPolicy",
            CalicoPolicyKind::GlobalNetworkPolicy => "projectcalico.org/GlobalNetworkPolicy",
            CalicoPolicyKind::StagedNetworkPolicy => "projectcalico.org/StagedNetworkPolicy",
            CalicoPolicyKind::StagedGlobalNetworkPolicy => {
                "projectcalico.org/StagedGlobalNetworkPolicy"
            }
            CalicoPolicyKind::StagedKubernetesNetworkPolicy => {
                "projectcalico.org/StagedKubernetesNetworkPolicy"
            }
        }
    }

    /// The resource's plural, for list requests.
    pub fn plural(self) -> &'static str {
        match self {
            CalicoPolicyKind::NetworkPolicy => "networkpolicies",
            CalicoPolicyKind::GlobalNetworkPolicy => "globalnetworkpolicies",
            CalicoPolicyKind::StagedNetworkPolicy => "stagednetworkpolicies",
            CalicoPolicyKind::StagedGlobalNetworkPolicy => "stagedglobalnetworkpolicies",
            CalicoPolicyKind::StagedKubernetesNetworkPolicy => "stagedkubernetesnetworkpolicies",
        }
    }

    /// How reports and messages name the kind: Calico's `NetworkPolicy` is
    /// `projectcalico.org/NetworkPolicy` (as kubectl tells `networkpolicies.projectcalico.org`
    /// apart), so that it is never taken for Kubernetes'; the other names are Calico's alone.
    pub fn label(self) -> &'static str {
        match self {
            CalicoPolicyKind::NetworkPolicy => "projectcalico.org/NetworkPolicy",
            other => other.as_str(),
        }
    }

    pub fn cluster_scoped(self) -> bool {
        matches!(
            self,
            CalicoPolicyKind::GlobalNetworkPolicy | CalicoPolicyKind::StagedGlobalNetworkPolicy
        )
    }

    /// Staged policies never enforce and never count as protection.
    pub fn staged(self) -> bool {
        matches!(
            self,
            CalicoPolicyKind::StagedNetworkPolicy
                | CalicoPolicyKind::StagedGlobalNetworkPolicy
                | CalicoPolicyKind::StagedKubernetesNetworkPolicy
        )
    }
}

impl std::fmt::Display for CalicoPolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two API groups Calico's kinds are read from.
pub const CALICO_API_VERSIONS: [&str; 2] = ["projectcalico.org/v3", "crd.projectcalico.org/v1"];

/// Calico's built-in tiers (projectcalico/api `tier.go`: `AdminNetworkPolicyTierOrder`,
/// `DefaultTierOrder`, `BaselineAdminNetworkPolicyTierOrder`; SEMANTICS.md point 21).
pub const TIER_DEFAULT: &str = "default";
pub const TIER_KUBE_ADMIN: &str = "kube-admin";
pub const TIER_KUBE_BASELINE: &str = "kube-baseline";
pub const TIER_KUBE_ADMIN_ORDER: f64 = 1_000.0;
pub const TIER_DEFAULT_ORDER: f64 = 1_000_000.0;
pub const TIER_KUBE_BASELINE_ORDER: f64 = 10_000_000.0;
/// The order Calico gives Kubernetes NetworkPolicies in the `default` tier.
pub const KUBERNETES_POLICY_ORDER: f64 = 1_000.0;

/// One Calico policy object (enforced or staged).
#[derive(Debug, Clone, PartialEq)]
pub struct CalicoPolicy {
    pub kind: CalicoPolicyKind,
    /// As written: `projectcalico.org/v3` or `crd.projectcalico.org/v1`.
    pub api_version: String,
    /// `None` for the global kinds.
    pub namespace: Option<String>,
    /// The name without the tier prefix that crd.projectcalico.org/v1 objects may carry
    /// (`security.allow-dns` in tier `security` is `allow-dns`).
    pub name: String,
    /// `spec.tier`, `default` when absent.
    pub tier: String,
    /// `spec.order`; `None` is after every ordered policy of the tier.
    pub order: Option<f64>,
    /// `spec.selector` as written; `None` when absent (`all()`).
    pub selector: Option<CalicoText>,
    /// `spec.namespaceSelector` (global kinds only).
    pub namespace_selector: Option<CalicoText>,
    /// `spec.serviceAccountSelector`.
    pub service_account_selector: Option<CalicoText>,
    /// `spec.types` as written; `None` when absent (defaulted from the rules, point 20).
    pub types: Option<Vec<String>>,
    pub ingress: Vec<CalicoRule>,
    pub egress: Vec<CalicoRule>,
    /// GlobalNetworkPolicy `doNotTrack` or `preDNAT`: such policies apply to host endpoints
    /// only, outside what this tool evaluates (said, not evaluated). `applyOnForward` alone
    /// does not make a policy host-only.
    pub host_only: bool,
    /// Staged kinds: `spec.stagedAction` as written (`Set` when absent).
    pub staged_action: Option<String>,
    /// StagedKubernetesNetworkPolicy: the Kubernetes NetworkPolicy it would become.
    pub staged_kubernetes: Option<Box<super::NetworkPolicy>>,
    pub suppression: Suppression,
    pub origin: Origin,
}

// `order` is a float; the API refuses NaN, so equality is total on what is read.
impl Eq for CalicoPolicy {}
impl Eq for CalicoTier {}

impl CalicoPolicy {
    /// The rules of a direction, in written order.
    pub fn rules(&self, direction: super::Direction) -> &[CalicoRule] {
        match direction {
            super::Direction::Ingress => &self.ingress,
            super::Direction::Egress => &self.egress,
        }
    }

    /// `namespace/name` or `name`.
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A selector (or other string) as written, with where its value starts, so that a parse
/// error can point at the column inside it.
///
/// The selector's parse is kept once worked out: the reader (deciding whether the fast path
/// holds), validation and compilation all need it, and 20,000 policies hold some 60,000
/// selectors. Equality is the written text's and position's alone.
#[derive(Clone, Default)]
pub struct CalicoText {
    pub text: String,
    /// 1-based line and column of the value's first character in the file, when known.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The error boxed: most selectors parse, and rules hold several texts.
    parsed: OnceLock<Result<CalicoSelector, Box<SelectorError>>>,
}

impl CalicoText {
    pub fn new(text: impl Into<String>) -> Self {
        Self::located(text, None, None)
    }

    /// A value whose start in the file is known.
    pub fn located(text: impl Into<String>, line: Option<u32>, column: Option<u32>) -> Self {
        CalicoText {
            text: text.into(),
            line,
            column,
            parsed: OnceLock::new(),
        }
    }

    /// The text parsed as a Calico selector (`text` is never changed once parsed: every
    /// caller builds a new value instead).
    pub fn selector(&self) -> Result<&CalicoSelector, &SelectorError> {
        self.parsed
            .get_or_init(|| CalicoSelector::parse(&self.text).map_err(Box::new))
            .as_ref()
            .map_err(|e| &**e)
    }
}

impl PartialEq for CalicoText {
    fn eq(&self, other: &Self) -> bool {
        (&self.text, self.line, self.column) == (&other.text, other.line, other.column)
    }
}

impl Eq for CalicoText {}

impl std::fmt::Debug for CalicoText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalicoText")
            .field("text", &self.text)
            .field("line", &self.line)
            .field("column", &self.column)
            .finish()
    }
}

/// One rule of `ingress` or `egress`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalicoRule {
    /// `Allow`, `Deny`, `Pass` or `Log` as written.
    pub action: String,
    /// `ipVersion`: 4 or 6.
    pub ip_version: Option<i64>,
    /// `protocol` / `notProtocol` as written: a name (`TCP`, `UDP`, `ICMP`, `SCTP`, `UDPLite`,
    /// `ICMPv6`) or a number.
    pub protocol: Option<String>,
    pub not_protocol: Option<String>,
    /// `icmp` / `notICMP` is set.
    pub icmp: bool,
    pub source: CalicoEntity,
    pub destination: CalicoEntity,
    /// `http` is set: requests are narrowed (with an application layer policy), not the
    /// connection.
    pub http: bool,
    /// 1-based line of the rule's first line in the object's file, when known.
    pub line: Option<u32>,
}

/// `source` or `destination` of a rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalicoEntity {
    pub nets: Vec<String>,
    pub not_nets: Vec<String>,
    pub selector: Option<CalicoText>,
    pub not_selector: Option<CalicoText>,
    pub namespace_selector: Option<CalicoText>,
    /// `serviceAccounts`.
    pub service_accounts: Option<CalicoServiceAccounts>,
    /// `services`: `(namespace, name)` as written (either may be empty).
    pub services: Option<(String, String)>,
    /// `ports` / `notPorts`, each as written: `80`, `"8000:8080"`, a port name.
    pub ports: Vec<String>,
    pub not_ports: Vec<String>,
}

impl CalicoEntity {
    /// Whether nothing is set: the entity matches everything.
    pub fn is_empty(&self) -> bool {
        *self == CalicoEntity::default()
    }
}

/// `serviceAccounts: {names, selector}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalicoServiceAccounts {
    pub names: Vec<String>,
    pub selector: Option<CalicoText>,
}

/// How findings name a `Tier`.
pub const TIER_KIND: &str = "projectcalico.org/Tier";

/// One `Tier` object.
#[derive(Debug, Clone, PartialEq)]
pub struct CalicoTier {
    pub name: String,
    /// `spec.order`; `None` is after every ordered tier.
    pub order: Option<f64>,
    /// `spec.defaultAction` as written (`Deny` when absent).
    pub default_action: Option<String>,
    pub origin: Origin,
}
