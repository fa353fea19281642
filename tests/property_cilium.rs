//! `reach` on a Cilium cluster must agree with a naive evaluator written from SEMANTICS.md
//! points 1-11 and 17-19 alone, without the crate's code: random small worlds of Namespaces,
//! Pods, Kubernetes NetworkPolicies, CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies
//! are written as YAML, read by the crate's manifest reader, and asked about random connections.
//!
//! The naive evaluator, per direction of a pod (point 4: a connection needs the source's egress
//! and the destination's ingress; point 11: a pod reaches itself): NetworkPolicies and Cilium
//! rules selecting the pod form one layer. The pod is default-deny when any of them asks for it
//! (point 3 for NetworkPolicies, point 18 for Cilium rules with a non-empty section and no
//! `enableDefaultDeny: false`), or always in mode `always`; the allowed traffic is the union of
//! every allow rule (point 7-10, 19) minus anything a deny rule matches (point 19); mode `never`
//! allows everything.

use std::net::Ipv4Addr;
use std::sync::Arc;

use netpol_check::connectivity::reach::{reach, End, PortSpec};
use netpol_check::connectivity::Engine;
use netpol_check::model::{CiliumMode, Protocol};
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---- The world, in this test's own terms. ----

const NS_NAMES: [&str; 3] = ["alpha", "beta", "gamma"];
/// Values no YAML 1.1 reader takes for a boolean.
const VALUES: [&str; 3] = ["red", "blue", "green"];
const POD_KEYS: [&str; 2] = ["app", "tier"];
const NS_KEYS: [&str; 2] = ["env", "team"];
const PORT_NAMES: [&str; 2] = ["http", "dns"];
const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
const EVERYWHERE: &str = "0.0.0.0/0";
const NARROW: &str = "10.0.0.0/8";
const EXCEPT: &str = "10.96.0.0/12";
/// Inside NARROW, inside EXCEPT, outside both.
const ADDRESSES: [&str; 3] = ["10.1.2.3", "10.96.0.10", "8.8.8.8"];
const NS_LABEL: &str = "io.kubernetes.pod.namespace";
const NS_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    operator: &'static str,
    values: Vec<String>,
}

/// A label selector as written: keys may carry a source prefix (`k8s:`, `any:`) and be
/// Cilium's pseudo-labels.
#[derive(Debug, Clone, Default)]
struct Sel {
    labels: Vec<(String, String)>,
    exprs: Vec<Requirement>,
}

impl Sel {
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.exprs.iter().map(|r| r.key.as_str()))
            .map(unprefixed)
    }
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
    IpBlock(&'static str, Option<&'static str>),
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
    types: Option<Vec<&'static str>>,
    ingress: Vec<NpRule>,
    egress: Vec<NpRule>,
}

