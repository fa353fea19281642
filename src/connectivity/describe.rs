//! Rules and peers in plain words: "from pods app=web in namespaces env=prod, TCP 8080".

use crate::checks::describe_selector;
use crate::model::{
    CalicoEntity, CalicoPolicy, CalicoRule, CiliumPeerRule, CiliumPolicy, ClusterPeer, ClusterPort,
    ClusterRule, Direction, Inventory, LabelSelector, Peer, PolicyPort, PortValue, Rule,
};
use crate::semantics::{PolicyId, RuleRef};

/// A policy of any kind, as people name it: `shop/api-ingress` for a NetworkPolicy,
/// `AdminNetworkPolicy deny-all` for a cluster-scoped one.
pub fn policy_name(inventory: &Inventory, policy: PolicyId) -> String {
    match policy {
        PolicyId::Network(i) => {
            let p = &inventory.policies[i];
            format!("{}/{}", p.namespace, p.name)
        }
        PolicyId::Cluster(i) => {
            let p = &inventory.cluster_policies[i];
            format!("{} {}", p.kind, p.name)
        }
        PolicyId::Cilium { policy, .. } => {
            cilium_policy_name(&inventory.cilium_policies[policy as usize])
        }
        PolicyId::Calico(i) => calico_policy_name(&inventory.calico_policies[i]),
    }
}

/// `projectcalico.org/NetworkPolicy shop/api`, `GlobalNetworkPolicy default-deny (tier
/// security)`: the tier is named when it is not `default`.
pub fn calico_policy_name(p: &CalicoPolicy) -> String {
    let name = match &p.namespace {
        Some(ns) if !p.kind.cluster_scoped() => format!("{} {ns}/{}", p.kind.label(), p.name),
        _ => format!("{} {}", p.kind.label(), p.name),
    };
    if p.tier == crate::model::TIER_DEFAULT {
        name
    } else {
        format!("{name} (tier {})", p.tier)
    }
}

/// The layer a Calico policy's tier is, as reports name it: `NetworkPolicy` for `default`
/// (where Kubernetes NetworkPolicies are), `Admin` and `Baseline` for `kube-admin` and
/// `kube-baseline`, `Calico tier <name>` for the others.
pub fn calico_layer(p: &CalicoPolicy) -> std::borrow::Cow<'static, str> {
    tier_layer(&p.tier)
}

/// The layer a Calico tier is, by its name (see [`calico_layer`]).
pub fn tier_layer(tier: &str) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow;
    match tier {
        crate::model::TIER_DEFAULT => Cow::Borrowed("NetworkPolicy"),
        crate::model::TIER_KUBE_ADMIN => Cow::Borrowed("Admin"),
        crate::model::TIER_KUBE_BASELINE => Cow::Borrowed("Baseline"),
        tier => Cow::Owned(format!("Calico tier {tier}")),
    }
}

/// The layer a step or a policy is in, as reports name it: `Admin`, `NetworkPolicy`,
/// `Baseline`, or `Calico tier <name>` for a Calico policy of another tier.
pub fn layer_name(
    inventory: &Inventory,
    layer: crate::semantics::Layer,
    policy: PolicyId,
) -> std::borrow::Cow<'static, str> {
    match policy {
        PolicyId::Calico(i) => calico_layer(&inventory.calico_policies[i]),
        _ => std::borrow::Cow::Borrowed(layer.as_str()),
    }
}

/// A layer as text output heads its lines: `Admin tier`, `Calico tier security`.
pub fn layer_heading(name: &str) -> String {
    if name.starts_with("Calico tier") {
        name.to_owned()
    } else {
        format!("{name} tier")
    }
}

/// Where a Calico rule is written: `ingress[0]`, `egress[2]` (under `spec`).
pub fn calico_rule_name(direction: Direction, index: usize) -> String {
    format!("{}[{index}]", direction.lower())
}

