//! Which connections the policies allow (SEMANTICS.md points 4 and 7-11): rules, peers, ports.
//!
//! A connection needs the source's egress AND the destination's ingress. A side that no policy
//! isolates allows everything; an isolated side allows the union of the rules of the policies
//! that select it for that direction.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{
    CiliumPeerRule, CiliumPortRule, ClusterPeer, ClusterPort, ClusterRule, ContainerPort, IpBlock,
    Labels, PolicyPort, PortValue, Protocol, Rule,
};

use super::calico::CalicoEnd;
use super::cilium_selector::{EndpointSelector, Identity, Scope};
use super::selector::Anchor;
use super::{ConnSet, LabelIndex, Selector};

/// One end of a connection.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'a> {
    Pod(PodRef<'a>),
    /// An address outside the cluster's pods.
    Address(IpAddr),
}

/// A pod as the semantics see it.
#[derive(Debug, Clone, Copy)]
pub struct PodRef<'a> {
    pub namespace: &'a str,
    pub labels: &'a Labels,
    /// Labels of its namespace (always including `kubernetes.io/metadata.name`).
    pub namespace_labels: &'a Labels,
    pub ports: &'a [ContainerPort],
    /// Its service account (`default` unless the pod names one): Cilium selectors can name it.
    pub service_account: &'a str,
    /// A hostNetwork pod seen as its node (point 5, the default model): no selector matches it.
    pub node_network: bool,
    /// Point 22's anonymous pod: its address lies outside every CIDR narrower than /0.
    pub anonymous: bool,
}

/// The port a connection goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    pub protocol: Protocol,
    pub number: u16,
}

/// What a rule does with the connections it matches. NetworkPolicy rules only allow; the
/// cluster-scoped tiers also deny and pass (SEMANTICS.md point 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Allow,
    Deny,
    Pass,
    /// Calico's `Log`: logs and goes on to the next rule, deciding nothing.
    Log,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
            Action::Log => "Log",
        }
    }
}

/// Where the pods a rule may match live (see [`CompiledRule::pod_namespaces`]).
#[derive(Debug, Clone, Copy)]
pub enum PodNamespaces<'r> {
    /// The namespaces whose labels the selector matches.
    Labels(&'r Selector),
    /// The namespace of this name.
    Named(&'r str),
}

/// A rule of any policy kind with its selectors compiled, its CIDRs parsed and its ports
/// resolved to protocol ranges or names: the one form coverage, connectivity and the checks read.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub action: Action,
    peers: Peers,
    /// Empty: every port and protocol.
    ports: Vec<PortMatch>,
    /// Calico's `notPorts` and `notProtocol`: taken out of what `ports` lets through.
    not_ports: Vec<PortMatch>,
}

#[derive(Debug, Clone)]
enum Peers {
    /// NetworkPolicy's missing or empty `from`/`to`: every pod and address (point 7).
    Everything,
    /// Any of these.
    Any(Vec<CompiledPeer>),
}

#[derive(Debug, Clone)]
enum CompiledPeer {
    /// A NetworkPolicy peer: without a namespace selector, the policy's own namespace.
    Pods {
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    /// A cluster-scoped `namespaces` or `pods` peer: pods of every matching namespace.
    ClusterPods {
        namespaces: Selector,
        pods: Selector,
    },
    /// A NetworkPolicy ipBlock: addresses outside the pods.
    Block { cidr: IpNet, except: Vec<IpNet> },
    /// A cluster-scoped `networks` peer (point 13): addresses, and pods too, whose addresses
    /// the input does not give unless the CIDR holds every address of its family.
    Networks(Vec<IpNet>),
    /// A cluster-scoped `nodes` peer: node addresses, which the input does not give.
    Nodes,
    /// A cluster-scoped `domainNames` peer: outside addresses by DNS name.
    DomainNames,
    /// A peer that matches everything: a cluster-scoped Deny or Pass peer with no field this
    /// version knows fails closed (point 15).
    Everything,
    /// A peer that matches nothing: one the API server refuses (empty, ipBlock with a
    /// selector, unparsable CIDR), or an unknown one in an Allow rule (point 15).
    Nothing,
    /// A Cilium `fromEndpoints`/`toEndpoints` selector (point 17): pods only.
    Endpoints(EndpointSelector),
    /// Cilium entities (point 19).
    Entities(Entities),
    /// A Calico rule's other end (point 20).
    Calico(Box<CalicoEnd>),
    /// A peer whose matches the input cannot give (Cilium FQDNs, services, CIDR groups):
    /// the reason for pods and for outside addresses, `None` where it never matches.
    Unknown {
        pods: Option<&'static str>,
        addresses: Option<&'static str>,
    },
}

/// What a list of Cilium entities covers (cilium `pkg/policy/api/entity.go`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entities {
    /// `cluster`, `all`: every pod.
    pods: bool,
    /// `world`, `all` (and `world-ipv4`/`world-ipv6` for one family): outside addresses.
    world_v4: bool,
    world_v6: bool,
    /// `host` (the pod's own node) and `remote-node` (the others): which node a hostNetwork
    /// pod runs on is not in the input, so only both together certainly match it.
    host: bool,
    remote_node: bool,
}

/// A compiled `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMatch {
    Range {
        protocol: Protocol,
        start: u16,
        end: u16,
    },
    /// Resolved on the destination pod (point 10). `protocol: None` (the cluster-scoped
    /// named ports): whatever protocol the container port has.
    Named {
        name: String,
        protocol: Option<Protocol>,
    },
    /// An entry the API server refuses: matches nothing.
    Nothing,
}

/// Whether a peer matches an endpoint: the input may not say (point 23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Match {
    Yes,
    No,
    /// It may: the reason, for reports. It matches when the unknown holds (a narrow CIDR
    /// holds the pod's address).
    Unknown(&'static str),
    /// It may, the other way round: it matches unless the unknown holds (Calico's `notNets`,
    /// which matches a pod exactly when a narrow CIDR does not hold its address).
    UnknownUnless(&'static str),
}

/// What a rule's peers say of the pods of one namespace not on their node's network
/// ([`CompiledRule::namespace_match`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceMatch<'r> {
    /// The same of every such pod.
    All(Match),
    /// `Yes` of a pod whose labels one of `selectors` matches, `otherwise` of the others.
    ByLabels {
        selectors: Vec<&'r Selector>,
        otherwise: Match,
    },
}

impl NamespaceMatch<'_> {
    /// What the rule's peers say of a pod of the namespace labelled `labels`.
    pub fn of(&self, labels: &Labels) -> Match {
        self.given(|selectors| selectors.iter().any(|s| s.matches(labels)))
    }

    /// [`NamespaceMatch::of`] a pod for which `selected` tells whether one of the selectors
    /// matches its labels, asked only when they decide: a caller that keeps the answer per
    /// label set asks once per set.
    pub fn given(&self, selected: impl FnOnce(&[&Selector]) -> bool) -> Match {
        match self {
            NamespaceMatch::All(m) => *m,
            NamespaceMatch::ByLabels {
                selectors,
                otherwise,
            } => match selected(selectors) {
                true => Match::Yes,
                false => *otherwise,
            },
        }
    }
}

impl Match {
    /// Whether it matches under one reading of the unknowns (`holds`: each narrow CIDR holds
    /// the pod's address), and the reason when that depends on the reading. Walks try both
    /// readings (point 23); reading every unknown the same way keeps `nets` and `notNets` of
    /// one CIDR from both matching, or both failing.
    pub fn under(self, holds: bool) -> (bool, Option<&'static str>) {
        match self {
            Match::Yes => (true, None),
            Match::No => (false, None),
            Match::Unknown(why) => (holds, Some(why)),
            Match::UnknownUnless(why) => (!holds, Some(why)),
        }
    }
}

pub const UNKNOWN_POD_ADDRESS: &str =
    "pod addresses are not in the input, so whether a narrow `networks` CIDR holds them is unknown";
pub const UNKNOWN_NODE_ADDRESS: &str =
    "node addresses and labels are not in the input, so what a `nodes` peer matches is unknown";
pub const UNKNOWN_DOMAIN: &str =
    "which addresses a `domainNames` peer resolves to is not in the input";
pub const UNKNOWN_FQDN: &str = "which addresses a `toFQDNs` peer resolves to is not in the input";
pub const UNKNOWN_SERVICE: &str =
    "which pods and addresses back a `toServices` peer is not in the input";
pub const UNKNOWN_CIDR_GROUP: &str =
    "the CiliumCIDRGroup a `cidrGroupRef` or `cidrGroupSelector` names is not read";
pub const UNKNOWN_GROUP: &str =
    "the cloud provider groups of a `fromGroups`/`toGroups` peer are not in the input";
pub const UNKNOWN_REQUIRES: &str =
    "`fromRequires`/`toRequires` (deprecated) narrow other rules' peers, which is not evaluated";
