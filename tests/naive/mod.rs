//! Literal readings of SEMANTICS.md shared by the property tests, written without any of the
//! crate's code, so that the crate's indexed and compiled evaluators have something
//! independent to agree with; and the random label sets, requirements and inventories the tests
//! draw.
#![allow(dead_code)]

use netpol_check::model::{
    ContainerPort, IpBlock, LabelSelector, Labels, Namespace, NetworkPolicy, Origin, Peer,
    PolicyPort, PortValue, Requirement, Rule, Suppression, Workload, WorkloadKind,
};
use proptest::prelude::*;

pub const KEYS: [&str; 3] = ["app", "tier", "env"];
pub const VALUES: [&str; 3] = ["x", "y", "z"];
pub const NAMESPACES: [&str; 3] = ["a", "b", "c"];
pub const PORT_NAMES: [&str; 2] = ["http", "dns"];

/// Up to two distinct keys of `keys`, each with one of `VALUES`.
pub fn label_pairs(keys: &[&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(
        prop::sample::select(keys.to_vec()),
        prop::sample::select(VALUES.to_vec()),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

/// A valid requirement: In/NotIn with values, Exists/DoesNotExist without.
pub fn requirement() -> impl Strategy<Value = Requirement> {
    (
        prop::sample::select(KEYS.to_vec()),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::collection::vec(prop::sample::select(VALUES.to_vec()), 1..3),
    )
        .prop_map(|(k, op, vals)| Requirement {
            key: k.into(),
            operator: op.into(),
            values: if op == "In" || op == "NotIn" {
                vals.into_iter().map(str::to_owned).collect()
            } else {
                vec![]
            },
        })
}

pub fn naive_selects(sel: &LabelSelector, labels: &Labels) -> bool {
    // "matchLabels and matchExpressions are ANDed."
    for (k, v) in &sel.match_labels {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for r in &sel.match_expressions {
        let ok = match r.operator.as_str() {
            // "In: key present and value listed."
            "In" => labels.contains_key(&r.key) && r.values.contains(&labels[&r.key]),
            // "NotIn: key absent, or value not listed."
            "NotIn" => !labels.contains_key(&r.key) || !r.values.contains(&labels[&r.key]),
            "Exists" => labels.contains_key(&r.key),
            "DoesNotExist" => !labels.contains_key(&r.key),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// "When the field is missing or an empty list, the API server sets it to [Ingress], plus
/// Egress when spec.egress has at least one rule."
pub fn naive_types(p: &NetworkPolicy) -> (bool, bool) {
    match &p.policy_types {
        None => (true, !p.egress.is_empty()),
        Some(t) if t.is_empty() => (true, !p.egress.is_empty()),
        Some(t) => (
            t.iter().any(|x| x == "Ingress"),
            t.iter().any(|x| x == "Egress"),
        ),
    }
}

// ---- Random inventories for the connectivity tests (reach, generation). ----

/// What the connectivity tests draw differently: reach's evaluator reads more shapes than
/// generation needs. A choice that is fixed draws nothing from the random source, so the seeds
/// in the `.proptest-regressions` files still replay the cases they were saved for.
#[derive(Clone, Copy)]
pub struct Draw {
    /// Of policy ports and container ports, besides none (TCP).
    pub protocols: &'static [&'static str],
    pub container_ports: &'static [i64],
    /// How far a port range's end lies past its start.
    pub range_widths: &'static [i64],
    pub ip_blocks: IpBlocks,
    /// One policy in four selecting every pod of its namespace.
    pub empty_pod_selectors: bool,
    /// `policyTypes: []` among the policy types.
    pub empty_policy_types: bool,
    /// Half the workloads Pods, which can reach themselves; else all Deployments.
    pub pods: bool,
}

#[derive(Clone, Copy)]
pub enum IpBlocks {
    /// Always this CIDR, without except.
    Fixed(&'static str),
    /// One of these (cidr, a strict subset to use as except), half the time with the except.
    Drawn(&'static [(&'static str, &'static str)]),
}

fn one_of(xs: &'static [i64]) -> BoxedStrategy<i64> {
    match xs {
        [x] => Just(*x).boxed(),
        _ => prop::sample::select(xs.to_vec()).boxed(),
    }
}

/// At most one matchLabels pair and one requirement.
pub fn selector() -> impl Strategy<Value = LabelSelector> {
    (
        label_pairs(&KEYS),
        prop::collection::vec(requirement(), 0..2),
    )
        .prop_map(|(ml, me)| LabelSelector {
            match_labels: ml.into_iter().take(1).collect(),
            match_expressions: me,
        })
}

/// Only peers the API server accepts: a policy it refuses never applies.
pub fn peer(d: Draw) -> impl Strategy<Value = Peer> {
    let ip_block = match d.ip_blocks {
        IpBlocks::Fixed(cidr) => Just(IpBlock {
            cidr: cidr.into(),
            except: vec![],
        })
        .boxed(),
        IpBlocks::Drawn(blocks) => (prop::sample::select(blocks.to_vec()), any::<bool>())
            .prop_map(|((cidr, ex), use_ex)| IpBlock {
                cidr: cidr.into(),
                except: if use_ex { vec![ex.into()] } else { vec![] },
            })
            .boxed(),
    };
    prop_oneof![
        selector().prop_map(|s| Peer {
            pod_selector: Some(s),
            ..Default::default()
        }),
        selector().prop_map(|s| Peer {
            namespace_selector: Some(s),
            ..Default::default()
        }),
        (selector(), selector()).prop_map(|(p, n)| Peer {
            pod_selector: Some(p),
            namespace_selector: Some(n),
            ip_block: None,
        }),
        ip_block.prop_map(|b| Peer {
            ip_block: Some(b),
            ..Default::default()
        }),
    ]
}

pub fn policy_port(d: Draw) -> impl Strategy<Value = PolicyPort> {
    (
        prop::option::of(prop::sample::select(d.protocols.to_vec())),
        0u8..4,
        prop::sample::select(vec![53i64, 80, 8080]),
        one_of(d.range_widths),
        prop::sample::select(PORT_NAMES.to_vec()),
    )
        .prop_map(|(protocol, shape, n, width, name)| PolicyPort {
            protocol: protocol.map(str::to_owned),
            port: match shape {
                0 => None,
                1 | 2 => Some(PortValue::Number(n)),
                _ => Some(PortValue::Name(name.into())),
            },
            end_port: (shape == 2).then_some(n + width),
        })
}

pub fn rule(d: Draw) -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(peer(d), 0..3),
        prop::collection::vec(policy_port(d), 0..3),
    )
        .prop_map(|(peers, ports)| Rule { peers, ports })
}

/// Named `p`: a test that needs distinct names gives them.
pub fn policy(d: Draw) -> impl Strategy<Value = NetworkPolicy> {
    let pod_selector = if d.empty_pod_selectors {
        prop_oneof![3 => selector(), 1 => Just(LabelSelector::default())].boxed()
    } else {
        selector().boxed()
    };
    let policy_types = if d.empty_policy_types {
        prop_oneof![
            Just(None),
            Just(Some(vec![])),
            Just(Some(vec!["Ingress".to_string()])),
            Just(Some(vec!["Egress".to_string()])),
            Just(Some(vec!["Ingress".to_string(), "Egress".to_string()])),
        ]
        .boxed()
    } else {
        prop_oneof![
            Just(None),
            Just(Some(vec!["Ingress".to_string()])),
            Just(Some(vec!["Egress".to_string()])),
            Just(Some(vec!["Ingress".to_string(), "Egress".to_string()])),
        ]
        .boxed()
    };
    (
        prop::sample::select(NAMESPACES.to_vec()),
        pod_selector,
        policy_types,
        prop::collection::vec(rule(d), 0..3),
        prop::collection::vec(rule(d), 0..3),
    )
        .prop_map(|(ns, sel, types, ingress, egress)| NetworkPolicy {
            namespace: ns.into(),
            name: "p".into(),
            pod_selector: sel,
            policy_types: types,
            ingress,
            egress,
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

pub fn container_port(d: Draw) -> impl Strategy<Value = ContainerPort> {
    (
        prop::option::of(prop::sample::select(PORT_NAMES.to_vec())),
        prop::sample::select(d.container_ports.to_vec()),
        prop::option::of(prop::sample::select(d.protocols.to_vec())),
    )
        .prop_map(|(name, port, protocol)| ContainerPort {
            name: name.map(str::to_owned),
            port,
            protocol: protocol.map(str::to_owned),
        })
}

/// One label set, one pod, one hostNetwork workload in ten; unnamed: the test names them.
pub fn workload(d: Draw) -> impl Strategy<Value = Workload> {
    let is_pod = if d.pods {
        any::<bool>().boxed()
    } else {
        Just(false).boxed()
    };
    (
        prop::sample::select(NAMESPACES.to_vec()),
        label_pairs(&KEYS),
        prop::bool::weighted(0.1),
        prop::collection::vec(container_port(d), 0..3),
        is_pod,
    )
        .prop_map(|(ns, l, host, ports, is_pod)| Workload {
            kind: if is_pod {
                WorkloadKind::Pod
            } else {
                WorkloadKind::Deployment
            },
            namespace: ns.into(),
            name: String::new(),
            label_sets: vec![l.into_iter().collect()],
            pods: 1,
            host_network: host,
            ports,
            service_account: None,
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

/// The namespaces of `NAMESPACES`, each with up to two labels besides its name.
pub fn namespaces() -> impl Strategy<Value = Vec<Namespace>> {
    prop::collection::vec(label_pairs(&["env", "team"]), 3).prop_map(|sets| {
        NAMESPACES
            .iter()
            .zip(sets)
            .map(|(name, extra)| {
                let mut ns = Namespace::implicit(name);
                ns.labels.extend(extra);
                ns
            })
            .collect()
    })
}