/// The L3 peer of one Cilium rule: at most one kind (point 19).
#[derive(Debug, Clone)]
enum Peer {
    /// No L3 field: every peer when `toPorts` is set; an empty rule (`{}`) otherwise.
    None,
    Endpoints(Vec<Sel>),
    Entities(Vec<&'static str>),
    /// `toCIDR` / `fromCIDR`.
    Cidr(Vec<&'static str>),
    /// `toCIDRSet` / `fromCIDRSet`, with an optional `except`.
    CidrSet(Vec<(&'static str, Option<&'static str>)>),
}

#[derive(Debug, Clone)]
struct CPort {
    /// A number (`"0"`: every port), or a name.
    port: &'static str,
    end_port: Option<u16>,
    /// `None`: left out (any protocol).
    protocol: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct PortRule {
    ports: Vec<CPort>,
    /// An HTTP rule: narrows requests, never the connection.
    l7: bool,
}

#[derive(Debug, Clone)]
struct PeerRule {
    peer: Peer,
    to_ports: Option<Vec<PortRule>>,
}

#[derive(Debug, Clone, Default)]
struct CRule {
    selector: Sel,
    ingress: Option<Vec<PeerRule>>,
    ingress_deny: Option<Vec<PeerRule>>,
    egress: Option<Vec<PeerRule>>,
    egress_deny: Option<Vec<PeerRule>>,
    default_deny_ingress: Option<bool>,
    default_deny_egress: Option<bool>,
}

/// A CiliumNetworkPolicy (`ns` set) or CiliumClusterwideNetworkPolicy.
#[derive(Debug, Clone)]
struct Cp {
    ns: Option<usize>,
    name: String,
    rules: Vec<CRule>,
    /// Written as `specs` (else `spec`, one rule).
    specs: bool,
}

#[derive(Debug, Clone)]
struct World {
    namespaces: Vec<Ns>,
    pods: Vec<Pod>,
    nps: Vec<Np>,
    cps: Vec<Cp>,
    mode: Option<CiliumMode>,
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

/// Point 17: `k8s:` and `any:` keys match pod labels like keys without a source prefix.
fn unprefixed(key: &str) -> &str {
    key.strip_prefix("k8s:")
        .or_else(|| key.strip_prefix("any:"))
        .unwrap_or(key)
}

/// The label selector section of SEMANTICS.md.
fn selects(sel: &Sel, labels: &[(String, String)]) -> bool {
    let get = |k: &str| {
        let k = unprefixed(k);
        labels.iter().find(|(key, _)| key == k).map(|(_, v)| v)
    };
    sel.labels.iter().all(|(k, v)| get(k) == Some(v))
        && sel.exprs.iter().all(|r| match r.operator {
            "In" => get(&r.key).is_some_and(|v| r.values.contains(v)),
            "NotIn" => get(&r.key).is_none_or(|v| !r.values.contains(v)),
            "Exists" => get(&r.key).is_some(),
            "DoesNotExist" => get(&r.key).is_none(),
            _ => unreachable!(),
        })
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (addr, len) = cidr.split_once('/').unwrap();
    let addr = u32::from(addr.parse::<Ipv4Addr>().unwrap());
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == addr & mask
}

fn direction<T>(dir: Dir, ingress: T, egress: T) -> T {
    match dir {
        Dir::Ingress => ingress,
        Dir::Egress => egress,
    }
}

impl World {
    /// Point 6: every namespace carries its name label.
    fn ns_labels(&self, ns: usize) -> Vec<(String, String)> {
        let n = &self.namespaces[ns];
        let mut l = n.labels.clone();
        l.push(("kubernetes.io/metadata.name".into(), n.name.clone()));
        l
    }

    /// Point 17: a pod's labels with the pseudo-labels Cilium gives it.
    fn identity(&self, pod: usize) -> Vec<(String, String)> {
        let p = &self.pods[pod];
        let mut l = p.labels.clone();
        l.push((NS_LABEL.into(), self.namespaces[p.ns].name.clone()));
        for (k, v) in self.ns_labels(p.ns) {
            l.push((format!("{NS_LABELS_PREFIX}{k}"), v));
        }
        l
    }

    /// Point 10 / 19: a named port resolves on the destination pod, name and protocol.
    fn named_port(&self, dst: Who, name: &str, protocol: &str, port: u16) -> bool {
        match dst {
            Who::Address(_) => false,
            Who::Pod(d) => self.pods[d]
                .ports
                .iter()
                .any(|c| c.name == Some(name) && c.protocol == protocol && c.number == port),
        }
    }

    // -- Kubernetes NetworkPolicy: points 1-3, 7-10. --

    fn np_types(np: &Np) -> (bool, bool) {
        match &np.types {
            None => (true, !np.egress.is_empty()),
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
        }
    }

    fn np_peer(&self, np: &Np, peer: &NpPeer, other: Who) -> bool {
        match (peer, other) {
            (NpPeer::IpBlock(cidr, except), Who::Address(ip)) => {
                in_cidr(ip, cidr) && except.is_none_or(|e| !in_cidr(ip, e))
            }
            // On Cilium, address peers never match pods (point 19); selectors never match
            // outside addresses (point 8).
            (NpPeer::IpBlock(..), Who::Pod(_)) | (_, Who::Address(_)) => false,
            (NpPeer::Pods(s), Who::Pod(p)) => {
                self.pods[p].ns == np.ns && selects(s, &self.pods[p].labels)
            }
            (NpPeer::Namespaces(s), Who::Pod(p)) => selects(s, &self.ns_labels(self.pods[p].ns)),
            (NpPeer::Both(pods, nss), Who::Pod(p)) => {
                selects(nss, &self.ns_labels(self.pods[p].ns))
                    && selects(pods, &self.pods[p].labels)
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

    // -- Cilium: points 17-19. --

    /// Point 17. `peer`: a fromEndpoints/toEndpoints selector, which a CNP confines to its
    /// namespace unless it has a term on the namespace pseudo-labels; the endpointSelector of a
    /// CNP always selects in its own namespace.
    fn c_selects(&self, cp: &Cp, sel: &Sel, pod: usize, peer: bool) -> bool {
        let names_namespaces = sel
            .keys()
            .any(|k| k == NS_LABEL || k.starts_with(NS_LABELS_PREFIX));
        let confined = match cp.ns {
            Some(ns) if !peer || !names_namespaces => Some(ns),
            _ => None,
        };
        confined.is_none_or(|ns| self.pods[pod].ns == ns) && selects(sel, &self.identity(pod))
    }

    /// Point 19: one kind of peer; endpoints are pods only, CIDRs addresses only; entities.
    fn c_peer(&self, cp: &Cp, peer: &Peer, other: Who) -> bool {
        match (peer, other) {
            (Peer::None, _) => true,
            (Peer::Endpoints(sels), Who::Pod(p)) => {
                sels.iter().any(|s| self.c_selects(cp, s, p, true))
            }
            (Peer::Endpoints(_), Who::Address(_)) => false,
            // `host` (like `remote-node`, `kube-apiserver`) is neither a pod nor outside.
            (Peer::Entities(es), _) => es.iter().any(|e| {
                matches!(
                    (*e, other),
                    ("all", _) | ("world", Who::Address(_)) | ("cluster", Who::Pod(_))
                )
            }),
            (Peer::Cidr(cidrs), Who::Address(ip)) => cidrs.iter().any(|c| in_cidr(ip, c)),
            (Peer::CidrSet(set), Who::Address(ip)) => set
                .iter()
                .any(|(c, except)| in_cidr(ip, c) && except.is_none_or(|e| !in_cidr(ip, e))),
            (Peer::Cidr(_) | Peer::CidrSet(_), Who::Pod(_)) => false,
        }
    }

    /// Point 19: protocol ANY or left out is TCP, UDP and SCTP; port 0 every port; endPort
    /// inclusive; a name resolves on the destination.
    fn c_port(&self, p: &CPort, dst: Who, protocol: &str, port: u16) -> bool {
        if !matches!(p.protocol, None | Some("ANY")) && p.protocol != Some(protocol) {
            return false;
        }
        match p.port.parse::<u16>() {
            Ok(0) => true,
            Ok(n) => match p.end_port {
                Some(end) => n <= port && port <= end,
                None => n == port,
            },
            Err(_) => self.named_port(dst, p.port, protocol, port),
        }
    }

    fn c_rule(
        &self,
        cp: &Cp,
        r: &PeerRule,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
    ) -> bool {
        // An empty rule selects nothing (point 19).
        if matches!(r.peer, Peer::None) && r.to_ports.is_none() {
            return false;
        }
        self.c_peer(cp, &r.peer, other)
            && r.to_ports.as_ref().is_none_or(|prs| {
                prs.iter()
                    .any(|pr| pr.ports.iter().any(|p| self.c_port(p, dst, protocol, port)))
            })
    }

    /// Point 18: a rule with every section empty is refused, and with it its whole policy.
    fn enforced(cp: &Cp) -> bool {
        let some = |s: &Option<Vec<PeerRule>>| s.as_ref().is_some_and(|v| !v.is_empty());
        cp.rules.iter().all(|r| {
            some(&r.ingress) || some(&r.ingress_deny) || some(&r.egress) || some(&r.egress_deny)
        })
    }

    /// One direction of one connection, for pod `me`.
    #[allow(clippy::too_many_arguments)]
    fn side(&self, me: usize, dir: Dir, other: Who, dst: Who, protocol: &str, port: u16) -> bool {
        let mode = self.mode.unwrap_or_default();
        if mode == CiliumMode::Never {
            return true;
        }
        let mut default_deny = mode == CiliumMode::Always;
        let mut allowed = false;
        let mut denied = false;
        for np in &self.nps {
            if np.ns != self.pods[me].ns || !selects(&np.pod_selector, &self.pods[me].labels) {
                continue;
            }
            let (i, e) = Self::np_types(np);
            if !direction(dir, i, e) {
                continue;
            }
            default_deny = true;
            for r in direction(dir, &np.ingress, &np.egress) {
                let peers =
                    r.peers.is_empty() || r.peers.iter().any(|x| self.np_peer(np, x, other));
                let ports = r.ports.is_empty()
                    || r.ports.iter().any(|x| self.np_port(x, dst, protocol, port));
                allowed |= peers && ports;
            }
        }
        for cp in self.cps.iter().filter(|cp| Self::enforced(cp)) {
            for r in &cp.rules {
                if !self.c_selects(cp, &r.selector, me, false) {
                    continue;
                }
                let allows = direction(dir, &r.ingress, &r.egress)
                    .as_deref()
                    .unwrap_or(&[]);
                let denies = direction(dir, &r.ingress_deny, &r.egress_deny)
                    .as_deref()
                    .unwrap_or(&[]);
                let opt_out = direction(dir, r.default_deny_ingress, r.default_deny_egress);
                if (!allows.is_empty() || !denies.is_empty()) && opt_out != Some(false) {
                    default_deny = true;
                }
                allowed |= allows
                    .iter()
                    .any(|x| self.c_rule(cp, x, other, dst, protocol, port));
                denied |= denies
                    .iter()
                    .any(|x| self.c_rule(cp, x, other, dst, protocol, port));
            }
        }
        !denied && (allowed || !default_deny)
    }

    /// Point 4 (both sides) and 11 (a pod to itself).
    fn connection(&self, src: Who, dst: Who, protocol: &str, port: u16) -> bool {
        if let (Who::Pod(a), Who::Pod(b)) = (src, dst) {
            if a == b {
                return true;
            }
        }
        let egress = match src {
            Who::Pod(a) => self.side(a, Dir::Egress, dst, dst, protocol, port),
            Who::Address(_) => true,
        };
        let ingress = match dst {
            Who::Pod(b) => self.side(b, Dir::Ingress, src, dst, protocol, port),
            Who::Address(_) => true,
        };
        egress && ingress
    }
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

fn np_json(world: &World, i: usize, np: &Np) -> Value {
    let peer = |p: &NpPeer| match p {
        NpPeer::Pods(s) => json!({"podSelector": sel_json(s)}),
        NpPeer::Namespaces(s) => json!({"namespaceSelector": sel_json(s)}),
        NpPeer::Both(pods, nss) => {
            json!({"podSelector": sel_json(pods), "namespaceSelector": sel_json(nss)})
        }
        NpPeer::IpBlock(cidr, None) => json!({"ipBlock": {"cidr": cidr}}),
        NpPeer::IpBlock(cidr, Some(e)) => json!({"ipBlock": {"cidr": cidr, "except": [e]}}),
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
           "metadata": {"name": format!("np{i}"), "namespace": world.namespaces[np.ns].name},
           "spec": spec})
}

fn peer_rule_json(r: &PeerRule, dir: Dir) -> Value {
    let mut m = serde_json::Map::new();
    let field = |ingress: &str, egress: &str| direction(dir, ingress, egress).to_owned();
    match &r.peer {
        Peer::None => {}
        Peer::Endpoints(sels) => {
            m.insert(
                field("fromEndpoints", "toEndpoints"),
                sels.iter().map(sel_json).collect(),
            );
        }
        Peer::Entities(es) => {
            m.insert(field("fromEntities", "toEntities"), json!(es));
        }
        Peer::Cidr(cidrs) => {
            m.insert(field("fromCIDR", "toCIDR"), json!(cidrs));
        }
        Peer::CidrSet(set) => {
            let set: Vec<Value> = set
                .iter()
                .map(|(c, e)| match e {
                    Some(e) => json!({"cidr": c, "except": [e]}),
                    None => json!({"cidr": c}),
                })
                .collect();
            m.insert(field("fromCIDRSet", "toCIDRSet"), set.into());
        }
    }
    if let Some(prs) = &r.to_ports {
        let prs: Vec<Value> = prs
            .iter()
            .map(|pr| {
                let ports: Vec<Value> = pr
                    .ports
                    .iter()
                    .map(|p| {
                        let mut v = json!({"port": p.port});
                        if let Some(e) = p.end_port {
                            v["endPort"] = json!(e);
                        }
                        if let Some(proto) = p.protocol {
                            v["protocol"] = json!(proto);
                        }
                        v
                    })
                    .collect();
                let mut v = json!({"ports": ports});
                if pr.l7 {
                    v["rules"] = json!({"http": [{"method": "GET", "path": "/"}]});
                }
                v
            })
            .collect();
        m.insert("toPorts".into(), prs.into());
    }
    Value::Object(m)
}

fn c_rule_json(r: &CRule) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("endpointSelector".into(), sel_json(&r.selector));
    let sections = [
        ("ingress", &r.ingress, Dir::Ingress),
        ("ingressDeny", &r.ingress_deny, Dir::Ingress),
        ("egress", &r.egress, Dir::Egress),
        ("egressDeny", &r.egress_deny, Dir::Egress),
    ];
    for (name, section, dir) in sections {
        if let Some(rules) = section {
            m.insert(
                name.into(),
                rules.iter().map(|x| peer_rule_json(x, dir)).collect(),
            );
        }
    }
    let mut edd = serde_json::Map::new();
    if let Some(b) = r.default_deny_ingress {
        edd.insert("ingress".into(), json!(b));
    }
    if let Some(b) = r.default_deny_egress {
        edd.insert("egress".into(), json!(b));
    }
    if !edd.is_empty() {
        m.insert("enableDefaultDeny".into(), Value::Object(edd));
    }
    Value::Object(m)
}

fn cp_json(world: &World, cp: &Cp) -> Value {
    let mut metadata = json!({"name": cp.name});
    let kind = match cp.ns {
        Some(ns) => {
            metadata["namespace"] = json!(world.namespaces[ns].name);
            "CiliumNetworkPolicy"
        }
        None => "CiliumClusterwideNetworkPolicy",
    };
    let mut v = json!({"apiVersion": "cilium.io/v2", "kind": kind, "metadata": metadata});
    if cp.specs {
        v["specs"] = cp.rules.iter().map(c_rule_json).collect();
    } else {
        v["spec"] = c_rule_json(&cp.rules[0]);
    }
    v
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
            docs.push(np_json(self, i, np));
        }
        for cp in &self.cps {
            docs.push(cp_json(self, cp));
        }
        docs.iter().map(|d| format!("---\n{d}\n")).collect()
    }

    fn inventory(&self) -> netpol_check::model::Inventory {
        let loaded = [Loaded {
            name: Arc::from("world.yaml"),
            text: self.yaml(),
        }];
        let mut inventory = build_inventory(
            parse_all(&loaded, &ManifestOptions::default()).expect("the world parses"),
        );
        // What `--cilium-policy-mode` sets for manifests.
        if self.mode.is_some() {
            inventory.cilium_mode = self.mode;
        }
        inventory
    }
}

// ---- Random worlds. ----

fn pairs(keys: &'static [&'static str]) -> BoxedStrategy<Vec<(String, String)>> {
    prop::collection::btree_map(prop::sample::select(keys.to_vec()), 0usize..3, 0..3)
        .prop_map(|m| {
            m.into_iter()
                .map(|(k, v)| (k.to_string(), VALUES[v].to_string()))
                .collect()
        })
        .boxed()
}

fn values() -> BoxedStrategy<Vec<String>> {
    prop::collection::btree_set(0usize..3, 1..3)
        .prop_map(|s| s.into_iter().map(|i| VALUES[i].to_string()).collect())
        .boxed()
}

fn requirement(keys: &'static [&'static str]) -> BoxedStrategy<Requirement> {
    (
        prop::sample::select(keys.to_vec()),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        values(),
    )
        .prop_map(|(k, op, vals)| Requirement {
            key: k.into(),
            operator: op,
            values: if op == "In" || op == "NotIn" {
                vals
            } else {
                vec![]
            },
        })
        .boxed()
}

/// A selector over plain labels of `keys`, at most one pair and one requirement; `{}` one
/// time in three, so that policies often meet on the same pods.
fn sel(keys: &'static [&'static str]) -> BoxedStrategy<Sel> {
    let some = (pairs(keys), prop::collection::vec(requirement(keys), 0..2)).prop_map(
        |(labels, exprs)| Sel {
            labels: labels.into_iter().take(1).collect(),
            exprs,
        },
    );
    prop_oneof![1 => Just(Sel::default()), 2 => some].boxed()
}

/// A pod selector as Cilium reads it: keys sometimes written with their source prefix.
fn c_pod_sel() -> BoxedStrategy<Sel> {
    (
        sel(&POD_KEYS),
        prop::sample::select(vec!["", "", "k8s:", "any:"]),
    )
        .prop_map(|(mut s, prefix)| {
            for (k, _) in &mut s.labels {
                *k = format!("{prefix}{k}");
            }
            for r in &mut s.exprs {
                r.key = format!("{prefix}{}", r.key);
            }
            s
        })
        .boxed()
}

/// A term on the namespace pseudo-labels: a matchLabels pair or a requirement.
type NsTerm = (Option<(String, String)>, Option<Requirement>);

/// A term on the namespace pseudo-labels (point 17), if any.
fn ns_term(n: usize) -> BoxedStrategy<Option<NsTerm>> {
    let names = move || {
        prop::collection::btree_set(0..n, 1..=n).prop_map(|s| {
            s.into_iter()
                .map(|i| NS_NAMES[i].to_string())
                .collect::<Vec<_>>()
        })
    };
    prop_oneof![
        3 => Just(None),
        1 => (0..n, prop::sample::select(vec!["", "k8s:"]))
            .prop_map(|(i, p)| Some((Some((format!("{p}{NS_LABEL}"), NS_NAMES[i].to_string())), None))),
        1 => (names(), prop::sample::select(vec!["In", "NotIn"]))
            .prop_map(|(vals, op)| Some((None, Some(Requirement { key: NS_LABEL.into(), operator: op, values: vals })))),
        1 => (prop::sample::select(NS_KEYS.to_vec()), 0usize..3)
            .prop_map(|(k, v)| Some((Some((format!("{NS_LABELS_PREFIX}{k}"), VALUES[v].to_string())), None))),
    ]
    .boxed()
}

/// A pod selector with, sometimes, a namespace term.
fn c_sel_with_ns(n: usize) -> BoxedStrategy<Sel> {
    (c_pod_sel(), ns_term(n))
        .prop_map(|(mut s, term)| {
            if let Some((label, req)) = term {
                s.labels.extend(label);
                s.exprs.extend(req);
            }
            s
        })
        .boxed()
}

fn protocol() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PROTOCOLS.to_vec())
}

