//! Which connections between the workloads both sides have changed, worked out only where
//! something changed, so that a change to a 100,000-workload cluster does not cost 10^10 pairs.
//!
//! A connection from S to D is S's egress towards D and D's ingress from S (SEMANTICS.md point
//! 4). D's ingress answer for S depends on D's side (the policies of every layer that apply to
//! D, with their rules, and D itself: its ports resolve named ports, its labels Calico's
//! conditions on its own end) and on S as a peer (its labels, namespace labels, service
//! account, whether it is on the node's network); S's egress likewise. So the answer can only
//! change for pairs where
//! 1. D's ingress side (or S's egress side) changed: the answer then changes only for peers some
//!    rule of a changed, added or removed policy matches, before or after; unless what the side
//!    does with peers no rule names changed (it became isolated, a Calico tier appeared), where
//!    every peer may change;
//! 2. S (or D) changed as a peer: the answer then changes only on sides with a rule whose match
//!    on it changed (or, for egress, a named port whose resolution on it changed).
//!
//! Every such pair is then decided on both sides, and kept when what gets through differs.

use foldhash::{HashMap, HashMap as Map, HashSet};

use rayon::prelude::*;

use crate::connectivity::externals::{self, Segment};
use crate::connectivity::{Engine, Member};
use crate::model::Direction;
use crate::semantics::decide::{SidePolicies, Walk};
use crate::semantics::traffic::{Action, Endpoint, Match};
use crate::semantics::{ConnSet, PolicyId, RuleRef};

use super::identity::{Object, Policies, Status};

const DIRECTIONS: [Direction; 2] = [Direction::Ingress, Direction::Egress];

fn slot(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

/// One inventory's engine, with what the comparison looks up in it.
pub struct View<'a> {
    pub engine: &'a Engine<'a>,
    /// Per workload and direction, the policies applying to each of its pod shapes.
    sides: Vec<[Vec<SidePolicies>; 2]>,
    /// Workload indexes per namespace.
    namespaces: Vec<(&'a str, Vec<usize>)>,
    /// The workloads each policy applies to, per direction.
    subjects: HashMap<(PolicyId, usize), Vec<usize>>,
    /// Per workload and direction, a number shared by the workloads whose (single) pod shape
    /// has the same policies on that side; `u32::MAX` for several shapes.
    side_class: Vec<[u32; 2]>,
    /// Per workload, a number shared by the workloads with the same container ports.
    port_class: Vec<u32>,
}

impl<'a> View<'a> {
    pub fn new(engine: &'a Engine<'a>) -> Self {
        let workloads = &engine.inventory.workloads;
        let sides: Vec<[Vec<SidePolicies>; 2]> = (0..workloads.len())
            .into_par_iter()
            .map(|w| {
                DIRECTIONS.map(|d| {
                    engine
                        .members_of(w)
                        .map(|m| engine.side_policies(m, d))
                        .collect()
                })
            })
            .collect();
        let mut by_ns: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, w) in workloads.iter().enumerate() {
            by_ns.entry(w.namespace.as_str()).or_default().push(i);
        }
        let mut namespaces: Vec<(&str, Vec<usize>)> = by_ns.into_iter().collect();
        namespaces.sort_by(|a, b| a.0.cmp(b.0));
        let mut subjects: HashMap<(PolicyId, usize), Vec<usize>> = HashMap::default();
        for (w, per_direction) in sides.iter().enumerate() {
            for (d, members) in per_direction.iter().enumerate() {
                let mut ids: Vec<PolicyId> =
                    members.iter().flat_map(|s| policy_ids(engine, s)).collect();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    subjects.entry((id, d)).or_default().push(w);
                }
            }
        }
        let mut classes: Map<&SidePolicies, u32> = Map::default();
        let side_class = sides
            .iter()
            .map(|per_direction| {
                [0, 1].map(|d| match per_direction[d].as_slice() {
                    [one] => {
                        let next = classes.len() as u32;
                        *classes.entry(one).or_insert(next)
                    }
                    _ => u32::MAX,
                })
            })
            .collect();
        let mut ports: Map<&[crate::model::ContainerPort], u32> = Map::default();
        let port_class = workloads
            .iter()
            .map(|w| {
                let next = ports.len() as u32;
                *ports.entry(w.ports.as_slice()).or_insert(next)
            })
            .collect();
        View {
            engine,
            sides,
            namespaces,
            subjects,
            side_class,
            port_class,
        }
    }

    fn side(&self, w: usize, d: Direction) -> &[SidePolicies] {
        &self.sides[w][slot(d)]
    }

    fn pod(&self, m: Member) -> Endpoint<'_> {
        Endpoint::Pod(self.engine.pod(m))
    }
}

