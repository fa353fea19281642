//! Calico policies and tiers compiled (SEMANTICS.md points 20-21): which pods a policy
//! selects, which directions it takes part in, and what each rule's `source` and
//! `destination` match. The rules themselves become [`CompiledRule`]s like every other kind's,
//! so the walk in `decide` reads them with the rest.
//!
//! Sources (projectcalico/calico unless said otherwise):
//! - projectcalico/api `pkg/apis/projectcalico/v3`: `policy_common.go` (Rule, EntityRule),
//!   `networkpolicy.go` / `globalnetworkpolicy.go` (`types`: "if the policy has no egress
//!   rules, default is Ingress; if it has egress rules only, Egress; both, both"), `tier.go`
//!   (the built-in tiers' orders; `defaultAction` Deny or Pass, Deny by default).
//! - `libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go`, `getEndpointSelector`: a
//!   rule's endpoint selector is `namespaceSelector` (on the namespace's labels; `all()` is
//!   "any pod", `global()` "no pod") or, in a namespaced policy without one, the policy's own
//!   namespace; it is added as soon as `selector`, `notSelector` or `namespaceSelector` is set,
//!   ANDed with `serviceAccounts` (names as `projectcalico.org/serviceaccount in {..}`, the
//!   selector on the account's labels) and `selector`. `notSelector` is kept apart and
//!   unscoped.
//! - `felix/calc/policy_sorter.go` (`TierLess`, `PolKV` ordering): tiers and policies by order,
//!   none last, equal orders by name.
//! - Felix's rule rendering (`felix/rules` and the nftables/iptables renderers, `SrcIpSetIds`,
//!   `NotSrcIpSetIds`): a positive selector becomes an IP set of the endpoints Calico knows
//!   (pods here), so never an outside address; `notSelector` becomes a negated IP set match,
//!   `writeIPSetMatch(true, ...)`, which excludes the endpoints it matches and lets every other
//!   address through, outside ones included; `nets` match any address in them, pods'
//!   included.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{
    CalicoEntity, CalicoPolicy, CalicoRule, CalicoText, CalicoTier, Direction, Inventory, Protocol,
    KUBERNETES_POLICY_ORDER, TIER_DEFAULT, TIER_DEFAULT_ORDER, TIER_KUBE_ADMIN,
    TIER_KUBE_ADMIN_ORDER, TIER_KUBE_BASELINE, TIER_KUBE_BASELINE_ORDER,
};

use super::calico_selector::CalicoSelector;
use super::policy_set::slot;
use super::traffic::{Action, Endpoint, Match, PodRef, PortMatch, UNKNOWN_POD_ADDRESS};

pub const UNKNOWN_CALICO_NETS: &str =
    "pod addresses are not in the input, so whether a narrow `nets`/`notNets` CIDR holds them is unknown";
pub const UNKNOWN_CALICO_SERVICE: &str =
    "which pods and addresses back a Calico `services` match is not in the input";
pub const UNKNOWN_SOURCE_PORTS: &str =
    "source ports are not modelled, so whether a rule's `source.ports` match is unknown";
pub const UNKNOWN_HTTP: &str =
    "an `http` match narrows requests, which is not evaluated, so whether this rule decides the connection is unknown";

/// Which of Calico's built-in tiers a tier is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinTier {
    /// `kube-admin`: where the Admin tier's cluster-scoped policies live.
    KubeAdmin,
    /// `default`: Kubernetes NetworkPolicies (order 1000) and Calico policies without a tier.
    Default,
    /// `kube-baseline`: the Baseline tier's cluster-scoped policies.
    KubeBaseline,
}

/// A tier, in evaluation order among the others.
#[derive(Debug, Clone)]
pub struct TierCompiled {
    pub name: String,
    pub order: Option<f64>,
    /// `Deny` or `Pass`: what the tier does with traffic its policies leave undecided.
    pub default_action: Action,
    pub builtin: Option<BuiltinTier>,
    /// A policy names this tier but no Tier object (or built-in) defines it.
    pub undefined: bool,
}