pub const UNKNOWN_HOST_NODE: &str =
    "which node a hostNetwork pod runs on is not in the input, so whether `host` or `remote-node` holds it is unknown";

impl CompiledRule {
    /// A NetworkPolicy rule: it allows.
    pub fn compile(rule: &Rule) -> Self {
        let peers = if rule.peers.is_empty() {
            Peers::Everything
        } else {
            Peers::Any(
                rule.peers
                    .iter()
                    .map(
                        |p| match (&p.ip_block, &p.pod_selector, &p.namespace_selector) {
                            (Some(block), None, None) => compile_block(block),
                            (None, None, None) | (Some(_), _, _) => CompiledPeer::Nothing,
                            (None, pods, namespaces) => CompiledPeer::Pods {
                                pods: pods.as_ref().map(Selector::compile),
                                namespaces: namespaces.as_ref().map(Selector::compile),
                            },
                        },
                    )
                    .collect(),
            )
        };
        CompiledRule {
            action: Action::Allow,
            peers,
            ports: rule.ports.iter().map(compile_policy_port).collect(),
            not_ports: Vec::new(),
        }
    }

    /// A rule of the cluster-scoped tiers. `action` is already resolved from the written
    /// words; a rule with an action this version does not know never reaches here.
    pub fn compile_cluster(rule: &ClusterRule, action: Action) -> Self {
        let peers = rule
            .peers
            .iter()
            .map(|p| compile_cluster_peer(p, action))
            .collect();
        let ports = match &rule.ports {
            None => Vec::new(),
            Some(ports) => {
                let compiled: Vec<PortMatch> = ports.iter().map(compile_cluster_port).collect();
                // `ports: []` is refused by the CRD (MinItems=1); if it slipped through, it
                // names no port.
                if compiled.is_empty() {
                    vec![PortMatch::Nothing]
                } else {
                    compiled
                }
            }
        };
        CompiledRule {
            action,
            peers: Peers::Any(peers),
            ports,
            not_ports: Vec::new(),
        }
    }

    /// A Cilium rule (`ingress`, `ingressDeny`, `egress` or `egressDeny` entry; point 19).
    /// `namespace` is the CiliumNetworkPolicy's (`None` for a clusterwide one), which confines
    /// its endpoint peers.
    pub fn compile_cilium(rule: &CiliumPeerRule, action: Action, namespace: Option<&str>) -> Self {
        let ports = compile_cilium_ports(rule.to_ports.as_deref(), rule.icmps);
        // A field this version does not know fails closed, as for the cluster-scoped tiers.
        if !rule.unknown.is_empty() {
            let peers = match action {
                Action::Allow | Action::Log => Peers::Any(Vec::new()),
                Action::Deny | Action::Pass => Peers::Everything,
            };
            return CompiledRule {
                action,
                peers,
                ports,
                not_ports: Vec::new(),
            };
        }
        let scope = match namespace {
            Some(ns) => Scope::Peer(ns),
            None => Scope::Cluster,
        };
        let mut peers: Vec<CompiledPeer> = Vec::new();
        for selector in rule.endpoints.iter().flatten() {
            peers.push(CompiledPeer::Endpoints(EndpointSelector::compile(
                selector, scope,
            )));
        }
        for cidr in rule.cidr.iter().flatten() {
            peers.push(compile_block(&IpBlock {
                cidr: cidr.clone(),
                except: Vec::new(),
            }));
        }
        for set in rule.cidr_set.iter().flatten() {
            peers.push(match &set.cidr {
                Some(cidr) if !set.group => compile_block(&IpBlock {
                    cidr: cidr.clone(),
                    except: set.except.clone(),
                }),
                _ => CompiledPeer::Unknown {
                    pods: None,
                    addresses: Some(UNKNOWN_CIDR_GROUP),
                },
            });
        }
        if let Some(entities) = &rule.entities {
            peers.push(CompiledPeer::Entities(compile_entities(entities)));
        }
        if rule.nodes.is_some() {
            peers.push(CompiledPeer::Nodes);
        }
        if rule.groups {
            peers.push(CompiledPeer::Unknown {
                pods: None,
                addresses: Some(UNKNOWN_GROUP),
            });
        }
        if rule.fqdns.is_some() {
            peers.push(CompiledPeer::Unknown {
                pods: None,
                addresses: Some(UNKNOWN_FQDN),
            });
        }
        if rule.services.is_some() {
            peers.push(CompiledPeer::Unknown {
                pods: Some(UNKNOWN_SERVICE),
                addresses: Some(UNKNOWN_SERVICE),
            });
        }
        if rule.requires.is_some() {
            peers.push(CompiledPeer::Unknown {
                pods: Some(UNKNOWN_REQUIRES),
                addresses: None,
            });
        }
        let peers = if rule.peer_kinds().is_empty() && rule.requires.is_none() {
            if rule.to_ports.is_some() || rule.icmps {
                // `toPorts` without an L3 peer: every peer, pods and outside, on those ports.
                Peers::Everything
            } else {
                // An empty rule selects nothing (point 19), unlike NetworkPolicy's.
                Peers::Any(Vec::new())
            }
        } else {
            Peers::Any(peers)
        };
        CompiledRule {
            action,
            peers,
            ports,
            not_ports: Vec::new(),
        }
    }

    /// A Calico rule (point 20): `peer` is its other end, `ports` and `not_ports` what its
    /// protocol and destination ports let through.
    pub fn compile_calico(
        action: Action,
        peer: CalicoEnd,
        ports: Vec<PortMatch>,
        not_ports: Vec<PortMatch>,
    ) -> Self {
        CompiledRule {
            action,
            peers: Peers::Any(vec![CompiledPeer::Calico(Box::new(peer))]),
            ports,
            not_ports,
        }
    }

    /// Whether the rule lets `peer` connect. `policy_namespace` is where a podSelector-only
    /// peer looks; `destination` resolves named ports.
    pub fn allows(
        &self,
        policy_namespace: &str,
        peer: &Endpoint<'_>,
        destination: &Endpoint<'_>,
        port: Port,
    ) -> bool {
        self.action == Action::Allow
            && self.matches_peer(policy_namespace, peer)
            && self.matches_port(destination, port)
    }

    /// Whether a peer of the rule certainly matches `peer` (point 7: NetworkPolicy's empty
    /// peer list matches every source or destination, addresses included).
    pub fn matches_peer(&self, policy_namespace: &str, peer: &Endpoint<'_>) -> bool {
        self.peer_match(policy_namespace, peer) == Match::Yes
    }

    /// Whether the rule's peers match `peer`: yes, no, or unknown with the reason.
    pub fn peer_match(&self, policy_namespace: &str, peer: &Endpoint<'_>) -> Match {
        match &self.peers {
            Peers::Everything => Match::Yes,
            Peers::Any(peers) => {
                let mut out = Match::No;
                for p in peers {
                    match peer_matches(p, policy_namespace, peer) {
                        Match::Yes => return Match::Yes,
                        unknown @ (Match::Unknown(_) | Match::UnknownUnless(_)) => out = unknown,
                        Match::No => {}
                    }
                }
                out
            }
        }
    }

