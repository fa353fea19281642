//! `reach` on a Calico cluster must agree with a naive evaluator written from SEMANTICS.md
//! points 1-11 and 20-21 alone, without the crate's code: random small worlds of Namespaces,
//! Pods, Kubernetes NetworkPolicies, Calico NetworkPolicies and GlobalNetworkPolicies in tiers
//! are written as YAML, read by the crate's manifest reader, and asked about random
//! connections.
//!
//! The naive evaluator, per direction of a pod (point 4: a connection needs the source's egress
//! and the destination's ingress; point 11: a pod reaches itself): tiers by (order, name), no
//! order last, `default` at 1,000,000 holding the Kubernetes NetworkPolicies at order 1000; a
//! tier none of whose policies selects the pod for that direction (types defaulted as point 20
//! says) is skipped; in the others, policies by order, rules in order, the first matching rule
//! decides: Allow and Deny are final, Pass goes to the next tier, Log goes on; a tier whose
//! policies match nothing applies its defaultAction (Deny unless Pass); past the last tier,
//! allowed.
//!
//! Point 23: a narrow `nets` CIDR against a pod is undecidable from manifests. The evaluator is
//! run with both readings (the CIDR holds every pod / none): when they agree, `reach` must give
//! that verdict; when they differ, it must say "unknown" (not allowed, with a reason).
//!
//! Where SEMANTICS.md says nothing this test draws nothing: two Calico policies of one tier never
//! share an order (Calico's tie-break is not specified there) and none takes the Kubernetes
//! policies' 1000; `notSelector` and `serviceAccounts` only appear in GlobalNetworkPolicies,
//! whose rule selectors span namespaces.

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::sync::Arc;

use netpol_check::connectivity::reach::{reach, End, PortSpec};
use netpol_check::connectivity::Engine;
use netpol_check::model::Protocol;
use netpol_check::semantics::calico_validation;
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---- The world, in this test's own terms. ----

const NS_NAMES: [&str; 3] = ["alpha", "beta", "gamma"];
/// Values no YAML 1.1 reader takes for a boolean.
const VALUES: [&str; 3] = ["red", "blue", "green"];
const POD_KEYS: [&str; 2] = ["app", "tier"];
const NS_KEYS: [&str; 2] = ["env", "team"];
const ACCOUNTS: [&str; 2] = ["default", "robot"];
const TIER_NAMES: [&str; 2] = ["platform", "security"];
const PROTOCOLS: [&str; 2] = ["TCP", "UDP"];
const EVERYWHERE: &str = "0.0.0.0/0";
const NARROW: &str = "10.0.0.0/8";
/// One address inside the narrow CIDR, one outside.
const ADDRESSES: [&str; 2] = ["10.1.2.3", "8.8.8.8"];
const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;
const KUBERNETES_ORDER: f64 = 1_000.0;

/// A Calico selector expression (SEMANTICS.md point 20), over one label set.
#[derive(Debug, Clone)]
enum Expr {
    All,
    Eq(&'static str, &'static str),
    Ne(&'static str, &'static str),
    Has(&'static str),
    NotHas(&'static str),
    In(&'static str, Vec<&'static str>),
    NotIn(&'static str, Vec<&'static str>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    fn text(&self) -> String {
        let set = |vs: &[&str]| {
            vs.iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Expr::All => "all()".into(),
            Expr::Eq(k, v) => format!("{k} == '{v}'"),
            Expr::Ne(k, v) => format!("{k} != '{v}'"),
            Expr::Has(k) => format!("has({k})"),
            Expr::NotHas(k) => format!("!has({k})"),
            Expr::In(k, vs) => format!("{k} in {{{}}}", set(vs)),
            Expr::NotIn(k, vs) => format!("{k} not in {{{}}}", set(vs)),
            Expr::And(a, b) => format!("({}) && ({})", a.text(), b.text()),
            Expr::Or(a, b) => format!("({}) || ({})", a.text(), b.text()),
        }
    }

    /// Point 20: `!=` and `not in` also match an absent label.
    fn eval(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| labels.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        match self {
            Expr::All => true,
            Expr::Eq(k, v) => get(k).is_some_and(|x| x == v),
            Expr::Ne(k, v) => get(k).is_none_or(|x| x != v),
            Expr::Has(k) => get(k).is_some(),
            Expr::NotHas(k) => get(k).is_none(),
            Expr::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x.as_str())),
            Expr::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x.as_str())),
            Expr::And(a, b) => a.eval(labels) && b.eval(labels),
            Expr::Or(a, b) => a.eval(labels) || b.eval(labels),
        }
    }
}