fn np_rule() -> impl Strategy<Value = NpRule> {
    let peer = prop_oneof![
        sel(&POD_KEYS).prop_map(NpPeer::Pods),
        sel(&NS_KEYS).prop_map(NpPeer::Namespaces),
        (sel(&POD_KEYS), sel(&NS_KEYS)).prop_map(|(p, s)| NpPeer::Both(p, s)),
        prop::sample::select(vec![
            NpPeer::IpBlock(EVERYWHERE, None),
            NpPeer::IpBlock(NARROW, None),
            NpPeer::IpBlock(NARROW, Some(EXCEPT)),
        ]),
    ];
    let port = (
        prop::option::of(protocol()),
        0u8..4,
        prop::sample::select(vec![53u16, 80, 8080]),
        prop::sample::select(PORT_NAMES.to_vec()),
    )
        .prop_map(|(protocol, shape, n, name)| NpPort {
            protocol,
            value: match shape {
                0 => NpPortValue::Any,
                1 => NpPortValue::Number(n),
                2 => NpPortValue::Range(n, n + 1),
                _ => NpPortValue::Named(name),
            },
        });
    (
        prop::collection::vec(peer, 0..3),
        prop::collection::vec(port, 0..3),
    )
        .prop_map(|(peers, ports)| NpRule { peers, ports })
}