/// A Calico rule (SEMANTICS.md point 20) as one line, starting with its action.
pub fn calico_rule(rule: &CalicoRule, direction: Direction) -> String {
    let (peer, own, word) = match direction {
        Direction::Ingress => (&rule.source, &rule.destination, "from"),
        Direction::Egress => (&rule.destination, &rule.source, "to"),
    };
    let mut out = format!("{} {word} {}", rule.action, calico_entity(peer));
    let protocol = rule.protocol.as_deref();
    let ports = &rule.destination.ports;
    match (protocol, ports.is_empty()) {
        (None, _) => out.push_str(", every protocol"),
        (Some(p), true) => out.push_str(&format!(", {p} every port")),
        (Some(p), false) => out.push_str(&format!(", {p} {}", ports.join(", "))),
    }
    if !rule.destination.not_ports.is_empty() {
        out.push_str(&format!(
            " except ports {}",
            rule.destination.not_ports.join(", ")
        ));
    }
    if let Some(np) = &rule.not_protocol {
        out.push_str(&format!(", not {np}"));
    }
    if !own.is_empty() {
        let side = match direction {
            Direction::Ingress => "destination",
            Direction::Egress => "source",
        };
        out.push_str(&format!(
            ", when the pod's own end is {} ({side})",
            calico_entity(own)
        ));
    }
    if rule.http {
        out.push_str(", with an HTTP match that narrows requests, not the connection");
    }
    out
}

/// A rule's `source` or `destination` in words.
fn calico_entity(e: &CalicoEntity) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = &e.selector {
        parts.push(format!("pods matching `{}`", s.text));
    }
    if let Some(s) = &e.namespace_selector {
        parts.push(format!("in namespaces matching `{}`", s.text));
    }
    if let Some(sa) = &e.service_accounts {
        if !sa.names.is_empty() {
            parts.push(format!("with service account {}", sa.names.join(" or ")));
        }
        if let Some(s) = &sa.selector {
            parts.push(format!("with a service account matching `{}`", s.text));
        }
    }
    if let Some(s) = &e.not_selector {
        parts.push(format!("not pods matching `{}`", s.text));
    }
    if !e.nets.is_empty() {
        parts.push(format!("addresses in {}", e.nets.join(", ")));
    }
    if !e.not_nets.is_empty() {
        parts.push(format!("addresses outside {}", e.not_nets.join(", ")));
    }
    if let Some((ns, name)) = &e.services {
        parts.push(format!("the endpoints of Service {ns}/{name}"));
    }
    if parts.is_empty() {
        "everything".to_owned()
    } else {
        parts.join(", ")
    }
}

/// What makes a direction's default a deny, as the words after "by" or "already denied by":
/// "its NetworkPolicies", "the Baseline tier, BaselineAdminNetworkPolicy default rule 1",
/// "the default deny of CiliumNetworkPolicy shop/api". The one sentence builder of the check,
/// `explain` and generation.
pub fn decided_by(inventory: &Inventory, by: &crate::semantics::DecidedBy) -> String {
    use crate::semantics::DecidedBy;
    match by {
        DecidedBy::NetworkPolicies => "its NetworkPolicies".to_owned(),
        DecidedBy::CiliumDefaultDeny(id) => {
            format!("the default deny of {}", policy_name(inventory, *id))
        }
        DecidedBy::CalicoTier { tier, policy } => {
            let tier_name = match *policy {
                PolicyId::Calico(i) => inventory.calico_policies[i].tier.as_str(),
                _ => "",
            };
            let _ = tier;
            format!(
                "the default Deny of Calico tier {tier_name}, which {} applies to the pod",
                policy_name(inventory, *policy)
            )
        }
        DecidedBy::CiliumMode => {
            "Cilium's policy enforcement mode `always` (every pod is default-deny)".to_owned()
        }
        DecidedBy::Rule { rule, .. } if matches!(rule.policy, PolicyId::Calico(_)) => {
            format!(
                "{} {}",
                policy_name(inventory, rule.policy),
                rule_label(inventory, *rule)
            )
        }
        DecidedBy::Rule { layer, rule } => format!(
            "the {} tier, {} {}",
            layer.as_str(),
            policy_name(inventory, rule.policy),
            rule_label(inventory, *rule)
        ),
    }
}

/// `CiliumNetworkPolicy shop/api`, `CiliumClusterwideNetworkPolicy deny-world`.
pub fn cilium_policy_name(p: &CiliumPolicy) -> String {
    match &p.namespace {
        Some(ns) if !p.kind.cluster_scoped() => format!("{} {ns}/{}", p.kind, p.name),
        _ => format!("{} {}", p.kind, p.name),
    }
}

