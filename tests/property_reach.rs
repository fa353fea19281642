//! `reach` (the compiled connectivity engine) must agree with a naive evaluator written straight
//! from SEMANTICS.md points 3-11 on random inventories, ports and protocols, with hostNetwork
//! pods in either model of point 5.

mod naive;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use naive::{naive_selects, naive_types, namespaces, policy, workload, Draw, IpBlocks};
use netpol_check::connectivity::reach::{reach, End, PortSpec};
use netpol_check::connectivity::Engine;
use netpol_check::model::*;
use netpol_check::semantics::HostNetwork;
use proptest::prelude::*;

const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
/// (cidr, a strict subset to use as except)
const BLOCKS: [(&str, &str); 3] = [
    ("10.0.0.0/8", "10.1.0.0/16"),
    ("0.0.0.0/0", "10.0.0.0/8"),
    ("192.168.0.0/16", "192.168.1.0/24"),
];
const ADDRESSES: [&str; 5] = [
    "10.1.2.3",
    "10.2.0.1",
    "192.168.1.1",
    "192.168.2.2",
    "8.8.8.8",
];
/// Every shape the evaluator reads: SCTP, ranges of several widths, ipBlock excepts, a port
/// (8090) only containers use, `policyTypes: []`, and Pods, which reach themselves.
const DRAW: Draw = Draw {
    protocols: &PROTOCOLS,
    container_ports: &[53, 80, 8080, 8090],
    range_widths: &[0, 5, 10],
    ip_blocks: IpBlocks::Drawn(&BLOCKS),
    empty_pod_selectors: false,
    empty_policy_types: true,
    pods: true,
};

// ---- The naive evaluator: SEMANTICS.md, one sentence at a time. ----

fn parse_v4_cidr(s: &str) -> (u32, u32) {
    let (addr, len) = s.split_once('/').unwrap();
    let addr = u32::from(addr.parse::<Ipv4Addr>().unwrap());
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (addr & mask, mask)
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (net, mask) = parse_v4_cidr(cidr);
    u32::from(ip) & mask == net
}

#[derive(Clone, Copy)]
enum Who<'a> {
    Pod(&'a Workload, &'a Labels),
    Address(Ipv4Addr),
}

/// Point 5, the default model: "a hostNetwork pod is never isolated, and no selector ever
/// matches it as a peer"; the other model: "selected, isolated and matched like other pods".
#[derive(Clone, Copy, Debug)]
struct Model {
    node: bool,
}

/// Point 8.
fn peer_matches(p: &Peer, policy_ns: &str, who: Who<'_>, model: Model) -> bool {
    match (p, who) {
        (
            Peer {
                ip_block: Some(b), ..
            },
            Who::Address(ip),
        ) => in_cidr(ip, &b.cidr) && !b.except.iter().any(|e| in_cidr(ip, e)),
        (
            Peer {
                ip_block: Some(_), ..
            },
            Who::Pod(..),
        ) => false,
        (_, Who::Address(_)) => false,
        // Its traffic is the node's: matched only by address, and node addresses are not
        // known here.
        (_, Who::Pod(w, _)) if model.node && w.host_network => false,
        (p, Who::Pod(w, ns_labels)) => {
            let ns_ok = match &p.namespace_selector {
                Some(s) => naive_selects(s, ns_labels),
                None => w.namespace == policy_ns,
            };
            let pod_ok = p
                .pod_selector
                .as_ref()
                .is_none_or(|s| naive_selects(s, &w.label_sets[0]));
            ns_ok && pod_ok
        }
    }
}

/// Points 9 and 10.
fn port_matches(p: &PolicyPort, dst: Who<'_>, protocol: &str, port: i64) -> bool {
    if p.protocol.as_deref().unwrap_or("TCP") != protocol {
        return false;
    }
    match &p.port {
        None => true,
        Some(PortValue::Number(n)) => match p.end_port {
            None => *n == port,
            Some(e) => *n <= port && port <= e,
        },
        Some(PortValue::Name(name)) => match dst {
            Who::Address(_) => false,
            Who::Pod(w, _) => w.ports.iter().any(|c| {
                c.name.as_deref() == Some(name)
                    && c.protocol.as_deref().unwrap_or("TCP") == protocol
                    && c.port == port
            }),
        },
    }
}