fn np(n: usize) -> impl Strategy<Value = Np> {
    (
        0..n,
        sel(&POD_KEYS),
        prop_oneof![
            Just(None),
            Just(Some(vec!["Ingress"])),
            Just(Some(vec!["Egress"])),
            Just(Some(vec!["Ingress", "Egress"])),
        ],
        prop::collection::vec(np_rule(), 0..3),
        prop::collection::vec(np_rule(), 0..3),
    )
        .prop_map(|(ns, pod_selector, types, ingress, egress)| Np {
            ns,
            pod_selector,
            types,
            ingress,
            egress,
        })
}

fn c_port() -> impl Strategy<Value = CPort> {
    (
        prop::sample::select(vec![
            ("0", None),
            ("53", None),
            ("80", None),
            ("8080", None),
            ("http", None),
            ("dns", None),
            ("80", Some(443u16)),
            ("53", Some(54)),
        ]),
        prop::sample::select(vec![
            None,
            Some("TCP"),
            Some("UDP"),
            Some("SCTP"),
            Some("ANY"),
        ]),
    )
        .prop_map(|((port, end_port), protocol)| CPort {
            port,
            end_port,
            protocol,
        })
}

fn peer_rule(n: usize, allow: bool) -> BoxedStrategy<PeerRule> {
    let peer = prop_oneof![
        2 => Just(Peer::None),
        3 => prop::collection::vec(c_sel_with_ns(n), 1..3).prop_map(Peer::Endpoints),
        2 => prop::collection::vec(
            prop::sample::select(vec!["world", "cluster", "all", "host"]),
            1..3
        )
        .prop_map(Peer::Entities),
        1 => prop::collection::vec(prop::sample::select(vec![EVERYWHERE, NARROW, "8.8.8.0/24"]), 1..3)
            .prop_map(Peer::Cidr),
        1 => prop::collection::vec(
            prop::sample::select(vec![(NARROW, Some(EXCEPT)), (NARROW, None), (EVERYWHERE, Some(NARROW))]),
            1..3
        )
        .prop_map(Peer::CidrSet),
    ];
    let port_rule =
        (prop::collection::vec(c_port(), 1..3), any::<bool>()).prop_map(move |(ports, l7)| {
            // Cilium refuses L7 rules in deny rules, and HTTP rules on anything but numbered TCP
            // ports: only policies it accepts are written.
            let http_ok = ports
                .iter()
                .all(|p| p.protocol == Some("TCP") && p.port.parse::<u16>().is_ok_and(|n| n > 0));
            PortRule {
                l7: allow && l7 && http_ok,
                ports,
            }
        });
    (
        peer,
        prop::option::weighted(0.5, prop::collection::vec(port_rule, 1..3)),
    )
        .prop_map(|(peer, to_ports)| PeerRule { peer, to_ports })
        .boxed()
}

