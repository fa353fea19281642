//! `reach` with the cluster-scoped tiers (ClusterNetworkPolicy Admin/Baseline,
//! AdminNetworkPolicy, BaselineAdminNetworkPolicy) must agree with a naive evaluator written
//! from SEMANTICS.md points 3-4, 7-16 and 23 alone, without the crate's code: random small
//! worlds are written as YAML, read by the crate's manifest reader, and asked about random
//! connections.
//!
//! Point 23: a narrow `networks` CIDR (10.0.0.0/8 here) against a pod is undecidable from
//! manifests. The naive evaluator is run with both readings (the CIDR holds every pod / none).
//! When they agree, `reach` must give that verdict; when they differ, `reach` must say
//! "unknown": not allowed, with the reason in `unknown` (exit 1, like a denial, in the CLI).

use std::net::Ipv4Addr;
use std::sync::Arc;

use netpol_check::connectivity::reach::{reach, End, PortSpec};
use netpol_check::connectivity::Engine;
use netpol_check::model::Protocol;
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---- The world, in this test's own terms. ----

const NS_NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
/// Values no YAML 1.1 reader takes for a boolean.
const VALUES: [&str; 3] = ["red", "blue", "green"];
const POD_KEYS: [&str; 2] = ["app", "tier"];
const NS_KEYS: [&str; 3] = ["env", "team", "kubernetes.io/metadata.name"];
const PORT_NAMES: [&str; 2] = ["http", "dns"];
const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
const NARROW: &str = "10.0.0.0/8";
const EVERYWHERE: &str = "0.0.0.0/0";
/// One address inside the narrow CIDR, one outside.
const ADDRESSES: [&str; 2] = ["10.1.2.3", "8.8.8.8"];

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    operator: &'static str,
    values: Vec<String>,
}

/// A label selector: at most one matchLabels pair and one requirement.
#[derive(Debug, Clone, Default)]
struct Sel {
    labels: Vec<(String, String)>,
    exprs: Vec<Requirement>,
}

