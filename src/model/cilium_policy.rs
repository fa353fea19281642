//! Cilium's own policies, as written: `CiliumNetworkPolicy` (namespaced) and
//! `CiliumClusterwideNetworkPolicy` (cilium.io/v2), each holding one rule in `spec` and/or a
//! list of rules in `specs`.
//!
//! Fields are kept as written (ports and protocols as strings, selectors with their label
//! source prefixes) so that validation can report what Cilium refuses and the semantics core
//! decides what they mean. Source: cilium `pkg/policy/api/rule.go` (Rule, DefaultDenyConfig),
//! `ingress.go` (IngressCommonRule, IngressRule, IngressDenyRule), `egress.go`
//! (EgressCommonRule, EgressRule, EgressDenyRule), `l4.go` (PortRule, PortProtocol),
//! `cidr.go` (CIDRRule), `fqdn.go`, `service.go`.

use super::{Direction, LabelSelector, Origin, Suppression};

/// Which of the two kinds an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CiliumPolicyKind {
    CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy,
}

impl CiliumPolicyKind {
    pub const ALL: [CiliumPolicyKind; 2] = [
        CiliumPolicyKind::CiliumNetworkPolicy,
        CiliumPolicyKind::CiliumClusterwideNetworkPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CiliumPolicyKind::CiliumNetworkPolicy => "CiliumNetworkPolicy",
            CiliumPolicyKind::CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The resource's plural, for list requests.
    pub fn plural(self) -> &'static str {
        match self {
            CiliumPolicyKind::CiliumNetworkPolicy => "ciliumnetworkpolicies",
            CiliumPolicyKind::CiliumClusterwideNetworkPolicy => "ciliumclusterwidenetworkpolicies",
        }
    }

    /// Whether `api_version` is one this version reads (`cilium.io/v2`).
    pub fn reads(self, api_version: &str) -> bool {
        api_version == "cilium.io/v2"
    }

    pub fn cluster_scoped(self) -> bool {
        self == CiliumPolicyKind::CiliumClusterwideNetworkPolicy
    }
}

impl std::fmt::Display for CiliumPolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The agent's policy enforcement mode (`enable-policy` in ConfigMap `cilium-config`, Helm
/// value `policyEnforcementMode`; SEMANTICS.md point 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum CiliumMode {
    /// Pods are default-deny in a direction once a policy asks for it.
    #[default]
    Default,
    /// Every pod is default-deny both ways, policies or not.
    Always,
    /// Nothing is enforced.
    Never,
}

impl CiliumMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "default" => Some(CiliumMode::Default),
            "always" => Some(CiliumMode::Always),
            "never" => Some(CiliumMode::Never),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CiliumMode::Default => "default",
            CiliumMode::Always => "always",
            CiliumMode::Never => "never",
        }
    }
}

/// One CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiliumPolicy {
    pub kind: CiliumPolicyKind,
    /// `None` for a CiliumClusterwideNetworkPolicy.
    pub namespace: Option<String>,
    pub name: String,
    /// `spec` first (when present), then `specs` in written order.
    pub rules: Vec<CiliumRule>,
    /// Live clusters: the agents' verdict in `status` (`Valid` condition `False`), with its
    /// message; `None` when no status says so.
    pub rejected_by_cilium: Option<String>,
    pub suppression: Suppression,
    pub origin: Origin,
}

/// One rule (`spec`, or one entry of `specs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiliumRule {
    /// `endpointSelector`; `None` when absent (a host policy has `nodeSelector` instead).
    pub endpoint_selector: Option<LabelSelector>,
    /// `nodeSelector` is set: a host policy, outside this tool's scope (said, not evaluated).
    pub node_selector: bool,
    /// Sections as written: `None` when absent, `Some(vec![])` for `ingress: []`.
    pub ingress: Option<Vec<CiliumPeerRule>>,
    pub ingress_deny: Option<Vec<CiliumPeerRule>>,
    pub egress: Option<Vec<CiliumPeerRule>>,
    pub egress_deny: Option<Vec<CiliumPeerRule>>,
    /// `enableDefaultDeny.ingress` / `.egress` as written (absent means true).
    pub enable_default_deny_ingress: Option<bool>,
    pub enable_default_deny_egress: Option<bool>,
    pub description: Option<String>,
    /// `None` for the object's `spec`, `Some(i)` for `specs[i]`.
    pub specs_index: Option<usize>,
    /// 1-based line of the rule's first line in the object's file, when known.
    pub line: Option<u32>,
}