/// The policies of a side, every layer, in evaluation order.
fn policy_ids<'e>(
    engine: &'e Engine<'_>,
    s: &'e SidePolicies,
) -> impl Iterator<Item = PolicyId> + 'e {
    let set = &engine.coverage.set;
    s.admin
        .iter()
        .map(|&p| PolicyId::Cluster(set.cluster()[p].index))
        .chain(s.network.iter().map(|&p| PolicyId::Network(p)))
        .chain(s.cilium.iter().map(|&p| set.cilium()[p].id()))
        .chain(
            s.baseline
                .iter()
                .map(|&p| PolicyId::Cluster(set.cluster()[p].index)),
        )
        .chain(
            s.calico
                .iter()
                .map(|&p| PolicyId::Calico(set.calico()[p].index)),
        )
}

/// A policy as both sides name it: by its head object when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Gid {
    Head(Object, u32),
    BaseOnly(Object, u32),
}

fn spec(id: PolicyId) -> u32 {
    match id {
        PolicyId::Cilium { spec, .. } => spec,
        _ => 0,
    }
}

/// What a side does with peers no rule names: if this differs, every peer may be answered
/// differently.
#[derive(Debug, PartialEq, Eq)]
struct Structure<'e> {
    empty: bool,
    middle_isolated: bool,
    cilium_default_deny: bool,
    admin: bool,
    baseline: bool,
    calico_tiers: Vec<&'e str>,
}

fn structure<'e>(engine: &'e Engine<'_>, s: &SidePolicies) -> Structure<'e> {
    let set = &engine.coverage.set;
    let mut calico_tiers: Vec<&str> = s
        .calico
        .iter()
        .map(|&p| set.calico_tiers()[set.calico()[p].tier].name.as_str())
        .collect();
    calico_tiers.sort_unstable();
    calico_tiers.dedup();
    Structure {
        empty: s.is_empty(),
        middle_isolated: s.middle_isolated(),
        cilium_default_deny: s.cilium_default_deny,
        admin: !s.admin.is_empty(),
        baseline: !s.baseline.is_empty(),
        calico_tiers,
    }
}

/// A workload present on both sides: its index in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Common {
    pub base: usize,
    pub head: usize,
}

/// How a workload changed as a peer of other workloads' rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PeerChange {
    /// Labels, namespace labels, service account or hostNetwork.
    identity: bool,
    ports: bool,
}

impl PeerChange {
    fn any(self) -> bool {
        self.identity || self.ports
    }
}

fn peer_change(base: &Engine<'_>, head: &Engine<'_>, c: Common) -> PeerChange {
    let (b, h) = (
        &base.inventory.workloads[c.base],
        &head.inventory.workloads[c.head],
    );
    PeerChange {
        identity: b.label_sets != h.label_sets
            || b.service_account() != h.service_account()
            || base.namespace_labels(&b.namespace) != head.namespace_labels(&h.namespace)
            || base.coverage.on_node_network(b) != head.coverage.on_node_network(h),
        ports: b.ports != h.ports,
    }
}

/// The peers of a side whose answer may have changed.
#[derive(Debug, Clone)]
enum Candidates {
    All,
    Some(Vec<u32>),
}

impl Candidates {
    fn contains(&self, k: u32) -> bool {
        match self {
            Candidates::All => true,
            Candidates::Some(v) => v.binary_search(&k).is_ok(),
        }
    }
}

/// One pair whose connection changed, as common indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairChange {
    pub source: u32,
    pub destination: u32,
    pub before: ConnSet,
    pub after: ConnSet,
}

/// The rules of one side that allowed something before (base references) and after (head
/// references).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SideRules {
    pub before: Vec<RuleRef>,
    pub after: Vec<RuleRef>,
}

/// Pairs whose connection changed because one workload's side (its ingress, or its egress)
/// answers them differently, with the same rules before and after.
#[derive(Debug, Clone)]
pub struct Group {
    /// Common index of the workload whose side it is.
    pub workload: usize,
    pub direction: Direction,
    pub rules: SideRules,
    /// What opened and closed, over the pairs.
    pub opened: ConnSet,
    pub closed: ConnSet,
    pub pairs: usize,
    /// The first few pairs found.
    pub examples: Vec<PairChange>,
}

/// What a group is told apart by.
type GroupKey = (usize, Direction, SideRules, bool, bool);

/// What one side lets through from (ingress) or to (egress) an external range.
#[derive(Debug, Clone)]
pub struct ExternalChange {
    /// Common index.
    pub workload: usize,
    pub direction: Direction,
    pub range: Segment,
    pub before: ConnSet,
    pub after: ConnSet,
    pub rules: SideRules,
}