/// The tiers of an inventory: the Tier objects read, the built-ins the cluster has without
/// being told, and tiers policies name that nothing defines, sorted as Felix sorts them.
pub fn compile_tiers(inventory: &Inventory) -> Vec<TierCompiled> {
    let mut tiers: Vec<TierCompiled> = Vec::new();
    let mut add = |tier: &CalicoTier| {
        if tiers.iter().any(|t| t.name == tier.name) {
            return;
        }
        let builtin = match tier.name.as_str() {
            TIER_KUBE_ADMIN => Some(BuiltinTier::KubeAdmin),
            TIER_DEFAULT => Some(BuiltinTier::Default),
            TIER_KUBE_BASELINE => Some(BuiltinTier::KubeBaseline),
            _ => None,
        };
        tiers.push(TierCompiled {
            name: tier.name.clone(),
            order: tier.order,
            default_action: match tier.default_action.as_deref() {
                Some("Pass") => Action::Pass,
                _ => Action::Deny,
            },
            builtin,
            undefined: false,
        });
    };
    for tier in &inventory.calico_tiers {
        add(tier);
    }
    // tier.go: the built-ins and their orders; `kube-admin` and `kube-baseline` Pass what
    // their policies leave, `default` denies it.
    for (name, order, action) in [
        (TIER_KUBE_ADMIN, TIER_KUBE_ADMIN_ORDER, "Pass"),
        (TIER_DEFAULT, TIER_DEFAULT_ORDER, "Deny"),
        (TIER_KUBE_BASELINE, TIER_KUBE_BASELINE_ORDER, "Pass"),
    ] {
        add(&CalicoTier {
            name: name.to_owned(),
            order: Some(order),
            default_action: Some(action.to_owned()),
            origin: Default::default(),
        });
    }
    for policy in &inventory.calico_policies {
        if !tiers.iter().any(|t| t.name == policy.tier) {
            tiers.push(TierCompiled {
                name: policy.tier.clone(),
                order: None,
                default_action: Action::Deny,
                builtin: None,
                undefined: true,
            });
        }
    }
    // `TierLess`: defined tiers first, then by order (none last), then by name.
    tiers.sort_by(|a, b| {
        (a.undefined, OrderKey(a.order), &a.name).cmp(&(b.undefined, OrderKey(b.order), &b.name))
    });
    tiers
}

/// An `order` for sorting: ascending, none after every number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderKey(pub Option<f64>);

impl Eq for OrderKey {}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self.0, other.0) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

/// The order of Kubernetes NetworkPolicies in the `default` tier.
pub const KUBERNETES_ORDER: OrderKey = OrderKey(Some(KUBERNETES_POLICY_ORDER));

/// Which pods a Calico policy selects.
#[derive(Debug, Clone)]
pub struct CalicoSubject {
    /// A namespaced policy's namespace; `None` for a GlobalNetworkPolicy.
    pub namespace: Option<String>,
    pub selector: CalicoSelector,
    /// GlobalNetworkPolicy `namespaceSelector`.
    pub namespace_selector: Option<CalicoSelector>,
    pub service_account_selector: Option<CalicoSelector>,
}

impl CalicoSubject {
    pub fn matches(&self, pod: &PodRef<'_>) -> bool {
        if pod.node_network {
            return false;
        }
        self.namespace
            .as_deref()
            .is_none_or(|ns| ns == pod.namespace)
            && self
                .namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches_namespace(pod.namespace_labels, pod.namespace))
            && self
                .service_account_selector
                .as_ref()
                .is_none_or(|s| s.matches_service_account(pod.service_account))
            && self
                .selector
                .matches_pod(pod.labels, pod.namespace, pod.service_account)
    }
}

/// One Calico policy compiled.
#[derive(Debug, Clone)]
pub struct CalicoCompiled {
    /// Index into `Inventory::calico_policies`.
    pub index: usize,
    /// Position of its tier in [`PolicySet::calico_tiers`](super::PolicySet::calico_tiers).
    pub tier: usize,
    pub order: OrderKey,
    pub subject: CalicoSubject,
    /// `[ingress, egress]`: whether its `types` (as written or defaulted) hold the direction.
    types: [bool; 2],
    /// `[ingress, egress]` rules in written order.
    pub(crate) rules: [Vec<super::traffic::CompiledRule>; 2],
    /// `[ingress, egress]`, per rule: what it asks of the selected pod's own end
    /// (`destination` of an ingress rule, `source` of an egress rule); `None` when nothing.
    local: [Vec<Option<Box<CalicoEnd>>>; 2],
}