/// Where a Cilium rule is written: `spec.ingress[0]`, `specs[1].egressDeny[2]`; `index` counts
/// the direction's allow rules, then its deny rules (as the compiled form does).
pub fn cilium_rule_name(
    p: &CiliumPolicy,
    spec: usize,
    direction: Direction,
    index: usize,
) -> String {
    let Some(rule) = p.rules.get(spec) else {
        return format!("rule {}", index + 1);
    };
    let allows = rule.allows(direction).map_or(0, <[_]>::len);
    let (section, at) = match (direction, index < allows) {
        (Direction::Ingress, true) => ("ingress", index),
        (Direction::Ingress, false) => ("ingressDeny", index - allows),
        (Direction::Egress, true) => ("egress", index),
        (Direction::Egress, false) => ("egressDeny", index - allows),
    };
    format!("{}.{section}[{at}]", rule.path())
}

/// The written Cilium rule a compiled index points at, and whether it denies.
fn cilium_written(
    p: &CiliumPolicy,
    spec: usize,
    direction: Direction,
    index: usize,
) -> Option<(&CiliumPeerRule, bool)> {
    let rule = p.rules.get(spec)?;
    let allows = rule.allows(direction).unwrap_or_default();
    match allows.get(index) {
        Some(r) => Some((r, false)),
        None => rule
            .denies(direction)
            .unwrap_or_default()
            .get(index - allows.len())
            .map(|r| (r, true)),
    }
}

/// A Cilium rule (SEMANTICS.md points 17-19) as one line, starting with its action.
pub fn cilium_rule(
    rule: &CiliumPeerRule,
    deny: bool,
    direction: Direction,
    namespace: Option<&str>,
) -> String {
    let word = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let action = if deny { "Deny" } else { "Allow" };
    let endpoints = |s: &LabelSelector| {
        let who = if s.is_empty() {
            "every pod".to_owned()
        } else {
            format!("pods {}", describe_selector(s))
        };
        match namespace {
            Some(ns) => format!("{who} (namespace {ns} unless the selector names namespaces)"),
            None => format!("{who} in every namespace"),
        }
    };
    let mut peers: Vec<String> = Vec::new();
    peers.extend(rule.endpoints.iter().flatten().map(endpoints));
    peers.extend(rule.cidr.iter().flatten().map(|c| format!("addresses {c}")));
    peers.extend(rule.cidr_set.iter().flatten().map(|c| match &c.cidr {
        Some(cidr) if c.except.is_empty() => format!("addresses {cidr}"),
        Some(cidr) => format!("addresses {cidr} except {}", c.except.join(", ")),
        None => "a CIDR group".to_owned(),
    }));
    if let Some(e) = &rule.entities {
        peers.push(format!("entities {}", e.join(", ")));
    }
    if rule.nodes.is_some() {
        peers.push("nodes".to_owned());
    }
    if let Some(f) = &rule.fqdns {
        peers.push(format!("domains {}", f.join(", ")));
    }
    if let Some(s) = &rule.services {
        peers.push(format!("services {}", s.join(", ")));
    }
    if rule.groups {
        peers.push("cloud provider groups".to_owned());
    }
    let peers = if peers.is_empty() && rule.to_ports.is_none() {
        "nothing (an empty Cilium rule selects no peer)".to_owned()
    } else if peers.is_empty() {
        format!("{word} every peer")
    } else {
        format!("{word} {}", peers.join("; or "))
    };
    let ports = match &rule.to_ports {
        None => "every port and protocol".to_owned(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for r in list {
                if r.ports.is_empty() {
                    out.push("every port".to_owned());
                }
                for p in &r.ports {
                    let protocol = p.protocol.as_deref().unwrap_or("ANY");
                    let port = p.port.as_deref().unwrap_or("0");
                    out.push(match (port, p.end_port) {
                        ("0", _) => format!("every {protocol} port"),
                        (n, Some(e)) if n.parse::<i64>().is_ok() => format!("{protocol} {n}-{e}"),
                        (n, _) if n.parse::<i64>().is_ok() => format!("{protocol} {n}"),
                        (name, _) => format!("{protocol} port named {name}"),
                    });
                }
                if !r.l7.is_empty() {
                    out.push(format!(
                        "with L7 rules ({}) that narrow requests, not the connection",
                        r.l7.join(", ")
                    ));
                }
            }
            out.join(", ")
        }
    };
    format!("{action} {peers}, {ports}")
}