#[derive(Debug, Clone)]
struct Ns {
    name: String,
    labels: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct ContainerPort {
    name: &'static str,
    number: u16,
    protocol: &'static str,
}

#[derive(Debug, Clone)]
struct Pod {
    name: String,
    ns: usize,
    labels: Vec<(String, String)>,
    account: &'static str,
    ports: Vec<ContainerPort>,
}

// -- Kubernetes NetworkPolicies: matchLabels selectors, pod and namespace peers. --

#[derive(Debug, Clone)]
enum NpPeer {
    Pods(Vec<(String, String)>),
    Namespaces(Vec<(String, String)>),
    Both(Vec<(String, String)>, Vec<(String, String)>),
}

#[derive(Debug, Clone)]
enum PortValue {
    Number(u16),
    Range(u16, u16),
    Named(&'static str),
}

#[derive(Debug, Clone)]
struct NpPort {
    protocol: Option<&'static str>,
    /// None: every port of the protocol.
    value: Option<PortValue>,
}

#[derive(Debug, Clone)]
struct NpRule {
    peers: Vec<NpPeer>,
    ports: Vec<NpPort>,
}

#[derive(Debug, Clone)]
struct Np {
    ns: usize,
    pod_selector: Vec<(String, String)>,
    types: Option<Vec<&'static str>>,
    ingress: Vec<NpRule>,
    egress: Vec<NpRule>,
}

// -- Calico policies. --

/// The other end of a rule: its `source` in an ingress rule, its `destination` in an egress
/// rule.
#[derive(Debug, Clone, Default)]
struct Entity {
    selector: Option<Expr>,
    not_selector: Option<Expr>,
    namespace_selector: Option<Expr>,
    nets: Vec<&'static str>,
    not_nets: Vec<&'static str>,
    service_accounts: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct CRule {
    action: &'static str,
    protocol: Option<&'static str>,
    peer: Entity,
    /// The destination's `ports` / `notPorts`: only with a protocol, as Calico requires.
    ports: Vec<PortValue>,
    not_ports: Vec<u16>,
}

#[derive(Debug, Clone)]
struct Cp {
    /// Some: a namespaced NetworkPolicy; None: a GlobalNetworkPolicy.
    ns: Option<usize>,
    name: String,
    /// 0: `default`; i: the world's tier i - 1.
    tier: usize,
    order: Option<u32>,
    selector: Option<Expr>,
    namespace_selector: Option<Expr>,
    types: Option<Vec<&'static str>>,
    ingress: Vec<CRule>,
    egress: Vec<CRule>,
}

#[derive(Debug, Clone)]
struct Tier {
    name: &'static str,
    order: Option<u32>,
    default_action: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct World {
    namespaces: Vec<Ns>,
    pods: Vec<Pod>,
    tiers: Vec<Tier>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Denied,
}

// ---- The naive evaluator. ----

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (addr, len) = cidr.split_once('/').unwrap();
    let addr = u32::from(addr.parse::<Ipv4Addr>().unwrap());
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == addr & mask
}

fn has_all(want: &[(String, String)], labels: &[(String, String)]) -> bool {
    want.iter().all(|w| labels.contains(w))
}

/// A tier or policy order: none sorts after every number.
fn order_key(order: Option<f64>) -> f64 {
    order.unwrap_or(f64::INFINITY)
}

/// One policy of a tier, for one pod and direction.
enum Entry<'w> {
    Kubernetes(&'w Np),
    Calico(&'w Cp),
}

impl World {
    /// Point 6: every namespace carries its name label.
    fn ns_labels(&self, ns: usize) -> Vec<(String, String)> {
        let n = &self.namespaces[ns];
        let mut l = n.labels.clone();
        l.push(("kubernetes.io/metadata.name".into(), n.name.clone()));
        l
    }

    /// Point 10: a named port resolves on the destination pod, name and protocol.
    fn named_port(&self, dst: Who, name: &str, protocol: &str, port: u16) -> bool {
        match dst {
            Who::Address(_) => false,
            Who::Pod(d) => self.pods[d]
                .ports
                .iter()
                .any(|c| c.name == name && c.protocol == protocol && c.number == port),
        }
    }

    fn port_value(&self, v: &PortValue, dst: Who, protocol: &str, port: u16) -> bool {
        match v {
            PortValue::Number(n) => *n == port,
            PortValue::Range(a, b) => *a <= port && port <= *b,
            PortValue::Named(name) => self.named_port(dst, name, protocol, port),
        }
    }

    // -- Kubernetes NetworkPolicies: points 1-3, 7-10. --

    fn np_types(np: &Np) -> (bool, bool) {
        match &np.types {
            None => (true, !np.egress.is_empty()),
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
        }
    }

    fn np_peer(&self, np: &Np, peer: &NpPeer, other: Who) -> bool {
        let Who::Pod(p) = other else {
            // Selectors never match outside addresses (point 8).
            return false;
        };
        let pod = &self.pods[p];
        match peer {
            NpPeer::Pods(s) => pod.ns == np.ns && has_all(s, &pod.labels),
            NpPeer::Namespaces(s) => has_all(s, &self.ns_labels(pod.ns)),
            NpPeer::Both(pods, nss) => {
                has_all(nss, &self.ns_labels(pod.ns)) && has_all(pods, &pod.labels)
            }
        }
    }

    fn np_rule(
        &self,
        np: &Np,
        r: &NpRule,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
    ) -> bool {
        (r.peers.is_empty() || r.peers.iter().any(|p| self.np_peer(np, p, other)))
            && (r.ports.is_empty()
                || r.ports.iter().any(|p| {
                    p.protocol.unwrap_or("TCP") == protocol
                        && p.value
                            .as_ref()
                            .is_none_or(|v| self.port_value(v, dst, protocol, port))
                }))
    }

    // -- Calico: points 20-21. --

    /// Point 20: `[Ingress]` without egress rules, `[Egress]` with egress rules only, both with
    /// both.
    fn cp_types(cp: &Cp) -> (bool, bool) {
        match &cp.types {
            None => (
                cp.egress.is_empty() || !cp.ingress.is_empty(),
                !cp.egress.is_empty(),
            ),
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
        }
    }

    fn cp_selects(&self, cp: &Cp, pod: usize) -> bool {
        let p = &self.pods[pod];
        cp.ns.is_none_or(|ns| ns == p.ns)
            && cp.selector.as_ref().is_none_or(|s| s.eval(&p.labels))
            && (cp.namespace_selector.as_ref()).is_none_or(|s| s.eval(&self.ns_labels(p.ns)))
    }

    /// Whether the entity matches the other end. `narrow`: the reading of point 23 in force,
    /// whether the narrow CIDR holds every pod (else none).
    fn entity(&self, cp: &Cp, e: &Entity, other: Who, narrow: bool) -> bool {
        let net = |cidr: &str| match other {
            Who::Address(ip) => in_cidr(ip, cidr),
            // `nets` match pod addresses too: /0 every pod, the narrow CIDR as read.
            Who::Pod(_) => cidr == EVERYWHERE || narrow,
        };
        if !e.nets.is_empty() && !e.nets.iter().any(|c| net(c)) {
            return false;
        }
        if e.not_nets.iter().any(|c| net(c)) {
            return false;
        }
        let selects_pods = e.selector.is_some()
            || e.not_selector.is_some()
            || e.namespace_selector.is_some()
            || !e.service_accounts.is_empty();
        if !selects_pods {
            return true;
        }
        // Rule selectors never match outside addresses. A `notSelector` alone in a global
        // policy selects nothing: it excludes the endpoints it matches, and an outside address
        // is none (felix renders it as a negated IP set match, `writeIPSetMatch(true, ...)` of
        // `NotSrcIpSetIds`; libcalico-go's `getEndpointSelector` adds no namespace part then).
        let Who::Pod(p) = other else {
            let negative_only = e.selector.is_none()
                && e.namespace_selector.is_none()
                && e.service_accounts.is_empty()
                && cp.ns.is_none();
            return negative_only;
        };
        let pod = &self.pods[p];
        // A namespaced policy's selectors pick pods of its own namespace, unless the rule has a
        // namespaceSelector; a GlobalNetworkPolicy's, pods of every namespace.
        let in_scope = match &e.namespace_selector {
            Some(s) => s.eval(&self.ns_labels(pod.ns)),
            None => cp.ns.is_none_or(|ns| ns == pod.ns),
        };
        in_scope
            && e.selector.as_ref().is_none_or(|s| s.eval(&pod.labels))
            && e.not_selector.as_ref().is_none_or(|s| !s.eval(&pod.labels))
            && (e.service_accounts.is_empty() || e.service_accounts.contains(&pod.account))
    }

    #[allow(clippy::too_many_arguments)]
    fn c_rule(
        &self,
        cp: &Cp,
        r: &CRule,
        other: Who,
        dst: Who,
        protocol: &str,
        port: u16,
        narrow: bool,
    ) -> bool {
        r.protocol.is_none_or(|p| p == protocol)
            && (r.ports.is_empty()
                || r.ports
                    .iter()
                    .any(|v| self.port_value(v, dst, protocol, port)))
            && !r.not_ports.contains(&port)
            && self.entity(cp, &r.peer, other, narrow)
    }

    /// Tiers by order, equal orders by name, no order last; `default` at 1,000,000.
    /// Returns (order, name, index: 0 for default, else 1 + the world's index).
    fn tier_order(&self) -> Vec<(f64, &'static str, usize)> {
        let mut tiers: Vec<(f64, &'static str, usize)> = vec![(DEFAULT_TIER_ORDER, "default", 0)];
        for (i, t) in self.tiers.iter().enumerate() {
            tiers.push((order_key(t.order.map(f64::from)), t.name, i + 1));
        }
        tiers.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(Ordering::Equal)
                .then(a.1.cmp(b.1))
        });
        tiers
    }

    /// One direction of `me`'s traffic with `other`; `dst` is the connection's destination.
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
    ) -> Verdict {
        let pod = &self.pods[me];
        'tiers: for (_, _, tier) in self.tier_order() {
            let mut entries: Vec<(f64, Entry)> = Vec::new();
            if tier == 0 {
                for np in &self.nps {
                    let (ingress, egress) = Self::np_types(np);
                    let typed = if dir == Dir::Ingress { ingress } else { egress };
                    if typed && np.ns == pod.ns && has_all(&np.pod_selector, &pod.labels) {
                        entries.push((KUBERNETES_ORDER, Entry::Kubernetes(np)));
                    }
                }
            }
            for cp in self.cps.iter().filter(|c| c.tier == tier) {
                let (ingress, egress) = Self::cp_types(cp);
                let typed = if dir == Dir::Ingress { ingress } else { egress };
                if typed && self.cp_selects(cp, me) {
                    entries.push((order_key(cp.order.map(f64::from)), Entry::Calico(cp)));
                }
            }
            if entries.is_empty() {
                continue;
            }
            entries.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
            for (_, entry) in &entries {
                match entry {
                    Entry::Kubernetes(np) => {
                        let rules = if dir == Dir::Ingress {
                            &np.ingress
                        } else {
                            &np.egress
                        };
                        if rules
                            .iter()
                            .any(|r| self.np_rule(np, r, other, dst, protocol, port))
                        {
                            return Verdict::Allowed;
                        }
                    }
                    Entry::Calico(cp) => {
                        let rules = if dir == Dir::Ingress {
                            &cp.ingress
                        } else {
                            &cp.egress
                        };
                        for r in rules {
                            if !self.c_rule(cp, r, other, dst, protocol, port, narrow) {
                                continue;
                            }
                            match r.action {
                                "Allow" => return Verdict::Allowed,
                                "Deny" => return Verdict::Denied,
                                "Pass" => continue 'tiers,
                                _ => {} // Log
                            }
                        }
                    }
                }
            }
            let default_action = match tier {
                0 => None,
                i => self.tiers[i - 1].default_action,
            };
            if default_action != Some("Pass") {
                return Verdict::Denied;
            }
        }
        Verdict::Allowed
    }