    /// What `peer_match` says of the pods of `namespace` (labelled `namespace_labels`) that
    /// are not on their node's network, when that depends on nothing about a pod but its
    /// labels (not its service account or address); `None` when it may. A caller matching a
    /// rule against every pod of many namespaces then asks once per namespace: most rules that
    /// find their peers by namespace take every pod there, and the others test a pod's labels
    /// only against the pod selectors of the peers that look in that namespace.
    pub fn namespace_match(
        &self,
        policy_namespace: &str,
        namespace: &str,
        namespace_labels: &Labels,
    ) -> Option<NamespaceMatch<'_>> {
        let every = |s: &Selector| s.matches_everything();
        let Peers::Any(peers) = &self.peers else {
            return Some(NamespaceMatch::All(Match::Yes));
        };
        // As `peer_match` folds `peer_matches` over the peers, for a pod not on the node's
        // network: the pods' peers say yes or no, so which unknown the others give is the
        // same whatever the pods' say.
        let mut out = Match::No;
        let mut selectors = Vec::new();
        for p in peers {
            let m = match p {
                CompiledPeer::Everything => Match::Yes,
                CompiledPeer::Nothing
                | CompiledPeer::Block { .. }
                | CompiledPeer::Nodes
                | CompiledPeer::DomainNames => Match::No,
                CompiledPeer::Pods { pods, namespaces } => {
                    let inside = match namespaces {
                        Some(ns) => ns.matches(namespace_labels),
                        None => namespace == policy_namespace,
                    };
                    match pods {
                        Some(pods) if inside && !every(pods) => selectors.push(pods),
                        _ if inside => return Some(NamespaceMatch::All(Match::Yes)),
                        _ => {}
                    }
                    Match::No
                }
                CompiledPeer::ClusterPods { namespaces, pods } => {
                    if namespaces.matches(namespace_labels) {
                        if every(pods) {
                            return Some(NamespaceMatch::All(Match::Yes));
                        }
                        selectors.push(pods);
                    }
                    Match::No
                }
                CompiledPeer::Unknown { pods, .. } => pods.map_or(Match::No, Match::Unknown),
                CompiledPeer::Networks(_)
                | CompiledPeer::Endpoints(_)
                | CompiledPeer::Entities(_)
                | CompiledPeer::Calico(_) => return None,
            };
            match m {
                Match::Yes => return Some(NamespaceMatch::All(Match::Yes)),
                unknown @ (Match::Unknown(_) | Match::UnknownUnless(_)) => out = unknown,
                Match::No => {}
            }
        }
        Some(match selectors.is_empty() {
            true => NamespaceMatch::All(out),
            false => NamespaceMatch::ByLabels {
                selectors,
                otherwise: out,
            },
        })
    }

    /// Whether `peer_match` says yes for every pod on the node's network (`node_network`) or
    /// for every other pod, whatever its namespace, labels and service account: a rule that
    /// tells no pod apart (`from: [{namespaceSelector: {}}]`, a missing `from`). May say no
    /// of some such rules; never yes of another.
    pub fn matches_every_pod(&self, node_network: bool) -> bool {
        let every = |s: &Selector| s.matches_everything();
        match &self.peers {
            Peers::Everything => true,
            Peers::Any(peers) => peers.iter().any(|p| match p {
                CompiledPeer::Everything => true,
                // Selectors never see a pod on its node's network (`peer_matches`).
                CompiledPeer::Pods {
                    namespaces: Some(namespaces),
                    pods,
                } => !node_network && every(namespaces) && pods.as_ref().is_none_or(every),
                CompiledPeer::ClusterPods { namespaces, pods } => {
                    !node_network && every(namespaces) && every(pods)
                }
                _ => false,
            }),
        }
    }

    /// A text equal for two rules whose peers match the same endpoints (`peer_match` gives
    /// the same answer for every endpoint): the compiled peers, every field of which their
    /// derived `Debug` writes, with the policy's namespace when a peer looks there.
    pub fn peers_key(&self, policy_namespace: &str) -> String {
        let reads_namespace = match &self.peers {
            Peers::Everything => false,
            Peers::Any(peers) => peers.iter().any(|p| {
                matches!(
                    p,
                    CompiledPeer::Pods {
                        namespaces: None,
                        ..
                    }
                )
            }),
        };
        match reads_namespace {
            true => format!("{policy_namespace}\n{:?}", self.peers),
            false => format!("{:?}", self.peers),
        }
    }

    /// For each peer that may match a pod, one label a pod must carry for it to match (`None`
    /// when some peer may match a pod whatever its labels: no pod selector, one with only
    /// `NotIn`/`DoesNotExist` terms, or a peer of another kind than pods and addresses): a
    /// caller looking for a rule's peers among many pods asks only those carrying one.
    pub(crate) fn pod_anchors(&self) -> Option<Vec<Anchor<'_>>> {
        let Peers::Any(peers) = &self.peers else {
            return None;
        };
        let mut out = Vec::new();
        for p in peers {
            let pods = match p {
                CompiledPeer::Pods {
                    pods: Some(pods), ..
                } => pods,
                CompiledPeer::ClusterPods { pods, .. } => pods,
                // Never a pod (see `peer_matches`).
                CompiledPeer::Block { .. } | CompiledPeer::DomainNames | CompiledPeer::Nothing => {
                    continue
                }
                _ => return None,
            };
            match pods.anchors().next()? {
                // The peer matches no pod.
                Anchor::Nothing => {}
                a => out.push(a),
            }
        }
        Some(out)
    }

    /// Whether the rule's peers can only be pods of the policy's own namespace, or no pod at
    /// all (`may_match_pods_in` is false for every other namespace): a caller looking for the
    /// rules that may match a pod elsewhere skips it without asking.
    pub fn only_own_namespace(&self) -> bool {
        match &self.peers {
            Peers::Everything => false,
            Peers::Any(peers) => peers.iter().all(|p| {
                matches!(
                    p,
                    CompiledPeer::Pods {
                        namespaces: None,
                        ..
                    } | CompiledPeer::Block { .. }
                        | CompiledPeer::DomainNames
                        | CompiledPeer::Nothing
                )
            }),
        }
    }

    /// Whether some pod of a namespace may match a peer of the rule (`peer_match` not `No`):
    /// false only when every peer certainly refuses every pod there, whatever its labels, so
    /// that a caller testing many pods can skip the namespace. Point 22's anonymous pod is in
    /// no listed namespace: callers test it on its own.
    pub fn may_match_pods_in(
        &self,
        policy_namespace: &str,
        namespace: &str,
        namespace_labels: &Labels,
    ) -> bool {
        match &self.peers {
            Peers::Everything => true,
            Peers::Any(peers) => peers.iter().any(|p| match p {
                CompiledPeer::Pods {
                    namespaces: Some(ns),
                    ..
                } => ns.matches(namespace_labels),
                CompiledPeer::Pods {
                    namespaces: None, ..
                } => namespace == policy_namespace,
                CompiledPeer::ClusterPods { namespaces, .. } => {
                    namespaces.matches(namespace_labels)
                }
                CompiledPeer::Endpoints(selector) => {
                    selector.namespaces().matches(namespace_labels)
                }
                // Never a pod (see `peer_matches`).
                CompiledPeer::Block { .. } | CompiledPeer::DomainNames | CompiledPeer::Nothing => {
                    false
                }
                // Pods for `cluster`/`all`, hostNetwork pods for the node entities.
                CompiledPeer::Entities(e) => e.pods || e.host || e.remote_node,
                CompiledPeer::Calico(end) => end.may_match_pods_in(namespace, namespace_labels),
                CompiledPeer::Everything
                | CompiledPeer::Networks(_)
                | CompiledPeer::Nodes
                | CompiledPeer::Unknown { .. } => true,
            }),
        }
    }

    /// The namespaces `may_match_pods_in` keeps, as selectors on a namespace's labels and
    /// namespaces by name, for a caller to find them through a [`LabelIndex`](super::LabelIndex)
    /// of the namespaces' labels instead of asking each namespace; `None` when some peer may
    /// match pods in any namespace (entities, networks, Calico ends, unknown peers).
    pub fn pod_namespaces<'r>(
        &'r self,
        policy_namespace: &'r str,
    ) -> Option<Vec<PodNamespaces<'r>>> {
        let Peers::Any(peers) = &self.peers else {
            return None;
        };
        let mut out = Vec::new();
        for p in peers {
            match p {
                CompiledPeer::Pods {
                    namespaces: Some(ns),
                    ..
                }
                | CompiledPeer::ClusterPods { namespaces: ns, .. } => {
                    out.push(PodNamespaces::Labels(ns))
                }
                CompiledPeer::Pods {
                    namespaces: None, ..
                } => out.push(PodNamespaces::Named(policy_namespace)),
                CompiledPeer::Endpoints(selector) => {
                    out.push(PodNamespaces::Labels(selector.namespaces()))
                }
                CompiledPeer::Block { .. } | CompiledPeer::DomainNames | CompiledPeer::Nothing => {}
                CompiledPeer::Entities(e) if !(e.pods || e.host || e.remote_node) => {}
                CompiledPeer::Entities(_)
                | CompiledPeer::Calico(_)
                | CompiledPeer::Everything
                | CompiledPeer::Networks(_)
                | CompiledPeer::Nodes
                | CompiledPeer::Unknown { .. } => return None,
            }
        }
        Some(out)
    }

    /// The namespaces where the rule may match pods, as [`CompiledRule::pod_namespaces`] says,
    /// by position: those `index` (the namespaces' labels, by position) finds by label, and
    /// those named (`position` of a name); unsorted, `None` when the peers do not say.
    pub fn pod_namespace_positions(
        &self,
        policy_namespace: &str,
        index: &LabelIndex<'_>,
        position: impl Fn(&str) -> Option<usize>,
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let (mut by_labels, mut named) = (Vec::new(), Vec::new());
        for scope in self.pod_namespaces(policy_namespace)? {
            match scope {
                PodNamespaces::Labels(selector) => by_labels.extend(index.matching(selector)),
                PodNamespaces::Named(name) => named.extend(position(name)),
            }
        }
        Some((by_labels, named))
    }

    /// Selectors on a pod's own labels such that every pod the rule may match (`peer_match`
    /// not `No`) satisfies one of them, for a caller to find those pods through a
    /// [`LabelIndex`](super::LabelIndex) instead of testing each; `None` when some peer may
    /// match pods whatever their labels (entities, networks, unknown peers, a peer without a
    /// pod selector). Point 22's anonymous pod is in no index: callers test it on its own.
    pub fn pod_label_selectors(&self) -> Option<Vec<&Selector>> {
        let Peers::Any(peers) = &self.peers else {
            return None;
        };
        let mut out = Vec::new();
        for p in peers {
            match p {
                CompiledPeer::Pods {
                    pods: Some(pods), ..
                }
                | CompiledPeer::ClusterPods { pods, .. } => out.push(pods),
                CompiledPeer::Endpoints(selector) => out.push(selector.pods()),
                // Never a pod (see `peer_matches`).
                CompiledPeer::Block { .. } | CompiledPeer::DomainNames | CompiledPeer::Nothing => {}
                CompiledPeer::Entities(e) if !(e.pods || e.host || e.remote_node) => {}
                CompiledPeer::Pods { pods: None, .. }
                | CompiledPeer::Entities(_)
                | CompiledPeer::Calico(_)
                | CompiledPeer::Everything
                | CompiledPeer::Networks(_)
                | CompiledPeer::Nodes
                | CompiledPeer::Unknown { .. } => return None,
            }
        }
        Some(out)
    }

    /// Whether a peer of the rule is an address peer (ipBlock, networks): the only kinds that
    /// can match a node's address, so a hostNetwork pod's traffic in the node model.
    pub fn has_address_peer(&self) -> bool {
        match &self.peers {
            Peers::Everything => false,
            Peers::Any(peers) => peers.iter().any(|p| match p {
                CompiledPeer::Block { .. } | CompiledPeer::Networks(_) => true,
                CompiledPeer::Calico(end) => end.matches_addresses(),
                _ => false,
            }),
        }
    }

    /// Whether `peer_match` can be other than `No` for some address: `false` lets a caller
    /// that compares the rule against many addresses skip them all.
    pub fn may_match_addresses(&self) -> bool {
        match &self.peers {
            Peers::Everything => true,
            Peers::Any(peers) => peers.iter().any(|p| match p {
                CompiledPeer::Everything
                | CompiledPeer::Block { .. }
                | CompiledPeer::Networks(_)
                | CompiledPeer::DomainNames => true,
                CompiledPeer::Pods { .. }
                | CompiledPeer::ClusterPods { .. }
                | CompiledPeer::Endpoints(_)
                | CompiledPeer::Nodes
                | CompiledPeer::Nothing => false,
                CompiledPeer::Entities(e) => e.world_v4 || e.world_v6,
                CompiledPeer::Calico(end) => end.matches_addresses(),
                CompiledPeer::Unknown { addresses, .. } => addresses.is_some(),
            }),
        }
    }

    /// Whether `peer_match` answers every address alike (all of them, or none): a caller
    /// comparing the rule against many addresses may then ask one.
    pub fn matches_addresses_alike(&self) -> bool {
        matches!(self.peers, Peers::Everything) || !self.may_match_addresses()
    }

    /// Whether `peer_match` can be other than `No` for some pod of the pod network (not
    /// hostNetwork): `false` lets a caller skip every such pod.
    pub fn may_match_pod_network_pods(&self) -> bool {
        match &self.peers {
            Peers::Everything => true,
            Peers::Any(peers) => peers.iter().any(|p| match p {
                CompiledPeer::Everything
                | CompiledPeer::Pods { .. }
                | CompiledPeer::ClusterPods { .. }
                | CompiledPeer::Endpoints(_)
                | CompiledPeer::Calico(_) => true,
                CompiledPeer::Networks(nets) => !nets.is_empty(),
                CompiledPeer::Block { .. }
                | CompiledPeer::Nodes
                | CompiledPeer::DomainNames
                | CompiledPeer::Nothing => false,
                CompiledPeer::Entities(e) => e.pods,
                CompiledPeer::Unknown { pods, .. } => pods.is_some(),
            }),
        }
    }

    /// Whether a `ports` entry is a named port (what it allows depends on the destination).
    pub fn has_named_port(&self) -> bool {
        self.ports
            .iter()
            .any(|p| matches!(p, PortMatch::Named { .. }))
    }

    /// The compiled `ports`; empty is every port.
    pub fn ports(&self) -> &[PortMatch] {
        &self.ports
    }

    /// What the rule's ports let through towards `destination` (named ports resolve on it).
    pub fn conns(&self, destination: &Endpoint<'_>) -> ConnSet {
        let union = |ports: &[PortMatch]| {
            ports.iter().fold(ConnSet::none(), |acc, p| {
                acc.union(&ConnSet::of_port_match(p, destination))
            })
        };
        let conns = if self.ports.is_empty() {
            ConnSet::all()
        } else {
            union(&self.ports)
        };
        if self.not_ports.is_empty() {
            conns
        } else {
            conns.subtract(&union(&self.not_ports))
        }
    }

    /// Calico's `notPorts` / `notProtocol`, compiled.
    pub fn not_ports(&self) -> &[PortMatch] {
        &self.not_ports
    }

    /// Point 7: an empty port list matches every port and protocol.
    fn matches_port(&self, destination: &Endpoint<'_>, port: Port) -> bool {
        let hits = |ports: &[PortMatch]| {
            ports.iter().any(|p| {
                ConnSet::of_port_match(p, destination).contains(port.protocol, port.number)
            })
        };
        (self.ports.is_empty() || hits(&self.ports)) && !hits(&self.not_ports)
    }
}

