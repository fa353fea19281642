//! Every ordered pair of workloads in scope (and the external ranges), with what each may send
//! the other.
//!
//! Each rule is resolved once into the set of peers it matches (a bitset over the members in
//! scope and the external ranges); each side then groups its rules by what they allow, so a
//! pair costs a few bit tests per side instead of matching every rule of every policy again.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::model::Direction;
use crate::semantics::decide::{SidePolicies, Walk};
use crate::semantics::traffic::{CompiledRule, Endpoint};
use crate::semantics::{ConnSet, PolicyId};

use super::externals::{self, Segment};
use super::{Engine, Member};

/// One end of a matrix entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// Index into `Inventory::workloads`.
    Workload(usize),
    External(Segment),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub source: Peer,
    pub destination: Peer,
    pub allowed: ConnSet,
}

#[derive(Debug, Clone, Default)]
pub struct Matrix {
    /// The workloads in scope, in inventory order.
    pub workloads: Vec<usize>,
    /// The external ranges sources may come from and destinations may be in.
    pub ingress_segments: Vec<Segment>,
    pub egress_segments: Vec<Segment>,
    /// Only the pairs that may exchange something; workloads with themselves are left out.
    pub entries: Vec<Entry>,
    /// What the entries assume (hostNetwork workloads seen as their nodes).
    pub notes: Vec<String>,
}

#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Self {
        Bits(vec![0; len.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// What one side of a member lets through, peers grouped by what they get.
enum Side<'r> {
    Open,
    Isolated {
        groups: Vec<(ConnSet, Bits)>,
        /// Egress rules with named ports: what they allow depends on the destination.
        named: Vec<(&'r CompiledRule, &'r Bits)>,
    },
    /// Cluster-scoped tiers apply: rule order and actions matter, so each peer walks the
    /// layers (SEMANTICS.md point 12).
    Layered {
        policies: SidePolicies,
        direction: Direction,
    },
}

impl Side<'_> {
    fn allowed(
        &self,
        engine: &Engine<'_>,
        peer: usize,
        peer_endpoint: &Endpoint<'_>,
        destination: &Endpoint<'_>,
    ) -> ConnSet {
        match self {
            Side::Open => ConnSet::all(),
            Side::Layered {
                policies,
                direction,
            } => {
                engine
                    .coverage
                    .set
                    .decide(
                        policies,
                        *direction,
                        peer_endpoint,
                        destination,
                        &ConnSet::all(),
                        Walk::default(),
                    )
                    .allowed
            }
            Side::Isolated { groups, named } => {
                let mut out = ConnSet::none();
                for (conns, bits) in groups {
                    if bits.get(peer) {
                        out = if out.is_empty() {
                            conns.clone()
                        } else {
                            out.union(conns)
                        };
                    }
                }
                for (rule, bits) in named {
                    if bits.get(peer) {
                        out = out.union(&rule.conns(destination));
                    }
                }
                out
            }
        }
    }
}

/// The peer sets of every counted rule of one direction, over `members` then `segments`.
fn rule_peers(
    engine: &Engine<'_>,
    direction: Direction,
    members: &[Member],
    segments: &[Segment],
) -> HashMap<(usize, usize), Bits> {
    let len = members.len() + segments.len();
    if engine.coverage.set.has_layers() {
        // The layered walk matches peers itself.
        return HashMap::new();
    }
    let keys: Vec<(usize, usize)> = (0..engine.inventory.policies.len())
        .flat_map(|p| (0..engine.rules(PolicyId::Network(p), direction).len()).map(move |r| (p, r)))
        .collect();
    keys.into_par_iter()
        .map(|(p, r)| {
            let rule = &engine.rules(PolicyId::Network(p), direction)[r];
            let namespace = &engine.inventory.policies[p].namespace;
            let mut bits = Bits::new(len);
            for (i, &m) in members.iter().enumerate() {
                if rule.matches_peer(namespace, &Endpoint::Pod(engine.pod(m))) {
                    bits.set(i);
                }
            }
            for (i, s) in segments.iter().enumerate() {
                // Segments are cut at every ipBlock edge: one address stands for the range.
                if rule.matches_peer(namespace, &Endpoint::Address(s.start)) {
                    bits.set(members.len() + i);
                }
            }
            ((p, r), bits)
        })
        .collect()
}