    fn connection(&self, src: Who, dst: Who, protocol: &str, port: u16, narrow: bool) -> Verdict {
        if let (Who::Pod(s), Who::Pod(d)) = (src, dst) {
            if s == d {
                // Point 11.
                return Verdict::Allowed;
            }
        }
        let egress = match src {
            Who::Pod(s) => self.side(s, Dir::Egress, dst, dst, protocol, port, narrow),
            Who::Address(_) => Verdict::Allowed,
        };
        let ingress = match dst {
            Who::Pod(d) => self.side(d, Dir::Ingress, src, dst, protocol, port, narrow),
            Who::Address(_) => Verdict::Allowed,
        };
        if egress == Verdict::Allowed && ingress == Verdict::Allowed {
            Verdict::Allowed
        } else {
            Verdict::Denied
        }
    }
}

// ---- The world as YAML. ----

fn labels_json(l: &[(String, String)]) -> Value {
    l.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
}

fn port_json(v: &PortValue) -> Value {
    match v {
        PortValue::Number(n) => json!(n),
        PortValue::Range(a, b) => json!(format!("{a}:{b}")),
        PortValue::Named(name) => json!(name),
    }
}

fn np_json(world: &World, i: usize, np: &Np) -> Value {
    let sel = |l: &[(String, String)]| json!({"matchLabels": labels_json(l)});
    let peer = |p: &NpPeer| match p {
        NpPeer::Pods(s) => json!({"podSelector": sel(s)}),
        NpPeer::Namespaces(s) => json!({"namespaceSelector": sel(s)}),
        NpPeer::Both(pods, nss) => json!({"podSelector": sel(pods), "namespaceSelector": sel(nss)}),
    };
    let port = |p: &NpPort| {
        let mut m = serde_json::Map::new();
        if let Some(proto) = p.protocol {
            m.insert("protocol".into(), json!(proto));
        }
        match &p.value {
            None => {}
            Some(PortValue::Range(a, b)) => {
                m.insert("port".into(), json!(a));
                m.insert("endPort".into(), json!(b));
            }
            Some(v) => {
                m.insert("port".into(), port_json(v));
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
    let mut spec = json!({"podSelector": sel(&np.pod_selector),
                          "ingress": rules(&np.ingress, "from"),
                          "egress": rules(&np.egress, "to")});
    if let Some(t) = &np.types {
        spec["policyTypes"] = json!(t);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": format!("np{i}"), "namespace": world.namespaces[np.ns].name},
           "spec": spec})
}

fn rule_json(r: &CRule, dir: Dir) -> Value {
    let mut peer = serde_json::Map::new();
    let e = &r.peer;
    if let Some(s) = &e.selector {
        peer.insert("selector".into(), json!(s.text()));
    }
    if let Some(s) = &e.not_selector {
        peer.insert("notSelector".into(), json!(s.text()));
    }
    if let Some(s) = &e.namespace_selector {
        peer.insert("namespaceSelector".into(), json!(s.text()));
    }
    if !e.nets.is_empty() {
        peer.insert("nets".into(), json!(e.nets));
    }
    if !e.not_nets.is_empty() {
        peer.insert("notNets".into(), json!(e.not_nets));
    }
    if !e.service_accounts.is_empty() {
        peer.insert(
            "serviceAccounts".into(),
            json!({"names": e.service_accounts}),
        );
    }
    let mut ports = serde_json::Map::new();
    if !r.ports.is_empty() {
        ports.insert(
            "ports".into(),
            r.ports.iter().map(port_json).collect::<Vec<_>>().into(),
        );
    }
    if !r.not_ports.is_empty() {
        ports.insert("notPorts".into(), json!(r.not_ports));
    }
    let mut v = json!({"action": r.action});
    if let Some(p) = r.protocol {
        v["protocol"] = json!(p);
    }
    match dir {
        Dir::Ingress => {
            if !peer.is_empty() {
                v["source"] = Value::Object(peer);
            }
            if !ports.is_empty() {
                v["destination"] = Value::Object(ports);
            }
        }
        Dir::Egress => {
            peer.extend(ports);
            if !peer.is_empty() {
                v["destination"] = Value::Object(peer);
            }
        }
    }
    v
}

fn cp_json(world: &World, cp: &Cp) -> Value {
    let mut spec = serde_json::Map::new();
    if cp.tier > 0 {
        spec.insert("tier".into(), json!(world.tiers[cp.tier - 1].name));
    }
    if let Some(o) = cp.order {
        spec.insert("order".into(), json!(o));
    }
    if let Some(s) = &cp.selector {
        spec.insert("selector".into(), json!(s.text()));
    }
    if let Some(s) = &cp.namespace_selector {
        spec.insert("namespaceSelector".into(), json!(s.text()));
    }
    if let Some(t) = &cp.types {
        spec.insert("types".into(), json!(t));
    }
    if !cp.ingress.is_empty() {
        let rules: Vec<Value> = cp
            .ingress
            .iter()
            .map(|r| rule_json(r, Dir::Ingress))
            .collect();
        spec.insert("ingress".into(), rules.into());
    }
    if !cp.egress.is_empty() {
        let rules: Vec<Value> = cp
            .egress
            .iter()
            .map(|r| rule_json(r, Dir::Egress))
            .collect();
        spec.insert("egress".into(), rules.into());
    }
    let mut metadata = json!({"name": cp.name});
    let kind = match cp.ns {
        Some(ns) => {
            metadata["namespace"] = json!(world.namespaces[ns].name);
            "NetworkPolicy"
        }
        None => "GlobalNetworkPolicy",
    };
    json!({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata,
           "spec": Value::Object(spec)})
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
            let ports: Vec<Value> = (p.ports.iter())
                .map(|c| json!({"name": c.name, "containerPort": c.number, "protocol": c.protocol}))
                .collect();
            docs.push(json!({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": p.name, "namespace": self.namespaces[p.ns].name,
                                          "labels": labels_json(&p.labels)},
                             "spec": {"serviceAccountName": p.account,
                                      "containers": [{"name": "c", "image": "i", "ports": ports}]}}));
        }
        for t in &self.tiers {
            let mut spec = serde_json::Map::new();
            if let Some(o) = t.order {
                spec.insert("order".into(), json!(o));
            }
            if let Some(a) = t.default_action {
                spec.insert("defaultAction".into(), json!(a));
            }
            docs.push(json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                             "metadata": {"name": t.name}, "spec": Value::Object(spec)}));
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
        build_inventory(parse_all(&loaded, &ManifestOptions::default()).expect("the world parses"))
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

fn expr(keys: &'static [&'static str]) -> BoxedStrategy<Expr> {
    let key = prop::sample::select(keys.to_vec());
    let value = prop::sample::select(VALUES.to_vec());
    let values = prop::sample::subsequence(VALUES.to_vec(), 1..3);
    let leaf = prop_oneof![
        1 => Just(Expr::All),
        3 => (key.clone(), value.clone()).prop_map(|(k, v)| Expr::Eq(k, v)),
        2 => (key.clone(), value).prop_map(|(k, v)| Expr::Ne(k, v)),
        1 => key.clone().prop_map(Expr::Has),
        1 => key.clone().prop_map(Expr::NotHas),
        1 => (key.clone(), values.clone()).prop_map(|(k, vs)| Expr::In(k, vs)),
        1 => (key, values).prop_map(|(k, vs)| Expr::NotIn(k, vs)),
    ];
    leaf.prop_recursive(2, 4, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
        ]
    })
    .boxed()
}