fn compile_block(block: &IpBlock) -> CompiledPeer {
    let Ok(cidr) = block.cidr.parse::<IpNet>() else {
        return CompiledPeer::Nothing;
    };
    let except: Option<Vec<IpNet>> = block.except.iter().map(|e| e.parse().ok()).collect();
    match except {
        Some(except) => CompiledPeer::Block { cidr, except },
        None => CompiledPeer::Nothing,
    }
}

/// Points 9 and 10: the protocol defaults to TCP; no `port` is every port of it; `endPort` is
/// inclusive; a named port resolves on the destination with that protocol.
fn compile_policy_port(port: &PolicyPort) -> PortMatch {
    let Some(protocol) = Protocol::parse(port.protocol.as_deref().unwrap_or("TCP")) else {
        return PortMatch::Nothing;
    };
    match &port.port {
        None => PortMatch::Range {
            protocol,
            start: 1,
            end: u16::MAX,
        },
        Some(PortValue::Number(start)) => {
            let end = port.end_port.unwrap_or(*start);
            match (u16::try_from(*start), u16::try_from(end)) {
                (Ok(start), Ok(end)) if start >= 1 && start <= end => PortMatch::Range {
                    protocol,
                    start,
                    end,
                },
                _ => PortMatch::Nothing,
            }
        }
        Some(PortValue::Name(name)) => PortMatch::Named {
            name: name.clone(),
            protocol: Some(protocol),
        },
    }
}

/// Point 14.
fn compile_cluster_port(port: &ClusterPort) -> PortMatch {
    let range = |protocol: &str, start: i64, end: i64| match (
        Protocol::parse(protocol),
        u16::try_from(start),
        u16::try_from(end),
    ) {
        (Some(protocol), Ok(start), Ok(end)) if start >= 1 && start <= end => PortMatch::Range {
            protocol,
            start,
            end,
        },
        _ => PortMatch::Nothing,
    };
    match port {
        ClusterPort::Number { protocol, port } => range(protocol, *port, *port),
        ClusterPort::Range {
            protocol,
            start,
            end,
        } => range(protocol, *start, *end),
        ClusterPort::Named(name) => PortMatch::Named {
            name: name.clone(),
            protocol: None,
        },
        ClusterPort::Invalid(_) => PortMatch::Nothing,
    }
}

/// Cilium entities (cilium `pkg/policy/api/entity.go`, `EntitySelectorMapping`): `all` is
/// everything, `world` the outside, `cluster` every pod and node; `host`, `remote-node` are
/// nodes; `kube-apiserver`, `health`, `init`, `ingress`, `unmanaged`, `none` hold no pod of
/// the input and no outside address.
fn compile_entities(entities: &[String]) -> Entities {
    let mut e = Entities::default();
    for name in entities {
        match name.as_str() {
            "all" => {
                e.pods = true;
                e.world_v4 = true;
                e.world_v6 = true;
                e.host = true;
                e.remote_node = true;
            }
            "world" => {
                e.world_v4 = true;
                e.world_v6 = true;
            }
            "world-ipv4" => e.world_v4 = true,
            "world-ipv6" => e.world_v6 = true,
            "cluster" => {
                e.pods = true;
                e.host = true;
                e.remote_node = true;
            }
            "host" => e.host = true,
            "remote-node" => e.remote_node = true,
            _ => {}
        }
    }
    e
}