pub struct Changes {
    pub groups: Vec<Group>,
    /// Distinct pairs with something opened, and with something closed.
    pub pairs_opened: usize,
    pub pairs_closed: usize,
    /// Every changed pair, when asked for.
    pub pairs: Option<Vec<PairChange>>,
    pub external: Vec<ExternalChange>,
}

/// What the pair evaluation of one side found.
#[derive(Default)]
struct Found {
    groups: HashMap<GroupKey, Group>,
    order: Vec<GroupKey>,
    opened: usize,
    closed: usize,
    pairs: Vec<PairChange>,
}

impl Found {
    fn add(&mut self, key: GroupKey, pair: &PairChange, examples: usize) {
        let group = match self.groups.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.order.push(e.key().clone());
                let (workload, direction, rules) = (e.key().0, e.key().1, e.key().2.clone());
                e.insert(Group {
                    workload,
                    direction,
                    rules,
                    opened: ConnSet::none(),
                    closed: ConnSet::none(),
                    pairs: 0,
                    examples: Vec::new(),
                })
            }
        };
        let opened = pair.after.subtract(&pair.before);
        let closed = pair.before.subtract(&pair.after);
        group.opened = group.opened.union(&opened);
        group.closed = group.closed.union(&closed);
        group.pairs += 1;
        if group.examples.len() < examples {
            group.examples.push(pair.clone());
        }
    }

    /// Records a changed pair: counted once, and in the group of each side that changed.
    fn record(
        &mut self,
        pair: PairChange,
        sides: &[(usize, Direction, SideRules)],
        options: Options,
    ) {
        let opened = !pair.after.subtract(&pair.before).is_empty();
        let closed = !pair.before.subtract(&pair.after).is_empty();
        self.opened += usize::from(opened);
        self.closed += usize::from(closed);
        for (w, d, rules) in sides {
            self.add(
                (*w, *d, rules.clone(), opened, closed),
                &pair,
                options.examples,
            );
        }
        if options.pairs {
            self.pairs.push(pair);
        }
    }

    fn merge(&mut self, other: Found, examples: usize) {
        self.opened += other.opened;
        self.closed += other.closed;
        self.pairs.extend(other.pairs);
        let mut other_groups = other.groups;
        for key in other.order {
            let g = other_groups.remove(&key).expect("ordered key");
            match self.groups.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let mine = e.into_mut();
                    mine.opened = mine.opened.union(&g.opened);
                    mine.closed = mine.closed.union(&g.closed);
                    mine.pairs += g.pairs;
                    let room = examples.saturating_sub(mine.examples.len());
                    mine.examples.extend(g.examples.into_iter().take(room));
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    self.order.push(e.key().clone());
                    e.insert(g);
                }
            }
        }
    }
}

/// What the caller wants kept.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub pairs: bool,
    pub examples: usize,
}