fn build_side<'r>(
    engine: &'r Engine<'_>,
    m: Member,
    direction: Direction,
    peers: &'r HashMap<(usize, usize), Bits>,
    len: usize,
) -> Side<'r> {
    if engine.coverage.set.has_layers() {
        let policies = engine.side_policies(m, direction);
        if policies.is_empty() {
            return Side::Open;
        }
        return Side::Layered {
            policies,
            direction,
        };
    }
    let (isolated, policies) = engine.isolating(m, direction);
    if !isolated {
        return Side::Open;
    }
    let mut grouped: HashMap<ConnSet, Bits> = HashMap::new();
    let mut named = Vec::new();
    // Ingress: the destination is the member itself, named ports resolve on it.
    let me = Endpoint::Pod(engine.pod(m));
    for &p in &policies {
        for (r, rule) in engine
            .rules(PolicyId::Network(p), direction)
            .iter()
            .enumerate()
        {
            let bits = &peers[&(p, r)];
            if direction == Direction::Egress && rule.has_named_port() {
                named.push((rule, bits));
                continue;
            }
            let conns = rule.conns(&me);
            if conns.is_empty() {
                continue;
            }
            grouped
                .entry(conns)
                .or_insert_with(|| Bits::new(len))
                .or(bits);
        }
    }
    let mut groups: Vec<(ConnSet, Bits)> = grouped.into_iter().collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    Side::Isolated { groups, named }
}

/// The matrix of the workloads `in_scope` accepts (by inventory index).
pub fn compute(engine: &Engine<'_>, in_scope: impl Fn(usize) -> bool) -> Matrix {
    let workloads: Vec<usize> = (0..engine.inventory.workloads.len())
        .filter(|&w| in_scope(w))
        .collect();
    let members: Vec<Member> = workloads
        .iter()
        .flat_map(|&w| engine.members_of(w))
        .collect();
    let ingress_segments = externals::segments(engine, Direction::Ingress);
    let egress_segments = externals::segments(engine, Direction::Egress);
    let (in_peers, out_peers) = rayon::join(
        || rule_peers(engine, Direction::Ingress, &members, &ingress_segments),
        || rule_peers(engine, Direction::Egress, &members, &egress_segments),
    );
    let in_len = members.len() + ingress_segments.len();
    let out_len = members.len() + egress_segments.len();
    let (ingress, egress): (Vec<Side<'_>>, Vec<Side<'_>>) = members
        .par_iter()
        .map(|&m| {
            (
                build_side(engine, m, Direction::Ingress, &in_peers, in_len),
                build_side(engine, m, Direction::Egress, &out_peers, out_len),
            )
        })
        .unzip();

    // Members of one workload are consecutive: `spans[w]` is the range of its members.
    let mut spans: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        match spans.last_mut() {
            Some((w, r)) if *w == m.workload => r.end = i + 1,
            _ => spans.push((m.workload, i..i + 1)),
        }
    }

    let pods: Vec<Endpoint<'_>> = members
        .iter()
        .map(|&m| Endpoint::Pod(engine.pod(m)))
        .collect();
    let mut entries: Vec<Entry> = spans
        .par_iter()
        .flat_map_iter(|(src_w, src_members)| {
            let mut out = Vec::new();
            // Towards every other workload.
            for (dst_w, dst_members) in &spans {
                if dst_w == src_w {
                    continue;
                }
                let mut allowed = ConnSet::none();
                for s in src_members.clone() {
                    for d in dst_members.clone() {
                        let i = ingress[d].allowed(engine, s, &pods[s], &pods[d]);
                        if i.is_empty() {
                            continue;
                        }
                        let e = egress[s].allowed(engine, d, &pods[d], &pods[d]);
                        allowed = allowed.union(&e.intersect(&i));
                    }
                }
                if !allowed.is_empty() {
                    out.push(Entry {
                        source: Peer::Workload(*src_w),
                        destination: Peer::Workload(*dst_w),
                        allowed,
                    });
                }
            }
            // Towards the external ranges: nothing polices an address's ingress.
            for (x, segment) in egress_segments.iter().enumerate() {
                let address = Endpoint::Address(segment.start);
                let allowed = src_members.clone().fold(ConnSet::none(), |acc, s| {
                    acc.union(&egress[s].allowed(engine, members.len() + x, &address, &address))
                });
                if !allowed.is_empty() {
                    out.push(Entry {
                        source: Peer::Workload(*src_w),
                        destination: Peer::External(*segment),
                        allowed,
                    });
                }
            }
            out
        })
        .collect();

    // From the external ranges: nothing polices an address's egress.
    for (x, segment) in ingress_segments.iter().enumerate() {
        for (dst_w, dst_members) in &spans {
            let address = Endpoint::Address(segment.start);
            let allowed = dst_members.clone().fold(ConnSet::none(), |acc, d| {
                acc.union(&ingress[d].allowed(engine, members.len() + x, &address, &pods[d]))
            });
            if !allowed.is_empty() {
                entries.push(Entry {
                    source: Peer::External(*segment),
                    destination: Peer::Workload(*dst_w),
                    allowed,
                });
            }
        }
    }

    let notes = node_note(engine, &workloads)
        .into_iter()
        .chain(narrow_networks_note(engine))
        .chain(same_priority_note(engine))
        .collect();
    Matrix {
        workloads,
        ingress_segments,
        egress_segments,
        entries,
        notes,
    }
}