/// A rule of any policy kind, as one line (a cluster-scoped rule starts with its action).
pub fn rule_ref(inventory: &Inventory, at: RuleRef) -> String {
    match at.policy {
        PolicyId::Network(i) => {
            let p = &inventory.policies[i];
            rule(&p.rules(at.direction)[at.index], at.direction, &p.namespace)
        }
        PolicyId::Cluster(i) => {
            let p = &inventory.cluster_policies[i];
            cluster_rule(&p.rules(at.direction)[at.index], at.direction)
        }
        PolicyId::Calico(i) => {
            let p = &inventory.calico_policies[i];
            calico_rule(&p.rules(at.direction)[at.index], at.direction)
        }
        PolicyId::Cilium { policy, spec } => {
            let p = &inventory.cilium_policies[policy as usize];
            let namespace = p.namespace.as_deref().filter(|_| !p.kind.cluster_scoped());
            match cilium_written(p, spec as usize, at.direction, at.index) {
                Some((rule, deny)) => cilium_rule(rule, deny, at.direction, namespace),
                None => "a rule that is not there".to_owned(),
            }
        }
    }
}

/// How a rule is called in messages: `rule 2` or `rule 2 (deny-web)` when it has a name.
pub fn rule_label(inventory: &Inventory, at: RuleRef) -> String {
    let name = match at.policy {
        PolicyId::Network(_) => None,
        PolicyId::Calico(_) => return calico_rule_name(at.direction, at.index),
        PolicyId::Cilium { policy, spec } => {
            let p = &inventory.cilium_policies[policy as usize];
            return cilium_rule_name(p, spec as usize, at.direction, at.index);
        }
        PolicyId::Cluster(i) => inventory.cluster_policies[i].rules(at.direction)[at.index]
            .name
            .as_deref(),
    };
    match name {
        Some(n) if !n.is_empty() => format!("rule {} ({n})", at.index + 1),
        _ => format!("rule {}", at.index + 1),
    }
}