/// Whatever concerns every pod: the Cilium mode, the Calico tiers, the host-network model.
pub fn compare(
    base: &View<'_>,
    head: &View<'_>,
    common: &[Common],
    policies: &Policies,
    global: bool,
    options: Options,
) -> Changes {
    let mut base_common = vec![u32::MAX; base.engine.inventory.workloads.len()];
    let mut head_common = vec![u32::MAX; head.engine.inventory.workloads.len()];
    for (i, c) in common.iter().enumerate() {
        base_common[c.base] = i as u32;
        head_common[c.head] = i as u32;
    }
    let peer_changes: Vec<PeerChange> = common
        .par_iter()
        .map(|&c| peer_change(base.engine, head.engine, c))
        .collect();

    // 1. Sides that changed, and the peers of each that may be answered differently: the peers
    // of each changed policy's rules are found once, however many sides it is on.
    let side_changes: Vec<((usize, Direction), SideChange)> = (0..common.len())
        .into_par_iter()
        .flat_map_iter(|i| DIRECTIONS.map(|d| (i, d)))
        .filter_map(|(i, d)| {
            changed_side(base, head, common[i], d, peer_changes[i], policies, global)
                .map(|c| ((i, d), c))
        })
        .collect();
    let mut rule_sets: Vec<(bool, PolicyId, Direction)> = side_changes
        .iter()
        .flat_map(|((_, d), c)| match c {
            SideChange::All => Vec::new(),
            SideChange::Rules(r) => r.iter().map(|&(h, id)| (h, id, *d)).collect(),
        })
        .collect();
    rule_sets.sort_unstable();
    rule_sets.dedup();
    let peers_of: HashMap<(bool, PolicyId, Direction), Vec<u32>> = rule_sets
        .into_par_iter()
        .map(|(is_head, id, d)| {
            let (view, map) = if is_head {
                (head, &head_common)
            } else {
                (base, &base_common)
            };
            let mut peers = Vec::new();
            matching_peers(view, id, d, map, &mut peers);
            ((is_head, id, d), peers)
        })
        .collect();
    let side_candidates: Vec<((usize, Direction), Candidates)> = side_changes
        .into_par_iter()
        .map(|((i, d), c)| {
            let candidates = match c {
                SideChange::All => Candidates::All,
                SideChange::Rules(r) => {
                    let mut peers: Vec<u32> = r
                        .iter()
                        .flat_map(|&(h, id)| peers_of[&(h, id, d)].iter().copied())
                        .collect();
                    peers.sort_unstable();
                    peers.dedup();
                    Candidates::Some(peers)
                }
            };
            ((i, d), candidates)
        })
        .collect();
    let changed_sides: HashSet<(usize, Direction)> =
        side_candidates.iter().map(|(k, _)| *k).collect();
    let mut candidates: HashMap<(usize, Direction), Candidates> =
        side_candidates.into_iter().collect();

    // 2. Workloads that changed as peers: the sides whose rules now match them differently.
    let peer_sides: Vec<((usize, Direction), u32)> = (0..common.len())
        .into_par_iter()
        .filter(|&i| peer_changes[i].any())
        .flat_map_iter(|i| {
            sensitive_sides(
                base,
                head,
                common[i],
                peer_changes[i],
                policies,
                &base_common,
                &head_common,
            )
            .into_iter()
            .map(move |side| (side, i as u32))
        })
        .collect();
    for (side, peer) in peer_sides {
        match candidates
            .entry(side)
            .or_insert_with(|| Candidates::Some(Vec::new()))
        {
            Candidates::All => {}
            Candidates::Some(v) => v.push(peer),
        }
    }
    for c in candidates.values_mut() {
        if let Candidates::Some(v) = c {
            v.sort_unstable();
            v.dedup();
        }
    }

    // 3. Every candidate pair decided on both sides, once: each side's pass keeps the pairs
    // its own answer changes, and leaves to the destination's ingress pass those whose ingress
    // answer changed too.
    let mut keys: Vec<(usize, Direction)> = candidates.keys().copied().collect();
    keys.sort_unstable();
    let all: Vec<u32> = (0..common.len() as u32).collect();
    let found: Vec<Found> = keys
        .par_iter()
        .map(|&(i, d)| {
            let peers: &[u32] = match &candidates[&(i, d)] {
                Candidates::All => &all,
                Candidates::Some(v) => v,
            };
            side_pass(base, head, common, i, d, peers, &candidates, options)
        })
        .collect();
    let mut total = Found::default();
    for f in found {
        total.merge(f, options.examples);
    }
    let groups: Vec<Group> = {
        let mut groups = total.groups;
        total
            .order
            .iter()
            .map(|k| groups.remove(k).expect("ordered key"))
            .collect()
    };

    // 4. External ranges, for the sides that changed.
    let segments = DIRECTIONS.map(|d| {
        externals::merge(
            &externals::segments(base.engine, d),
            &externals::segments(head.engine, d),
        )
    });
    let mut sides: Vec<(usize, Direction)> = changed_sides.into_iter().collect();
    sides.sort_unstable();
    let external = sides
        .par_iter()
        .flat_map_iter(|&(i, d)| external_changes(base, head, common[i], i, d, &segments[slot(d)]))
        .collect();
    Changes {
        groups,
        pairs_opened: total.opened,
        pairs_closed: total.closed,
        pairs: options.pairs.then_some(total.pairs),
        external,
    }
}

/// Maps a side's policies to names both sides share.
fn gids(view: &View<'_>, s: &SidePolicies, policies: &Policies, is_head: bool) -> Vec<Gid> {
    policy_ids(view.engine, s)
        .map(|id| {
            let o = Object::of(id);
            if is_head {
                Gid::Head(o, spec(id))
            } else {
                match policies.base.get(&o).and_then(|s| s.0) {
                    Some(h) => Gid::Head(h, spec(id)),
                    None => Gid::BaseOnly(o, spec(id)),
                }
            }
        })
        .collect()
}

/// How a side changed: whatever it does with peers no rule names (every peer may be answered
/// differently), or the rules of these policies (base or head: `true`), only for the peers
/// they match.
enum SideChange {
    All,
    Rules(Vec<(bool, PolicyId)>),
}