/// Points 3, 5 and 7 for one side.
#[allow(clippy::too_many_arguments)]
fn side_allows(
    me: &Workload,
    ingress: bool,
    peer: Who<'_>,
    dst: Who<'_>,
    protocol: &str,
    port: i64,
    policies: &[NetworkPolicy],
    model: Model,
) -> bool {
    if me.host_network && model.node {
        return true;
    }
    let mut isolated = false;
    let mut allowed = false;
    for p in policies {
        if p.namespace != me.namespace || !naive_selects(&p.pod_selector, &me.label_sets[0]) {
            continue;
        }
        let (i, e) = naive_types(p);
        if !(if ingress { i } else { e }) {
            continue;
        }
        isolated = true;
        let rules = if ingress { &p.ingress } else { &p.egress };
        for r in rules {
            let peer_ok = r.peers.is_empty()
                || r.peers
                    .iter()
                    .any(|x| peer_matches(x, &p.namespace, peer, model));
            let port_ok =
                r.ports.is_empty() || r.ports.iter().any(|x| port_matches(x, dst, protocol, port));
            allowed |= peer_ok && port_ok;
        }
    }
    !isolated || allowed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn reach_agrees_with_the_naive_evaluator(
        namespaces in namespaces(),
        workloads in prop::collection::vec(workload(DRAW), 1..8),
        policies in prop::collection::vec(policy(DRAW), 0..6),
        src in 0usize..8,
        dst in 0usize..9,
        address in prop::sample::select(ADDRESSES.to_vec()),
        protocol in prop::sample::select(PROTOCOLS.to_vec()),
        // The rules' ports and range ends, one past them, and container ports.
        port in prop::sample::select(vec![53i64, 58, 63, 64, 80, 85, 90, 8080, 8085, 8090, 8091, 9000]),
        address_is_source in any::<bool>(),
        node_model in any::<bool>(),
    ) {
        let model = Model { node: node_model };
        let mut workloads = workloads;
        for (i, w) in workloads.iter_mut().enumerate() {
            w.name = format!("w{i}");
        }
        let inventory = Inventory {
            namespaces: namespaces.clone(),
            workloads: workloads.clone(),
            policies: policies.clone(),
            skipped_kinds: BTreeMap::new(),
            pod_owners: BTreeMap::new(),
            ..Default::default()
        };
        let ns_labels = |w: &Workload| -> Labels {
            namespaces.iter().find(|n| n.name == w.namespace).unwrap().labels.clone()
        };
        let engine = Engine::with_host_network(
            &inventory,
            if model.node { HostNetwork::Node } else { HostNetwork::Pod },
        );
        let s = src % workloads.len();
        let ip: Ipv4Addr = address.parse().unwrap();
        let proto = Protocol::parse(protocol).unwrap();
        let spec = PortSpec::Number(port as u16);

        // Workload to workload (dst == len means "an address" instead).
        let (end_src, end_dst, expected) = if dst < workloads.len() {
            let (a, b) = (&workloads[s], &workloads[dst]);
            let (la, lb) = (ns_labels(a), ns_labels(b));
            let same_pod = s == dst && a.kind == WorkloadKind::Pod;
            let expected = same_pod
                || (side_allows(a, false, Who::Pod(b, &lb), Who::Pod(b, &lb), protocol, port, &policies, model)
                    && side_allows(b, true, Who::Pod(a, &la), Who::Pod(b, &lb), protocol, port, &policies, model));
            (End::Workload(s), End::Workload(dst), expected)
        } else if address_is_source {
            let b = &workloads[s];
            let lb = ns_labels(b);
            let expected =
                side_allows(b, true, Who::Address(ip), Who::Pod(b, &lb), protocol, port, &policies, model);
            (End::Address(ip.into()), End::Workload(s), expected)
        } else {
            let a = &workloads[s];
            let expected =
                side_allows(a, false, Who::Address(ip), Who::Address(ip), protocol, port, &policies, model);
            (End::Workload(s), End::Address(ip.into()), expected)
        };
        let got = reach(&engine, end_src, end_dst, Some((proto, &spec))).unwrap();
        prop_assert_eq!(got.allowed, expected, "{:?} -> {:?} {} {}", end_src, end_dst, protocol, port);
    }
}