/// A cluster-scoped rule (SEMANTICS.md points 13-15) as one line.
pub fn cluster_rule(rule: &ClusterRule, direction: Direction) -> String {
    let word = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let peers: Vec<String> = rule.peers.iter().map(cluster_peer).collect();
    let ports = match &rule.ports {
        None => "every port and protocol".to_owned(),
        Some(list) => list
            .iter()
            .map(|p| match p {
                ClusterPort::Number { protocol, port } => format!("{protocol} {port}"),
                ClusterPort::Range {
                    protocol,
                    start,
                    end,
                } => format!("{protocol} {start}-{end}"),
                ClusterPort::Named(name) => format!("port named {name}"),
                ClusterPort::Invalid(why) => format!("no port ({why})"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{} {word} {}, {ports}", rule.action, peers.join("; or "))
}

/// One peer or subject of a cluster-scoped policy.
pub fn cluster_peer(p: &ClusterPeer) -> String {
    let namespaces = |s: &crate::model::LabelSelector| {
        if s.is_empty() {
            "every namespace".to_owned()
        } else {
            format!("namespaces {}", describe_selector(s))
        }
    };
    if let Some(ns) = &p.namespaces {
        return format!("every pod in {}", namespaces(ns));
    }
    if let Some(pods) = &p.pods {
        let who = if pods.pod_selector.is_empty() {
            "every pod".to_owned()
        } else {
            format!("pods {}", describe_selector(&pods.pod_selector))
        };
        return format!("{who} in {}", namespaces(&pods.namespace_selector));
    }
    if let Some(nets) = &p.networks {
        return format!("addresses {}", nets.join(", "));
    }
    if let Some(nodes) = &p.nodes {
        return if nodes.is_empty() {
            "every node".to_owned()
        } else {
            format!("nodes {}", describe_selector(nodes))
        };
    }
    if let Some(names) = &p.domain_names {
        return format!("domains {}", names.join(", "));
    }
    format!(
        "a peer this version does not know ({}): it fails closed",
        p.unknown.join(", ")
    )
}

/// A rule of a policy in `policy_namespace`, as one line.
pub fn rule(rule: &Rule, direction: Direction, policy_namespace: &str) -> String {
    let (word, everyone) = match direction {
        Direction::Ingress => ("from", "from anywhere (every pod and address)"),
        Direction::Egress => ("to", "to anywhere (every pod and address)"),
    };
    let peers = if rule.peers.is_empty() {
        everyone.to_owned()
    } else {
        let parts: Vec<String> = rule
            .peers
            .iter()
            .map(|p| peer(p, policy_namespace))
            .collect();
        format!("{word} {}", parts.join("; or "))
    };
    format!("{peers}, {}", ports(&rule.ports))
}

/// One peer (SEMANTICS.md point 8).
pub fn peer(p: &Peer, policy_namespace: &str) -> String {
    let pods = |s: &crate::model::LabelSelector| {
        if s.is_empty() {
            "every pod".to_owned()
        } else {
            format!("pods {}", describe_selector(s))
        }
    };
    let namespaces = |s: &crate::model::LabelSelector| {
        if s.is_empty() {
            "every namespace".to_owned()
        } else {
            format!("namespaces {}", describe_selector(s))
        }
    };
    match (&p.pod_selector, &p.namespace_selector, &p.ip_block) {
        (None, None, Some(b)) if b.except.is_empty() => format!("addresses {}", b.cidr),
        (None, None, Some(b)) => format!("addresses {} except {}", b.cidr, b.except.join(", ")),
        (Some(ps), None, None) => format!("{} in namespace {policy_namespace}", pods(ps)),
        (None, Some(ns), None) => format!("every pod in {}", namespaces(ns)),
        (Some(ps), Some(ns), None) => format!("{} in {}", pods(ps), namespaces(ns)),
        _ => "nothing (the API server refuses this peer)".to_owned(),
    }
}

/// A `ports` list: "every port and protocol", or "TCP 80, UDP 53, TCP 8000-8080, TCP port http".
pub fn ports(list: &[PolicyPort]) -> String {
    if list.is_empty() {
        return "every port and protocol".to_owned();
    }
    list.iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            match (&p.port, p.end_port) {
                (None, _) => format!("every {protocol} port"),
                (Some(PortValue::Number(n)), None) => format!("{protocol} {n}"),
                (Some(PortValue::Number(n)), Some(e)) => format!("{protocol} {n}-{e}"),
                (Some(PortValue::Name(name)), _) => format!("{protocol} port named {name}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IpBlock, LabelSelector};

    fn sel(k: &str, v: &str) -> LabelSelector {
        LabelSelector {
            match_labels: vec![(k.into(), v.into())],
            match_expressions: vec![],
        }
    }

    #[test]
    fn rules_read_as_the_api_server_applies_them() {
        let r = Rule {
            peers: vec![Peer {
                pod_selector: Some(sel("app", "frontend")),
                namespace_selector: Some(sel("env", "prod")),
                ip_block: None,
            }],
            ports: vec![PolicyPort {
                protocol: None,
                port: Some(PortValue::Number(8080)),
                end_port: None,
            }],
        };
        assert_eq!(
            rule(&r, Direction::Ingress, "shop"),
            "from pods app=frontend in namespaces env=prod, TCP 8080"
        );
        let two = Rule {
            peers: vec![
                Peer {
                    pod_selector: Some(sel("app", "db")),
                    ..Default::default()
                },
                Peer {
                    ip_block: Some(IpBlock {
                        cidr: "10.0.0.0/8".into(),
                        except: vec!["10.1.0.0/16".into()],
                    }),
                    ..Default::default()
                },
            ],
            ports: vec![],
        };
        assert_eq!(
            rule(&two, Direction::Egress, "shop"),
            "to pods app=db in namespace shop; or addresses 10.0.0.0/8 except 10.1.0.0/16, every port and protocol"
        );
        assert_eq!(
            rule(&Rule::default(), Direction::Ingress, "x"),
            "from anywhere (every pod and address), every port and protocol"
        );
    }
}