fn section(n: usize, allow: bool) -> BoxedStrategy<Option<Vec<PeerRule>>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(vec![])),
        4 => prop::collection::vec(peer_rule(n, allow), 1..3).prop_map(Some),
    ]
    .boxed()
}

fn c_rule(n: usize, clusterwide: bool) -> BoxedStrategy<CRule> {
    // A CNP's endpointSelector always selects in its own namespace; namespace terms there
    // are left to CCNPs.
    let selector = if clusterwide {
        c_sel_with_ns(n)
    } else {
        c_pod_sel()
    };
    let edd = || prop::sample::select(vec![None, None, Some(true), Some(false)]);
    (
        selector,
        section(n, true),
        section(n, false),
        section(n, true),
        section(n, false),
        edd(),
        edd(),
    )
        .prop_map(
            |(selector, ingress, ingress_deny, egress, egress_deny, ddi, dde)| CRule {
                selector,
                ingress,
                ingress_deny,
                egress,
                egress_deny,
                default_deny_ingress: ddi,
                default_deny_egress: dde,
            },
        )
        .boxed()
}

fn cp(n: usize) -> BoxedStrategy<Cp> {
    (prop::option::weighted(0.7, 0..n), any::<bool>())
        .prop_flat_map(move |(ns, specs)| {
            let rules =
                prop::collection::vec(c_rule(n, ns.is_none()), if specs { 1..3 } else { 1..2 });
            (Just(ns), Just(specs), rules)
        })
        .prop_map(|(ns, specs, rules)| Cp {
            ns,
            name: String::new(),
            rules,
            specs,
        })
        .boxed()
}