#[derive(Debug, Clone)]
struct Ns {
    name: String,
    labels: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct ContainerPort {
    name: Option<&'static str>,
    number: u16,
    protocol: &'static str,
}

#[derive(Debug, Clone)]
struct Pod {
    name: String,
    ns: usize,
    labels: Vec<(String, String)>,
    ports: Vec<ContainerPort>,
}

#[derive(Debug, Clone)]
enum NpPeer {
    Pods(Sel),
    Namespaces(Sel),
    Both(Sel, Sel),
    IpBlock(&'static str),
}

#[derive(Debug, Clone)]
enum NpPortValue {
    Any,
    Number(u16),
    Range(u16, u16),
    Named(&'static str),
}

#[derive(Debug, Clone)]
struct NpPort {
    protocol: Option<&'static str>,
    value: NpPortValue,
}

#[derive(Debug, Clone)]
struct NpRule {
    peers: Vec<NpPeer>,
    ports: Vec<NpPort>,
}

#[derive(Debug, Clone)]
struct Np {
    ns: usize,
    pod_selector: Sel,
    /// None: omitted.
    types: Option<Vec<&'static str>>,
    ingress: Vec<NpRule>,
    egress: Vec<NpRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CnpAdmin,
    CnpBaseline,
    Anp,
    Banp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Allow,
    Deny,
    Pass,
}

#[derive(Debug, Clone)]
enum CPeer {
    Namespaces(Sel),
    Pods(Sel, Sel),
    /// Egress only.
    Networks(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum CPort {
    Number(&'static str, u16),
    Range(&'static str, u16, u16),
    Named(&'static str),
}

#[derive(Debug, Clone)]
struct CRule {
    action: Action,
    peers: Vec<CPeer>,
    ports: Option<Vec<CPort>>,
}

#[derive(Debug, Clone)]
struct Cp {
    kind: Kind,
    /// v1beta1 or v1alpha2 for ClusterNetworkPolicy.
    beta: bool,
    name: String,
    priority: i64,
    subject: CPeer,
    ingress: Vec<CRule>,
    egress: Vec<CRule>,
}

#[derive(Debug, Clone)]
struct World {
    namespaces: Vec<Ns>,
    pods: Vec<Pod>,
    nps: Vec<Np>,
    cps: Vec<Cp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Ingress,
    Egress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Pod(usize),
    Address(Ipv4Addr),
}

// ---- The naive evaluator. ----

/// The label selector section: matchLabels and matchExpressions ANDed; In, NotIn (key absent
/// or value not listed), Exists, DoesNotExist.
fn selects(sel: &Sel, labels: &[(String, String)]) -> bool {
    let get = |k: &str| labels.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    sel.labels.iter().all(|(k, v)| get(k) == Some(v))
        && sel.exprs.iter().all(|r| match r.operator {
            "In" => get(&r.key).is_some_and(|v| r.values.contains(v)),
            "NotIn" => get(&r.key).is_none_or(|v| !r.values.contains(v)),
            "Exists" => get(&r.key).is_some(),
            "DoesNotExist" => get(&r.key).is_none(),
            _ => unreachable!(),
        })
}

impl World {
    /// Point 6: every namespace carries its name label.
    fn ns_labels(&self, ns: usize) -> Vec<(String, String)> {
        let n = &self.namespaces[ns];
        let mut l = n.labels.clone();
        l.push(("kubernetes.io/metadata.name".into(), n.name.clone()));
        l
    }

    fn pod_labels(&self, pod: usize) -> &[(String, String)] {
        &self.pods[pod].labels
    }

    /// Point 10 / 14: a named port resolves on the destination pod, name and protocol.
    fn named_port(&self, dst: Who, name: &str, protocol: &str, port: u16) -> bool {
        match dst {
            Who::Address(_) => false,
            Who::Pod(d) => self.pods[d]
                .ports
                .iter()
                .any(|c| c.name == Some(name) && c.protocol == protocol && c.number == port),
        }
    }

    // -- NetworkPolicy tier: points 2, 3, 7-10. --

    fn np_types(np: &Np) -> (bool, bool) {
        match &np.types {
            None => (true, !np.egress.is_empty()),
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
        }
    }

    fn np_peer(&self, np: &Np, peer: &NpPeer, other: Who) -> bool {
        match (peer, other) {
            (NpPeer::IpBlock(cidr), Who::Address(ip)) => in_cidr(ip, cidr),
            (NpPeer::IpBlock(_), Who::Pod(_)) | (_, Who::Address(_)) => false,
            (NpPeer::Pods(s), Who::Pod(p)) => {
                self.pods[p].ns == np.ns && selects(s, self.pod_labels(p))
            }
            (NpPeer::Namespaces(s), Who::Pod(p)) => selects(s, &self.ns_labels(self.pods[p].ns)),
            (NpPeer::Both(pods, nss), Who::Pod(p)) => {
                selects(nss, &self.ns_labels(self.pods[p].ns)) && selects(pods, self.pod_labels(p))
            }
        }
    }

    fn np_port(&self, p: &NpPort, dst: Who, protocol: &str, port: u16) -> bool {
        if p.protocol.unwrap_or("TCP") != protocol {
            return false;
        }
        match p.value {
            NpPortValue::Any => true,
            NpPortValue::Number(n) => n == port,
            NpPortValue::Range(a, b) => a <= port && port <= b,
            NpPortValue::Named(name) => self.named_port(dst, name, protocol, port),
        }
    }

    /// `Some(allowed)` when NetworkPolicies isolate `me` in `dir`, else `None`.
    fn network_tier(
        &self,
        me: usize,
        dir: Dir,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
    ) -> Option<bool> {
        let mut isolated = false;
        let mut allowed = false;
        for np in &self.nps {
            if np.ns != self.pods[me].ns || !selects(&np.pod_selector, self.pod_labels(me)) {
                continue;
            }
            let (i, e) = Self::np_types(np);
            if !(match dir {
                Dir::Ingress => i,
                Dir::Egress => e,
            }) {
                continue;
            }
            isolated = true;
            let rules = match dir {
                Dir::Ingress => &np.ingress,
                Dir::Egress => &np.egress,
            };
            for r in rules {
                let peers =
                    r.peers.is_empty() || r.peers.iter().any(|x| self.np_peer(np, x, other));
                let ports = r.ports.is_empty()
                    || r.ports.iter().any(|x| self.np_port(x, dst, protocol, port));
                allowed |= peers && ports;
            }
        }
        isolated.then_some(allowed)
    }

    // -- Cluster-scoped tiers: points 12-15. --

    /// Point 13: subjects and `namespaces`/`pods` peers select pods; `networks` match outside
    /// addresses by containment, and pods when the CIDR is 0.0.0.0/0 or, for a narrower one,
    /// by the reading `narrow_holds_pods` (point 23: the manifests do not say).
    fn c_peer(&self, peer: &CPeer, who: Who, narrow_holds_pods: bool) -> bool {
        match (peer, who) {
            (CPeer::Namespaces(s), Who::Pod(p)) => selects(s, &self.ns_labels(self.pods[p].ns)),
            (CPeer::Pods(nss, pods), Who::Pod(p)) => {
                selects(nss, &self.ns_labels(self.pods[p].ns)) && selects(pods, self.pod_labels(p))
            }
            (CPeer::Networks(cidr), Who::Address(ip)) => in_cidr(ip, cidr),
            (CPeer::Networks(cidr), Who::Pod(_)) => *cidr == EVERYWHERE || narrow_holds_pods,
            (_, Who::Address(_)) => false,
        }
    }

    /// Point 14: absent ports match every port.
    fn c_port(&self, p: &CPort, dst: Who, protocol: &str, port: u16) -> bool {
        match *p {
            CPort::Number(proto, n) => proto == protocol && n == port,
            CPort::Range(proto, a, b) => proto == protocol && a <= port && port <= b,
            CPort::Named(name) => self.named_port(dst, name, protocol, port),
        }
    }

    /// The policies of a tier whose subject selects `me`, in evaluation order: priority
    /// ascending; in the Baseline tier the BaselineAdminNetworkPolicy after every
    /// ClusterNetworkPolicy.
    fn tier(&self, admin: bool, me: usize) -> Vec<&Cp> {
        let mut out: Vec<&Cp> = self
            .cps
            .iter()
            .filter(|c| matches!(c.kind, Kind::CnpAdmin | Kind::Anp) == admin)
            .filter(|c| self.c_peer(&c.subject, Who::Pod(me), false))
            .collect();
        out.sort_by_key(|c| (c.kind == Kind::Banp, c.priority));
        out
    }

    /// The first matching rule's action in a tier, if any.
    #[allow(clippy::too_many_arguments)]
    fn tier_action(
        &self,
        admin: bool,
        me: usize,
        dir: Dir,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
        narrow: bool,
    ) -> Option<Action> {
        for c in self.tier(admin, me) {
            let rules = match dir {
                Dir::Ingress => &c.ingress,
                Dir::Egress => &c.egress,
            };
            for r in rules {
                let peers = r.peers.iter().any(|x| self.c_peer(x, other, narrow));
                let ports = r
                    .ports
                    .as_ref()
                    .is_none_or(|ps| ps.iter().any(|x| self.c_port(x, dst, protocol, port)));
                if peers && ports {
                    return Some(r.action);
                }
            }
        }
        None
    }

    /// Point 12, one direction of one connection.
    #[allow(clippy::too_many_arguments)]
    fn side(
        &self,
        me: usize,
        dir: Dir,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
        narrow: bool,
    ) -> bool {
        match self.tier_action(true, me, dir, other, dst, protocol, port, narrow) {
            Some(Action::Allow) => return true,
            Some(Action::Deny) => return false,
            Some(Action::Pass) | None => {}
        }
        if let Some(allowed) = self.network_tier(me, dir, other, dst, protocol, port) {
            return allowed;
        }
        match self.tier_action(false, me, dir, other, dst, protocol, port, narrow) {
            Some(Action::Allow) => true,
            Some(Action::Deny) => false,
            Some(Action::Pass) | None => true,
        }
    }

    /// Point 4 (both sides) and 11 (a pod to itself).
    fn connection(&self, src: Who, dst: Who, protocol: &str, port: u16, narrow: bool) -> bool {
        if let (Who::Pod(a), Who::Pod(b)) = (src, dst) {
            if a == b {
                return true;
            }
        }
        let egress = match src {
            Who::Pod(a) => self.side(a, Dir::Egress, dst, dst, protocol, port, narrow),
            Who::Address(_) => true,
        };
        let ingress = match dst {
            Who::Pod(b) => self.side(b, Dir::Ingress, src, dst, protocol, port, narrow),
            Who::Address(_) => true,
        };
        egress && ingress
    }
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (addr, len) = cidr.split_once('/').unwrap();
    let addr = u32::from(addr.parse::<Ipv4Addr>().unwrap());
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == addr & mask
}

// ---- The world as YAML. ----

fn sel_json(s: &Sel) -> Value {
    let mut m = serde_json::Map::new();
    if !s.labels.is_empty() {
        m.insert(
            "matchLabels".into(),
            s.labels
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        );
    }
    if !s.exprs.is_empty() {
        let exprs: Vec<Value> = s
            .exprs
            .iter()
            .map(|r| {
                if r.values.is_empty() {
                    json!({"key": r.key, "operator": r.operator})
                } else {
                    json!({"key": r.key, "operator": r.operator, "values": r.values})
                }
            })
            .collect();
        m.insert("matchExpressions".into(), exprs.into());
    }
    Value::Object(m)
}

fn labels_json(l: &[(String, String)]) -> Value {
    l.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
}

impl World {
    fn np_json(&self, i: usize, np: &Np) -> Value {
        let peer = |p: &NpPeer| match p {
            NpPeer::Pods(s) => json!({"podSelector": sel_json(s)}),
            NpPeer::Namespaces(s) => json!({"namespaceSelector": sel_json(s)}),
            NpPeer::Both(pods, nss) => {
                json!({"podSelector": sel_json(pods), "namespaceSelector": sel_json(nss)})
            }
            NpPeer::IpBlock(cidr) => json!({"ipBlock": {"cidr": cidr}}),
        };
        let port = |p: &NpPort| {
            let mut m = serde_json::Map::new();
            if let Some(proto) = p.protocol {
                m.insert("protocol".into(), json!(proto));
            }
            match p.value {
                NpPortValue::Any => {}
                NpPortValue::Number(n) => {
                    m.insert("port".into(), json!(n));
                }
                NpPortValue::Range(a, b) => {
                    m.insert("port".into(), json!(a));
                    m.insert("endPort".into(), json!(b));
                }
                NpPortValue::Named(name) => {
                    m.insert("port".into(), json!(name));
                }
            }
            Value::Object(m)
        };
        let rules = |rs: &[NpRule], field: &str| -> Value {
            rs.iter()
                .map(|r| {
                    json!({field: r.peers.iter().map(peer).collect::<Vec<_>>(),
                           "ports": r.ports.iter().map(port).collect::<Vec<_>>()})
                })
                .collect()
        };
        let mut spec = json!({"podSelector": sel_json(&np.pod_selector),
                              "ingress": rules(&np.ingress, "from"),
                              "egress": rules(&np.egress, "to")});
        if let Some(t) = &np.types {
            spec["policyTypes"] = json!(t);
        }
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": format!("np{i}"), "namespace": self.namespaces[np.ns].name},
               "spec": spec})
    }
}

fn c_peer_json(p: &CPeer) -> Value {
    match p {
        CPeer::Namespaces(s) => json!({"namespaces": sel_json(s)}),
        CPeer::Pods(nss, pods) => {
            json!({"pods": {"namespaceSelector": sel_json(nss), "podSelector": sel_json(pods)}})
        }
        CPeer::Networks(cidr) => json!({"networks": [cidr]}),
    }
}

fn cp_json(c: &Cp) -> Value {
    let cnp = matches!(c.kind, Kind::CnpAdmin | Kind::CnpBaseline);
    let port = |p: &CPort| -> Value {
        match (*p, cnp) {
            (CPort::Number(proto, n), true) => {
                json!({proto.to_ascii_lowercase(): {"destinationPort": {"number": n}}})
            }
            (CPort::Range(proto, a, b), true) => {
                json!({proto.to_ascii_lowercase(): {"destinationPort": {"range": {"start": a, "end": b}}}})
            }
            (CPort::Named(name), true) => json!({"destinationNamedPort": name}),
            (CPort::Number(proto, n), false) => {
                json!({"portNumber": {"protocol": proto, "port": n}})
            }
            (CPort::Range(proto, a, b), false) => {
                json!({"portRange": {"protocol": proto, "start": a, "end": b}})
            }
            (CPort::Named(name), false) => json!({"namedPort": name}),
        }
    };
    let rules = |rs: &[CRule], field: &str| -> Value {
        rs.iter()
            .enumerate()
            .map(|(i, r)| {
                let action = match (r.action, cnp) {
                    (Action::Allow, true) => "Accept",
                    (Action::Allow, false) => "Allow",
                    (Action::Deny, _) => "Deny",
                    (Action::Pass, _) => "Pass",
                };
                let mut rule = json!({"name": format!("r{i}"), "action": action,
                                      field: r.peers.iter().map(c_peer_json).collect::<Vec<_>>()});
                if let Some(ps) = &r.ports {
                    rule[if cnp { "protocols" } else { "ports" }] =
                        ps.iter().map(port).collect::<Vec<_>>().into();
                }
                rule
            })
            .collect()
    };
    let mut spec = json!({"subject": c_peer_json(&c.subject),
                          "ingress": rules(&c.ingress, "from"),
                          "egress": rules(&c.egress, "to")});
    let (api, kind) = match c.kind {
        Kind::CnpAdmin | Kind::CnpBaseline => {
            spec["tier"] = json!(if c.kind == Kind::CnpAdmin {
                "Admin"
            } else {
                "Baseline"
            });
            spec["priority"] = json!(c.priority);
            (
                if c.beta { "v1beta1" } else { "v1alpha2" },
                "ClusterNetworkPolicy",
            )
        }
        Kind::Anp => {
            spec["priority"] = json!(c.priority);
            ("v1alpha1", "AdminNetworkPolicy")
        }
        Kind::Banp => ("v1alpha1", "BaselineAdminNetworkPolicy"),
    };
    json!({"apiVersion": format!("policy.networking.k8s.io/{api}"), "kind": kind,
           "metadata": {"name": c.name}, "spec": spec})
}

impl World {
    /// Flow-style YAML documents (JSON is YAML), so that every string is quoted.
    fn yaml(&self) -> String {
        let mut docs: Vec<Value> = Vec::new();
        for n in &self.namespaces {
            docs.push(json!({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": n.name, "labels": labels_json(&n.labels)}}));
        }
        for p in &self.pods {
            let ports: Vec<Value> = p
                .ports
                .iter()
                .map(|c| {
                    let mut v = json!({"containerPort": c.number, "protocol": c.protocol});
                    if let Some(name) = c.name {
                        v["name"] = json!(name);
                    }
                    v
                })
                .collect();
            docs.push(json!({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": p.name, "namespace": self.namespaces[p.ns].name,
                                          "labels": labels_json(&p.labels)},
                             "spec": {"containers": [{"name": "c", "image": "i", "ports": ports}]}}));
        }
        for (i, np) in self.nps.iter().enumerate() {
            docs.push(self.np_json(i, np));
        }
        for c in &self.cps {
            docs.push(cp_json(c));
        }
        docs.iter().map(|d| format!("---\n{d}\n")).collect()
    }

    fn engine_inventory(&self) -> netpol_check::model::Inventory {
        let loaded = [Loaded {
            name: Arc::from("world.yaml"),
            text: self.yaml(),
        }];
        build_inventory(parse_all(&loaded, &ManifestOptions::default()).expect("the world parses"))
    }
}

// ---- Random worlds. ----

fn pairs(keys: &'static [&'static str], ns_names: usize) -> BoxedStrategy<Vec<(String, String)>> {
    prop::collection::btree_map(prop::sample::select(keys.to_vec()), 0usize..3, 0..3)
        .prop_map(move |m| {
            m.into_iter()
                .map(|(k, v)| (k.to_string(), value_of(k, v, ns_names)))
                .collect()
        })
        .boxed()
}

/// Values of the name label are namespace names; other keys take `VALUES`.
fn value_of(key: &str, i: usize, ns_names: usize) -> String {
    if key == "kubernetes.io/metadata.name" {
        NS_NAMES[i % ns_names].to_string()
    } else {
        VALUES[i].to_string()
    }
}

fn sel(keys: &'static [&'static str], ns_names: usize) -> BoxedStrategy<Sel> {
    let req = (
        prop::sample::select(keys.to_vec()),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::collection::btree_set(0usize..3, 1..3),
    )
        .prop_map(move |(k, op, vals)| Requirement {
            key: k.into(),
            operator: op,
            values: if op == "In" || op == "NotIn" {
                vals.into_iter().map(|v| value_of(k, v, ns_names)).collect()
            } else {
                vec![]
            },
        });
    let some =
        (pairs(keys, ns_names), prop::collection::vec(req, 0..2)).prop_map(|(labels, exprs)| Sel {
            labels: labels.into_iter().take(1).collect(),
            exprs,
        });
    // `{}` one time in three, so that policies often meet on the same pods.
    prop_oneof![1 => Just(Sel::default()), 2 => some].boxed()
}

fn pod_sel() -> BoxedStrategy<Sel> {
    sel(&POD_KEYS, 4)
}

fn ns_sel(n: usize) -> BoxedStrategy<Sel> {
    sel(&NS_KEYS, n)
}

fn protocol() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PROTOCOLS.to_vec())
}

fn base_port() -> impl Strategy<Value = u16> {
    prop::sample::select(vec![53u16, 80, 8080])
}

fn np_rule(n: usize, ingress: bool) -> impl Strategy<Value = NpRule> {
    let peer = prop_oneof![
        pod_sel().prop_map(NpPeer::Pods),
        ns_sel(n).prop_map(NpPeer::Namespaces),
        (pod_sel(), ns_sel(n)).prop_map(|(p, s)| NpPeer::Both(p, s)),
        prop::sample::select(vec![EVERYWHERE, NARROW]).prop_map(NpPeer::IpBlock),
    ];
    let port = (
        prop::option::of(protocol()),
        0u8..4,
        base_port(),
        prop::sample::select(vec![1u16, 5]),
        prop::sample::select(PORT_NAMES.to_vec()),
    )
        .prop_map(|(protocol, shape, n, w, name)| NpPort {
            protocol,
            value: match shape {
                0 => NpPortValue::Any,
                1 => NpPortValue::Number(n),
                2 => NpPortValue::Range(n, n + w),
                _ => NpPortValue::Named(name),
            },
        });
    let _ = ingress;
    (
        prop::collection::vec(peer, 0..3),
        prop::collection::vec(port, 0..3),
    )
        .prop_map(|(peers, ports)| NpRule { peers, ports })
}

fn np(n: usize) -> impl Strategy<Value = Np> {
    (
        0..n,
        pod_sel(),
        prop_oneof![
            Just(None),
            Just(Some(vec!["Ingress"])),
            Just(Some(vec!["Egress"])),
            Just(Some(vec!["Ingress", "Egress"])),
        ],
        prop::collection::vec(np_rule(n, true), 0..3),
        prop::collection::vec(np_rule(n, false), 0..3),
    )
        .prop_map(|(ns, pod_selector, types, ingress, egress)| Np {
            ns,
            pod_selector,
            types,
            ingress,
            egress,
        })
}

fn subject(n: usize) -> impl Strategy<Value = CPeer> {
    prop_oneof![
        ns_sel(n).prop_map(CPeer::Namespaces),
        (ns_sel(n), pod_sel()).prop_map(|(a, b)| CPeer::Pods(a, b)),
    ]
}

fn c_rule(n: usize, egress: bool, baseline_singleton: bool) -> impl Strategy<Value = CRule> {
    let peer = if egress {
        prop_oneof![
            2 => ns_sel(n).prop_map(CPeer::Namespaces),
            2 => (ns_sel(n), pod_sel()).prop_map(|(a, b)| CPeer::Pods(a, b)),
            1 => Just(CPeer::Networks(EVERYWHERE)),
            1 => Just(CPeer::Networks(NARROW)),
        ]
        .boxed()
    } else {
        prop_oneof![
            ns_sel(n).prop_map(CPeer::Namespaces),
            (ns_sel(n), pod_sel()).prop_map(|(a, b)| CPeer::Pods(a, b)),
        ]
        .boxed()
    };
    let actions = if baseline_singleton {
        vec![Action::Allow, Action::Deny]
    } else {
        vec![Action::Allow, Action::Deny, Action::Pass]
    };
    let port = prop_oneof![
        (protocol(), base_port()).prop_map(|(p, n)| CPort::Number(p, n)),
        (protocol(), base_port(), prop::sample::select(vec![1u16, 5]))
            .prop_map(|(p, n, w)| CPort::Range(p, n, n + w)),
        prop::sample::select(PORT_NAMES.to_vec()).prop_map(CPort::Named),
    ];
    (
        prop::sample::select(actions),
        prop::collection::vec(peer, 1..3),
        // Mostly every port, so that rules of several policies meet.
        prop::option::weighted(0.4, prop::collection::vec(port, 1..3)),
    )
        .prop_map(|(action, peers, mut ports)| {
            // The CRDs refuse named ports next to address peers.
            if peers.iter().any(|p| matches!(p, CPeer::Networks(_))) {
                if let Some(ps) = &mut ports {
                    ps.retain(|p| !matches!(p, CPort::Named(_)));
                    if ps.is_empty() {
                        ports = None;
                    }
                }
            }
            CRule {
                action,
                peers,
                ports,
            }
        })
}

fn cp(n: usize, kind: Kind) -> impl Strategy<Value = Cp> {
    let banp = kind == Kind::Banp;
    (
        subject(n),
        prop::collection::vec(c_rule(n, false, banp), 0..4),
        prop::collection::vec(c_rule(n, true, banp), 0..4),
        any::<bool>(),
    )
        .prop_map(move |(subject, ingress, egress, beta)| Cp {
            kind,
            beta,
            name: String::new(),
            priority: 0,
            subject,
            ingress,
            egress,
        })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::CnpAdmin,
        Kind::CnpBaseline,
        Kind::Anp,
        Kind::Banp,
    ])
}

fn world() -> impl Strategy<Value = World> {
    (2usize..=4).prop_flat_map(|n| {
        let namespaces = prop::collection::vec(pairs(&["env", "team"], n), n).prop_map(|ls| {
            ls.into_iter()
                .enumerate()
                .map(|(i, labels)| Ns {
                    name: NS_NAMES[i].to_string(),
                    labels,
                })
                .collect::<Vec<_>>()
        });
        let container_port = (
            prop::option::of(prop::sample::select(PORT_NAMES.to_vec())),
            base_port(),
            prop::sample::select(vec!["TCP", "UDP"]),
        )
            .prop_map(|(name, number, protocol)| ContainerPort {
                name,
                number,
                protocol,
            });
        let pod = (
            0..n,
            pairs(&POD_KEYS, n),
            prop::collection::vec(container_port, 0..3),
        )
            .prop_map(|(ns, labels, mut ports)| {
                // Port names are unique in a pod.
                let mut seen = Vec::new();
                ports.retain(|p| {
                    p.name.is_none_or(|name| {
                        let new = !seen.contains(&name);
                        seen.push(name);
                        new
                    })
                });
                Pod {
                    name: String::new(),
                    ns,
                    labels,
                    ports,
                }
            });
        let cps = prop::collection::vec(kind(), 0..=4).prop_flat_map(move |kinds| {
            // One BaselineAdminNetworkPolicy at most: it is a singleton named `default`.
            let mut seen_banp = false;
            let kinds: Vec<Kind> = kinds
                .into_iter()
                .map(|k| {
                    if k == Kind::Banp && std::mem::replace(&mut seen_banp, true) {
                        Kind::CnpBaseline
                    } else {
                        k
                    }
                })
                .collect();
            let count = kinds.len();
            (
                kinds.into_iter().map(|k| cp(n, k)).collect::<Vec<_>>(),
                // Distinct priorities (point 16's ties have their own test).
                prop::collection::btree_set(0i64..=1000, count)
                    .prop_map(|s| s.into_iter().collect::<Vec<_>>())
                    .prop_shuffle(),
            )
                .prop_map(|(mut cps, priorities)| {
                    for (i, (c, p)) in cps.iter_mut().zip(priorities).enumerate() {
                        c.priority = p;
                        c.name = if c.kind == Kind::Banp {
                            "default".into()
                        } else {
                            format!("cp{i}")
                        };
                    }
                    cps
                })
        });
        (
            namespaces,
            prop::collection::vec(pod, 2..6),
            prop::collection::vec(np(n), 0..4),
            cps,
        )
            .prop_map(|(namespaces, mut pods, nps, cps)| {
                for (i, p) in pods.iter_mut().enumerate() {
                    p.name = format!("p{i}");
                }
                World {
                    namespaces,
                    pods,
                    nps,
                    cps,
                }
            })
    })
}

/// A question: (source, destination) among the pods and the addresses, a protocol and a port
/// (the rules' ports, the ends of their ranges, one past, and a port nothing names).
fn question() -> impl Strategy<Value = (usize, usize, bool, &'static str, u16)> {
    (
        0usize..5,
        0usize..7,
        any::<bool>(),
        protocol(),
        prop::sample::select(vec![53u16, 54, 58, 80, 85, 86, 8080, 8081, 9000]),
    )
}

fn check(
    world: &World,
    questions: &[(usize, usize, bool, &'static str, u16)],
) -> Result<(), TestCaseError> {
    let inventory = world.engine_inventory();
    prop_assert_eq!(inventory.cluster_policies.len(), world.cps.len());
    let engine = Engine::new(&inventory);
    let index = |name: &str| {
        inventory
            .workloads
            .iter()
            .position(|w| w.name == name)
            .expect("every pod is read")
    };
    let pods = world.pods.len();
    for &(s, d, address_is_source, protocol, port) in questions {
        let s = s % pods;
        let (src, dst) = if d < pods {
            (Who::Pod(s), Who::Pod(d))
        } else {
            let ip: Ipv4Addr = ADDRESSES[d % 2].parse().unwrap();
            if address_is_source {
                (Who::Address(ip), Who::Pod(s))
            } else {
                (Who::Pod(s), Who::Address(ip))
            }
        };
        let end = |w: Who| match w {
            Who::Pod(p) => End::Workload(index(&world.pods[p].name)),
            Who::Address(ip) => End::Address(ip.into()),
        };
        let outside = world.connection(src, dst, protocol, port, false);
        let inside = world.connection(src, dst, protocol, port, true);
        let spec = PortSpec::Number(port);
        let got = reach(
            &engine,
            end(src),
            end(dst),
            Some((Protocol::parse(protocol).unwrap(), &spec)),
        )
        .unwrap();
        let what = format!("{src:?} -> {dst:?} {protocol} {port}");
        if outside == inside {
            prop_assert_eq!(
                got.allowed,
                outside,
                "{}: expected {}, got {:?}\n{}",
                what,
                outside,
                got,
                world.yaml()
            );
        } else {
            prop_assert!(
                !got.allowed && got.unknown.is_some(),
                "{}: depends on whether {} holds pods, expected unknown, got {:?}\n{}",
                what,
                NARROW,
                got,
                world.yaml()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn reach_agrees_with_a_naive_tier_evaluator(
        world in world(),
        questions in prop::collection::vec(question(), 16),
    ) {
        check(&world, &questions)?;
    }
}

/// Point 16: two Admin policies with the same priority that both match, one allowing and one
/// denying: either order is the implementation's right, so `reach` answers "unknown" and names
/// both. Agreeing actions, or distinct priorities, give a plain verdict.
#[test]
fn same_priority_policies_that_disagree_make_reach_unknown() {
    let everyone = || CPeer::Namespaces(Sel::default());
    let policy = |kind, name: &str, priority, action| Cp {
        kind,
        beta: true,
        name: name.into(),
        priority,
        subject: everyone(),
        ingress: vec![],
        egress: vec![CRule {
            action,
            peers: vec![everyone()],
            ports: None,
        }],
    };
    let world = |cps| World {
        namespaces: vec![Ns {
            name: "alpha".into(),
            labels: vec![],
        }],
        pods: ["p0", "p1"]
            .map(|name| Pod {
                name: name.into(),
                ns: 0,
                labels: vec![],
                ports: vec![],
            })
            .to_vec(),
        nps: vec![],
        cps,
    };
    let ask = |w: &World| {
        let inventory = w.engine_inventory();
        let engine = Engine::new(&inventory);
        let spec = PortSpec::Number(80);
        let r = reach(
            &engine,
            End::Workload(0),
            End::Workload(1),
            Some((Protocol::Tcp, &spec)),
        )
        .unwrap();
        let ambiguous = r.answer.egress.as_ref().unwrap().decision.ambiguous;
        (r.allowed, r.unknown, ambiguous.is_some())
    };

    let tie = world(vec![
        policy(Kind::Anp, "allow-all", 7, Action::Allow),
        policy(Kind::CnpAdmin, "deny-all", 7, Action::Deny),
    ]);
    let (allowed, unknown, ambiguous) = ask(&tie);
    assert!(!allowed && ambiguous);
    let unknown = unknown.expect("an ambiguous verdict is unknown");
    assert!(
        unknown.contains("AdminNetworkPolicy allow-all")
            && unknown.contains("ClusterNetworkPolicy deny-all")
            && unknown.contains("point 16"),
        "{unknown}"
    );

    let agree = world(vec![
        policy(Kind::Anp, "deny-a", 7, Action::Deny),
        policy(Kind::CnpAdmin, "deny-b", 7, Action::Deny),
    ]);
    assert_eq!(ask(&agree), (false, None, false));

    let ordered = world(vec![
        policy(Kind::Anp, "allow-all", 7, Action::Allow),
        policy(Kind::CnpAdmin, "deny-all", 8, Action::Deny),
    ]);
    assert_eq!(ask(&ordered), (true, None, false));
}

/// Point 23 on the command line: an admin Deny to a narrow `networks` CIDR decides a
/// pod-to-pod connection only if the destination's address lies inside, which manifests do
/// not say: `reach` answers "unknown" with the reason, exit status 1; a port the rule does
/// not name stays allowed.
#[test]
fn reach_says_unknown_when_a_narrow_cidr_decides() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.yaml");
    let world = World {
        namespaces: vec![Ns {
            name: "alpha".into(),
            labels: vec![],
        }],
        pods: ["p0", "p1"]
            .map(|name| Pod {
                name: name.into(),
                ns: 0,
                labels: vec![],
                ports: vec![],
            })
            .to_vec(),
        nps: vec![],
        cps: vec![Cp {
            kind: Kind::Anp,
            beta: false,
            name: "no-internal-https".into(),
            priority: 3,
            subject: CPeer::Namespaces(Sel::default()),
            ingress: vec![],
            egress: vec![CRule {
                action: Action::Deny,
                peers: vec![CPeer::Networks(NARROW)],
                ports: Some(vec![CPort::Number("TCP", 443)]),
            }],
        }],
    };
    std::fs::write(&file, world.yaml()).unwrap();
    let run = |port: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-netpol_check"))
            .args(["reach", "-f", file.to_str().unwrap(), "-n", "alpha"])
            .args(["pod/p0", "pod/p1", "--port", port, "-o", "json"])
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), json)
    };
    let (code, json) = run("443");
    assert_eq!(code, Some(1));
    assert_eq!(json["verdict"], "unknown", "{json}");
    let reason = json["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("narrow `networks` CIDR"), "{json}");
    let (code, json) = run("80");
    assert_eq!((code, &json["verdict"]), (Some(0), &json!("allowed")));
}