/// Whether a workload's side for `d` changed, and how.
#[allow(clippy::too_many_arguments)]
fn changed_side(
    base: &View<'_>,
    head: &View<'_>,
    c: Common,
    d: Direction,
    own: PeerChange,
    policies: &Policies,
    global: bool,
) -> Option<SideChange> {
    let (bs, hs) = (base.side(c.base, d), head.side(c.head, d));
    if global {
        let untouched =
            bs.iter().all(SidePolicies::is_empty) && hs.iter().all(SidePolicies::is_empty);
        return (!untouched).then_some(SideChange::All);
    }
    if bs.len() != hs.len() {
        return Some(SideChange::All);
    }
    // The policies whose rules may now answer some peer differently.
    let mut changed: Vec<(bool, PolicyId)> = Vec::new();
    for (b, h) in bs.iter().zip(hs) {
        if structure(base.engine, b) != structure(head.engine, h) {
            return Some(SideChange::All);
        }
        let (bg, hg) = (
            gids(base, b, policies, false),
            gids(head, h, policies, true),
        );
        for (id, g) in policy_ids(base.engine, b).zip(&bg) {
            if policies.base_status(Object::of(id)) != Status::Same || !hg.contains(g) {
                changed.push((false, id));
            }
        }
        for (id, g) in policy_ids(head.engine, h).zip(&hg) {
            if policies.head_status(Object::of(id)) != Status::Same || !bg.contains(g) {
                changed.push((true, id));
            }
        }
        // The side's own pod: its ports resolve the named ports of its ingress rules, its
        // labels Calico's conditions on its own end (point 23).
        let own_sensitive =
            |view: &View<'_>, s: &SidePolicies, is_head: bool, out: &mut Vec<(bool, PolicyId)>| {
                for id in policy_ids(view.engine, s) {
                    let rules = view.engine.rules(id, d);
                    let named = own.ports
                        && d == Direction::Ingress
                        && rules.iter().any(|r| r.has_named_port());
                    let calico = own.identity && matches!(id, PolicyId::Calico(_));
                    if named || calico {
                        out.push((is_head, id));
                    }
                }
            };
        own_sensitive(base, b, false, &mut changed);
        own_sensitive(head, h, true, &mut changed);
        if bg != hg && changed.is_empty() {
            // Same policies in another order.
            return Some(SideChange::All);
        }
    }
    if changed.is_empty() {
        return None;
    }
    changed.sort_unstable();
    changed.dedup();
    Some(SideChange::Rules(changed))
}

/// The common workloads some rule of `id` for `d` may match (as the other end).
fn matching_peers(view: &View<'_>, id: PolicyId, d: Direction, map: &[u32], out: &mut Vec<u32>) {
    let engine = view.engine;
    let rules = engine.rules(id, d);
    if rules.is_empty() {
        return;
    }
    let policy_ns = engine.policy_namespace(id);
    for (ns, workloads) in &view.namespaces {
        let labels = engine.namespace_labels(ns);
        let rules: Vec<_> = rules
            .iter()
            .filter(|r| r.may_match_pods_in(policy_ns, ns, labels))
            .collect();
        if rules.is_empty() {
            continue;
        }
        for &w in workloads {
            if map[w] == u32::MAX {
                continue;
            }
            let hit = engine.members_of(w).any(|m| {
                let pod = view.pod(m);
                rules
                    .iter()
                    .any(|r| r.peer_match(policy_ns, &pod) != Match::No)
            });
            if hit {
                out.push(map[w]);
            }
        }
    }
}