/// Point 16: policies of one tier with the same priority may be applied in either order where
/// both match; the matrix applies them by name.
fn same_priority_note(engine: &Engine<'_>) -> Option<String> {
    let cluster = engine.coverage.set.cluster();
    let tied: Vec<String> = cluster
        .windows(2)
        .filter(|w| w[0].layer == w[1].layer && w[0].rank == w[1].rank)
        .map(|w| {
            let name =
                |i: usize| super::describe::policy_name(engine.inventory, PolicyId::Cluster(i));
            format!("{} and {}", name(w[0].index), name(w[1].index))
        })
        .collect();
    (!tied.is_empty()).then(|| {
        format!(
            "{} have the same priority: where both match, the implementation may apply either \
             first (SEMANTICS.md point 16); the matrix applies them by name, and `reach` says \
             ambiguous where the order matters",
            tied.join("; ")
        )
    })
}

/// Points 13 and 23: `networks` narrower than /0 may hold pods, whose addresses the input does
/// not give; the matrix evaluates pod pairs as if they did not.
fn narrow_networks_note(engine: &Engine<'_>) -> Option<String> {
    let mut names: Vec<String> = engine
        .coverage
        .set
        .cluster()
        .iter()
        .map(|c| &engine.inventory.cluster_policies[c.index])
        .filter(|p| p.networks(Direction::Egress).any(|n| n.prefix_len() > 0))
        .map(|p| format!("{} {}", p.kind, p.name))
        .collect();
    names.dedup();
    (!names.is_empty()).then(|| {
        format!(
            "pod-to-pod entries assume no pod address lies in the narrower-than-/0 `networks` of \
             {}: the input does not give pod addresses (SEMANTICS.md points 13 and 23); `reach` \
             says unknown where it matters",
            names.join(", ")
        )
    })
}

/// Points 5, 11 and 23: what the matrix cannot say about hostNetwork workloads seen as nodes.
fn node_note(engine: &Engine<'_>, workloads: &[usize]) -> Option<String> {
    let names: Vec<String> = workloads
        .iter()
        .map(|&w| &engine.inventory.workloads[w])
        .filter(|w| engine.coverage.on_node_network(w))
        .map(|w| format!("{}/{}", w.namespace, w.name))
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "hostNetwork workloads ({}) are their nodes here (--host-network=node): NetworkPolicy \
             does not isolate them and no podSelector or namespaceSelector matches them; an ipBlock \
             holding their node's address would, which the input does not tell, and a node always \
             reaches its own pods (SEMANTICS.md points 5 and 11)",
            names.join(", ")
        )
    })
}