/// Cilium `toPorts` (point 19; cilium `pkg/policy/api/l4.go`): protocol `ANY` (the default) is
/// TCP, UDP and SCTP; port `0` or none is every port; `endPort` is inclusive; a name resolves on
/// the destination. ICMP entries (`icmps`, protocol ICMP) match no TCP, UDP or SCTP port.
fn compile_cilium_ports(to_ports: Option<&[CiliumPortRule]>, icmps: bool) -> Vec<PortMatch> {
    let Some(rules) = to_ports else {
        return if icmps {
            vec![PortMatch::Nothing]
        } else {
            Vec::new()
        };
    };
    let mut out = Vec::new();
    for rule in rules {
        if rule.ports.is_empty() {
            return Vec::new();
        }
        for port in &rule.ports {
            let protocols: &[Protocol] = match port.protocol.as_deref().unwrap_or("ANY") {
                "ANY" => &[Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
                "TCP" => &[Protocol::Tcp],
                "UDP" => &[Protocol::Udp],
                "SCTP" => &[Protocol::Sctp],
                _ => {
                    out.push(PortMatch::Nothing);
                    continue;
                }
            };
            let written = port.port.as_deref().unwrap_or("0");
            match written.parse::<i64>() {
                Ok(0) => out.extend(protocols.iter().map(|&protocol| PortMatch::Range {
                    protocol,
                    start: 1,
                    end: u16::MAX,
                })),
                Ok(start) => {
                    let end = port.end_port.filter(|&e| e > start).unwrap_or(start);
                    match (u16::try_from(start), u16::try_from(end)) {
                        (Ok(start), Ok(end)) if start >= 1 => {
                            out.extend(protocols.iter().map(|&protocol| PortMatch::Range {
                                protocol,
                                start,
                                end,
                            }))
                        }
                        _ => out.push(PortMatch::Nothing),
                    }
                }
                Err(_) => out.push(PortMatch::Named {
                    name: written.to_owned(),
                    protocol: (protocols.len() == 1).then(|| protocols[0]),
                }),
            }
        }
    }
    if out.is_empty() {
        out.push(PortMatch::Nothing);
    }
    out
}

/// Points 13 and 15.
fn compile_cluster_peer(peer: &ClusterPeer, action: Action) -> CompiledPeer {
    let fields = peer.fields();
    if fields.len() > 1 {
        // The CRD refuses it; validation reports it and the policy does not count.
        return CompiledPeer::Nothing;
    }
    if let Some(ns) = &peer.namespaces {
        return CompiledPeer::ClusterPods {
            namespaces: Selector::compile(ns),
            pods: Selector::everything(),
        };
    }
    if let Some(pods) = &peer.pods {
        return CompiledPeer::ClusterPods {
            namespaces: Selector::compile(&pods.namespace_selector),
            pods: Selector::compile(&pods.pod_selector),
        };
    }
    if let Some(networks) = &peer.networks {
        let nets: Option<Vec<IpNet>> = networks.iter().map(|n| n.parse().ok()).collect();
        return nets.map_or(CompiledPeer::Nothing, CompiledPeer::Networks);
    }
    if peer.nodes.is_some() {
        return CompiledPeer::Nodes;
    }
    if peer.domain_names.is_some() {
        return CompiledPeer::DomainNames;
    }
    // No field this version knows: fail closed.
    match action {
        Action::Allow | Action::Log => CompiledPeer::Nothing,
        Action::Deny | Action::Pass => CompiledPeer::Everything,
    }
}

/// Points 8 and 13.
fn peer_matches(peer: &CompiledPeer, policy_namespace: &str, endpoint: &Endpoint<'_>) -> Match {
    let yes = |b: bool| if b { Match::Yes } else { Match::No };
    match (peer, endpoint) {
        (CompiledPeer::Everything, _) => Match::Yes,
        (CompiledPeer::Nothing, _) => Match::No,
        // Its traffic is its node's: selectors never see it (point 5).
        (CompiledPeer::Pods { .. } | CompiledPeer::ClusterPods { .. }, Endpoint::Pod(pod))
            if pod.node_network =>
        {
            Match::No
        }
        (CompiledPeer::Pods { pods, namespaces }, Endpoint::Pod(pod)) => {
            let namespace_ok = match namespaces {
                // A namespaceSelector (alone or with a podSelector in the same item) picks the
                // namespaces; without one, only the policy's own namespace counts.
                Some(ns) => ns.matches(pod.namespace_labels),
                None => pod.namespace == policy_namespace,
            };
            yes(namespace_ok && pods.as_ref().is_none_or(|s| s.matches(pod.labels)))
        }
        (CompiledPeer::ClusterPods { namespaces, pods }, Endpoint::Pod(pod)) => {
            yes(namespaces.matches(pod.namespace_labels) && pods.matches(pod.labels))
        }
        // Selectors select pods only: `namespaceSelector: {}` is every pod, never an address.
        (CompiledPeer::Pods { .. } | CompiledPeer::ClusterPods { .. }, Endpoint::Address(_)) => {
            Match::No
        }
        (CompiledPeer::Block { cidr, except }, Endpoint::Address(ip)) => {
            yes(cidr.contains(ip) && !except.iter().any(|e| e.contains(ip)))
        }
        // Pod IPs are not known from manifests, and ipBlock is meant for addresses outside the
        // cluster; like netpol-analyzer, pods are never matched by ipBlock. A node's addresses
        // are not known either: a hostNetwork pod is not matched by ipBlock, and `reach` says so.
        (CompiledPeer::Block { .. }, Endpoint::Pod(_)) => Match::No,
        (CompiledPeer::Networks(nets), Endpoint::Address(ip)) => {
            yes(nets.iter().any(|n| n.contains(ip)))
        }
        // Point 13: `0.0.0.0/0` and `::/0` hold every pod (single-stack clusters assumed); a
        // narrower CIDR may or may not hold a pod's address, which manifests do not give.
        // A hostNetwork pod seen as its node has its node's address: unknown as well.
        (CompiledPeer::Networks(nets), Endpoint::Pod(pod)) => {
            if nets.iter().any(|n| n.prefix_len() == 0) {
                Match::Yes
            } else if nets.is_empty() || pod.anonymous {
                Match::No
            } else {
                Match::Unknown(UNKNOWN_POD_ADDRESS)
            }
        }
        (CompiledPeer::Nodes, Endpoint::Pod(pod)) if pod.node_network => {
            Match::Unknown(UNKNOWN_NODE_ADDRESS)
        }
        (CompiledPeer::Nodes, Endpoint::Pod(_)) => Match::No,
        // An outside address is not a node of the cluster.
        (CompiledPeer::Nodes, Endpoint::Address(_)) => Match::No,
        (CompiledPeer::DomainNames, Endpoint::Address(_)) => Match::Unknown(UNKNOWN_DOMAIN),
        (CompiledPeer::DomainNames, Endpoint::Pod(_)) => Match::No,
        (CompiledPeer::Endpoints(selector), Endpoint::Pod(pod)) => yes(!pod.node_network
            && selector.matches(Identity {
                labels: pod.labels,
                namespace_labels: pod.namespace_labels,
                service_account: pod.service_account,
            })),
        (CompiledPeer::Endpoints(_), Endpoint::Address(_)) => Match::No,
        (CompiledPeer::Entities(e), Endpoint::Pod(pod)) if pod.node_network => {
            match (e.host, e.remote_node) {
                (true, true) => Match::Yes,
                (false, false) => Match::No,
                _ => Match::Unknown(UNKNOWN_HOST_NODE),
            }
        }
        (CompiledPeer::Entities(e), Endpoint::Pod(_)) => yes(e.pods),
        (CompiledPeer::Entities(e), Endpoint::Address(ip)) => yes(match ip {
            IpAddr::V4(_) => e.world_v4,
            IpAddr::V6(_) => e.world_v6,
        }),
        (CompiledPeer::Calico(end), _) => end.matches(endpoint),
        (CompiledPeer::Unknown { pods, .. }, Endpoint::Pod(_)) => {
            pods.map_or(Match::No, Match::Unknown)
        }
        (CompiledPeer::Unknown { addresses, .. }, Endpoint::Address(_)) => {
            addresses.map_or(Match::No, Match::Unknown)
        }
    }
}

/// The rules that select one side of a connection for one direction.
pub struct SideRules<'a> {
    /// Whether any selecting policy has this direction in its effective types.
    pub isolated: bool,
    /// `(policy namespace, rule)` for every rule of those policies.
    pub rules: Vec<(&'a str, &'a CompiledRule)>,
}

impl SideRules<'_> {
    /// Whether this side lets the connection through (point 3: an unisolated side allows all).
    pub fn allows(&self, peer: &Endpoint<'_>, destination: &Endpoint<'_>, port: Port) -> bool {
        !self.isolated
            || self
                .rules
                .iter()
                .any(|(ns, r)| r.allows(ns, peer, destination, port))
    }
}

/// Point 4 and 11: a connection needs the source's egress and the destination's ingress;
/// `same_pod` traffic is always allowed.
pub fn connection_allowed(
    source_egress: &SideRules<'_>,
    destination_ingress: &SideRules<'_>,
    source: &Endpoint<'_>,
    destination: &Endpoint<'_>,
    port: Port,
    same_pod: bool,
) -> bool {
    same_pod
        || (source_egress.allows(destination, destination, port)
            && destination_ingress.allows(source, destination, port))
}