impl CalicoCompiled {
    /// Whether the policy takes part in `direction` (point 20: only policies whose types hold
    /// a direction count for it).
    pub fn applies(&self, direction: Direction) -> bool {
        self.types[slot(direction)]
    }

    /// Whether the rule at `index` of `direction` matches the selected pod's own end.
    pub fn local_match(&self, direction: Direction, index: usize, pod: &PodRef<'_>) -> Match {
        match self.local[slot(direction)].get(index) {
            Some(Some(end)) => end.matches(&Endpoint::Pod(*pod)),
            _ => Match::Yes,
        }
    }

    /// Whether any rule of `direction` asks something of the selected pod's own end.
    pub fn has_local(&self, direction: Direction) -> bool {
        self.local[slot(direction)].iter().any(Option::is_some)
    }
}

/// Point 20: `types` when absent is `[Ingress]` without egress rules (even with no rules at
/// all), `[Egress]` with egress rules only, both with both.
pub fn effective_types(policy: &CalicoPolicy) -> [bool; 2] {
    match &policy.types {
        Some(types) => [
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ],
        None => match (policy.ingress.is_empty(), policy.egress.is_empty()) {
            (_, true) => [true, false],
            (true, false) => [false, true],
            (false, false) => [true, true],
        },
    }
}

/// The action a rule's written word means; `None` when Calico refuses it.
pub fn action_of(word: &str) -> Option<Action> {
    match word {
        "Allow" => Some(Action::Allow),
        "Deny" => Some(Action::Deny),
        "Pass" => Some(Action::Pass),
        "Log" => Some(Action::Log),
        _ => None,
    }
}

fn parse_selector(text: &Option<CalicoText>) -> Result<Option<CalicoSelector>, ()> {
    match text {
        None => Ok(None),
        Some(t) => t.selector().cloned().map(Some).map_err(|_| ()),
    }
}

/// Compiles an enforced Calico policy, or `None` when Calico refuses it (a selector that does
/// not parse, an unknown action, a bad net or port: validation says which) or when it is not
/// evaluated (staged, host endpoints only).
pub fn compile_policy(
    index: usize,
    policy: &CalicoPolicy,
    tiers: &[TierCompiled],
) -> Option<CalicoCompiled> {
    if policy.kind.staged() || policy.host_only {
        return None;
    }
    let tier = tiers.iter().position(|t| t.name == policy.tier)?;
    let namespace = policy
        .namespace
        .as_deref()
        .filter(|_| !policy.kind.cluster_scoped());
    let subject = CalicoSubject {
        namespace: namespace.map(str::to_owned),
        selector: parse_selector(&policy.selector)
            .ok()?
            .unwrap_or_else(CalicoSelector::all),
        namespace_selector: if namespace.is_some() {
            None
        } else {
            parse_selector(&policy.namespace_selector).ok()?
        },
        service_account_selector: parse_selector(&policy.service_account_selector).ok()?,
    };
    let mut rules: [Vec<_>; 2] = Default::default();
    let mut local: [Vec<_>; 2] = Default::default();
    for direction in Direction::BOTH {
        for rule in policy.rules(direction) {
            let (compiled, own) = compile_rule(rule, direction, namespace)?;
            rules[slot(direction)].push(compiled);
            local[slot(direction)].push(own);
        }
    }
    Some(CalicoCompiled {
        index,
        tier,
        order: OrderKey(policy.order),
        subject,
        types: effective_types(policy),
        rules,
        local,
    })
}