/// The sides (common index, direction) whose rules match a changed peer differently.
fn sensitive_sides(
    base: &View<'_>,
    head: &View<'_>,
    c: Common,
    change: PeerChange,
    policies: &Policies,
    base_common: &[u32],
    head_common: &[u32],
) -> Vec<(usize, Direction)> {
    let matches = |view: &View<'_>, w: usize, id: PolicyId, d: Direction, r: usize| -> Vec<Match> {
        let engine = view.engine;
        let rule = &engine.rules(id, d)[r];
        let ns = engine.policy_namespace(id);
        let workload = &engine.inventory.workloads[w];
        if !rule.may_match_pods_in(
            ns,
            &workload.namespace,
            engine.namespace_labels(&workload.namespace),
        ) {
            return vec![Match::No; workload.label_sets.len().max(1)];
        }
        engine
            .members_of(w)
            .map(|m| rule.peer_match(ns, &view.pod(m)))
            .collect()
    };
    let mut out = Vec::new();
    // Policies both sides have unchanged: a changed one is a changed side of its subjects.
    for (&h, &(b, status)) in &policies.head {
        let (Some(b), Status::Same) = (b, status) else {
            continue;
        };
        for d in DIRECTIONS {
            let ids = |view: &View<'_>, o: Object| -> Vec<PolicyId> {
                match o {
                    Object::Network(i) => vec![PolicyId::Network(i)],
                    Object::Cluster(i) => vec![PolicyId::Cluster(i)],
                    Object::Calico(i) => vec![PolicyId::Calico(i)],
                    Object::Cilium(i) => (0..view.engine.inventory.cilium_policies[i].rules.len())
                        .map(|s| PolicyId::Cilium {
                            policy: i as u32,
                            spec: s as u32,
                        })
                        .collect(),
                }
            };
            for (hid, bid) in ids(head, h).into_iter().zip(ids(base, b)) {
                let n = head.engine.rules(hid, d).len();
                if n != base.engine.rules(bid, d).len() {
                    continue;
                }
                let sensitive = (0..n).any(|r| {
                    let (mb, mh) = (
                        matches(base, c.base, bid, d, r),
                        matches(head, c.head, hid, d, r),
                    );
                    let named = change.ports
                        && d == Direction::Egress
                        && head.engine.rules(hid, d)[r].has_named_port()
                        && mh.iter().chain(&mb).any(|m| *m != Match::No);
                    mb != mh || named
                });
                if !sensitive {
                    continue;
                }
                let subjects = head
                    .subjects
                    .get(&(hid, slot(d)))
                    .into_iter()
                    .flatten()
                    .map(|&w| head_common[w])
                    .chain(
                        base.subjects
                            .get(&(bid, slot(d)))
                            .into_iter()
                            .flatten()
                            .map(|&w| base_common[w]),
                    )
                    .filter(|&i| i != u32::MAX);
                out.extend(subjects.map(|i| (i as usize, d)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What one side lets through, and the rules that allowed it.
#[derive(Clone)]
struct SideAnswer {
    allowed: ConnSet,
    rules: Vec<RuleRef>,
}

fn decide(
    view: &View<'_>,
    side: &SidePolicies,
    d: Direction,
    peer: &Endpoint<'_>,
    destination: &Endpoint<'_>,
) -> SideAnswer {
    if side.is_empty() {
        return SideAnswer {
            allowed: ConnSet::all(),
            rules: Vec::new(),
        };
    }
    let decision = view.engine.coverage.set.decide(
        side,
        d,
        peer,
        destination,
        &ConnSet::all(),
        Walk::default(),
    );
    SideAnswer {
        rules: decision
            .steps
            .iter()
            .filter(|s| s.action == Action::Allow && !s.conns.is_empty())
            .map(|s| s.rule)
            .collect(),
        allowed: decision.allowed,
    }
}

/// A connection on one side: what gets through, and each side's answer (unions over the pod
/// shapes of both workloads, as `matrix` takes them).
struct Connection {
    allowed: ConnSet,
    ingress: SideAnswer,
    egress: SideAnswer,
}

fn connection(view: &View<'_>, s: usize, t: usize) -> Connection {
    let engine = view.engine;
    let mut out = Connection {
        allowed: ConnSet::none(),
        ingress: SideAnswer {
            allowed: ConnSet::none(),
            rules: Vec::new(),
        },
        egress: SideAnswer {
            allowed: ConnSet::none(),
            rules: Vec::new(),
        },
    };
    for (ms, sm) in engine.members_of(s).zip(view.side(s, Direction::Egress)) {
        let src = view.pod(ms);
        for (mt, tm) in engine.members_of(t).zip(view.side(t, Direction::Ingress)) {
            let dst = view.pod(mt);
            let i = decide(view, tm, Direction::Ingress, &src, &dst);
            let e = decide(view, sm, Direction::Egress, &dst, &dst);
            out.allowed = out.allowed.union(&i.allowed.intersect(&e.allowed));
            out.ingress.allowed = out.ingress.allowed.union(&i.allowed);
            out.egress.allowed = out.egress.allowed.union(&e.allowed);
            out.ingress.rules.extend(i.rules);
            out.egress.rules.extend(e.rules);
        }
    }
    for rules in [&mut out.ingress.rules, &mut out.egress.rules] {
        rules.sort_unstable();
        rules.dedup();
    }
    out
}

/// A pair decided whole on both sides (workloads whose pods carry several label sets).
fn exact_pair(
    base: &View<'_>,
    head: &View<'_>,
    common: &[Common],
    s: usize,
    t: usize,
    found: &mut Found,
    options: Options,
) {
    let b = connection(base, common[s].base, common[t].base);
    let h = connection(head, common[s].head, common[t].head);
    if b.allowed == h.allowed {
        return;
    }
    let mut sides = Vec::new();
    let rules = |b: SideAnswer, h: SideAnswer| SideRules {
        before: b.rules,
        after: h.rules,
    };
    let (in_changed, out_changed) = (
        b.ingress.allowed != h.ingress.allowed,
        b.egress.allowed != h.egress.allowed,
    );
    // Pod shapes that answered differently can hide the change in the unions: both sides
    // then take the blame.
    if in_changed || !out_changed {
        sides.push((t, Direction::Ingress, rules(b.ingress, h.ingress)));
    }
    if out_changed || !in_changed {
        sides.push((s, Direction::Egress, rules(b.egress, h.egress)));
    }
    let pair = PairChange {
        source: s as u32,
        destination: t as u32,
        before: b.allowed,
        after: h.allowed,
    };
    found.record(pair, &sides, options);
}

fn single(view: &View<'_>, w: usize) -> bool {
    view.engine.inventory.workloads[w].label_sets.len() <= 1
}

/// How a side's rules match a peer, appended to `out`: what its answer depends on, besides
/// the peer's ports when they resolve named ports.
fn signature(
    view: &View<'_>,
    side: &SidePolicies,
    d: Direction,
    peer: &Endpoint<'_>,
    out: &mut Vec<u64>,
) {
    let engine = view.engine;
    for id in policy_ids(engine, side) {
        let ns = engine.policy_namespace(id);
        out.extend(
            engine
                .rules(id, d)
                .iter()
                .map(|r| match r.peer_match(ns, peer) {
                    Match::Yes => 0,
                    Match::No => 1,
                    // The reason tells unknowns apart: a static string's address.
                    Match::Unknown(why) => (why.as_ptr() as u64) << 2 | 2,
                    Match::UnknownUnless(why) => (why.as_ptr() as u64) << 2 | 3,
                }),
        );
    }
}

/// Between the two sides' parts of a signature.
const SEPARATOR: u64 = u64::MAX;

/// The pairs of workload `i`'s side for `d` with each of `peers`, decided on both sides.
#[allow(clippy::too_many_arguments)]
fn side_pass(
    base: &View<'_>,
    head: &View<'_>,
    common: &[Common],
    i: usize,
    d: Direction,
    peers: &[u32],
    candidates: &HashMap<(usize, Direction), Candidates>,
    options: Options,
) -> Found {
    let mut found = Found::default();
    let me = common[i];
    let fast_me = single(base, me.base) && single(head, me.head);
    let other = match d {
        Direction::Ingress => Direction::Egress,
        Direction::Egress => Direction::Ingress,
    };
    // This side's answers, per way its rules match the peer (and, for egress, per list of the
    // peer's ports, which resolve named ports).
    let mut mine: Map<Vec<u64>, usize> = Map::default();
    let mut answers: Vec<(SideAnswer, SideAnswer)> = Vec::new();
    let mut key: Vec<u64> = Vec::new();
    // The other end's answers, per its side (and, for ingress, its ports).
    let mut theirs: Map<[u32; 4], (SideAnswer, SideAnswer)> = Map::default();
    for &k in peers {
        let k = k as usize;
        if k == i {
            continue;
        }
        let (s, t) = match d {
            Direction::Ingress => (k, i),
            Direction::Egress => (i, k),
        };
        let them = common[k];
        if !fast_me || !single(base, them.base) || !single(head, them.head) {
            // Decided with the destination's ingress already.
            let done = d == Direction::Egress
                && candidates
                    .get(&(t, Direction::Ingress))
                    .is_some_and(|c| c.contains(s as u32));
            if !done {
                exact_pair(base, head, common, s, t, &mut found, options);
            }
            continue;
        }
        let (mb, mh) = (
            Member {
                workload: me.base,
                labels: 0,
            },
            Member {
                workload: me.head,
                labels: 0,
            },
        );
        let (pb, ph) = (
            Member {
                workload: them.base,
                labels: 0,
            },
            Member {
                workload: them.head,
                labels: 0,
            },
        );
        let (me_b, me_h) = (base.pod(mb), head.pod(mh));
        let (them_b, them_h) = (base.pod(pb), head.pod(ph));
        let (side_b, side_h) = (&base.side(me.base, d)[0], &head.side(me.head, d)[0]);
        // Ingress: named ports resolve on this workload; egress: on the peer.
        let (dest_b, dest_h) = match d {
            Direction::Ingress => (me_b, me_h),
            Direction::Egress => (them_b, them_h),
        };
        key.clear();
        signature(base, side_b, d, &them_b, &mut key);
        key.push(SEPARATOR);
        signature(head, side_h, d, &them_h, &mut key);
        if d == Direction::Egress {
            key.push(u64::from(base.port_class[them.base]));
            key.push(u64::from(head.port_class[them.head]));
        }
        let at = match mine.get(key.as_slice()) {
            Some(&at) => at,
            None => {
                answers.push((
                    decide(base, side_b, d, &them_b, &dest_b),
                    decide(head, side_h, d, &them_h, &dest_h),
                ));
                mine.insert(key.clone(), answers.len() - 1);
                answers.len() - 1
            }
        };
        let (ab, ah) = &answers[at];
        if ab.allowed == ah.allowed {
            // Unchanged here; a change of the peer's own side is found by its own pass.
            continue;
        }
        let (other_b, other_h) = (
            &base.side(them.base, other)[0],
            &head.side(them.head, other)[0],
        );
        let ports = |view: &View<'_>, w: usize| match other {
            Direction::Ingress => view.port_class[w],
            Direction::Egress => u32::MAX,
        };
        let other_key = [
            base.side_class[them.base][slot(other)],
            head.side_class[them.head][slot(other)],
            ports(base, them.base),
            ports(head, them.head),
        ];
        let (ob, oh) = theirs.entry(other_key).or_insert_with(|| match other {
            // The peer's ingress from this workload.
            Direction::Ingress => (
                decide(base, other_b, other, &me_b, &them_b),
                decide(head, other_h, other, &me_h, &them_h),
            ),
            // The peer's egress towards this workload.
            Direction::Egress => (
                decide(base, other_b, other, &me_b, &me_b),
                decide(head, other_h, other, &me_h, &me_h),
            ),
        });
        if d == Direction::Egress && ob.allowed != oh.allowed {
            // The destination's ingress pass has this pair, with both sides.
            continue;
        }
        let before = ab.allowed.intersect(&ob.allowed);
        let after = ah.allowed.intersect(&oh.allowed);
        if before == after {
            continue;
        }
        let mut sides = vec![(
            i,
            d,
            SideRules {
                before: allow_rules(ab),
                after: allow_rules(ah),
            },
        )];
        if ob.allowed != oh.allowed {
            sides.push((
                k,
                other,
                SideRules {
                    before: allow_rules(ob),
                    after: allow_rules(oh),
                },
            ));
        }
        let pair = PairChange {
            source: s as u32,
            destination: t as u32,
            before,
            after,
        };
        found.record(pair, &sides, options);
    }
    found
}

fn allow_rules(a: &SideAnswer) -> Vec<RuleRef> {
    let mut r = a.rules.clone();
    r.sort_unstable();
    r.dedup();
    r
}

fn external_side(view: &View<'_>, w: usize, d: Direction, address: &Endpoint<'_>) -> SideAnswer {
    let mut out = SideAnswer {
        allowed: ConnSet::none(),
        rules: Vec::new(),
    };
    for (m, side) in view.engine.members_of(w).zip(view.side(w, d)) {
        let pod = view.pod(m);
        let a = match d {
            Direction::Ingress => decide(view, side, d, address, &pod),
            Direction::Egress => decide(view, side, d, address, address),
        };
        out.allowed = out.allowed.union(&a.allowed);
        out.rules.extend(a.rules);
    }
    out.rules.sort_unstable();
    out.rules.dedup();
    out
}

fn external_changes(
    base: &View<'_>,
    head: &View<'_>,
    c: Common,
    i: usize,
    d: Direction,
    segments: &[Segment],
) -> Vec<ExternalChange> {
    let mut out: Vec<ExternalChange> = Vec::new();
    // One pod shape each: the answers depend on how the side's rules match the address only.
    let single_shapes = single(base, c.base) && single(head, c.head);
    let mut cache: Map<Vec<u64>, (SideAnswer, SideAnswer)> = Map::default();
    let mut key = Vec::new();
    for &segment in segments {
        let address = Endpoint::Address(segment.start);
        let (b, h) = if single_shapes {
            key.clear();
            signature(base, &base.side(c.base, d)[0], d, &address, &mut key);
            key.push(SEPARATOR);
            signature(head, &head.side(c.head, d)[0], d, &address, &mut key);
            if let Some((b, h)) = cache.get(key.as_slice()) {
                (b.clone(), h.clone())
            } else {
                let answers = (
                    external_side(base, c.base, d, &address),
                    external_side(head, c.head, d, &address),
                );
                cache.insert(key.clone(), answers.clone());
                answers
            }
        } else {
            (
                external_side(base, c.base, d, &address),
                external_side(head, c.head, d, &address),
            )
        };
        if b.allowed == h.allowed {
            continue;
        }
        // Neighbouring ranges that changed alike are one range.
        if let Some(last) = out.last_mut() {
            if last.before == b.allowed
                && last.after == h.allowed
                && next_after(last.range.end) == Some(segment.start)
            {
                last.range.end = segment.end;
                continue;
            }
        }
        out.push(ExternalChange {
            workload: i,
            direction: d,
            range: segment,
            before: b.allowed,
            after: h.allowed,
            rules: SideRules {
                before: b.rules,
                after: h.rules,
            },
        });
    }
    out
}

fn next_after(ip: std::net::IpAddr) -> Option<std::net::IpAddr> {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v) => u32::from(v).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(v) => u128::from(v).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}
