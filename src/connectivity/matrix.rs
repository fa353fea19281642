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

#[derive(Clone, PartialEq, Eq, Hash)]
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
    /// The positions set, ascending.
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
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
        named: Vec<(&'r CompiledRule, Bits)>,
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

/// What a side lets through, as a value two sides can be compared by: `None` for a layered
/// side, whose answer depends on the whole endpoints.
/// (isolated, groups, named rules by address).
type SideKey<'s> = Option<(bool, &'s [(ConnSet, Bits)], Vec<(usize, &'s Bits)>)>;

impl Side<'_> {
    fn key(&self) -> SideKey<'_> {
        match self {
            Side::Open => Some((false, &[], Vec::new())),
            Side::Isolated { groups, named } => Some((
                true,
                groups,
                named
                    .iter()
                    .map(|(rule, bits)| (*rule as *const CompiledRule as usize, bits))
                    .collect(),
            )),
            Side::Layered { .. } => None,
        }
    }

    /// The peer sets the side's answer depends on.
    fn peer_sets(&self) -> Vec<&Bits> {
        match self {
            Side::Isolated { groups, named } => groups
                .iter()
                .map(|(_, b)| b)
                .chain(named.iter().map(|(_, b)| b))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Workloads in scope numbered by how they answer: two workloads of one source class get the
/// same answer from every destination, two of one destination class the same from every
/// source ([`Rows::pair`]), so a pair of classes is worked out once for all their pairs.
pub(super) struct Classes {
    /// Per workload in scope (position in [`Rows::workloads`]), its class as a source and as
    /// a destination.
    pub source: Vec<u32>,
    pub destination: Vec<u32>,
    /// One workload of each class.
    pub source_first: Vec<usize>,
    pub destination_first: Vec<usize>,
}

/// Numbers values as they are met, equal values alike.
struct Numbering<K> {
    numbers: HashMap<K, u32>,
    first: Vec<usize>,
}

impl<K: std::hash::Hash + Eq> Numbering<K> {
    fn new() -> Self {
        Numbering {
            numbers: HashMap::new(),
            first: Vec::new(),
        }
    }

    fn number(&mut self, key: K, at: usize) -> u32 {
        let next = self.first.len() as u32;
        let n = *self.numbers.entry(key).or_insert(next);
        if n == next {
            self.first.push(at);
        }
        n
    }
}

/// For each member, which of the distinct peer sets of these sides hold it: members with the
/// same list are told apart by no side.
fn columns<'s>(sides: &'s [Side<'_>], members: usize) -> Vec<Vec<u32>> {
    let mut seen: std::collections::HashSet<&'s Bits> = Default::default();
    let mut columns = vec![Vec::new(); members];
    for bits in sides.iter().flat_map(Side::peer_sets) {
        if seen.insert(bits) {
            let k = seen.len() as u32 - 1;
            for i in bits.ones().take_while(|&i| i < members) {
                columns[i].push(k);
            }
        }
    }
    columns
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
    peers: &HashMap<(usize, usize), Bits>,
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
                named.push((rule, bits.clone()));
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

/// The sides of every member in scope, worked out once: entries are then produced source by
/// source, so that callers can write them as they come instead of holding every pair.
pub struct Rows<'e> {
    engine: &'e Engine<'e>,
    /// The workloads in scope, in inventory order.
    pub workloads: Vec<usize>,
    /// The external ranges sources may come from and destinations may be in.
    pub ingress_segments: Vec<Segment>,
    pub egress_segments: Vec<Segment>,
    members: Vec<Member>,
    /// Members of one workload are consecutive: `spans[i]` is the range of `workloads[i]`'s.
    spans: Vec<std::ops::Range<usize>>,
    /// Inventory index -> index in `workloads`.
    span_of: HashMap<usize, usize>,
    ingress: Vec<Side<'e>>,
    egress: Vec<Side<'e>>,
    pods: Vec<Endpoint<'e>>,
}

/// Sources handed to the worker threads at a time: enough to keep both cores busy, few enough
/// that the entries waiting to be written stay small.
const CHUNK: usize = 64;

impl<'e> Rows<'e> {
    /// The workloads `in_scope` accepts (by inventory index).
    pub fn new(engine: &'e Engine<'e>, in_scope: impl Fn(usize) -> bool) -> Self {
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
        let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(workloads.len());
        let mut start = 0;
        for &w in &workloads {
            let n = engine.members_of(w).count();
            spans.push(start..start + n);
            start += n;
        }
        let span_of = workloads.iter().enumerate().map(|(i, &w)| (w, i)).collect();
        let pods = members
            .iter()
            .map(|&m| Endpoint::Pod(engine.pod(m)))
            .collect();
        Rows {
            engine,
            workloads,
            ingress_segments,
            egress_segments,
            members,
            spans,
            span_of,
            ingress,
            egress,
            pods,
        }
    }

    /// What workload `src` may send workload `dst` (inventory indexes, both in scope).
    pub fn between(&self, src: usize, dst: usize) -> ConnSet {
        let (s, d) = (self.span_of[&src], self.span_of[&dst]);
        self.pair(s, d)
    }

    pub(super) fn pair(&self, s: usize, d: usize) -> ConnSet {
        let engine = self.engine;
        let mut allowed = ConnSet::none();
        for s in self.spans[s].clone() {
            for d in self.spans[d].clone() {
                let i = self.ingress[d].allowed(engine, s, &self.pods[s], &self.pods[d]);
                if i.is_empty() {
                    continue;
                }
                let e = self.egress[s].allowed(engine, d, &self.pods[d], &self.pods[d]);
                let both = e.intersect(&i);
                if !both.is_empty() {
                    allowed = if allowed.is_empty() {
                        both
                    } else {
                        allowed.union(&both)
                    };
                }
            }
        }
        allowed
    }

    /// The workloads' classes, or `None` when cluster-scoped, Cilium or Calico layers take part
    /// (their walk reads the whole endpoints).
    pub(super) fn classes<'s>(&'s self) -> Option<Classes> {
        let mut side_numbers: Numbering<SideKey<'_>> = Numbering::new();
        let mut side_of = |side: &'s Side<'e>| -> Option<u32> {
            let key = side.key()?;
            Some(side_numbers.number(Some(key), 0))
        };
        let ingress: Vec<u32> = self
            .ingress
            .iter()
            .map(&mut side_of)
            .collect::<Option<_>>()?;
        let egress: Vec<u32> = self
            .egress
            .iter()
            .map(&mut side_of)
            .collect::<Option<_>>()?;
        let members = self.members.len();
        // A source answers through its egress side and its place in the peers of ingress
        // rules; a destination through its ingress side, its place in the peers of egress
        // rules and its ports (egress named ports resolve on it).
        let (in_columns, out_columns) = rayon::join(
            || columns(&self.ingress, members),
            || columns(&self.egress, members),
        );
        let mut source_members = Numbering::new();
        let mut destination_members = Numbering::new();
        let mut source_of = Vec::with_capacity(members);
        let mut destination_of = Vec::with_capacity(members);
        for m in 0..members {
            let ports = match &self.pods[m] {
                Endpoint::Pod(pod) => pod.ports,
                Endpoint::Address(_) => &[],
            };
            source_of.push(source_members.number((egress[m], &in_columns[m]), m));
            destination_of
                .push(destination_members.number((ingress[m], &out_columns[m], ports), m));
        }
        let mut sources = Numbering::new();
        let mut destinations = Numbering::new();
        let mut source = Vec::with_capacity(self.workloads.len());
        let mut destination = Vec::with_capacity(self.workloads.len());
        for (w, span) in self.spans.iter().enumerate() {
            source.push(sources.number(&source_of[span.clone()], w));
            destination.push(destinations.number(&destination_of[span.clone()], w));
        }
        Some(Classes {
            source,
            destination,
            source_first: sources.first,
            destination_first: destinations.first,
        })
    }

    /// Nothing polices an address's ingress.
    pub(super) fn to_external(&self, s: usize, x: usize) -> ConnSet {
        let address = Endpoint::Address(self.egress_segments[x].start);
        let peer = self.members.len() + x;
        self.spans[s].clone().fold(ConnSet::none(), |acc, m| {
            acc.union(&self.egress[m].allowed(self.engine, peer, &address, &address))
        })
    }

    /// Nothing polices an address's egress.
    pub(super) fn external_to(&self, x: usize, d: usize) -> ConnSet {
        let address = Endpoint::Address(self.ingress_segments[x].start);
        let peer = self.members.len() + x;
        self.spans[d].clone().fold(ConnSet::none(), |acc, m| {
            acc.union(&self.ingress[m].allowed(self.engine, peer, &address, &self.pods[m]))
        })
    }

    /// The entries of one source towards `order`'s destinations, in that order.
    fn row(&self, source: &Peer, order: &[Peer]) -> Vec<Entry> {
        let mut out = Vec::new();
        match source {
            Peer::Workload(w) => {
                let s = self.span_of[w];
                for destination in order {
                    let allowed = match destination {
                        Peer::Workload(v) if v == w => continue,
                        Peer::Workload(v) => self.pair(s, self.span_of[v]),
                        Peer::External(segment) => {
                            match self.egress_segments.iter().position(|x| x == segment) {
                                Some(x) => self.to_external(s, x),
                                None => continue,
                            }
                        }
                    };
                    if !allowed.is_empty() {
                        out.push(Entry {
                            source: *source,
                            destination: *destination,
                            allowed,
                        });
                    }
                }
            }
            Peer::External(segment) => {
                let Some(x) = self.ingress_segments.iter().position(|x| x == segment) else {
                    return out;
                };
                for destination in order {
                    let Peer::Workload(v) = destination else {
                        continue;
                    };
                    let allowed = self.external_to(x, self.span_of[v]);
                    if !allowed.is_empty() {
                        out.push(Entry {
                            source: *source,
                            destination: *destination,
                            allowed,
                        });
                    }
                }
            }
        }
        out
    }

    /// Every peer: the workloads in scope, then the external ranges (sources' and
    /// destinations', once each).
    pub fn peers(&self) -> Vec<Peer> {
        let mut segments = merge_sorted(&self.ingress_segments, &self.egress_segments);
        segments.dedup();
        self.workloads
            .iter()
            .map(|&w| Peer::Workload(w))
            .chain(segments.into_iter().map(Peer::External))
            .collect()
    }

    /// Hands `sink` every entry whose source and destination are in `order`, sources in that
    /// order and each source's destinations in that order. Sources are worked out a chunk at a
    /// time on the worker threads, so memory holds one chunk's entries, not the matrix.
    pub fn for_each<E>(
        &self,
        order: &[Peer],
        mut sink: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        for chunk in order.chunks(CHUNK) {
            let rows: Vec<Vec<Entry>> = chunk.par_iter().map(|s| self.row(s, order)).collect();
            for entry in rows.into_iter().flatten() {
                sink(entry)?;
            }
        }
        Ok(())
    }

    /// The entries into and out of one workload in scope (inventory index): every peer that
    /// may reach it, and every peer it may reach, workloads in scope and ranges.
    pub fn around(&self, workload: usize) -> Vec<Entry> {
        let order = self.peers();
        let me = Peer::Workload(workload);
        let mut entries: Vec<Entry> = order
            .par_iter()
            .filter(|p| **p != me)
            .flat_map_iter(|p| self.row(p, std::slice::from_ref(&me)))
            .collect();
        entries.extend(self.row(&me, &order));
        entries
    }

    /// What the entries assume (hostNetwork workloads seen as their nodes).
    pub fn notes(&self) -> Vec<String> {
        node_note(self.engine, &self.workloads)
            .into_iter()
            .chain(narrow_networks_note(self.engine))
            .chain(same_priority_note(self.engine))
            .collect()
    }
}

fn merge_sorted(a: &[Segment], b: &[Segment]) -> Vec<Segment> {
    let mut all: Vec<Segment> = a.iter().chain(b).copied().collect();
    all.sort();
    all
}

/// The matrix of the workloads `in_scope` accepts (by inventory index), in memory: for tests
/// and small inputs; the CLI streams through `Rows`.
pub fn compute<'e>(engine: &'e Engine<'e>, in_scope: impl Fn(usize) -> bool) -> Matrix {
    let rows = Rows::new(engine, in_scope);
    let mut entries = Vec::new();
    let _ = rows.for_each::<()>(&rows.peers(), |e| {
        entries.push(e);
        Ok(())
    });
    Matrix {
        notes: rows.notes(),
        workloads: rows.workloads,
        ingress_segments: rows.ingress_segments,
        egress_segments: rows.egress_segments,
        entries,
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