/// A rule: the other end's conditions become its peer, the destination's ports and the
/// protocol its ports, and the selected pod's own end is kept apart.
fn compile_rule(
    rule: &CalicoRule,
    direction: Direction,
    namespace: Option<&str>,
) -> Option<(super::traffic::CompiledRule, Option<Box<CalicoEnd>>)> {
    let action = action_of(&rule.action)?;
    let (peer, own) = match direction {
        Direction::Ingress => (&rule.source, &rule.destination),
        Direction::Egress => (&rule.destination, &rule.source),
    };
    let mut peer_end = CalicoEnd::compile(peer, namespace)?;
    let mut own_end = CalicoEnd::compile(own, namespace)?;
    // Source ports are the source's, not the destination's: not modelled.
    match direction {
        Direction::Ingress => {
            peer_end.source_ports = !peer.ports.is_empty() || !peer.not_ports.is_empty()
        }
        Direction::Egress => {
            own_end.source_ports = !own.ports.is_empty() || !own.not_ports.is_empty()
        }
    }
    if rule.http && action != Action::Allow {
        peer_end.http = true;
    }
    let (ports, not_ports) = compile_ports(rule)?;
    let own_end = (!own_end.is_everything()).then(|| Box::new(own_end));
    Some((
        super::traffic::CompiledRule::compile_calico(action, peer_end, ports, not_ports),
        own_end,
    ))
}

/// The protocol of a rule in this tool's terms: `Some(None)` for a protocol outside TCP, UDP
/// and SCTP (ICMP, UDPLite, a number of another protocol), `None` when it is not one Calico
/// knows. numorstring `protocol.go`: names or numbers 1-255; 6 is TCP, 17 UDP, 132 SCTP.
fn protocol_of(written: &str) -> Option<Option<Protocol>> {
    match written {
        "TCP" | "tcp" | "6" => Some(Some(Protocol::Tcp)),
        "UDP" | "udp" | "17" => Some(Some(Protocol::Udp)),
        "SCTP" | "sctp" | "132" => Some(Some(Protocol::Sctp)),
        "ICMP" | "icmp" | "ICMPv6" | "icmpv6" | "UDPLite" | "udplite" => Some(None),
        n => match n.parse::<u8>() {
            Ok(1..=255) => Some(None),
            _ => None,
        },
    }
}

/// The connections a rule's `protocol`, `notProtocol`, `destination.ports` and
/// `destination.notPorts` leave: `(ports, not_ports)` as unions of [`PortMatch`]es, the first
/// empty for "every port of every protocol".
fn compile_ports(rule: &CalicoRule) -> Option<(Vec<PortMatch>, Vec<PortMatch>)> {
    let every = |protocol: Protocol| PortMatch::Range {
        protocol,
        start: 1,
        end: u16::MAX,
    };
    let protocol = match &rule.protocol {
        None => None,
        Some(p) => Some(protocol_of(p)?),
    };
    let dst = &rule.destination;
    let written = |list: &[String], protocol: Protocol| -> Option<Vec<PortMatch>> {
        list.iter().map(|p| port_match(p, protocol)).collect()
    };
    let mut ports = match protocol {
        // Every protocol: ports need one (Calico refuses them without), so none here.
        None if dst.ports.is_empty() => Vec::new(),
        None => return None,
        Some(None) => vec![PortMatch::Nothing],
        Some(Some(p)) if dst.ports.is_empty() => vec![every(p)],
        Some(Some(p)) => written(&dst.ports, p)?,
    };
    if rule.icmp && ports.is_empty() {
        // `icmp` without a protocol: only ICMP, which is not modelled.
        ports = vec![PortMatch::Nothing];
    }
    let mut not_ports = match protocol {
        Some(Some(p)) => written(&dst.not_ports, p)?,
        _ if dst.not_ports.is_empty() => Vec::new(),
        _ => return None,
    };
    if let Some(np) = &rule.not_protocol {
        if let Some(p) = protocol_of(np)? {
            not_ports.push(every(p));
        }
    }
    Some((ports, not_ports))
}

/// One `ports` entry: a number, `"a:b"` (inclusive), or a name resolved on the destination.
fn port_match(written: &str, protocol: Protocol) -> Option<PortMatch> {
    let number = |s: &str| s.trim().parse::<u16>().ok().filter(|&n| n >= 1);
    if let Some((a, b)) = written.split_once(':') {
        let (start, end) = (number(a)?, number(b)?);
        return (start <= end).then_some(PortMatch::Range {
            protocol,
            start,
            end,
        });
    }
    if written.chars().all(|c| c.is_ascii_digit()) {
        let n = number(written)?;
        return Some(PortMatch::Range {
            protocol,
            start: n,
            end: n,
        });
    }
    Some(PortMatch::Named {
        name: written.to_owned(),
        protocol: Some(protocol),
    })
}