impl CiliumRule {
    /// Where the rule is written: `spec` or `specs[i]`.
    pub fn path(&self) -> String {
        match self.specs_index {
            None => "spec".to_owned(),
            Some(i) => format!("specs[{i}]"),
        }
    }

    /// The allow section of a direction.
    pub fn allows(&self, direction: Direction) -> Option<&[CiliumPeerRule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }

    /// The deny section of a direction.
    pub fn denies(&self, direction: Direction) -> Option<&[CiliumPeerRule]> {
        match direction {
            Direction::Ingress => self.ingress_deny.as_deref(),
            Direction::Egress => self.egress_deny.as_deref(),
        }
    }

    /// `enableDefaultDeny.<direction>` as written.
    pub fn enable_default_deny(&self, direction: Direction) -> Option<bool> {
        match direction {
            Direction::Ingress => self.enable_default_deny_ingress,
            Direction::Egress => self.enable_default_deny_egress,
        }
    }
}

/// One entry of `ingress`, `ingressDeny`, `egress` or `egressDeny`. Every L3 peer field is
/// kept (`None` when absent) so that validation can say when one rule mixes two kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiliumPeerRule {
    /// `fromEndpoints` / `toEndpoints`.
    pub endpoints: Option<Vec<LabelSelector>>,
    /// `fromRequires` / `toRequires` (deprecated): conditions added to other rules' peers.
    pub requires: Option<Vec<LabelSelector>>,
    /// `fromCIDR` / `toCIDR`.
    pub cidr: Option<Vec<String>>,
    /// `fromCIDRSet` / `toCIDRSet`.
    pub cidr_set: Option<Vec<CiliumCidrRule>>,
    /// `fromEntities` / `toEntities`, as written (`world`, `cluster`, `all`, ...).
    pub entities: Option<Vec<String>>,
    /// `fromNodes` / `toNodes`.
    pub nodes: Option<Vec<LabelSelector>>,
    /// `fromGroups` / `toGroups` (cloud provider groups): never evaluated.
    pub groups: bool,
    /// Egress only: `toFQDNs` (`matchName` or `matchPattern`, as written).
    pub fqdns: Option<Vec<String>>,
    /// Egress only: `toServices`, as `namespace/name` or a selector's description.
    pub services: Option<Vec<String>>,
    /// `toPorts`; `None` when absent (every port).
    pub to_ports: Option<Vec<CiliumPortRule>>,
    /// `icmps` is set: ICMP is outside what this tool evaluates (said in notes).
    pub icmps: bool,
    /// Field names this version does not know (a newer CRD), sorted.
    pub unknown: Vec<String>,
}

impl CiliumPeerRule {
    /// The L3 peer fields that are set, in API order (Cilium refuses a rule with two kinds).
    /// `requires` is not a peer kind of its own: it narrows the others.
    pub fn peer_kinds(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.endpoints.is_some() {
            out.push("Endpoints");
        }
        if self.cidr.is_some() {
            out.push("CIDR");
        }
        if self.cidr_set.is_some() {
            out.push("CIDRSet");
        }
        if self.entities.is_some() {
            out.push("Entities");
        }
        if self.nodes.is_some() {
            out.push("Nodes");
        }
        if self.groups {
            out.push("Groups");
        }
        if self.fqdns.is_some() {
            out.push("FQDNs");
        }
        if self.services.is_some() {
            out.push("Services");
        }
        out
    }
}

/// One `fromCIDRSet`/`toCIDRSet` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiliumCidrRule {
    /// `cidr`; `None` with `cidrGroupRef`/`cidrGroupSelector` (CiliumCIDRGroup objects, not
    /// read: an unknown).
    pub cidr: Option<String>,
    /// `except`.
    pub except: Vec<String>,
    /// `cidrGroupRef` or `cidrGroupSelector` is set.
    pub group: bool,
}

/// One `toPorts` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiliumPortRule {
    /// `ports`; empty or absent means every port.
    pub ports: Vec<CiliumPort>,
    /// `rules` (HTTP, Kafka, DNS, L7) is set: requests are narrowed, not the connection.
    pub l7: Vec<String>,
    /// `serverNames`, `terminatingTLS`, `originatingTLS` or `listener` is set.
    pub tls_or_listener: bool,
}

/// One `ports` entry, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiliumPort {
    /// `port`: a number (`"0"` = every port), a name, or absent.
    pub port: Option<String>,
    /// `endPort`, inclusive.
    pub end_port: Option<i64>,
    /// `protocol`: TCP, UDP, SCTP, ANY (the default), ICMP...
    pub protocol: Option<String>,
}