fn port_value() -> BoxedStrategy<PortValue> {
    prop_oneof![
        prop::sample::select(vec![53u16, 80, 8080]).prop_map(PortValue::Number),
        prop::sample::select(vec![(53u16, 80u16), (80, 443), (8000, 9000)])
            .prop_map(|(a, b)| PortValue::Range(a, b)),
        prop::sample::select(vec!["http", "dns"]).prop_map(PortValue::Named),
    ]
    .boxed()
}

fn np_rule() -> impl Strategy<Value = NpRule> {
    let peer = prop_oneof![
        pairs(&POD_KEYS).prop_map(NpPeer::Pods),
        pairs(&NS_KEYS).prop_map(NpPeer::Namespaces),
        (pairs(&POD_KEYS), pairs(&NS_KEYS)).prop_map(|(p, s)| NpPeer::Both(p, s)),
    ];
    let port = (
        prop::option::of(prop::sample::select(PROTOCOLS.to_vec())),
        prop::option::of(port_value()),
    )
        .prop_map(|(protocol, value)| NpPort { protocol, value });
    (
        prop::collection::vec(peer, 0..3),
        prop::collection::vec(port, 0..2),
    )
        .prop_map(|(peers, ports)| NpRule { peers, ports })
}

fn np(n: usize) -> impl Strategy<Value = Np> {
    (
        0..n,
        pairs(&POD_KEYS),
        prop::option::of(prop::sample::select(vec![
            vec!["Ingress"],
            vec!["Egress"],
            vec!["Ingress", "Egress"],
        ])),
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

fn entity(global: bool) -> BoxedStrategy<Entity> {
    let nets = prop::sample::select(vec![vec![], vec![], vec![], vec![EVERYWHERE], vec![NARROW]]);
    let not_nets = prop::sample::select(vec![vec![], vec![], vec![], vec![NARROW]]);
    let accounts = prop::sample::select(vec![vec![], vec![], vec!["robot"], vec!["default"]]);
    (
        prop::option::weighted(0.5, expr(&POD_KEYS)),
        prop::option::weighted(0.2, expr(&POD_KEYS)),
        prop::option::weighted(0.3, expr(&NS_KEYS)),
        nets,
        not_nets,
        accounts,
    )
        .prop_map(
            move |(selector, not_selector, namespace_selector, nets, not_nets, accounts)| Entity {
                selector,
                not_selector: not_selector.filter(|_| global),
                namespace_selector,
                nets,
                not_nets,
                service_accounts: if global { accounts } else { vec![] },
            },
        )
        .boxed()
}

fn c_rule(global: bool) -> BoxedStrategy<CRule> {
    (
        prop::sample::select(vec!["Allow", "Allow", "Deny", "Pass", "Log"]),
        prop::option::of(prop::sample::select(PROTOCOLS.to_vec())),
        entity(global),
        prop::collection::vec(port_value(), 0..3),
        prop::sample::select(vec![vec![], vec![], vec![80u16], vec![53]]),
    )
        .prop_map(|(action, protocol, peer, ports, not_ports)| {
            let (ports, not_ports) = if protocol.is_some() {
                (ports, not_ports)
            } else {
                (vec![], vec![])
            };
            CRule {
                action,
                protocol,
                peer,
                ports,
                not_ports,
            }
        })
        .boxed()
}

fn cp(n_ns: usize, n_tiers: usize) -> BoxedStrategy<Cp> {
    (prop::option::of(0..n_ns), 0..=n_tiers)
        .prop_flat_map(|(ns, tier)| {
            let global = ns.is_none();
            (
                Just(ns),
                Just(tier),
                prop::sample::select(vec![None, Some(100u32), Some(500), Some(2000)]),
                prop::option::weighted(0.8, expr(&POD_KEYS)),
                prop::option::weighted(0.3, expr(&NS_KEYS)),
                prop::option::of(prop::sample::select(vec![
                    vec!["Ingress"],
                    vec!["Egress"],
                    vec!["Ingress", "Egress"],
                ])),
                prop::collection::vec(c_rule(global), 0..3),
                prop::collection::vec(c_rule(global), 0..3),
            )
        })
        .prop_map(
            |(ns, tier, order, selector, namespace_selector, types, ingress, egress)| Cp {
                ns,
                name: String::new(),
                tier,
                order,
                selector,
                namespace_selector: namespace_selector.filter(|_| ns.is_none()),
                types,
                ingress,
                egress,
            },
        )
        .boxed()
}

fn world() -> impl Strategy<Value = World> {
    (2usize..=3, 0usize..=2).prop_flat_map(|(n, n_tiers)| {
        let namespaces = prop::collection::vec(pairs(&NS_KEYS), n).prop_map(|labels| {
            labels
                .into_iter()
                .enumerate()
                .map(|(i, labels)| Ns {
                    name: NS_NAMES[i].to_string(),
                    labels,
                })
                .collect::<Vec<_>>()
        });
        let container_port = prop::sample::select(vec![
            ContainerPort {
                name: "http",
                number: 80,
                protocol: "TCP",
            },
            ContainerPort {
                name: "http",
                number: 8080,
                protocol: "TCP",
            },
            ContainerPort {
                name: "dns",
                number: 53,
                protocol: "UDP",
            },
        ]);
        let pod = (
            0..n,
            pairs(&POD_KEYS),
            prop::sample::select(ACCOUNTS.to_vec()),
            prop::collection::vec(container_port, 0..2),
        )
            .prop_map(|(ns, labels, account, mut ports)| {
                ports.dedup_by_key(|p| p.name);
                Pod {
                    name: String::new(),
                    ns,
                    labels,
                    account,
                    ports,
                }
            });
        let tier = (
            prop::sample::select(vec![None, Some(100u32), Some(2_000_000)]),
            prop::sample::select(vec![None, Some("Deny"), Some("Pass")]),
        );
        (
            namespaces,
            prop::collection::vec(pod, 2..5),
            prop::collection::vec(tier, n_tiers),
            prop::collection::vec(np(n), 0..3),
            prop::collection::vec(cp(n, n_tiers), 1..5),
        )
            .prop_map(|(namespaces, mut pods, tiers, nps, mut cps)| {
                for (i, p) in pods.iter_mut().enumerate() {
                    p.name = format!("p{i}");
                }
                let tiers: Vec<Tier> = (tiers.into_iter().enumerate())
                    .map(|(i, (order, default_action))| Tier {
                        name: TIER_NAMES[i],
                        order,
                        default_action,
                    })
                    .collect();
                // No two policies of a tier share an order (none included).
                let mut taken: Vec<(usize, Option<u32>)> = Vec::new();
                for (i, c) in cps.iter_mut().enumerate() {
                    if taken.contains(&(c.tier, c.order)) {
                        c.order = Some(3000 + 10 * i as u32);
                    }
                    taken.push((c.tier, c.order));
                    // Rules of a direction `types` leaves out are inert (point 20); they are
                    // left out too, so that no validation question arises.
                    if let Some(t) = &c.types {
                        if !t.contains(&"Ingress") {
                            c.ingress.clear();
                        }
                        if !t.contains(&"Egress") {
                            c.egress.clear();
                        }
                    }
                    c.name = match c.tier {
                        0 => format!("cp{i}"),
                        t => format!("{}.cp{i}", tiers[t - 1].name),
                    };
                }
                World {
                    namespaces,
                    pods,
                    tiers,
                    nps,
                    cps,
                }
            })
    })
}

/// (source, destination) among the pods and the addresses, a protocol and a port.
fn question() -> impl Strategy<Value = (usize, usize, bool, &'static str, u16)> {
    (
        0usize..4,
        0usize..6,
        any::<bool>(),
        prop::sample::select(PROTOCOLS.to_vec()),
        prop::sample::select(vec![53u16, 80, 443, 8080, 9000]),
    )
}

fn check(
    world: &World,
    questions: &[(usize, usize, bool, &'static str, u16)],
) -> Result<(), TestCaseError> {
    let inventory = world.inventory();
    prop_assert_eq!(
        inventory.calico_policies.len(),
        world.cps.len(),
        "every Calico policy is read\n{}",
        world.yaml()
    );
    prop_assert_eq!(inventory.calico_tiers.len(), world.tiers.len());
    // Calico would store every object of the world: none is refused, which would make it
    // enforce nothing.
    for p in &inventory.calico_policies {
        let problems = calico_validation::validate(p);
        prop_assert!(
            problems.is_empty(),
            "{:?}: {:?}\n{}",
            p.name,
            problems,
            world.yaml()
        );
    }
    for t in &inventory.calico_tiers {
        prop_assert!(calico_validation::validate_tier(t).is_empty());
    }
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
        let holds = world.connection(src, dst, protocol, port, true);
        let misses = world.connection(src, dst, protocol, port, false);
        let spec = PortSpec::Number(port);
        let got = reach(
            &engine,
            end(src),
            end(dst),
            Some((Protocol::parse(protocol).unwrap(), &spec)),
        )
        .unwrap();
        if holds == misses {
            let expected = holds == Verdict::Allowed;
            prop_assert!(
                got.allowed == expected && got.unknown.is_none(),
                "{:?} -> {:?} {} {}: expected {}, got {:?}\n{}",
                src,
                dst,
                protocol,
                port,
                expected,
                got,
                world.yaml()
            );
        } else {
            prop_assert!(
                !got.allowed && got.unknown.is_some(),
                "{:?} -> {:?} {} {}: the narrow CIDR decides, expected unknown, got {:?}\n{}",
                src,
                dst,
                protocol,
                port,
                got,
                world.yaml()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reach_agrees_with_a_naive_calico_evaluator(
        world in world(),
        questions in prop::collection::vec(question(), 12),
    ) {
        check(&world, &questions)?;
    }
}

// ---- The evaluator itself, on hand-worked cases, so that a mistake in it cannot hide behind a
// matching mistake in the crate. ----

fn pod(ns: usize, labels: &[(&str, &str)]) -> Pod {
    Pod {
        name: String::new(),
        ns,
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        account: "default",
        ports: vec![ContainerPort {
            name: "http",
            number: 80,
            protocol: "TCP",
        }],
    }
}

fn allow_from(selector: Expr) -> CRule {
    CRule {
        action: "Allow",
        protocol: None,
        peer: Entity {
            selector: Some(selector),
            ..Entity::default()
        },
        ports: vec![],
        not_ports: vec![],
    }
}

fn policy(tier: usize, order: Option<u32>, selector: Expr, ingress: Vec<CRule>) -> Cp {
    Cp {
        ns: None,
        name: "p".into(),
        tier,
        order,
        selector: Some(selector),
        namespace_selector: None,
        types: None,
        ingress,
        egress: vec![],
    }
}

fn base() -> World {
    World {
        namespaces: vec![
            Ns {
                name: "alpha".into(),
                labels: vec![],
            },
            Ns {
                name: "beta".into(),
                labels: vec![],
            },
        ],
        pods: vec![
            pod(0, &[("app", "red")]),
            pod(0, &[("app", "blue")]),
            pod(1, &[]),
        ],
        tiers: vec![],
        nps: vec![],
        cps: vec![],
    }
}

#[test]
fn the_naive_evaluator_follows_the_points_it_cites() {
    let outside: Ipv4Addr = "8.8.8.8".parse().unwrap();
    let at = |w: &World, s: Who, d: Who| w.connection(s, d, "TCP", 80, false);
    use Verdict::*;
    use Who::Pod as P;

    // A policy selecting red with an Allow from blue: the rest meets the default tier's deny;
    // blue's own traffic is untouched; a pod reaches itself.
    let mut w = base();
    w.cps.push(policy(
        0,
        None,
        Expr::Eq("app", "red"),
        vec![allow_from(Expr::Eq("app", "blue"))],
    ));
    assert_eq!(at(&w, P(1), P(0)), Allowed);
    assert_eq!(at(&w, P(2), P(0)), Denied);
    assert_eq!(at(&w, Who::Address(outside), P(0)), Denied);
    assert_eq!(at(&w, P(0), P(1)), Allowed);
    assert_eq!(at(&w, P(0), P(0)), Allowed);

    // `!=` matches the pod without the label; selectors never match outside addresses.
    let mut w = base();
    w.cps.push(policy(
        0,
        None,
        Expr::Eq("app", "red"),
        vec![allow_from(Expr::Ne("app", "blue"))],
    ));
    assert_eq!(at(&w, P(2), P(0)), Allowed);
    assert_eq!(at(&w, P(1), P(0)), Denied);
    assert_eq!(at(&w, Who::Address(outside), P(0)), Denied);

    // A Pass in a first tier goes on to the default tier, which holds nothing here: allowed.
    // With a Deny policy after it in the default tier: denied.
    let mut w = base();
    w.tiers.push(Tier {
        name: "platform",
        order: Some(100),
        default_action: None,
    });
    let mut pass = allow_from(Expr::All);
    pass.action = "Pass";
    pass.peer = Entity::default();
    w.cps.push(policy(1, None, Expr::All, vec![pass]));
    assert_eq!(at(&w, P(2), P(0)), Allowed);
    assert_eq!(at(&w, Who::Address(outside), P(0)), Allowed);
    let mut deny = allow_from(Expr::All);
    deny.action = "Deny";
    deny.peer = Entity::default();
    w.cps
        .push(policy(0, None, Expr::Eq("app", "red"), vec![deny]));
    assert_eq!(at(&w, P(2), P(0)), Denied);
    assert_eq!(at(&w, P(2), P(1)), Allowed);

    // A tier with no matching rule: its default action, Deny unless Pass.
    let mut w = base();
    w.tiers.push(Tier {
        name: "platform",
        order: Some(100),
        default_action: None,
    });
    w.cps.push(policy(1, None, Expr::Eq("app", "red"), vec![]));
    assert_eq!(at(&w, P(1), P(0)), Denied);
    w.tiers[0].default_action = Some("Pass");
    assert_eq!(at(&w, P(1), P(0)), Allowed);

    // Lower order first: an Allow at order 100 wins over a Deny at 500; Log goes on.
    let mut w = base();
    let mut deny = allow_from(Expr::All);
    deny.action = "Deny";
    let mut log = allow_from(Expr::All);
    log.action = "Log";
    w.cps.push(policy(0, Some(500), Expr::All, vec![deny]));
    w.cps.push(policy(
        0,
        Some(100),
        Expr::All,
        vec![log, allow_from(Expr::Eq("app", "blue"))],
    ));
    assert_eq!(at(&w, P(1), P(0)), Allowed);
    assert_eq!(at(&w, P(2), P(0)), Denied);

    // A tier without order comes after `default`: the Kubernetes NetworkPolicy allows first.
    let mut w = base();
    w.tiers.push(Tier {
        name: "platform",
        order: None,
        default_action: None,
    });
    let mut deny = allow_from(Expr::All);
    deny.action = "Deny";
    deny.peer = Entity::default();
    w.cps.push(policy(1, None, Expr::All, vec![deny]));
    w.nps.push(Np {
        ns: 0,
        pod_selector: vec![],
        types: None,
        ingress: vec![NpRule {
            peers: vec![],
            ports: vec![],
        }],
        egress: vec![],
    });
    assert_eq!(at(&w, P(2), P(0)), Allowed);
    assert_eq!(at(&w, P(0), P(2)), Denied);

    // types: egress rules only make an Egress policy; the pod's ingress stays open.
    let mut w = base();
    let mut c = policy(0, None, Expr::Eq("app", "red"), vec![]);
    c.egress = vec![allow_from(Expr::Eq("app", "blue"))];
    w.cps.push(c);
    assert_eq!(at(&w, P(2), P(0)), Allowed);
    assert_eq!(at(&w, P(0), P(2)), Denied);
    assert_eq!(at(&w, P(0), P(1)), Allowed);

    // A narrow CIDR against a pod: the two readings differ.
    let mut w = base();
    let mut r = allow_from(Expr::All);
    r.peer = Entity {
        nets: vec![NARROW],
        ..Entity::default()
    };
    w.cps.push(policy(0, None, Expr::Eq("app", "red"), vec![r]));
    assert_eq!(w.connection(P(1), P(0), "TCP", 80, true), Allowed);
    assert_eq!(w.connection(P(1), P(0), "TCP", 80, false), Denied);
    let inside: Ipv4Addr = "10.1.2.3".parse().unwrap();
    assert_eq!(at(&w, Who::Address(inside), P(0)), Allowed);
    assert_eq!(at(&w, Who::Address(outside), P(0)), Denied);
}