/// What one end of a rule (`source` or `destination`, without its ports) matches.
#[derive(Debug, Clone, Default)]
pub struct CalicoEnd {
    /// The endpoint selector `getEndpointSelector` builds; `None` when no selector field is
    /// set (addresses then match too).
    positive: Option<Positive>,
    not_selector: Option<CalicoSelector>,
    nets: Vec<IpNet>,
    not_nets: Vec<IpNet>,
    services: bool,
    /// `source.ports`/`notPorts`: not modelled.
    pub(crate) source_ports: bool,
    /// A Deny, Pass or Log rule with an `http` match.
    pub(crate) http: bool,
}

#[derive(Debug, Clone)]
struct Positive {
    namespaces: Namespaces,
    service_account_names: Option<BTreeSet<String>>,
    service_account_selector: Option<CalicoSelector>,
    selector: Option<CalicoSelector>,
}

#[derive(Debug, Clone)]
enum Namespaces {
    /// Pods of every namespace.
    Any,
    Own(String),
    Selected(CalicoSelector),
}

impl CalicoEnd {
    fn compile(entity: &CalicoEntity, namespace: Option<&str>) -> Option<CalicoEnd> {
        let nets = |list: &[String]| -> Option<Vec<IpNet>> {
            list.iter()
                .map(|n| {
                    n.parse::<IpNet>()
                        .ok()
                        .or_else(|| n.parse::<IpAddr>().ok().map(IpNet::from))
                })
                .collect()
        };
        let selector = parse_selector(&entity.selector).ok()?;
        let not_selector = parse_selector(&entity.not_selector).ok()?;
        let namespace_selector = parse_selector(&entity.namespace_selector).ok()?;
        let (names, sa_selector) = match &entity.service_accounts {
            Some(sa) => (
                (!sa.names.is_empty()).then(|| sa.names.iter().cloned().collect()),
                parse_selector(&sa.selector).ok()?,
            ),
            None => (None, None),
        };
        let any_selector = selector.is_some()
            || not_selector.is_some()
            || namespace_selector.is_some()
            || names.is_some()
            || sa_selector.is_some();
        let namespaces = match (namespace_selector, namespace) {
            (Some(s), _) => Namespaces::Selected(s),
            (None, Some(ns)) => Namespaces::Own(ns.to_owned()),
            (None, None) => Namespaces::Any,
        };
        // `getEndpointSelector`: the namespace part joins as soon as any selector field is set;
        // without a namespace part (a global policy), only the selectors themselves.
        let positive = match (&namespaces, &selector, &names, &sa_selector) {
            _ if !any_selector => None,
            (Namespaces::Any, None, None, None) => None,
            _ => Some(Positive {
                namespaces,
                service_account_names: names,
                service_account_selector: sa_selector,
                selector,
            }),
        };
        Some(CalicoEnd {
            positive,
            not_selector,
            nets: nets(&entity.nets)?,
            not_nets: nets(&entity.not_nets)?,
            services: entity.services.is_some(),
            source_ports: false,
            http: false,
        })
    }

    fn is_everything(&self) -> bool {
        self.positive.is_none()
            && self.not_selector.is_none()
            && self.nets.is_empty()
            && self.not_nets.is_empty()
            && !self.services
            && !self.source_ports
            && !self.http
    }