#[cfg(test)]
mod tests {
    //! One group of tests per numbered point of SEMANTICS.md (points 1-6 are in coverage.rs).
    use super::*;
    use crate::model::{LabelSelector, Peer, NAMESPACE_NAME_LABEL};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        }
    }

    struct Pod {
        ns: &'static str,
        labels: Labels,
        ns_labels: Labels,
        ports: Vec<ContainerPort>,
    }

    impl Pod {
        fn new(ns: &'static str, l: &[(&str, &str)], ns_l: &[(&str, &str)]) -> Self {
            let mut ns_labels = labels(ns_l);
            ns_labels.insert(NAMESPACE_NAME_LABEL.into(), ns.into());
            Pod {
                ns,
                labels: labels(l),
                ns_labels,
                ports: vec![],
            }
        }
        fn with_port(mut self, name: &str, port: i64, protocol: Option<&str>) -> Self {
            self.ports.push(ContainerPort {
                name: Some(name.into()),
                port,
                protocol: protocol.map(str::to_owned),
            });
            self
        }
        fn ep(&self) -> Endpoint<'_> {
            Endpoint::Pod(PodRef {
                namespace: self.ns,
                labels: &self.labels,
                namespace_labels: &self.ns_labels,
                ports: &self.ports,
                service_account: "default",
                node_network: false,
                anonymous: false,
            })
        }
    }

    fn tcp(n: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            number: n,
        }
    }

    fn udp(n: u16) -> Port {
        Port {
            protocol: Protocol::Udp,
            number: n,
        }
    }

    fn ip(s: &str) -> Endpoint<'static> {
        Endpoint::Address(s.parse().unwrap())
    }

    fn rule(peers: Vec<Peer>, ports: Vec<PolicyPort>) -> CompiledRule {
        CompiledRule::compile(&Rule { peers, ports })
    }

    fn pods_peer(p: Option<LabelSelector>, n: Option<LabelSelector>) -> Peer {
        Peer {
            pod_selector: p,
            namespace_selector: n,
            ip_block: None,
        }
    }

    fn block(cidr: &str, except: &[&str]) -> Peer {
        Peer {
            ip_block: Some(IpBlock {
                cidr: cidr.into(),
                except: except.iter().map(|s| s.to_string()).collect(),
            }),
            ..Default::default()
        }
    }

    fn port(protocol: Option<&str>, p: Option<PortValue>, end: Option<i64>) -> PolicyPort {
        PolicyPort {
            protocol: protocol.map(str::to_owned),
            port: p,
            end_port: end,
        }
    }

    #[test]
    fn a_namespace_decides_a_rule_only_when_each_of_its_pods_gets_that_answer() {
        let empty = LabelSelector::default;
        let team = || Some(sel(&[("team", "t")]));
        let app = || Some(sel(&[("app", "x")]));
        let peers = [
            pods_peer(None, team()),
            pods_peer(Some(empty()), Some(empty())),
            pods_peer(Some(empty()), None),
            pods_peer(app(), team()),
            pods_peer(app(), None),
            block("0.0.0.0/0", &[]),
        ];
        let pods = [
            Pod::new("a", &[("app", "x")], &[("team", "t")]),
            Pod::new("a", &[], &[("team", "t")]),
            Pod::new("b", &[("app", "x")], &[]),
            Pod::new("b", &[], &[]),
        ];
        let (mut decided, mut by_labels) = (0, 0);
        // Every rule of up to two of the peers.
        for i in 0..=peers.len() {
            for j in i..=peers.len() {
                let chosen: Vec<Peer> = [i, j]
                    .iter()
                    .filter_map(|&n| peers.get(n).cloned())
                    .collect();
                let r = rule(chosen, vec![]);
                for ns in ["a", "b"] {
                    let ns_labels = &pods.iter().find(|p| p.ns == ns).unwrap().ns_labels;
                    let Some(m) = r.namespace_match("a", ns, ns_labels) else {
                        continue;
                    };
                    match m {
                        NamespaceMatch::All(_) => decided += 1,
                        NamespaceMatch::ByLabels { .. } => by_labels += 1,
                    }
                    for pod in pods.iter().filter(|p| p.ns == ns) {
                        assert_eq!(
                            r.peer_match("a", &pod.ep()),
                            m.of(&pod.labels),
                            "{r:?} in {ns}"
                        );
                    }
                }
            }
        }
        // And some rules it decides, some it leaves to each pod's labels.
        assert!(decided > 10 && by_labels > 5, "{decided} {by_labels}");
        let by_app = rule(vec![pods_peer(app(), team())], vec![]);
        assert!(matches!(
            by_app.namespace_match("a", "a", &pods[0].ns_labels),
            Some(NamespaceMatch::ByLabels { .. })
        ));
    }

    #[test]
    fn a_rule_matches_every_pod_only_when_it_matches_each_one() {
        let empty = LabelSelector::default;
        let cases = [
            (rule(vec![], vec![]), [true, true]),
            (
                rule(vec![pods_peer(None, Some(empty()))], vec![]),
                [true, false],
            ),
            (
                rule(vec![pods_peer(Some(empty()), Some(empty()))], vec![]),
                [true, false],
            ),
            // Its own namespace only; some pods only; no pod at all.
            (
                rule(vec![pods_peer(Some(empty()), None)], vec![]),
                [false, false],
            ),
            (
                rule(
                    vec![pods_peer(Some(sel(&[("app", "x")])), Some(empty()))],
                    vec![],
                ),
                [false, false],
            ),
            (rule(vec![block("0.0.0.0/0", &[])], vec![]), [false, false]),
        ];
        let pods = [
            Pod::new("a", &[("app", "x")], &[("team", "t")]),
            Pod::new("b", &[], &[]),
        ];
        for (r, [off_node, on_node]) in cases {
            assert_eq!(
                [r.matches_every_pod(false), r.matches_every_pod(true)],
                [off_node, on_node]
            );
            for pod in &pods {
                for node_network in [false, true] {
                    let Endpoint::Pod(mut p) = pod.ep() else {
                        unreachable!()
                    };
                    p.node_network = node_network;
                    if r.matches_every_pod(node_network) {
                        assert_eq!(r.peer_match("a", &Endpoint::Pod(p)), Match::Yes);
                    }
                }
            }
        }
        // What the pods do not all match.
        let some = rule(
            vec![pods_peer(Some(sel(&[("app", "x")])), Some(empty()))],
            vec![],
        );
        assert_eq!(some.peer_match("a", &pods[1].ep()), Match::No);
        let own = rule(vec![pods_peer(Some(empty()), None)], vec![]);
        assert_eq!(own.peer_match("a", &pods[1].ep()), Match::No);
    }

    // Point 7: peers AND ports within a rule; missing lists match everything.
    #[test]
    fn p7_empty_rule_allows_everything_including_addresses() {
        let r = rule(vec![], vec![]);
        let dst = Pod::new("a", &[], &[]);
        assert!(r.allows("a", &Pod::new("z", &[], &[]).ep(), &dst.ep(), tcp(1)));
        assert!(r.allows("a", &ip("203.0.113.9"), &dst.ep(), udp(53)));
    }

    #[test]
    fn p7_peers_and_ports_are_anded_items_ored() {
        let r = rule(
            vec![
                pods_peer(Some(sel(&[("app", "web")])), None),
                pods_peer(Some(sel(&[("app", "cli")])), None),
            ],
            vec![
                port(None, Some(PortValue::Number(80)), None),
                port(None, Some(PortValue::Number(443)), None),
            ],
        );
        let dst = Pod::new("a", &[], &[]);
        let web = Pod::new("a", &[("app", "web")], &[]);
        let cli = Pod::new("a", &[("app", "cli")], &[]);
        let other = Pod::new("a", &[("app", "x")], &[]);
        assert!(r.allows("a", &web.ep(), &dst.ep(), tcp(80)));
        assert!(r.allows("a", &cli.ep(), &dst.ep(), tcp(443)));
        assert!(
            !r.allows("a", &web.ep(), &dst.ep(), tcp(8080)),
            "port not listed"
        );
        assert!(
            !r.allows("a", &other.ep(), &dst.ep(), tcp(80)),
            "peer not listed"
        );
    }

    #[test]
    fn p7_isolated_side_without_rules_allows_nothing() {
        let side = SideRules {
            isolated: true,
            rules: vec![],
        };
        let p = Pod::new("a", &[], &[]);
        assert!(!side.allows(&p.ep(), &p.ep(), tcp(80)));
        let open = SideRules {
            isolated: false,
            rules: vec![],
        };
        assert!(open.allows(&p.ep(), &p.ep(), tcp(80)));
    }

    // Point 8: peers.
    #[test]
    fn p5_selectors_never_match_a_pod_on_its_node_network() {
        let agent = Pod::new("a", &[("app", "agent")], &[]);
        let dst = Pod::new("a", &[], &[]);
        let node = Endpoint::Pod(PodRef {
            node_network: true,
            ..match agent.ep() {
                Endpoint::Pod(p) => p,
                Endpoint::Address(_) => unreachable!(),
            }
        });
        for peer in [
            pods_peer(Some(sel(&[("app", "agent")])), None),
            pods_peer(None, Some(LabelSelector::default())),
            pods_peer(
                Some(LabelSelector::default()),
                Some(LabelSelector::default()),
            ),
        ] {
            let r = rule(vec![peer], vec![]);
            assert!(r.allows("a", &agent.ep(), &dst.ep(), tcp(1)), "pod model");
            assert!(!r.allows("a", &node, &dst.ep(), tcp(1)), "node model");
        }
        // An empty peer list is every source, the nodes included.
        assert!(rule(vec![], vec![]).allows("a", &node, &dst.ep(), tcp(1)));
    }

    #[test]
    fn p8_pod_selector_alone_looks_in_the_policy_namespace() {
        let r = rule(vec![pods_peer(Some(sel(&[("app", "web")])), None)], vec![]);
        let dst = Pod::new("a", &[], &[]);
        assert!(r.allows(
            "a",
            &Pod::new("a", &[("app", "web")], &[]).ep(),
            &dst.ep(),
            tcp(1)
        ));
        assert!(!r.allows(
            "a",
            &Pod::new("b", &[("app", "web")], &[]).ep(),
            &dst.ep(),
            tcp(1)
        ));
    }

    #[test]
    fn p8_namespace_selector_alone_is_every_pod_of_matching_namespaces_never_addresses() {
        let r = rule(vec![pods_peer(None, Some(sel(&[("env", "prod")])))], vec![]);
        let dst = Pod::new("a", &[], &[]);
        assert!(r.allows(
            "a",
            &Pod::new("p", &[("x", "y")], &[("env", "prod")]).ep(),
            &dst.ep(),
            tcp(1)
        ));
        assert!(!r.allows(
            "a",
            &Pod::new("d", &[], &[("env", "dev")]).ep(),
            &dst.ep(),
            tcp(1)
        ));
        let all_ns = rule(
            vec![pods_peer(None, Some(LabelSelector::default()))],
            vec![],
        );
        assert!(all_ns.allows("a", &Pod::new("q", &[], &[]).ep(), &dst.ep(), tcp(1)));
        assert!(!all_ns.allows("a", &ip("8.8.8.8"), &dst.ep(), tcp(1)));
    }

    #[test]
    fn p8_both_selectors_in_one_item_are_anded_separate_items_ored() {
        let dst = Pod::new("a", &[], &[]);
        let and = rule(
            vec![pods_peer(
                Some(sel(&[("app", "mon")])),
                Some(sel(&[("team", "ops")])),
            )],
            vec![],
        );
        let or = rule(
            vec![
                pods_peer(Some(sel(&[("app", "mon")])), None),
                pods_peer(None, Some(sel(&[("team", "ops")]))),
            ],
            vec![],
        );
        let mon_in_ops = Pod::new("ops", &[("app", "mon")], &[("team", "ops")]);
        let other_in_ops = Pod::new("ops", &[("app", "x")], &[("team", "ops")]);
        let mon_elsewhere = Pod::new("dev", &[("app", "mon")], &[]);
        assert!(and.allows("a", &mon_in_ops.ep(), &dst.ep(), tcp(1)));
        assert!(!and.allows("a", &other_in_ops.ep(), &dst.ep(), tcp(1)));
        assert!(!and.allows("a", &mon_elsewhere.ep(), &dst.ep(), tcp(1)));
        assert!(or.allows("a", &other_in_ops.ep(), &dst.ep(), tcp(1)));
        // The OR reading's podSelector item looks in the policy's namespace only.
        assert!(!or.allows("a", &mon_elsewhere.ep(), &dst.ep(), tcp(1)));
        assert!(or.allows(
            "a",
            &Pod::new("a", &[("app", "mon")], &[]).ep(),
            &dst.ep(),
            tcp(1)
        ));
    }

    #[test]
    fn p8_ip_block_with_except_narrows_only_its_own_peer() {
        let dst = Pod::new("a", &[], &[]);
        let r = rule(
            vec![
                block("10.0.0.0/8", &["10.1.0.0/16"]),
                block("10.1.2.0/24", &[]),
            ],
            vec![],
        );
        assert!(r.allows("a", &ip("10.2.3.4"), &dst.ep(), tcp(1)));
        assert!(
            !r.allows("a", &ip("10.1.9.9"), &dst.ep(), tcp(1)),
            "excepted"
        );
        assert!(
            r.allows("a", &ip("10.1.2.3"), &dst.ep(), tcp(1)),
            "the other peer allows it"
        );
        assert!(!r.allows("a", &ip("192.168.0.1"), &dst.ep(), tcp(1)));
        assert!(
            !r.allows("a", &Pod::new("a", &[], &[]).ep(), &dst.ep(), tcp(1)),
            "pods never match ipBlock"
        );
        let v6 = rule(vec![block("::/0", &[])], vec![]);
        assert!(v6.allows("a", &ip("2001:db8::1"), &dst.ep(), tcp(1)));
        assert!(!v6.allows("a", &ip("192.0.2.1"), &dst.ep(), tcp(1)));
    }

    #[test]
    fn p8_peers_the_api_server_refuses_match_nothing() {
        let dst = Pod::new("a", &[], &[]);
        let src = Pod::new("a", &[], &[]);
        let empty_peer = rule(vec![Peer::default()], vec![]);
        assert!(!empty_peer.allows("a", &src.ep(), &dst.ep(), tcp(1)));
        let mut mixed = block("0.0.0.0/0", &[]);
        mixed.pod_selector = Some(LabelSelector::default());
        assert!(!rule(vec![mixed], vec![]).allows("a", &ip("1.2.3.4"), &dst.ep(), tcp(1)));
        assert!(!rule(vec![block("10.0.0.0/33", &[])], vec![]).allows(
            "a",
            &ip("10.0.0.1"),
            &dst.ep(),
            tcp(1)
        ));
    }

    // Point 9: ports.
    #[test]
    fn p9_protocol_defaults_to_tcp() {
        let dst = Pod::new("a", &[], &[]);
        let r = rule(vec![], vec![port(None, Some(PortValue::Number(53)), None)]);
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(53)));
        assert!(!r.allows("a", &ip("1.1.1.1"), &dst.ep(), udp(53)));
    }

    #[test]
    fn p9_protocol_without_port_matches_every_port_of_it() {
        let dst = Pod::new("a", &[], &[]);
        let r = rule(vec![], vec![port(Some("UDP"), None, None)]);
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), udp(1)));
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), udp(65535)));
        assert!(
            !r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(53)),
            "UDP-only allow still isolates TCP"
        );
    }

    #[test]
    fn p9_end_port_is_inclusive() {
        let dst = Pod::new("a", &[], &[]);
        let r = rule(
            vec![],
            vec![port(None, Some(PortValue::Number(8000)), Some(8010))],
        );
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(8000)));
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(8010)));
        assert!(!r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(8011)));
        assert!(!r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(7999)));
    }

    #[test]
    fn p9_sctp_is_a_protocol_of_its_own() {
        let dst = Pod::new("a", &[], &[]);
        let r = rule(
            vec![],
            vec![port(Some("SCTP"), Some(PortValue::Number(9)), None)],
        );
        let sctp = Port {
            protocol: Protocol::Sctp,
            number: 9,
        };
        assert!(r.allows("a", &ip("1.1.1.1"), &dst.ep(), sctp));
        assert!(!r.allows("a", &ip("1.1.1.1"), &dst.ep(), tcp(9)));
    }

    // Point 10: named ports resolve on the destination.
    #[test]
    fn p10_named_port_resolves_on_destination_name_and_protocol() {
        let r = rule(
            vec![],
            vec![port(None, Some(PortValue::Name("http".into())), None)],
        );
        let web = Pod::new("a", &[], &[]).with_port("http", 8080, None);
        let dns = Pod::new("a", &[], &[]).with_port("http", 8080, Some("UDP"));
        let src = Pod::new("a", &[], &[]);
        assert!(r.allows("a", &src.ep(), &web.ep(), tcp(8080)));
        assert!(!r.allows("a", &src.ep(), &web.ep(), tcp(80)));
        assert!(
            !r.allows("a", &src.ep(), &dns.ep(), tcp(8080)),
            "protocol must match too"
        );
        let unnamed = Pod::new("a", &[], &[]);
        assert!(
            !r.allows("a", &src.ep(), &unnamed.ep(), tcp(8080)),
            "undefined name matches nothing"
        );
    }

    #[test]
    fn p10_named_port_never_matches_an_address() {
        let r = rule(
            vec![block("0.0.0.0/0", &[])],
            vec![port(None, Some(PortValue::Name("https".into())), None)],
        );
        assert!(!r.allows("a", &ip("1.2.3.4"), &ip("1.2.3.4"), tcp(443)));
    }

    // Points 4 and 11: both sides, and self traffic.
    #[test]
    fn p4_connection_needs_egress_and_ingress() {
        let src = Pod::new("a", &[("app", "web")], &[]);
        let dst = Pod::new("a", &[("app", "db")], &[]);
        let allow_web = rule(vec![pods_peer(Some(sel(&[("app", "web")])), None)], vec![]);
        let allow_db = rule(vec![pods_peer(Some(sel(&[("app", "db")])), None)], vec![]);
        let egress_ok = SideRules {
            isolated: true,
            rules: vec![("a", &allow_db)],
        };
        let egress_closed = SideRules {
            isolated: true,
            rules: vec![],
        };
        let ingress_ok = SideRules {
            isolated: true,
            rules: vec![("a", &allow_web)],
        };
        let ingress_open = SideRules {
            isolated: false,
            rules: vec![],
        };
        assert!(connection_allowed(
            &egress_ok,
            &ingress_ok,
            &src.ep(),
            &dst.ep(),
            tcp(5432),
            false
        ));
        assert!(!connection_allowed(
            &egress_closed,
            &ingress_ok,
            &src.ep(),
            &dst.ep(),
            tcp(5432),
            false
        ));
        assert!(connection_allowed(
            &egress_ok,
            &ingress_open,
            &src.ep(),
            &dst.ep(),
            tcp(5432),
            false
        ));
        // Additive: a second policy's rule can only add.
        let both = SideRules {
            isolated: true,
            rules: vec![("a", &allow_db), ("a", &allow_web)],
        };
        assert!(connection_allowed(
            &both,
            &ingress_ok,
            &src.ep(),
            &dst.ep(),
            tcp(1),
            false
        ));
    }

    #[test]
    fn p11_traffic_to_itself_cannot_be_blocked() {
        let p = Pod::new("a", &[], &[]);
        let closed = SideRules {
            isolated: true,
            rules: vec![],
        };
        assert!(connection_allowed(
            &closed,
            &closed,
            &p.ep(),
            &p.ep(),
            tcp(80),
            true
        ));
    }

    #[test]
    fn peers_keys_are_equal_exactly_when_the_peers_match_alike() {
        let local = rule(vec![pods_peer(Some(sel(&[("app", "web")])), None)], vec![]);
        let wide = rule(
            vec![pods_peer(Some(sel(&[("app", "web")])), Some(sel(&[])))],
            vec![],
        );
        let web_in = |ns| Pod::new(ns, &[("app", "web")], &[]);
        // A podSelector alone looks in the policy's namespace: the same text in two
        // namespaces matches other pods.
        assert_eq!(local.peer_match("a", &web_in("a").ep()), Match::Yes);
        assert_eq!(local.peer_match("b", &web_in("a").ep()), Match::No);
        assert_ne!(local.peers_key("a"), local.peers_key("b"));
        // With a namespaceSelector, the policy's namespace plays no part.
        assert_eq!(wide.peer_match("b", &web_in("a").ep()), Match::Yes);
        assert_eq!(wide.peers_key("a"), wide.peers_key("b"));
        // Ports are not peers.
        let with_port = rule(
            vec![pods_peer(Some(sel(&[("app", "web")])), None)],
            vec![PolicyPort {
                protocol: None,
                port: Some(PortValue::Number(80)),
                end_port: None,
            }],
        );
        assert_eq!(with_port.peers_key("a"), local.peers_key("a"));
        assert_ne!(wide.peers_key("a"), local.peers_key("a"));
    }

    /// `may_match_addresses` and `may_match_pod_network_pods` may only say `false` where
    /// `peer_match` answers `No` for every such endpoint (callers skip those endpoints).
    #[test]
    fn rules_that_cannot_match_addresses_or_pods_say_so() {
        let entities = |pods, world, host| Entities {
            pods,
            world_v4: world,
            world_v6: world,
            host,
            remote_node: host,
        };
        let any = |peer: CompiledPeer| CompiledRule {
            action: Action::Allow,
            peers: Peers::Any(vec![peer]),
            ports: vec![],
            not_ports: vec![],
        };
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        let web = Selector::compile(&sel(&[("app", "web")]));
        let rules = [
            (rule(vec![], vec![]), true, true),
            (
                rule(vec![pods_peer(Some(sel(&[])), None)], vec![]),
                false,
                true,
            ),
            (
                any(CompiledPeer::ClusterPods {
                    namespaces: web.clone(),
                    pods: web.clone(),
                }),
                false,
                true,
            ),
            (
                any(CompiledPeer::Block {
                    cidr: net("10.0.0.0/8"),
                    except: vec![],
                }),
                true,
                false,
            ),
            (
                any(CompiledPeer::Networks(vec![net("10.0.0.0/8")])),
                true,
                true,
            ),
            (any(CompiledPeer::Networks(vec![])), true, false),
            (any(CompiledPeer::Nodes), false, false),
            (any(CompiledPeer::DomainNames), true, false),
            (any(CompiledPeer::Everything), true, true),
            (any(CompiledPeer::Nothing), false, false),
            (
                any(CompiledPeer::Entities(entities(false, false, true))),
                false,
                false,
            ),
            (
                any(CompiledPeer::Entities(entities(true, false, false))),
                false,
                true,
            ),
            (
                any(CompiledPeer::Entities(entities(false, true, false))),
                true,
                false,
            ),
            (
                any(CompiledPeer::Unknown {
                    pods: Some("why"),
                    addresses: None,
                }),
                false,
                true,
            ),
            (
                any(CompiledPeer::Unknown {
                    pods: None,
                    addresses: Some("why"),
                }),
                true,
                false,
            ),
        ];
        let pods = [
            Pod::new("a", &[("app", "web")], &[]),
            Pod::new("b", &[("app", "web")], &[("app", "web")]),
            Pod::new("c", &[], &[]),
        ];
        let addresses = ["10.1.2.3", "8.8.8.8", "fd00::1", "2001:4860:4860::8888"].map(ip);
        for (i, (r, addresses_expected, pods_expected)) in rules.iter().enumerate() {
            assert_eq!(r.may_match_addresses(), *addresses_expected, "rule {i}");
            assert_eq!(r.may_match_pod_network_pods(), *pods_expected, "rule {i}");
            if !r.may_match_addresses() {
                for a in &addresses {
                    assert_eq!(r.peer_match("a", a), Match::No, "rule {i}, {a:?}");
                }
            }
            if !r.may_match_pod_network_pods() {
                for p in &pods {
                    assert_eq!(r.peer_match("a", &p.ep()), Match::No, "rule {i}");
                }
            }
        }
    }

    // `pod_anchors`: a pod carrying none of the labels is matched by no peer of the rule.
    #[test]
    fn a_rules_pod_anchors_are_labels_every_pod_it_matches_carries() {
        let not_in = LabelSelector {
            match_labels: vec![],
            match_expressions: vec![crate::model::Requirement {
                key: "tier".into(),
                operator: "NotIn".into(),
                values: vec!["db".into()],
            }],
        };
        let anchored = rule(
            vec![
                pods_peer(Some(sel(&[("app", "web")])), None),
                pods_peer(Some(sel(&[("team", "a")])), Some(sel(&[]))),
                block("10.0.0.0/8", &[]),
            ],
            vec![],
        );
        let shown = |r: &CompiledRule| r.pod_anchors().map(|a| format!("{a:?}"));
        assert_eq!(
            shown(&anchored).as_deref(),
            Some(r#"[Pair("app", "web"), Pair("team", "a")]"#)
        );
        let pods = [
            Pod::new("a", &[("app", "web")], &[]),
            Pod::new("b", &[("team", "a"), ("x", "y")], &[]),
            Pod::new("a", &[("app", "api"), ("team", "b")], &[]),
        ];
        for p in &pods {
            let carried = anchored.pod_anchors().unwrap().iter().any(|a| match *a {
                Anchor::Pair(k, v) => p.labels.get(k).is_some_and(|x| x == v),
                _ => unreachable!("only pairs here"),
            });
            assert_eq!(carried, anchored.peer_match("a", &p.ep()) != Match::No);
        }
        // Peers that may match a pod whatever its labels: no anchor.
        assert_eq!(shown(&rule(vec![], vec![])), None);
        assert_eq!(
            shown(&rule(vec![pods_peer(None, Some(sel(&[])))], vec![])),
            None
        );
        assert_eq!(
            shown(&rule(vec![pods_peer(Some(not_in), None)], vec![])),
            None
        );
        // Only addresses: no pod is matched, and nothing needs carrying.
        assert_eq!(
            shown(&rule(vec![block("10.0.0.0/8", &[])], vec![])).as_deref(),
            Some("[]")
        );
    }
}