fn world() -> impl Strategy<Value = World> {
    (2usize..=3).prop_flat_map(|n| {
        let namespaces = prop::collection::vec(pairs(&NS_KEYS), n).prop_map(|ls| {
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
            prop::sample::select(vec![53u16, 80, 8080]),
            prop::sample::select(vec!["TCP", "UDP"]),
        )
            .prop_map(|(name, number, protocol)| ContainerPort {
                name,
                number,
                protocol,
            });
        let pod = (
            0..n,
            pairs(&POD_KEYS),
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
        (
            namespaces,
            prop::collection::vec(pod, 2..5),
            prop::collection::vec(np(n), 0..3),
            prop::collection::vec(cp(n), 1..4),
            prop::sample::select(vec![
                None,
                None,
                Some(CiliumMode::Default),
                Some(CiliumMode::Always),
                Some(CiliumMode::Never),
            ]),
        )
            .prop_map(|(namespaces, mut pods, nps, mut cps, mode)| {
                for (i, p) in pods.iter_mut().enumerate() {
                    p.name = format!("p{i}");
                }
                for (i, c) in cps.iter_mut().enumerate() {
                    c.name = format!("cp{i}");
                }
                World {
                    namespaces,
                    pods,
                    nps,
                    cps,
                    mode,
                }
            })
    })
}

/// A question: (source, destination) among the pods and the addresses, a protocol and a port
/// (the rules' ports, the ends of their ranges, one past, and ports nothing names).
fn question() -> impl Strategy<Value = (usize, usize, bool, &'static str, u16)> {
    (
        0usize..4,
        0usize..7,
        any::<bool>(),
        protocol(),
        prop::sample::select(vec![53u16, 54, 55, 80, 443, 444, 8080, 9000]),
    )
}

fn check(
    world: &World,
    questions: &[(usize, usize, bool, &'static str, u16)],
) -> Result<(), TestCaseError> {
    let inventory = world.inventory();
    prop_assert_eq!(
        inventory.cilium_policies.len(),
        world.cps.len(),
        "every Cilium policy is read\n{}",
        world.yaml()
    );
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
            let ip: Ipv4Addr = ADDRESSES[d % 3].parse().unwrap();
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
        let expected = world.connection(src, dst, protocol, port);
        let spec = PortSpec::Number(port);
        let got = reach(
            &engine,
            end(src),
            end(dst),
            Some((Protocol::parse(protocol).unwrap(), &spec)),
        )
        .unwrap();
        prop_assert!(
            got.allowed == expected && got.unknown.is_none(),
            "{:?} -> {:?} {} {} (mode {:?}): expected {}, got {:?}\n{}",
            src,
            dst,
            protocol,
            port,
            world.mode,
            expected,
            got,
            world.yaml()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reach_agrees_with_a_naive_cilium_evaluator(
        world in world(),
        questions in prop::collection::vec(question(), 16),
    ) {
        check(&world, &questions)?;
    }
}

/// The evaluator itself, on hand-worked cases, so that a mistake in it cannot hide behind a
/// matching mistake in the crate.
#[test]
fn the_naive_evaluator_follows_the_points_it_cites() {
    let pod = |name: &str, ns, app: &str| Pod {
        name: name.into(),
        ns,
        labels: vec![("app".into(), app.into())],
        ports: vec![ContainerPort {
            name: Some("http"),
            number: 8080,
            protocol: "TCP",
        }],
    };
    let app = |v: &str| Sel {
        labels: vec![("app".into(), v.into())],
        exprs: vec![],
    };
    let base = World {
        namespaces: vec![
            Ns {
                name: "alpha".into(),
                labels: vec![("env".into(), "red".into())],
            },
            Ns {
                name: "beta".into(),
                labels: vec![],
            },
        ],
        pods: vec![pod("p0", 0, "web"), pod("p1", 0, "db"), pod("p2", 1, "web")],
        nps: vec![],
        cps: vec![],
        mode: None,
    };
    let outside = Who::Address("8.8.8.8".parse().unwrap());
    let cnp = |rule: CRule| Cp {
        ns: Some(0),
        name: "c".into(),
        rules: vec![rule],
        specs: false,
    };
    // `ingress: [{}]` on db: default deny, nothing allowed (point 19).
    let mut w = base.clone();
    w.cps = vec![cnp(CRule {
        selector: app("db"),
        ingress: Some(vec![PeerRule {
            peer: Peer::None,
            to_ports: None,
        }]),
        ..CRule::default()
    })];
    assert!(!w.connection(Who::Pod(0), Who::Pod(1), "TCP", 80));
    assert!(w.connection(Who::Pod(1), Who::Pod(0), "TCP", 80));
    // fromEndpoints `{}` in a CNP: its own namespace only; a namespace term lifts that.
    w.cps[0].rules[0].ingress = Some(vec![PeerRule {
        peer: Peer::Endpoints(vec![Sel::default()]),
        to_ports: None,
    }]);
    assert!(w.connection(Who::Pod(0), Who::Pod(1), "TCP", 80));
    assert!(!w.connection(Who::Pod(2), Who::Pod(1), "TCP", 80));
    assert!(!w.connection(outside, Who::Pod(1), "TCP", 80));
    w.cps[0].rules[0].ingress = Some(vec![PeerRule {
        peer: Peer::Endpoints(vec![Sel {
            labels: vec![(format!("k8s:{NS_LABEL}"), "beta".into())],
            exprs: vec![],
        }]),
        to_ports: None,
    }]);
    assert!(w.connection(Who::Pod(2), Who::Pod(1), "TCP", 80));
    assert!(!w.connection(Who::Pod(0), Who::Pod(1), "TCP", 80));
    // A named port resolves on the destination; an ingressDeny wins over the allow.
    w.cps[0].rules[0].ingress = Some(vec![PeerRule {
        peer: Peer::Entities(vec!["all"]),
        to_ports: Some(vec![PortRule {
            ports: vec![CPort {
                port: "http",
                end_port: None,
                protocol: None,
            }],
            l7: true,
        }]),
    }]);
    assert!(w.connection(outside, Who::Pod(1), "TCP", 8080));
    assert!(!w.connection(outside, Who::Pod(1), "TCP", 80));
    w.cps[0].rules[0].ingress_deny = Some(vec![PeerRule {
        peer: Peer::Entities(vec!["world"]),
        to_ports: None,
    }]);
    assert!(!w.connection(outside, Who::Pod(1), "TCP", 8080));
    assert!(w.connection(Who::Pod(0), Who::Pod(1), "TCP", 8080));
    // enableDefaultDeny.ingress false: the deny still applies, nothing else is closed.
    w.cps[0].rules[0].default_deny_ingress = Some(false);
    assert!(w.connection(Who::Pod(0), Who::Pod(1), "UDP", 53));
    assert!(!w.connection(outside, Who::Pod(1), "TCP", 8080));
    // A NetworkPolicy isolating db joins the same layer: its allows add to the CNP's.
    w.nps = vec![Np {
        ns: 0,
        pod_selector: app("db"),
        types: None,
        ingress: vec![NpRule {
            peers: vec![NpPeer::Pods(app("web"))],
            ports: vec![NpPort {
                protocol: Some("UDP"),
                value: NpPortValue::Number(53),
            }],
        }],
        egress: vec![],
    }];
    assert!(w.connection(Who::Pod(0), Who::Pod(1), "UDP", 53));
    assert!(w.connection(Who::Pod(0), Who::Pod(1), "TCP", 8080));
    assert!(!w.connection(Who::Pod(0), Who::Pod(1), "TCP", 80));
    // Modes.
    w.mode = Some(CiliumMode::Never);
    assert!(w.connection(outside, Who::Pod(1), "TCP", 8080));
    w.mode = Some(CiliumMode::Always);
    assert!(!w.connection(Who::Pod(2), Who::Pod(0), "TCP", 80));
    // A rule with every section empty voids its policy (point 18).
    let mut v = base.clone();
    v.cps = vec![cnp(CRule {
        selector: app("db"),
        ingress: Some(vec![]),
        ..CRule::default()
    })];
    assert!(!World::enforced(&v.cps[0]));
    assert!(v.connection(Who::Pod(0), Who::Pod(1), "TCP", 80));
}