    /// Whether the end matches an endpoint: every condition set must hold. Conditions the
    /// input cannot decide are combined under both readings of point 23 (narrow CIDRs hold the
    /// pod's address, or not), so that `nets` and `notNets` of one CIDR never both hold.
    pub fn matches(&self, endpoint: &Endpoint<'_>) -> Match {
        // Whether the end matches if the unknowns hold, and if they do not.
        let (mut if_holds, mut if_not) = (true, true);
        let mut why: Option<&'static str> = None;
        let mut and = |m: Match| {
            let (a, w) = m.under(true);
            let (b, _) = m.under(false);
            if_holds &= a;
            if_not &= b;
            if w.is_some() {
                why = why.or(w);
            }
        };
        let selected = match endpoint {
            // Its traffic is its node's: Calico selectors see workload endpoints only.
            Endpoint::Pod(pod) if pod.node_network => None,
            Endpoint::Pod(pod) => Some(pod),
            Endpoint::Address(_) => None,
        };
        if let Some(positive) = &self.positive {
            if !selected.is_some_and(|pod| positive.matches(pod)) {
                return Match::No;
            }
        }
        if let (Some(not), Some(pod)) = (&self.not_selector, selected) {
            if not.matches_pod(pod.labels, pod.namespace, pod.service_account) {
                return Match::No;
            }
        }
        if !self.nets.is_empty() {
            and(in_nets(&self.nets, endpoint));
        }
        if !self.not_nets.is_empty() {
            and(match in_nets(&self.not_nets, endpoint) {
                Match::Yes => Match::No,
                Match::No => Match::Yes,
                Match::Unknown(w) => Match::UnknownUnless(w),
                Match::UnknownUnless(w) => Match::Unknown(w),
            });
        }
        if self.services {
            and(Match::Unknown(UNKNOWN_CALICO_SERVICE));
        }
        if self.source_ports {
            and(Match::Unknown(UNKNOWN_SOURCE_PORTS));
        }
        if self.http {
            and(Match::Unknown(UNKNOWN_HTTP));
        }
        match (if_holds, if_not, why) {
            (true, true, _) => Match::Yes,
            (false, false, _) => Match::No,
            (true, false, Some(w)) => Match::Unknown(w),
            (false, true, Some(w)) => Match::UnknownUnless(w),
            _ => Match::No,
        }
    }

    /// Whether some pod of a namespace may match (`matches` not `No`).
    pub fn may_match_pods_in(
        &self,
        namespace: &str,
        namespace_labels: &crate::model::Labels,
    ) -> bool {
        match self.positive.as_ref().map(|p| &p.namespaces) {
            None | Some(Namespaces::Any) => true,
            Some(Namespaces::Own(ns)) => ns == namespace,
            Some(Namespaces::Selected(s)) => s.matches_namespace(namespace_labels, namespace),
        }
    }

    /// Whether the end can match an outside address (no endpoint selector).
    pub fn matches_addresses(&self) -> bool {
        self.positive.is_none()
    }
}

impl Positive {
    fn matches(&self, pod: &PodRef<'_>) -> bool {
        let namespace_ok = match &self.namespaces {
            Namespaces::Any => true,
            Namespaces::Own(ns) => ns == pod.namespace,
            Namespaces::Selected(s) => s.matches_namespace(pod.namespace_labels, pod.namespace),
        };
        namespace_ok
            && self.service_account_names.as_ref().is_none_or(|names| {
                pod.service_account.len() < 63 && names.contains(pod.service_account)
            })
            && self
                .service_account_selector
                .as_ref()
                .is_none_or(|s| s.matches_service_account(pod.service_account))
            && self
                .selector
                .as_ref()
                .is_none_or(|s| s.matches_pod(pod.labels, pod.namespace, pod.service_account))
    }
}

/// Whether an endpoint's address lies in one of `nets`: certain for outside addresses and for
/// `/0`; for a pod, unknown unless it is point 22's anonymous pod (outside every narrower
/// CIDR), since manifests do not give pod addresses (point 23).
fn in_nets(nets: &[IpNet], endpoint: &Endpoint<'_>) -> Match {
    match endpoint {
        Endpoint::Address(ip) => {
            if nets.iter().any(|n| n.contains(ip)) {
                Match::Yes
            } else {
                Match::No
            }
        }
        Endpoint::Pod(pod) => {
            if nets.iter().any(|n| n.prefix_len() == 0) {
                Match::Yes
            } else if pod.anonymous {
                Match::No
            } else if pod.node_network {
                Match::Unknown(UNKNOWN_POD_ADDRESS)
            } else {
                Match::Unknown(UNKNOWN_CALICO_NETS)
            }
        }
    }
}
