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

use std::sync::{Arc, Mutex, OnceLock};

use foldhash::{HashMap, HashMap as Map, HashSet};

use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::connectivity::externals::{self, Segment};
use crate::connectivity::{Engine, Member};
use crate::model::Direction;
use crate::model::Labels;
use crate::semantics::decide::{SidePolicies, Walk};
use crate::semantics::selector::Anchor;
use crate::semantics::traffic::{Action, CompiledRule, Endpoint, Match, PodRef};
use crate::semantics::LabelIndex;
use crate::semantics::{ConnSet, PolicyId, RuleRef};

use super::identity::{Object, Policies, Status};
use super::naming::{self, AnchorIndex, Naming};
use super::peers::{self, PodIndex, RulePeers, RulesKey};
use super::shapes::ReadKeys;

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
    /// The policies applying to a pod shape in a direction, once per distinct list: most
    /// workloads of a namespace share theirs, and a list per workload and direction was most of
    /// what a view held. Single-shape workloads find theirs through [`View::side_class`].
    distinct_sides: Vec<SidePolicies>,
    /// Per workload of several pod shapes and direction, the policies applying to each shape.
    multi_sides: HashMap<(usize, usize), Vec<SidePolicies>>,
    /// Workload indexes per namespace.
    namespaces: Vec<(&'a str, Vec<usize>)>,
    /// The workloads each policy applies to, per direction.
    subjects: HashMap<(PolicyId, usize), Vec<usize>>,
    /// Per workload and direction, a number shared by the workloads whose (single) pod shape
    /// has the same policies on that side; `u32::MAX` for several shapes.
    side_class: Vec<[u32; 2]>,
    /// Per workload, a number shared by the workloads with the same container ports.
    port_class: Vec<u32>,
    /// The pod shapes (label set indexes) of the workloads whose label sets some policy tells
    /// apart; any other workload has one, its first.
    shapes: HashMap<usize, Vec<u32>>,
    /// Per workload, the position of its namespace in `namespaces`.
    namespace_at: Vec<u32>,
    /// The labels of each namespace of `namespaces`, looked up once rather than by name for
    /// every pod, and indexed for the rules that find namespaces by label.
    namespace_labels: Vec<&'a Labels>,
    namespace_index: LabelIndex<'a>,
}

impl<'a> View<'a> {
    pub fn new(engine: &'a Engine<'a>, keys: &ReadKeys) -> Self {
        let workloads = &engine.inventory.workloads;
        let shapes: HashMap<usize, Vec<u32>> = workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.label_sets.len() > 1)
            .map(|(i, w)| (i, keys.shapes(&w.label_sets)))
            .filter(|(_, s)| s.len() > 1)
            .collect();
        let sides: Vec<[Vec<SidePolicies>; 2]> = (0..workloads.len())
            .into_par_iter()
            .map(|w| {
                DIRECTIONS.map(|d| {
                    (0..shape_count(&shapes, w))
                        .map(|s| engine.side_policies(shape(&shapes, w, s), d))
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
        let mut namespace_at = vec![0; workloads.len()];
        for (at, (_, members)) in namespaces.iter().enumerate() {
            for &w in members {
                namespace_at[w] = at as u32;
            }
        }
        let namespace_labels: Vec<&Labels> = namespaces
            .iter()
            .map(|(ns, _)| engine.namespace_labels(ns))
            .collect();
        let namespace_index = LabelIndex::new(namespace_labels.iter().copied());
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
        let mut classes: Map<SidePolicies, u32> = Map::default();
        let mut multi_sides = HashMap::default();
        let side_class = sides
            .into_iter()
            .enumerate()
            .map(|(w, [ingress, egress])| {
                [(0, ingress), (1, egress)].map(|(d, mut members)| {
                    if members.len() == 1 {
                        let next = classes.len() as u32;
                        *classes.entry(members.pop().expect("one")).or_insert(next)
                    } else {
                        multi_sides.insert((w, d), members);
                        u32::MAX
                    }
                })
            })
            .collect();
        let mut distinct_sides = vec![SidePolicies::default(); classes.len()];
        for (side, class) in classes {
            distinct_sides[class as usize] = side;
        }
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
            distinct_sides,
            multi_sides,
            namespaces,
            subjects,
            side_class,
            port_class,
            shapes,
            namespace_at,
            namespace_labels,
            namespace_index,
        }
    }

    /// The position of workload `w`'s namespace in [`View::namespaces`].
    pub fn namespace_position(&self, w: usize) -> usize {
        self.namespace_at[w] as usize
    }

    /// The labels of workload `w`'s namespace.
    pub fn namespace_labels_of(&self, w: usize) -> &'a Labels {
        self.namespace_labels[self.namespace_at[w] as usize]
    }

    /// The positions in [`View::namespaces`] of the namespaces where `rule` (of a policy of
    /// `policy_namespace`) may match pods ([`CompiledRule::may_match_pods_in`]), ascending;
    /// `None` when its peers do not say (any namespace may hold one).
    pub fn rule_namespaces(
        &self,
        rule: &CompiledRule,
        policy_namespace: &str,
    ) -> Option<Vec<usize>> {
        let (mut out, named) = self.rule_scopes(rule, policy_namespace)?;
        out.extend(named);
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// [`View::rule_namespaces`], in two lists: the namespaces found by their labels, and
    /// those named (the policy's own, for a peer without a namespace selector); unsorted.
    pub fn rule_scopes(
        &self,
        rule: &CompiledRule,
        policy_namespace: &str,
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        rule.pod_namespace_positions(policy_namespace, &self.namespace_index, |name| {
            self.namespaces
                .binary_search_by(|(ns, _)| (*ns).cmp(name))
                .ok()
        })
    }

    /// How many pod shapes workload `w` has that some policy tells apart.
    pub fn shape_count(&self, w: usize) -> usize {
        shape_count(&self.shapes, w)
    }

    /// Workload `w`'s pod shape `s` (of [`View::shape_count`]).
    pub fn member(&self, w: usize, s: usize) -> Member {
        shape(&self.shapes, w, s)
    }

    /// Workload `w`'s pod shapes.
    pub fn members(&self, w: usize) -> impl Iterator<Item = Member> + '_ {
        (0..self.shape_count(w)).map(move |s| self.member(w, s))
    }

    /// The workload indexes of each namespace, in namespace order.
    pub fn namespaces(&self) -> &[(&'a str, Vec<usize>)] {
        &self.namespaces
    }

    fn side(&self, w: usize, d: Direction) -> &[SidePolicies] {
        match self.side_class[w][slot(d)] {
            u32::MAX => &self.multi_sides[&(w, slot(d))],
            class => std::slice::from_ref(&self.distinct_sides[class as usize]),
        }
    }

    pub(super) fn pod(&self, m: Member) -> Endpoint<'a> {
        Endpoint::Pod(self.first_pod_of(m))
    }

    /// Workload `w`'s first pod shape, as the rules of the other ends see it.
    fn first_pod(&self, w: usize) -> PodRef<'a> {
        self.first_pod_of(self.member(w, 0))
    }

    /// What tells which rules name workload `w` ([`NamedAs`]).
    fn named_as(&self, w: usize) -> NamedAs<'a> {
        let pod = self.first_pod(w);
        (
            self.namespace_position(w) as u32,
            pod.labels,
            pod.service_account,
            pod.node_network,
        )
    }

    fn first_pod_of(&self, m: Member) -> PodRef<'a> {
        self.engine.pod_in(m, self.namespace_labels_of(m.workload))
    }

    /// Every policy that applies to some workload, with the direction (0 ingress, 1 egress).
    pub(super) fn applied(&self) -> impl Iterator<Item = (PolicyId, usize)> + '_ {
        self.subjects.keys().copied()
    }
}

fn shape_count(shapes: &HashMap<usize, Vec<u32>>, w: usize) -> usize {
    shapes.get(&w).map_or(1, Vec::len)
}

fn shape(shapes: &HashMap<usize, Vec<u32>>, w: usize, s: usize) -> Member {
    let labels = shapes.get(&w).map_or(0, |l| l[s] as usize);
    Member {
        workload: w,
        labels,
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

fn peer_change(base: &Engine<'_>, head: &Engine<'_>, keys: &ReadKeys, c: Common) -> PeerChange {
    let (b, h) = (
        &base.inventory.workloads[c.base],
        &head.inventory.workloads[c.head],
    );
    PeerChange {
        identity: keys.labels_differ(&b.label_sets, &h.label_sets)
            || b.service_account() != h.service_account()
            || base.namespace_labels(&b.namespace) != head.namespace_labels(&h.namespace)
            || base.coverage.on_node_network(b) != head.coverage.on_node_network(h),
        ports: b.ports != h.ports,
    }
}

/// The peers of a side whose answer may have changed: every peer, or those some rule of these
/// policies (base: `false`, head: `true`) matches before or after, and `extra` besides (peers
/// that changed themselves; sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Candidates {
    All,
    Some {
        policies: Vec<(bool, PolicyId)>,
        extra: Vec<u32>,
    },
}

/// One pair whose connection changed, as common indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairChange {
    pub source: u32,
    pub destination: u32,
    /// Shared by the pairs a class decides alike: a group keeps a few pairs as examples, and
    /// each of their sets is several allocations.
    pub before: Arc<ConnSet>,
    pub after: Arc<ConnSet>,
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
    /// A few of the pairs: those with the lowest common indexes, whatever order they were
    /// found in.
    pub examples: Vec<PairChange>,
}

impl Group {
    /// Adds `opened` and `closed` to what the group says opened and closed.
    fn widen(&mut self, opened: &ConnSet, closed: &ConnSet) {
        if !opened.is_empty() {
            self.opened = self.opened.union(opened);
        }
        if !closed.is_empty() {
            self.closed = self.closed.union(closed);
        }
    }

    /// Keeps pair `(source, destination)` among the examples if it is one of the `examples`
    /// lowest seen so far, whatever order pairs come in.
    fn example(
        &mut self,
        examples: usize,
        (source, destination): (u32, u32),
        pair: impl FnOnce() -> PairChange,
    ) {
        let key = |p: &PairChange| (p.source, p.destination);
        let at = self
            .examples
            .partition_point(|p| key(p) < (source, destination));
        if at >= examples {
            return;
        }
        if self.examples.len() >= examples {
            self.examples.pop();
        }
        self.examples.insert(at, pair());
    }
}

/// Adds `more` to `kept`, keeping the `examples` lowest pairs of both (as [`Group::example`]
/// keeps them one at a time).
pub(super) fn keep_lowest(
    kept: &mut Vec<PairChange>,
    more: impl IntoIterator<Item = PairChange>,
    examples: usize,
) {
    kept.extend(more);
    kept.sort_by_key(|p| (p.source, p.destination));
    kept.truncate(examples);
}

/// What a group is told apart by: the workload, direction, rules, and whether its pairs have
/// something opened and something closed.
type GroupKey<'r> = (usize, Direction, &'r SideRules, bool, bool);

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
    groups: Vec<Group>,
    /// The first group of each workload, direction and kind of change (something opened,
    /// something closed); the others follow through `next` (`u32::MAX` ends the chain). A
    /// key holding the rules was a copy of them per group, and one per pair recorded.
    index: HashMap<(usize, Direction, bool, bool), u32>,
    next: Vec<u32>,
    opened: usize,
    closed: usize,
    pairs: Vec<PairChange>,
}

impl Found {
    /// The group of `key`, made if new, with `opened` and `closed` added to what it says
    /// opened and closed.
    fn group(&mut self, key: GroupKey<'_>, opened: &ConnSet, closed: &ConnSet) -> usize {
        let g = match self.find(key) {
            Some(g) => g,
            None => {
                let (workload, direction, rules, o, c) = key;
                let group = Group {
                    workload,
                    direction,
                    rules: rules.clone(),
                    opened: ConnSet::none(),
                    closed: ConnSet::none(),
                    pairs: 0,
                    examples: Vec::new(),
                };
                self.push(group, (o, c))
            }
        };
        self.groups[g].widen(opened, closed);
        g
    }

    /// The group of `key`, if there is one.
    fn find(&self, (workload, direction, rules, o, c): GroupKey<'_>) -> Option<usize> {
        let mut at = *self.index.get(&(workload, direction, o, c))?;
        while at != u32::MAX && self.groups[at as usize].rules != *rules {
            at = self.next[at as usize];
        }
        (at != u32::MAX).then_some(at as usize)
    }

    /// Adds `group`, which no group's key matches; `(o, c)` are its key's kinds of change.
    fn push(&mut self, group: Group, (o, c): (bool, bool)) -> usize {
        let key = (group.workload, group.direction, o, c);
        let first = self.index.get(&key).copied();
        self.groups.push(group);
        self.next.push(first.unwrap_or(u32::MAX));
        let g = self.groups.len() - 1;
        self.index.insert(key, g as u32);
        g
    }

    /// Records pair `s` -> `t` as `exact` says: counted once, and in the group of each side
    /// whose answer changed.
    fn record(&mut self, (s, t): (usize, usize), exact: &Exact, options: Options) {
        let (o, c) = (!exact.opened.is_empty(), !exact.closed.is_empty());
        self.opened += usize::from(o);
        self.closed += usize::from(c);
        let pair = || PairChange {
            source: s as u32,
            destination: t as u32,
            before: exact.before.clone(),
            after: exact.after.clone(),
        };
        let sides = [
            (t, Direction::Ingress, &exact.ingress),
            (s, Direction::Egress, &exact.egress),
        ];
        for (w, d, rules) in sides {
            let Some(rules) = rules else {
                continue;
            };
            let g = self.group((w, d, rules, o, c), &exact.opened, &exact.closed);
            self.groups[g].pairs += 1;
            self.groups[g].example(options.examples, (s as u32, t as u32), pair);
        }
        if options.pairs {
            self.pairs.push(pair());
        }
    }

    /// Adds what a twin's pass found ([`Twins`]): `other` with workload `from` as `to`.
    fn merge_as(&mut self, other: &Found, (from, to): (usize, usize), examples: usize) {
        let w = |w: usize| if w == from { to } else { w };
        let pair = |p: &PairChange| PairChange {
            source: w(p.source as usize) as u32,
            destination: w(p.destination as usize) as u32,
            ..p.clone()
        };
        self.opened += other.opened;
        self.closed += other.closed;
        self.pairs.extend(other.pairs.iter().map(pair));
        for g in &other.groups {
            let (o, c) = (!g.opened.is_empty(), !g.closed.is_empty());
            let at = self.group(
                (w(g.workload), g.direction, &g.rules, o, c),
                &g.opened,
                &g.closed,
            );
            let mine = &mut self.groups[at];
            mine.pairs += g.pairs;
            keep_lowest(&mut mine.examples, g.examples.iter().map(pair), examples);
        }
    }

    fn merge(&mut self, other: Found, examples: usize) {
        self.opened += other.opened;
        self.closed += other.closed;
        self.pairs.extend(other.pairs);
        for g in other.groups {
            // A group's pairs all had something opened, or none had; the same for closed.
            let (o, c) = (!g.opened.is_empty(), !g.closed.is_empty());
            // A group new here is moved whole: the passes' results are merged pairwise, and
            // copying each group's rules again at every level was most of merging.
            let Some(at) = self.find((g.workload, g.direction, &g.rules, o, c)) else {
                self.push(g, (o, c));
                continue;
            };
            let mine = &mut self.groups[at];
            mine.widen(&g.opened, &g.closed);
            mine.pairs += g.pairs;
            keep_lowest(&mut mine.examples, g.examples, examples);
        }
    }
}

/// What the caller wants kept.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub pairs: bool,
    pub examples: usize,
    /// From how many candidate peers a side is decided by classes of peers (which needs the
    /// peers of every rule of its policies) rather than peer by peer.
    pub classes_from: u64,
}

/// What every side pass reads.
struct Ctx<'c> {
    base: &'c View<'c>,
    head: &'c View<'c>,
    common: &'c [Common],
    candidates: &'c HashMap<(usize, Direction), Candidates>,
    /// The peers of each rule of every policy a pass looks at.
    rule_sets: &'c HashMap<RulesKey, Vec<Arc<RulePeers>>>,
    /// The sides decided by classes of peers.
    by_class: &'c HashSet<(usize, Direction)>,
    /// Common workloads with several pod shapes on either side: their pairs are decided whole
    /// (every pair of shapes), as peers one by one, and as sides by classes of peers when
    /// their side is in `by_class`.
    multi: &'c RoaringBitmap,
    /// Per direction, a number shared by the common workloads whose sides for it answer any
    /// given peer alike on both sides (`u32::MAX` for several pod shapes).
    classes: &'c [Vec<u32>; 2],
    /// Per direction, the workloads of each class of `classes`, and those of none.
    members: &'c [ClassMembers; 2],
    /// Per revision (base, head), which policies' rules name a peer.
    naming: [&'c Naming<'c>; 2],
    /// Per direction of the other ends, what [`Pass::find_naming`] finds, by what it depends
    /// on ([`named_contents`]), with how many passes are yet to ask for it: workloads of a
    /// namespace with the same labels are named by the same policies, and working it out
    /// again for each of them (thousands of policies each) was a third of the passes' time.
    /// Dropped once the last pass has it: kept to the end, they were as large as everything
    /// else the diff holds.
    named: &'c [Mutex<Map<u32, Named>>; 2],
    /// Per direction of the other ends, the key of `named` of each [`identities`] number
    /// whose passes ask.
    named_as: &'c [Map<u32, u32>; 2],
    /// Per common workload, its [`identities`] number.
    identity: &'c [u32],
    /// Per direction, the answers (before, after) of the sides of a class of [`Ctx::classes`]
    /// towards a peer, by [`their_key`], once some pass has needed them.
    theirs: &'c [Mutex<Map<Vec<u64>, Interned>>; 2],
    /// The same towards one pod shape, in one revision, of a workload of several
    /// ([`Pass::their_shape_answer`]).
    shape_theirs: &'c [Mutex<Map<Vec<u64>, SideAnswer>>; 2],
    /// Per direction and class of [`Ctx::classes`], the policies of such a side, base (0) and
    /// head (1), in evaluation order.
    class_policies: &'c [Vec<Vec<ClassPolicy>>; 2],
    /// Per direction and class of [`Ctx::classes`], per revision (base 0, head 1), for a pod on
    /// its node's network and off it (at `class * 4 + revision * 2 + off_node`), the labels
    /// one of which a pod must carry for a rule of the class's policies to name it
    /// ([`Naming::naming`], [`naming::anchors`]); `None` when any pod may be named.
    class_anchors: &'c [Vec<Option<Vec<Anchor<'c>>>>; 2],
    /// Per direction, the classes of [`Ctx::classes`] whose sides have each policy (base 0,
    /// head 1).
    policy_classes: &'c [Map<(u8, PolicyId), Vec<u32>>; 2],
    /// Per direction, class and [`NamedMe::node_network`] (at `class * 4 + node_network`), the
    /// answers (before, after) of such a side towards a peer none of its rules names, once
    /// some pass has needed them.
    unnamed: &'c [Vec<OnceLock<Interned>>; 2],
    /// Whether a side of a class of [`Ctx::classes`] answers some shape of a peer with several
    /// pod shapes differently before and after ([`shapes_changed`]), by peer, direction and
    /// class, once some pass has needed it.
    multi_changed: &'c Mutex<Map<(u32, Direction, u32), bool>>,
    /// Every distinct answer of the other ends' sides shared between passes, once: a pass
    /// works out what its pairs do once per distinct answer, and thousands of classes of sides
    /// answer a workload alike.
    interned: &'c Mutex<Interner>,
    /// Per direction, the answers (before, after) of the sides of a class of [`Ctx::classes`]
    /// towards a peer, by class and peer, as the passes deciding peers one by one find them:
    /// the workloads of a class share their candidate peers (the changed peers their policies'
    /// rules match), and each pass matched every rule on each of them again.
    mine: &'c [Mutex<Map<(u32, u32), Answers>>; 2],
    /// Per direction, the answers (before, after) of the sides of a class of [`Ctx::classes`]
    /// towards a workload, by the class and how their rules match it ([`signature`]; and,
    /// for egress, its ports), as the passes deciding peers one by one find them: a peer met
    /// by thousands of sides was answered by its own side as many times, in some 13,000 ways
    /// of 430,000 at full size.
    signed: &'c [Mutex<Map<Vec<u64>, Answers>>; 2],
    options: Options,
}

/// Numbers put in numbered buckets, each bucket's in the order they came, all in one array (a
/// list per bucket was most of what these held).
struct Buckets {
    /// Bucket `b`'s are `items[start[b]..start[b + 1]]`.
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Buckets {
    /// `count` buckets of what `entries` (gone through twice) puts in them.
    fn new<I: Iterator<Item = (usize, u32)>>(count: usize, entries: impl Fn() -> I) -> Self {
        let mut start = vec![0u32; count + 1];
        for (b, _) in entries() {
            start[b + 1] += 1;
        }
        for b in 1..start.len() {
            start[b] += start[b - 1];
        }
        let mut next = start.clone();
        let mut items = vec![0u32; start[count] as usize];
        for (b, item) in entries() {
            items[next[b] as usize] = item;
            next[b] += 1;
        }
        Buckets { start, items }
    }

    fn of(&self, bucket: usize) -> &[u32] {
        &self.items[self.start[bucket] as usize..self.start[bucket + 1] as usize]
    }

    fn count(&self) -> usize {
        self.start.len() - 1
    }
}

/// The common workloads of each class of one direction's [`Ctx::classes`], ascending.
struct ClassMembers {
    of: Buckets,
    /// Those of no class (several pod shapes).
    none: RoaringBitmap,
}

impl ClassMembers {
    fn new(classes: &[u32], count: usize) -> Self {
        let of = Buckets::new(count, || {
            (classes.iter().enumerate())
                .filter(|&(_, &c)| c != u32::MAX)
                .map(|(k, &c)| (c as usize, k as u32))
        });
        let none = (classes.iter().enumerate())
            .filter(|&(_, &c)| c == u32::MAX)
            .map(|(k, _)| k as u32)
            .collect();
        ClassMembers { of, none }
    }

    fn of(&self, class: usize) -> &[u32] {
        self.of.of(class)
    }
}

/// What any side's answer towards a workload (of its first pod shape) as a peer depends on,
/// per revision: what names it ([`View::named_as`]) and its ports.
type Identity<'a> = [(NamedAs<'a>, u32); 2];

/// What tells which rules name a workload (of its first pod shape) in one revision: its
/// namespace (by position), labels, service account, and whether it is on the node's network.
type NamedAs<'a> = (u32, &'a Labels, &'a str, bool);

/// The policies of the other direction whose rules may name a workload, per revision, with
/// their rules' matches on it; and the classes of the other ends' sides with one of them, a
/// bit per class: thousands of policies may name a workload, each in hundreds of classes.
struct NamedMe {
    policies: [Arc<NamingOf>; 2],
    /// The same policies by their [`Naming`] numbers, a bit per policy: a class of sides has
    /// about 17 policies, most naming no given workload, and asking `policies` of each was
    /// 26 million hash lookups at full size.
    numbers: [Vec<u64>; 2],
    /// Whether such a workload is on the node's network, base (bit 1) and head (bit 0): the
    /// rules that match every pod of its kind, which name none ([`naming::baseline`]), differ.
    node_network: usize,
    classes: Vec<u64>,
    /// Per class of the other ends' sides, their answers towards such a workload, once some
    /// pass has needed them: the passes sharing this share them too.
    theirs: Vec<OnceLock<Interned>>,
}

/// What names each pod shape of a workload of several, per revision ([`NamedMe`]'s
/// counterpart): the classes of the other ends' sides with a policy whose rules may name some
/// shape, base or head, a bit per class; per revision and shape, those policies, with their
/// rules' matches on it.
struct ShapesNamed {
    policies: [Vec<Map<PolicyId, Vec<u64>>>; 2],
    classes: Vec<u64>,
    node_network: usize,
}

/// The policies of one revision whose rules may name a workload, with how they match it
/// ([`Naming::naming`]).
type NamingOf = Map<PolicyId, Vec<u64>>;

/// A [`NamedMe`] shared by the passes that need it, once worked out, what it is made of until
/// then, and how many passes are yet to ask.
struct Named {
    left: usize,
    policies: Option<[Arc<NamingOf>; 2]>,
    value: Option<Arc<NamedMe>>,
}

/// A hash of what a [`NamingOf`] holds, whatever its order: the sum of its entries'.
fn content_sum(naming: &NamingOf) -> u64 {
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::default();
    (naming.iter()).fold(0u64, |sum, entry| sum.wrapping_add(state.hash_one(entry)))
}

/// What names the workloads of the identities of `asked` (each with a workload of it and how
/// many passes ask), for `other`, worked out before the passes: each identity's key of
/// [`Ctx::named`], and its entries. What names a workload in one revision depends only on its
/// namespace, labels, service account and being on its node's network (a fifth of the
/// lookups at full size were another identity's); and workloads labelled differently are
/// often named alike (3,129 identities asked at full size, named in 1,669 ways): one
/// [`NamedMe`] serves them all, with the other ends' answers it keeps.
fn named_contents(
    ctx: &Ctx<'_>,
    other: Direction,
    asked: &Map<u32, (usize, usize)>,
) -> (Map<u32, u32>, Map<u32, Named>) {
    let views = [ctx.base, ctx.head];
    let mut lookups: Map<(usize, NamedAs<'_>), usize> = Map::default();
    let mut asks: Vec<(usize, usize)> = Vec::new();
    let mut identities: Vec<(u32, usize, usize, [usize; 2])> = Vec::new();
    // In a fixed order, for the numbers given below not to depend on the map's.
    let mut sorted: Vec<_> = asked.iter().map(|(&id, &at)| (id, at)).collect();
    sorted.sort_unstable();
    for (id, (i, passes)) in sorted {
        let me = ctx.common[i];
        let at = [(0, me.base), (1, me.head)].map(|(r, w)| {
            *lookups.entry((r, views[r].named_as(w))).or_insert_with(|| {
                asks.push((r, w));
                asks.len() - 1
            })
        });
        identities.push((id, i, passes, at));
    }
    drop(lookups);
    let found: Vec<NamingOf> = asks
        .par_iter()
        .map(|&(r, w)| ctx.naming[r].naming(views[r], views[r].member(w, 0), other))
        .collect();
    // Equal findings as one.
    let sums: Vec<u64> = found.par_iter().map(content_sum).collect();
    let mut contents: HashMap<u64, Vec<(usize, u32)>> = HashMap::default();
    let mut first: Vec<usize> = Vec::new();
    let content: Vec<u32> = (found.iter().zip(&sums).enumerate())
        .map(|(at, (f, sum))| {
            let alike = contents.entry(*sum).or_default();
            match alike.iter().find(|&&(other, _)| found[other] == *f) {
                Some(&(_, n)) => n,
                None => {
                    first.push(at);
                    alike.push((at, first.len() as u32 - 1));
                    first.len() as u32 - 1
                }
            }
        })
        .collect();
    drop(contents);
    let mut found: Vec<Option<NamingOf>> = found.into_iter().map(Some).collect();
    let shared: Vec<Arc<NamingOf>> = (first.iter())
        .map(|&at| Arc::new(found[at].take().expect("each once")))
        .collect();
    drop(found);
    let mut keys: Map<[u32; 5], u32> = Map::default();
    let mut named_as = Map::default();
    let mut entries: Map<u32, Named> = Map::default();
    for (id, i, passes, at) in identities {
        let me = ctx.common[i];
        let ws = [me.base, me.head];
        // As [`NamedMe`] and [`their_key`] tell: being on the node's network, and for egress
        // the ports where named ports resolve.
        let ports = match other {
            Direction::Egress => [0, 1].map(|r| views[r].port_class[ws[r]]),
            Direction::Ingress => [0, 0],
        };
        let key = [
            content[at[0]],
            content[at[1]],
            node_network(ctx, i) as u32,
            ports[0],
            ports[1],
        ];
        let next = keys.len() as u32;
        let n = *keys.entry(key).or_insert(next);
        named_as.insert(id, n);
        entries
            .entry(n)
            .or_insert_with(|| Named {
                left: 0,
                policies: Some([0, 1].map(|r| shared[key[r] as usize].clone())),
                value: None,
            })
            .left += passes;
    }
    (named_as, entries)
}

/// Whether common workload `i` is on the node's network, base (bit 1) and head (bit 0), as
/// [`NamedMe::node_network`] keeps it.
fn node_network(ctx: &Ctx<'_>, i: usize) -> usize {
    let me = ctx.common[i];
    usize::from(ctx.base.first_pod(me.base).node_network) << 1
        | usize::from(ctx.head.first_pod(me.head).node_network)
}

/// Per common workload, a number shared by those of the same [`Identity`]: workloads of a
/// namespace with the same labels are named by the same policies and answered alike.
fn identities(base: &View<'_>, head: &View<'_>, common: &[Common]) -> Vec<u32> {
    let mut ids: HashMap<Identity<'_>, u32> = HashMap::default();
    let identity = |c: Common| -> Identity<'_> {
        [(base, c.base), (head, c.head)].map(|(view, w)| (view.named_as(w), view.port_class[w]))
    };
    common
        .iter()
        .map(|&c| {
            let next = ids.len() as u32;
            *ids.entry(identity(c)).or_insert(next)
        })
        .collect()
}

impl NamedMe {
    fn names_class(&self, class: u32) -> bool {
        has_bit(&self.classes, class as usize)
    }

    /// How the rules of a class's `policy` match the workload, if it names it.
    fn naming(&self, policy: &ClassPolicy) -> Option<&Vec<u64>> {
        let r = usize::from(policy.revision);
        let named = self.numbers[r]
            .get(policy.number as usize / 64)
            .is_some_and(|w| w >> (policy.number % 64) & 1 == 1);
        named.then(|| self.policies[r].get(&policy.id)).flatten()
    }
}

/// A policy of a class of sides: its revision (0 base, 1 head), and its id and [`Naming`]
/// number (`u32::MAX` for none) there.
#[derive(Clone, Copy)]
struct ClassPolicy {
    revision: u8,
    id: PolicyId,
    number: u32,
}

/// Sets bit `i` of a set kept as words; says whether it was clear.
fn set_bit(bits: &mut [u64], i: usize) -> bool {
    let (word, bit) = (i / 64, 1u64 << (i % 64));
    let clear = bits[word] & bit == 0;
    bits[word] |= bit;
    clear
}

fn has_bit(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

/// Pushes onto `key`, for each of a class's `policies` that names a workload (`naming` of its
/// revision says how), its position and how its rules match the workload: with the class, what
/// the side's answer towards the workload depends on (the others match it as every pod of its
/// kind).
fn push_naming<'m>(
    key: &mut Vec<u64>,
    policies: &[ClassPolicy],
    naming: impl Fn(&ClassPolicy) -> Option<&'m Vec<u64>>,
) {
    for (at, policy) in policies.iter().enumerate() {
        if let Some(codes) = naming(policy) {
            key.push(at as u64);
            key.extend(codes);
        }
    }
}

impl Ctx<'_> {
    /// Where [`Ctx::unnamed`] keeps the answers of a class of sides for `other`.
    fn unnamed_at(&self, other: Direction, class: u32, node_network: usize) -> &OnceLock<Interned> {
        &self.unnamed[slot(other)][class as usize * 4 + node_network]
    }

    /// The answers (before, after) of the sides of `class` for `other` towards workload `i`
    /// (of [`NamedMe::node_network`] `node_network`), none of whose policies names it: as
    /// towards any peer their rules do not name, so worked out once, from peer `k` of the
    /// class, and interned.
    fn unnamed_answers(
        &self,
        other: Direction,
        class: u32,
        node_network: usize,
        i: usize,
        k: usize,
    ) -> &Interned {
        self.unnamed_at(other, class, node_network)
            .get_or_init(|| self.intern(their_side_answers(self, i, k, other)))
    }

    /// Whether a policy of a side of `class` for `other` may name workload `i` (its first pod
    /// shape, base or head), as [`Naming::naming`] first tells: when not, the side answers
    /// it as any peer it does not name ([`Ctx::unnamed_answers`]).
    fn may_be_named(&self, other: Direction, class: u32, i: usize) -> bool {
        let me = self.common[i];
        [(self.base, me.base), (self.head, me.head)]
            .into_iter()
            .enumerate()
            .any(|(r, (view, w))| {
                let pod = view.first_pod(w);
                let at = class as usize * 4 + r * 2 + usize::from(!pod.node_network);
                naming::may_name(&self.class_anchors[slot(other)][at], pod.labels)
            })
    }

    /// The shared copy of `answers`, with its [`Interned::unit`].
    fn intern(&self, answers: (SideAnswer, SideAnswer)) -> Interned {
        let mut interner = self.interned.lock().expect("no pass panics");
        let Interner { known, steady } = &mut *interner;
        if let Some((known, &unit)) = known.get_key_value(&answers) {
            return Interned {
                answers: known.clone(),
                unit,
            };
        }
        let unit = match answers.0.allowed == answers.1.allowed {
            true => {
                let next = steady.len() as u32;
                *steady.entry(answers.0.allowed.clone()).or_insert(next)
            }
            false => known.len() as u32 | CHANGED_UNIT,
        };
        let answers = Arc::new(answers);
        known.insert(answers.clone(), unit);
        Interned { answers, unit }
    }

    fn rules(&self, is_head: bool, id: PolicyId, d: Direction) -> &[Arc<RulePeers>] {
        &self.rule_sets[&(is_head, id, d)]
    }

    fn is_candidate(&self, side: (usize, Direction), k: u32) -> bool {
        match self.candidates.get(&side) {
            None => false,
            Some(Candidates::All) => true,
            Some(Candidates::Some { policies, extra }) => {
                extra.binary_search(&k).is_ok()
                    || policies
                        .iter()
                        .any(|&(h, id)| self.rules(h, id, side.1).iter().any(|r| r.hit.contains(k)))
            }
        }
    }

    fn candidates(&self, side: (usize, Direction)) -> RoaringBitmap {
        match &self.candidates[&side] {
            Candidates::All => {
                let mut all = RoaringBitmap::new();
                all.insert_range(0..self.common.len() as u32);
                all
            }
            Candidates::Some { policies, extra } => {
                let mut set =
                    RoaringBitmap::from_sorted_iter(extra.iter().copied()).expect("sorted peers");
                for &(h, id) in policies {
                    for r in self.rules(h, id, side.1) {
                        set |= &r.hit;
                    }
                }
                set
            }
        }
    }
}

/// Whatever concerns every pod: the Cilium mode, the Calico tiers, the host-network model.
pub fn compare(
    base: &View<'_>,
    head: &View<'_>,
    common: &[Common],
    policies: &Policies,
    global: bool,
    keys: &ReadKeys,
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
        .map(|&c| peer_change(base.engine, head.engine, keys, c))
        .collect();

    // 1. Sides that changed, with the policies whose rules' peers may be answered differently.
    let side_changes: Vec<((usize, Direction), SideChange)> = (0..common.len())
        .into_par_iter()
        .flat_map_iter(|i| DIRECTIONS.map(|d| (i, d)))
        .filter_map(|(i, d)| {
            changed_side(base, head, common[i], d, peer_changes[i], policies, global)
                .map(|c| ((i, d), c))
        })
        .collect();
    let changed_sides: Vec<(usize, Direction)> = side_changes.iter().map(|(k, _)| *k).collect();
    let mut candidates: HashMap<(usize, Direction), Candidates> = side_changes
        .into_iter()
        .map(|(side, c)| {
            let c = match c {
                SideChange::All => Candidates::All,
                SideChange::Rules(policies) => Candidates::Some {
                    policies,
                    extra: Vec::new(),
                },
            };
            (side, c)
        })
        .collect();

    // 2. Workloads that changed as peers: the sides whose rules now match them differently.
    let unchanged = Unchanged::new(base, head, policies);
    // Each changed peer's sides, then each side's peers (in order: the peers are met in
    // order). A changed peer meets thousands of sides: a map of lists per core, merged, took
    // longer than finding them, and one list of (side, peer) entries was this step's peak.
    let side_at = |(i, d): (usize, Direction)| i * 2 + slot(d);
    let found: Vec<(u32, Vec<u32>)> = (0..common.len())
        .into_par_iter()
        .filter(|&i| peer_changes[i].any())
        .map(|i| {
            let found = sensitive_sides(
                base,
                head,
                common[i],
                peer_changes[i],
                &unchanged,
                &base_common,
                &head_common,
            );
            let sides = found.into_iter().map(|s| side_at(s) as u32).collect();
            (i as u32, sides)
        })
        .collect();
    let peers_of = Buckets::new(common.len() * 2, || {
        (found.iter()).flat_map(|(peer, sides)| sides.iter().map(|&s| (s as usize, *peer)))
    });
    drop(found);
    for at in 0..peers_of.count() {
        let peers = peers_of.of(at);
        if peers.is_empty() {
            continue;
        }
        match candidates
            .entry((at / 2, DIRECTIONS[at % 2]))
            .or_insert_with(|| Candidates::Some {
                policies: Vec::new(),
                extra: Vec::new(),
            }) {
            Candidates::All => {}
            // Each peer once: `sensitive_sides` tells each side once.
            Candidates::Some { extra, .. } => extra.extend_from_slice(peers),
        }
    }
    drop(peers_of);
    let multi: RoaringBitmap = (0..common.len())
        .filter(|&k| !single(base, common[k].base) || !single(head, common[k].head))
        .map(|k| k as u32)
        .collect();

    // 3. The peers of the changed policies' rules, worked out once per way a rule's peers are
    // written; then of every rule of the sides with many candidates, which are decided by
    // classes of peers.
    let mut memo = HashMap::default();
    let (base_pods, head_pods) = rayon::join(
        || PodIndex::new(base, &base_common),
        || PodIndex::new(head, &head_common),
    );
    let mut rule_sets_of = |keys: Vec<RulesKey>| {
        peers::rule_peers(
            [base, head],
            [&base_pods, &head_pods],
            [&base_common, &head_common],
            keys,
            &mut memo,
        )
    };
    let mut changed: Vec<RulesKey> = candidates
        .iter()
        .flat_map(|(&(_, d), c)| match c {
            Candidates::All => Vec::new(),
            Candidates::Some { policies, .. } => {
                policies.iter().map(|&(h, id)| (h, id, d)).collect()
            }
        })
        .collect();
    changed.sort_unstable();
    changed.dedup();
    let mut rule_sets: HashMap<RulesKey, Vec<Arc<RulePeers>>> =
        rule_sets_of(changed).into_iter().collect();
    let by_class: HashSet<(usize, Direction)> = candidates
        .iter()
        .filter(|(&(_, d), c)| match c {
            Candidates::All => true,
            Candidates::Some { policies, extra } => {
                let most: u64 = policies
                    .iter()
                    .flat_map(|&(h, id)| &rule_sets[&(h, id, d)])
                    .map(|r| r.hit.len())
                    .sum::<u64>()
                    + extra.len() as u64;
                most >= options.classes_from
            }
        })
        .map(|(&side, _)| side)
        .collect();
    let mut more: Vec<RulesKey> = by_class
        .iter()
        .flat_map(|&(i, d)| side_rules_keys(base, head, common[i], d))
        .filter(|key| !rule_sets.contains_key(key))
        .collect();
    more.sort_unstable();
    more.dedup();
    rule_sets.extend(rule_sets_of(more));
    drop((base_pods, head_pods));
    let classes = DIRECTIONS.map(|d| side_classes(base, head, common, d));
    let (base_naming, head_naming) = rayon::join(|| Naming::new(base), || Naming::new(head));
    // The passes that will ask for what names their workload (see `Pass::find_naming`).
    let identity = identities(base, head, common);
    let named = DIRECTIONS.map(|_| Mutex::new(Map::<u32, Named>::default()));
    let not_yet = [Map::default(), Map::default()];
    let theirs = DIRECTIONS.map(|_| Mutex::new(Map::default()));
    let shape_theirs = DIRECTIONS.map(|_| Mutex::new(Map::default()));
    let class_policies = DIRECTIONS.map(|d| {
        let classes = &classes[slot(d)];
        let mut out: Vec<Vec<ClassPolicy>> = Vec::new();
        let naming = [&base_naming, &head_naming];
        let policy = |revision: u8, id: PolicyId| ClassPolicy {
            revision,
            id,
            number: naming[usize::from(revision)]
                .number(id, d)
                .unwrap_or(u32::MAX),
        };
        for (k, &class) in classes.iter().enumerate() {
            if class == u32::MAX || (class as usize) < out.len() {
                continue;
            }
            // Classes are numbered in order of first appearance.
            let (b, h) = (
                &base.side(common[k].base, d)[0],
                &head.side(common[k].head, d)[0],
            );
            out.push(
                policy_ids(base.engine, b)
                    .map(|id| policy(0, id))
                    .chain(policy_ids(head.engine, h).map(|id| policy(1, id)))
                    .collect(),
            );
        }
        out
    });

    // Each policy's, as `Naming` keeps them by number (every policy of a side applies, so
    // has one).
    let class_anchors = DIRECTIONS.map(|d| {
        let naming = [&base_naming, &head_naming];
        (class_policies[slot(d)].par_iter())
            .flat_map_iter(|policies| {
                [(0, true), (0, false), (1, true), (1, false)].map(|(r, on_node)| {
                    let mut out = Vec::new();
                    for p in policies.iter().filter(|p| p.revision == r) {
                        let anchors = naming[usize::from(r)].anchors(p.number, d, on_node);
                        out.extend(anchors.as_ref()?);
                    }
                    Some(out)
                })
            })
            .collect::<Vec<_>>()
    });
    let policy_classes = DIRECTIONS.map(|d| {
        let mut out: Map<(u8, PolicyId), Vec<u32>> = Map::default();
        for (class, policies) in class_policies[slot(d)].iter().enumerate() {
            for p in policies {
                out.entry((p.revision, p.id))
                    .or_default()
                    .push(class as u32);
            }
        }
        out
    });
    let unnamed = DIRECTIONS.map(|d| {
        (0..class_policies[slot(d)].len() * 4)
            .map(|_| OnceLock::new())
            .collect::<Vec<_>>()
    });

    let members =
        DIRECTIONS.map(|d| ClassMembers::new(&classes[slot(d)], class_policies[slot(d)].len()));
    let multi_changed = Mutex::new(Map::default());
    let interned = Mutex::new(Interner::default());
    let mine = DIRECTIONS.map(|_| Mutex::new(Map::default()));
    let signed = DIRECTIONS.map(|_| Mutex::new(Map::default()));

    // 4. Each side's candidates decided on both sides, by classes of peers: each side's pass
    // keeps the pairs its own answer changes, and leaves to the destination's ingress pass those
    // whose ingress answer changed too.
    let ctx = Ctx {
        base,
        head,
        common,
        candidates: &candidates,
        rule_sets: &rule_sets,
        by_class: &by_class,
        multi: &multi,
        classes: &classes,
        members: &members,
        naming: [&base_naming, &head_naming],
        named: &named,
        named_as: &not_yet,
        identity: &identity,
        theirs: &theirs,
        shape_theirs: &shape_theirs,
        class_policies: &class_policies,
        class_anchors: &class_anchors,
        policy_classes: &policy_classes,
        unnamed: &unnamed,
        multi_changed: &multi_changed,
        interned: &interned,
        mine: &mine,
        signed: &signed,
        options,
    };
    // By direction and identity, so that the passes of workloads answered alike follow each
    // other on a core and share what they work out ([`Answered`]).
    let mut keys: Vec<(usize, Direction)> = candidates.keys().copied().collect();
    keys.sort_unstable_by_key(|&(i, d)| (slot(d), identity[i], i));
    let jobs = twins(&ctx, &keys);
    // Per direction of the other ends, the identities whose passes will ask what names their
    // workload, a workload of each, and how many passes.
    let mut asked: [Map<u32, (usize, usize)>; 2] = Default::default();
    for job in &jobs {
        let (r, d) = (job.members[0], job.d);
        if by_class.contains(&(r, d)) && !multi.contains(r as u32) {
            // The first one's, and each one's own (`twin_passes`).
            let passes = 1
                + (job.members.iter())
                    .filter(|&&t| !job.own(t).is_empty())
                    .count();
            asked[slot(d) ^ 1].entry(identity[r]).or_insert((r, 0)).1 += passes;
        }
    }
    let named_as = DIRECTIONS.map(|other| {
        let (named_as, entries) = named_contents(&ctx, other, &asked[slot(other)]);
        *named[slot(other)].lock().expect("no pass yet") = entries;
        named_as
    });
    drop(asked);
    let ctx = Ctx {
        named_as: &named_as,
        ..ctx
    };
    // Merged as the passes end, in the order of `jobs` (rayon's reduce keeps the order of the
    // items; merging is associative): every pass's groups held until the last pass ended
    // were a large part of the peak.
    let total = jobs
        .par_iter()
        .map_init(Answered::default, |answered, job| {
            twin_passes(&ctx, job, answered)
        })
        .reduce(Found::default, |mut a, b| {
            a.merge(b, options.examples);
            a
        });

    // 5. External ranges, for the sides that changed.
    let segments = DIRECTIONS.map(|d| {
        externals::merge(
            &externals::segments(base.engine, d),
            &externals::segments(head.engine, d),
        )
    });
    let mut sides = changed_sides;
    sides.sort_unstable();
    let external = sides
        .par_iter()
        .flat_map_iter(|&(i, d)| external_changes(base, head, common[i], i, d, &segments[slot(d)]))
        .collect();
    Changes {
        groups: total.groups,
        pairs_opened: total.opened,
        pairs_closed: total.closed,
        pairs: options.pairs.then_some(total.pairs),
        external,
    }
}

/// The policies of workload `c`'s side for `d` (every pod shape's), base and head.
fn side_rules_keys(base: &View<'_>, head: &View<'_>, c: Common, d: Direction) -> Vec<RulesKey> {
    [(base, c.base, false), (head, c.head, true)]
        .into_iter()
        .flat_map(|(view, w, is_head)| {
            view.side(w, d)
                .iter()
                .flat_map(move |s| policy_ids(view.engine, s).map(move |id| (is_head, id, d)))
        })
        .collect()
}

/// Per common workload, a number shared by those whose sides for `d` answer any given peer
/// alike on both sides: the same policies, the same ports where ingress rules' named ports
/// resolve on them, and no Calico policy (whose rules can test the side's own pod, point 23).
fn side_classes(base: &View<'_>, head: &View<'_>, common: &[Common], d: Direction) -> Vec<u32> {
    let mut ids: Map<[u32; 5], u32> = Map::default();
    let calico = |view: &View<'_>, w: usize| view.side(w, d).iter().any(|s| !s.calico.is_empty());
    common
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (sb, sh) = (
                base.side_class[c.base][slot(d)],
                head.side_class[c.head][slot(d)],
            );
            if sb == u32::MAX || sh == u32::MAX {
                return u32::MAX;
            }
            let ports = match d {
                Direction::Ingress => [base.port_class[c.base], head.port_class[c.head]],
                Direction::Egress => [u32::MAX; 2],
            };
            let own = if calico(base, c.base) || calico(head, c.head) {
                k as u32
            } else {
                u32::MAX
            };
            let next = ids.len() as u32;
            *ids.entry([sb, sh, ports[0], ports[1], own]).or_insert(next)
        })
        .collect()
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
    // Each pod shape's side against its own; when the shapes changed in number, each against
    // each: a pair with such a workload is decided by the union over its shapes
    // (`shapes_changed`), which only a peer some pair of them answers differently can change.
    // Taking every peer then made each of the 40 workloads whose labels split in two a pass
    // over the whole cluster per direction, a seventh of the passes' time.
    let pairs: Vec<(&SidePolicies, &SidePolicies)> = match bs.len() == hs.len() {
        true => bs.iter().zip(hs).collect(),
        false => (bs.iter())
            .flat_map(|b| hs.iter().map(move |h| (b, h)))
            .collect(),
    };
    // The policies whose rules may now answer some peer differently.
    let mut changed: Vec<(bool, PolicyId)> = Vec::new();
    for (b, h) in pairs {
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

/// The policies both sides have unchanged, per direction as (head, base) ids, by the namespace
/// a pod must be in for their rules to match it: `local` by the policy's own namespace, `wide`
/// by the namespaces their rules may find pods in.
struct Unchanged<'a> {
    local: HashMap<&'a str, Listed<'a>>,
    /// One group per distinct pair of scopes: thousands of policies find the same namespaces
    /// by label, and a changed peer met every one of them when they were a single list.
    wide: Vec<Scoped<'a>>,
    /// The groups of `wide` by namespace position in their scope, head's then base's, and
    /// those whose scope has every namespace: asking each group's scopes about each changed
    /// peer was two fifths of finding the sides it meets.
    wide_at: [Vec<Vec<u32>>; 2],
    everywhere: Vec<u32>,
}

/// Policies whose rules may find pods in the same namespaces, on each side.
struct Scoped<'a> {
    head: Scope,
    base: Scope,
    listed: Listed<'a>,
}

/// [`Entry`]s without their anchors, and for each of their four kinds of anchors the entries
/// by them: a changed peer met thousands of entries, whose labels let a few name it, and
/// asking each entry's anchors was a third of finding the sides it meets.
struct Listed<'a> {
    entries: Vec<(PolicyId, PolicyId, Direction)>,
    by_anchor: [AnchorIndex<'a>; 4],
}

impl<'a> Listed<'a> {
    fn new(entries: Vec<Entry<'a>>) -> Self {
        let by_anchor =
            [0, 1, 2, 3].map(|at| AnchorIndex::of_list(entries.iter().map(|e| &e.3[at])));
        Listed {
            entries: entries.iter().map(|&(h, b, d, _)| (h, b, d)).collect(),
            by_anchor,
        }
    }
}

/// A policy both sides have unchanged: its head and base ids, a direction, and the labels a
/// pod must carry for its rules to match it, head's and base's ([`naming::anchors`]), then
/// the same for a pod not on its node's network, leaving out the rules that match every such
/// pod alike on both sides ([`naming::anchors_off_node`]): most policies that may find pods
/// everywhere name them by a label few carry, and asking each of their rules about each
/// changed peer was most of finding the sides it meets.
type Entry<'a> = (PolicyId, PolicyId, Direction, [Option<Vec<Anchor<'a>>>; 4]);

/// Where an unchanged policy's rules may match pods: in its own namespace only, or where its
/// rules' [`Scope`]s say (head's, base's).
enum Reach<'n> {
    Own(&'n str),
    Scoped((Scope, Scope)),
}

/// Where a policy's rules may match pods: namespace positions of a [`View`], ascending, or
/// `None` when some rule does not say.
type Scope = Option<Vec<u32>>;

/// [`Scope`] of a policy's `rules` (of a policy of `namespace`) in `view`.
fn scope(view: &View<'_>, rules: &[CompiledRule], namespace: &str) -> Scope {
    let mut out = Vec::new();
    for r in rules {
        let (labels, named) = view.rule_scopes(r, namespace)?;
        out.extend(labels.into_iter().chain(named).map(|p| p as u32));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

impl<'a> Unchanged<'a> {
    fn new(base: &'a View<'a>, head: &'a View<'a>, policies: &Policies) -> Self {
        let mut out = Unchanged {
            local: HashMap::default(),
            wide: Vec::new(),
            wide_at: [
                vec![Vec::new(); head.namespaces().len()],
                vec![Vec::new(); base.namespaces().len()],
            ],
            everywhere: Vec::new(),
        };
        let mut groups: HashMap<(Scope, Scope), Vec<Entry<'a>>> = HashMap::default();
        let mut objects: Vec<(&Object, &(Option<Object>, Status))> = policies.head.iter().collect();
        objects.sort_unstable_by_key(|(h, _)| **h);
        // Where each one's rules may find pods, on the cores: working out the namespaces a
        // wide policy's rules find was a serial fifth of a second at full size.
        let entries: Vec<(Reach<'_>, Entry<'a>)> = objects
            .par_iter()
            .flat_map_iter(|&(&h, &(b, status))| {
                let mut out = Vec::new();
                let (Some(b), Status::Same) = (b, status) else {
                    return out;
                };
                for d in DIRECTIONS {
                    for (hid, bid) in h
                        .ids(head.engine.inventory)
                        .into_iter()
                        .zip(b.ids(base.engine.inventory))
                    {
                        let (hr, br) = (head.engine.rules(hid, d), base.engine.rules(bid, d));
                        if hr.is_empty() || hr.len() != br.len() {
                            continue;
                        }
                        let anchors = [
                            naming::anchors(hr),
                            naming::anchors(br),
                            naming::anchors_off_node(hr, d),
                            naming::anchors_off_node(br, d),
                        ];
                        let at = match hr.iter().chain(br).all(|r| r.only_own_namespace()) {
                            true => Reach::Own(head.engine.policy_namespace(hid)),
                            false => Reach::Scoped((
                                scope(head, hr, head.engine.policy_namespace(hid)),
                                scope(base, br, base.engine.policy_namespace(bid)),
                            )),
                        };
                        out.push((at, (hid, bid, d, anchors)));
                    }
                }
                out
            })
            .collect();
        let mut local: HashMap<&str, Vec<Entry<'a>>> = HashMap::default();
        for (at, entry) in entries {
            match at {
                Reach::Own(namespace) => local.entry(namespace).or_default().push(entry),
                Reach::Scoped(scopes) => groups.entry(scopes).or_default().push(entry),
            }
        }
        let local: Vec<_> = local.into_iter().collect();
        out.local = (local.into_par_iter())
            .map(|(namespace, entries)| (namespace, Listed::new(entries)))
            .collect();
        let groups: Vec<_> = groups.into_iter().collect();
        out.wide = (groups.into_par_iter())
            .map(|((head, base), entries)| Scoped {
                head,
                base,
                listed: Listed::new(entries),
            })
            .collect();
        for (g, scoped) in out.wide.iter().enumerate() {
            let g = g as u32;
            let (Some(h), Some(b)) = (&scoped.head, &scoped.base) else {
                out.everywhere.push(g);
                continue;
            };
            for (at, scope) in out.wide_at.iter_mut().zip([h, b]) {
                for &p in scope {
                    at[p as usize].push(g);
                }
            }
        }
        out
    }
}

/// The sides (common index, direction) whose rules match a changed peer differently.
fn sensitive_sides(
    base: &View<'_>,
    head: &View<'_>,
    c: Common,
    change: PeerChange,
    unchanged: &Unchanged<'_>,
    base_common: &[u32],
    head_common: &[u32],
) -> Vec<(usize, Direction)> {
    let (wb, wh) = (
        &base.engine.inventory.workloads[c.base],
        &head.engine.inventory.workloads[c.head],
    );
    let (labels_b, labels_h) = (
        base.engine.namespace_labels(&wb.namespace),
        head.engine.namespace_labels(&wh.namespace),
    );
    let (shapes_b, shapes_h) = (base.shape_count(c.base), head.shape_count(c.head));
    let mut out = Vec::new();
    let mut seen =
        [0, 1].map(|_| vec![0u64; base_common.len().max(head_common.len()).div_ceil(64)]);
    let (at_h, at_b) = (
        head.namespace_position(c.head),
        base.namespace_position(c.base),
    );
    // A policy none of whose rules may find pods in the peer's namespace, on either side,
    // matches it alike (not at all) on both.
    let mut groups: Vec<u32> = (unchanged.everywhere.iter())
        .chain(&unchanged.wide_at[0][at_h])
        .chain(&unchanged.wide_at[1][at_b])
        .copied()
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let wide = groups.iter().map(|&g| &unchanged.wide[g as usize].listed);
    let lists = (unchanged.local.get(wh.namespace.as_str()))
        .into_iter()
        .chain(wide);

    // The peer's labels, when it has one pod shape on each side, and which anchors they are
    // asked of.
    let single = (shapes_b == 1 && shapes_h == 1).then(|| {
        let (ph, pb) = (
            head.engine.pod_in(head.member(c.head, 0), labels_h),
            base.engine.pod_in(base.member(c.base, 0), labels_b),
        );
        let off_node = !ph.node_network && !pb.node_network;
        ([ph.labels, pb.labels], if off_node { 2 } else { 0 })
    });
    // Of a list's entries, those whose rules may match the peer on either side.
    let mut numbers = Vec::new();
    let entries = lists.flat_map(|list| {
        numbers.clear();
        match single {
            Some(([lh, lb], at)) => {
                list.by_anchor[at].push_naming(lh, &mut numbers);
                list.by_anchor[at + 1].push_naming(lb, &mut numbers);
                numbers.sort_unstable();
                numbers.dedup();
            }
            None => numbers.extend(0..list.entries.len() as u32),
        }
        numbers
            .iter()
            .map(|&n| &list.entries[n as usize])
            .collect::<Vec<_>>()
    });
    for &(hid, bid, d) in entries {
        let (hr, br) = (head.engine.rules(hid, d), base.engine.rules(bid, d));
        let (ns_h, ns_b) = (
            head.engine.policy_namespace(hid),
            base.engine.policy_namespace(bid),
        );
        let sensitive = hr.iter().zip(br).any(|(rh, rb)| {
            let may_h = rh.may_match_pods_in(ns_h, &wh.namespace, labels_h);
            let may_b = rb.may_match_pods_in(ns_b, &wb.namespace, labels_b);
            if !may_h && !may_b {
                return false;
            }
            let on =
                |view: &View<'_>, rule: &crate::semantics::traffic::CompiledRule, ns, may, w, s| {
                    if may {
                        rule.peer_match(ns, &view.pod(view.member(w, s)))
                    } else {
                        Match::No
                    }
                };
            let any_match = || {
                (0..shapes_b).any(|s| on(base, rb, ns_b, may_b, c.base, s) != Match::No)
                    || (0..shapes_h).any(|s| on(head, rh, ns_h, may_h, c.head, s) != Match::No)
            };
            if shapes_b != shapes_h {
                // This side's answers towards such a peer are compared as unions over its
                // shapes (`shapes_changed`): they differ only when this rule matches some shape,
                // before or after, otherwise than another. Taking every rule that matches the
                // peer at all made a workload whose labels split into two shapes a candidate of
                // 40,000 sides, of which 2% answered it differently.
                let first = on(base, rb, ns_b, may_b, c.base, 0);
                let varies = (1..shapes_b).any(|s| on(base, rb, ns_b, may_b, c.base, s) != first)
                    || (0..shapes_h).any(|s| on(head, rh, ns_h, may_h, c.head, s) != first);
                return varies
                    || (change.ports
                        && d == Direction::Egress
                        && rh.has_named_port()
                        && any_match());
            }
            let differs = (0..shapes_b).any(|s| {
                on(base, rb, ns_b, may_b, c.base, s) != on(head, rh, ns_h, may_h, c.head, s)
            });
            differs
                || (change.ports && d == Direction::Egress && rh.has_named_port() && any_match())
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
        // Many policies of a namespace apply to the same workloads: each side once, in the
        // order found (sorting every side a changed peer meets was most of this step).
        let seen = &mut seen[slot(d)];
        for i in subjects {
            if set_bit(seen, i as usize) {
                out.push((i as usize, d));
            }
        }
    }
    out
}

/// What one side lets through, and the rules that allowed it.
#[derive(Clone, PartialEq, Eq, Hash)]
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

/// A side's answers before and after, shared between passes.
type Answers = Arc<(SideAnswer, SideAnswer)>;

/// Interned answers of the other ends' sides ([`Ctx::intern`]), with a number shared by those
/// whose pairs do alike however this side answers ([`Pass::units`]): answers letting the same
/// through before and after, by what (the rules only count when what gets through changed);
/// else each its own. Kept beside the answers, so that grouping thousands of classes by it
/// reads no answer: reading them was most of the grouping's time.
#[derive(Clone)]
struct Interned {
    answers: Answers,
    unit: u32,
}

/// Sets [`Interned::unit`] apart for answers whose allowed connections changed.
const CHANGED_UNIT: u32 = 1 << 31;

/// What [`Ctx::intern`] keeps: each distinct answers with its unit, and the units of those
/// letting the same through before and after, by what.
#[derive(Default)]
struct Interner {
    known: HashMap<Answers, u32>,
    steady: HashMap<ConnSet, u32>,
}

/// A connection on one side: what gets through, and each side's answer (unions over the pod
/// shapes of both workloads, as `matrix` takes them).
struct Connection {
    allowed: ConnSet,
    ingress: SideAnswer,
    egress: SideAnswer,
}

fn connection(view: &View<'_>, s: usize, t: usize) -> Connection {
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
    for (ms, sm) in view.members(s).zip(view.side(s, Direction::Egress)) {
        let src = view.pod(ms);
        for (mt, tm) in view.members(t).zip(view.side(t, Direction::Ingress)) {
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

/// What a pair decided whole on both sides does, when what gets through changed. Shared by
/// the pairs that do the same (a pass meets tens of thousands of peers of a few outcomes).
struct Exact {
    before: Arc<ConnSet>,
    after: Arc<ConnSet>,
    /// What `after` lets through and `before` did not, and the reverse.
    opened: ConnSet,
    closed: ConnSet,
    /// The destination's ingress and the source's egress: whether each answers some pair of
    /// pod shapes differently, and the rules that allowed something (before, after).
    ingress: Option<SideRules>,
    egress: Option<SideRules>,
}

type Outcome = Option<Arc<Exact>>;

impl Exact {
    fn new(
        before: ConnSet,
        after: ConnSet,
        ingress: Option<SideRules>,
        egress: Option<SideRules>,
    ) -> Arc<Self> {
        Arc::new(Exact {
            opened: after.subtract(&before),
            closed: before.subtract(&after),
            before: Arc::new(before),
            after: Arc::new(after),
            ingress,
            egress,
        })
    }
}

/// Pair `s` -> `t` decided whole on both sides: `None` when what gets through is the same.
fn exact_pair(ctx: &Ctx<'_>, s: usize, t: usize, in_changed: bool, out_changed: bool) -> Outcome {
    let (base, head, common) = (ctx.base, ctx.head, ctx.common);
    let b = connection(base, common[s].base, common[t].base);
    let h = connection(head, common[s].head, common[t].head);
    if b.allowed == h.allowed {
        return None;
    }
    let rules = |b: SideAnswer, h: SideAnswer| SideRules {
        before: b.rules,
        after: h.rules,
    };
    Some(Exact::new(
        b.allowed,
        h.allowed,
        in_changed.then(|| rules(b.ingress, h.ingress)),
        out_changed.then(|| rules(b.egress, h.egress)),
    ))
}

/// Whether workload `w`'s side for `d` answers peer `k` differently before and after, for
/// some pair of their pod shapes. When `w`'s pods carry another number of label sets than
/// before, always (its side changed); when only the peer's do, for some shape of `w`, the
/// union of the answers over the peer's shapes. `memo` keeps the outcome per shape of `w` and
/// ways its rules match the peer's shapes.
fn shapes_changed(
    ctx: &Ctx<'_>,
    w: usize,
    d: Direction,
    k: usize,
    memo: &mut Map<Vec<u64>, bool>,
) -> bool {
    let (base, head) = (ctx.base, ctx.head);
    let (me, them) = (ctx.common[w], ctx.common[k]);
    let shapes = |view: &View<'_>, w: usize| view.shape_count(w);
    let mine = shapes(base, me.base);
    if mine != shapes(head, me.head) {
        return true;
    }
    let (theirs_b, theirs_h) = (shapes(base, them.base), shapes(head, them.head));
    let aligned = theirs_b == theirs_h;
    let mut key = Vec::new();
    for a in 0..mine {
        let (side_b, side_h) = (&base.side(me.base, d)[a], &head.side(me.head, d)[a]);
        key.clear();
        key.extend([a as u64, u64::from(aligned)]);
        for b in 0..theirs_b {
            signature(
                base,
                side_b,
                d,
                &base.pod(base.member(them.base, b)),
                &mut key,
            );
            key.push(SEPARATOR);
        }
        key.push(SEPARATOR);
        for b in 0..theirs_h {
            signature(
                head,
                side_h,
                d,
                &head.pod(head.member(them.head, b)),
                &mut key,
            );
            key.push(SEPARATOR);
        }
        if d == Direction::Egress {
            key.push(u64::from(base.port_class[them.base]));
            key.push(u64::from(head.port_class[them.head]));
        }
        let changed = match memo.get(key.as_slice()) {
            Some(&c) => c,
            None => {
                let answers =
                    |view: &View<'_>, side: &SidePolicies, me: usize, them: usize, n: usize| {
                        let me_pod = view.pod(view.member(me, a));
                        (0..n)
                            .map(|b| {
                                let them_pod = view.pod(view.member(them, b));
                                let dest = match d {
                                    Direction::Ingress => &me_pod,
                                    Direction::Egress => &them_pod,
                                };
                                decide(view, side, d, &them_pod, dest).allowed
                            })
                            .collect::<Vec<ConnSet>>()
                    };
                let before = answers(base, side_b, me.base, them.base, theirs_b);
                let after = answers(head, side_h, me.head, them.head, theirs_h);
                let union = |v: &[ConnSet]| v.iter().fold(ConnSet::none(), |acc, c| acc.union(c));
                let c = if aligned {
                    before != after
                } else {
                    union(&before) != union(&after)
                };
                memo.insert(key.clone(), c);
                c
            }
        };
        if changed {
            return true;
        }
    }
    false
}

fn single(view: &View<'_>, w: usize) -> bool {
    view.shape_count(w) <= 1
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
                .map(|r| naming::match_code(r.peer_match(ns, peer))),
        );
    }
}

/// Between the two sides' parts of a signature.
const SEPARATOR: u64 = u64::MAX;

/// The value `shared` keeps for `key`, else `make`'s, kept there. Made without the lock held:
/// the other core goes on meanwhile (two passes may then make the same value; either is kept).
fn shared_or_make<T: Clone>(
    shared: &Mutex<Map<Vec<u64>, T>>,
    key: &[u64],
    make: impl FnOnce() -> T,
) -> T {
    if let Some(known) = shared.lock().expect("no pass panics").get(key) {
        return known.clone();
    }
    let made = make();
    let mut shared = shared.lock().expect("no pass panics");
    shared.insert(key.to_vec(), made.clone());
    made
}

/// How the rules of common workload `w`'s side for `d` match common workload `peer` (its first
/// pod shape), base then head, and for egress the peer's ports, where named ports resolve,
/// appended to `out`: what the side's answers towards the peer depend on.
fn signature_towards(ctx: &Ctx<'_>, (w, d): (usize, Direction), peer: usize, out: &mut Vec<u64>) {
    let (base, head) = (ctx.base, ctx.head);
    let [_, _, them_b, them_h] = pods(ctx, w, peer);
    let (me, them) = (ctx.common[w], ctx.common[peer]);
    signature(base, &base.side(me.base, d)[0], d, &them_b, out);
    out.push(SEPARATOR);
    signature(head, &head.side(me.head, d)[0], d, &them_h, out);
    if d == Direction::Egress {
        out.push(u64::from(base.port_class[them.base]));
        out.push(u64::from(head.port_class[them.head]));
    }
}

/// How the pairs of one class of peers and one class of the other end changed.
#[allow(clippy::large_enum_variant)] // a few per pass, never moved once made
enum Combo {
    Unchanged,
    Changed {
        before: Arc<ConnSet>,
        after: Arc<ConnSet>,
        opened: bool,
        closed: bool,
        /// This side's group.
        group: usize,
        /// The other end's rules, when its answer changed too (its group is the peer's own).
        other: Option<(SideRules, ConnSet, ConnSet)>,
    },
}

/// The other ends' answers towards the workloads of one [`Identity`] and direction, by class
/// of their sides, kept from pass to pass on a core: the passes with a few peers each (those
/// that changed as peers) met the same peers again and decided their sides each time.
#[derive(Default)]
struct Answered {
    of: Option<(u32, Direction)>,
    theirs: Map<u32, Answers>,
}

/// Workloads whose passes for a direction find the same pairs, but for their own index: of
/// one [`identities`] number, of the same classes of sides in both directions, with the same
/// candidate peers. Swapping two of them changes nothing a pass reads, so the first one's pass
/// over the peers that are not twins stands for each; only their pairs among themselves are
/// decided by each one's own pass. Workloads of a namespace with the same labels are common
/// (the replicas of an application, its jobs): the passes were twice as many as their kinds.
struct Twins {
    d: Direction,
    members: Vec<usize>,
    /// Those of `members` that are candidate peers of their side.
    among: RoaringBitmap,
}

impl Twins {
    /// The peers of twin `t`'s own pass: its twins that are candidates.
    fn own(&self, t: usize) -> RoaringBitmap {
        let mut own = self.among.clone();
        own.remove(t as u32);
        own
    }
}

/// The passes of `keys` (sorted by direction and identity) as twins.
fn twins(ctx: &Ctx<'_>, keys: &[(usize, Direction)]) -> Vec<Twins> {
    let key = |w: usize, d: Direction| {
        let single = !ctx.multi.contains(w as u32)
            && ctx.classes[0][w] != u32::MAX
            && ctx.classes[1][w] != u32::MAX;
        single.then(|| {
            (
                slot(d),
                ctx.identity[w],
                ctx.classes[0][w],
                ctx.classes[1][w],
            )
        })
    };
    let mut out: Vec<Twins> = Vec::new();
    // The jobs that may take more twins, by what twins share besides their candidates.
    let mut open: Map<_, Vec<usize>> = Map::default();
    for &(i, d) in keys {
        let mine = key(i, d);
        let twin = mine.and_then(|k| {
            open.get(&k)?.iter().copied().find(|&at| {
                let r = out[at].members[0];
                ctx.candidates[&(r, d)] == ctx.candidates[&(i, d)]
            })
        });
        match twin {
            Some(at) => out[at].members.push(i),
            None => {
                out.push(Twins {
                    d,
                    members: vec![i],
                    among: RoaringBitmap::new(),
                });
                if let Some(k) = mine {
                    open.entry(k).or_default().push(out.len() - 1);
                }
            }
        }
    }
    for job in &mut out {
        if job.members.len() > 1 {
            let r = job.members[0];
            job.among = (job.members.iter())
                .map(|&t| t as u32)
                .filter(|&t| ctx.is_candidate((r, job.d), t))
                .collect();
        }
    }
    out
}

/// The passes of a set of twins: the first one's over the other peers, found again for each
/// twin, and each one's own over its twins.
fn twin_passes(ctx: &Ctx<'_>, job: &Twins, answered: &mut Answered) -> Found {
    let (r, d) = (job.members[0], job.d);
    let mut peers = ctx.candidates((r, d));
    if job.members.len() == 1 {
        peers.remove(r as u32);
        return side_pass(ctx, r, d, peers, answered);
    }
    for &t in &job.members {
        peers.remove(t as u32);
    }
    let examples = ctx.options.examples;
    let found = side_pass(ctx, r, d, peers, answered);
    let mut total = Found::default();
    for &t in &job.members[1..] {
        total.merge_as(&found, (r, t), examples);
    }
    total.merge(found, examples);
    for &t in &job.members {
        let own = job.own(t);
        if !own.is_empty() {
            total.merge(side_pass(ctx, t, d, own, answered), examples);
        }
    }
    total
}

/// The pairs of workload `i`'s side for `d` with `peers` (candidates), decided on both sides.
fn side_pass(
    ctx: &Ctx<'_>,
    i: usize,
    d: Direction,
    peers: RoaringBitmap,
    answered: &mut Answered,
) -> Found {
    let (base, head) = (ctx.base, ctx.head);
    let mut found = Found::default();
    let me = ctx.common[i];
    let mut pass = Pass::new(ctx, i, d);
    if ctx.multi.contains(i as u32) {
        if !ctx.by_class.contains(&(i, d)) {
            for k in &peers {
                pass.exact(k as usize, &mut found);
            }
            return found;
        }
        // Peers that every rule of this workload's shapes matches alike have the same way of
        // being matched: only the other end's side (and, for egress, the peer's ports) tells
        // their pairs apart.
        let (rules, slow) = rules_and_slow(ctx, i, d, &peers);
        for k in &slow {
            pass.exact(k as usize, &mut found);
        }
        for class in peers::refine(peers - &slow, rules.iter().map(|r| &r.yes)) {
            pass.exact_class(&class, &mut found);
        }
        return found;
    }
    if !ctx.by_class.contains(&(i, d)) {
        let of = Some((ctx.identity[i], d));
        if answered.of != of {
            answered.of = of;
            answered.theirs.clear();
        }
        pass.theirs = std::mem::take(&mut answered.theirs);
        for k in &peers {
            pass.one_by_one(k as usize, &mut found);
        }
        answered.theirs = std::mem::take(&mut pass.theirs);
        // Kept for a peer of several pod shapes: its own, not its class's.
        answered.theirs.remove(&u32::MAX);
        return found;
    }
    let (side_b, side_h) = (&base.side(me.base, d)[0], &head.side(me.head, d)[0]);
    let (rules, slow) = rules_and_slow(ctx, i, d, &peers);
    for k in &slow {
        pass.one_by_one(k as usize, &mut found);
    }
    // The others: every rule matches all of a class or none of it, so one peer answers for it.
    let fast = peers - &slow;
    // Egress rules' named ports resolve on the peer: their answers depend on its ports too.
    let named = d == Direction::Egress
        && [(base, side_b), (head, side_h)].iter().any(|(view, s)| {
            policy_ids(view.engine, s)
                .any(|id| view.engine.rules(id, d).iter().any(|r| r.has_named_port()))
        });
    pass.find_naming();
    for class in peers::refine(fast, rules.iter().map(|r| &r.yes)) {
        pass.class(&class, named, &mut found);
    }
    found
}

/// The peers of every rule of workload `i`'s side for `d` (every pod shape's, base then
/// head), and the `peers` to decide one by one: those some rule may or may not match (the
/// reason of the unknown is in the answer), and those with several pod shapes.
fn rules_and_slow<'c>(
    ctx: &'c Ctx<'c>,
    i: usize,
    d: Direction,
    peers: &RoaringBitmap,
) -> (Vec<&'c RulePeers>, RoaringBitmap) {
    let rules: Vec<&RulePeers> = side_rules_keys(ctx.base, ctx.head, ctx.common[i], d)
        .into_iter()
        .flat_map(|(h, id, d)| ctx.rules(h, id, d))
        .map(|r| &**r)
        .collect();
    let mut slow = peers & ctx.multi;
    for r in &rules {
        if !r.unsure.is_empty() {
            slow |= peers & &r.unsure;
        }
    }
    (rules, slow)
}

/// One side pass: workload `i`'s side for `d`, and what it found out about the other ends.
struct Pass<'c> {
    ctx: &'c Ctx<'c>,
    i: usize,
    d: Direction,
    other: Direction,
    /// This side's answers per signature (one-by-one peers) and per class.
    mine: Map<Vec<u64>, usize>,
    answers: Vec<Answers>,
    key: Vec<u64>,
    /// The other end's answers towards this workload, per class of its side, when they are not
    /// kept by class elsewhere ([`Pass::their_class_answers`]); in the passes of a few peers,
    /// carried over from the previous pass of the same identity ([`Answered`]).
    theirs: Map<u32, Answers>,
    their_key: Vec<u64>,
    /// Whether this side answers a pair of pod shapes differently, per shape and signature.
    shapes: Map<Vec<u64>, bool>,
    /// What pairs with a peer of one pod shape do (this workload having several), per class
    /// of the peer's side and [`Pass::exact_key`].
    exacts: Map<(u32, Vec<u64>), Outcome>,
    /// This workload's answers per pod shape to such a peer (before, after), per
    /// [`Pass::exact_key`]; the other end's answers towards each of them, per class of its side.
    mine_shapes: Map<Vec<u64>, [Vec<SideAnswer>; 2]>,
    theirs_shapes: Map<u32, [Vec<SideAnswer>; 2]>,
    /// [`Pass::shapes_named`], once a pass of a workload of several shapes needs it.
    shapes_named: Option<Arc<ShapesNamed>>,
    /// What the pairs do, per answer of this side and class of the other end's side.
    combos: Map<(usize, u32), usize>,
    /// The same by answer of this side and the address of the other end's answers: shared
    /// answers are interned ([`Ctx::intern`]), so classes answering alike meet one entry. Every
    /// such answer is held by `theirs`, `Ctx::unnamed` or `naming_me` until the pass ends, so
    /// no address is reused meanwhile.
    combos_by_answers: Map<(usize, usize), usize>,
    combo_list: Vec<Combo>,
    /// What names this workload (when worked out: passes with many peers).
    naming_me: Option<Arc<NamedMe>>,
    /// This side's answers taken from [`Ctx::mine`], by address, as indexes of `answers`: each
    /// is held by `Ctx::mine` until the comparison ends, so no address is reused meanwhile.
    shared_mine: Map<usize, usize>,
}

impl<'c> Pass<'c> {
    fn new(ctx: &'c Ctx<'c>, i: usize, d: Direction) -> Self {
        Pass {
            ctx,
            i,
            d,
            other: match d {
                Direction::Ingress => Direction::Egress,
                Direction::Egress => Direction::Ingress,
            },
            mine: Map::default(),
            answers: Vec::new(),
            key: Vec::new(),
            theirs: Map::default(),
            their_key: Vec::new(),
            shapes: Map::default(),
            exacts: Map::default(),
            mine_shapes: Map::default(),
            theirs_shapes: Map::default(),
            shapes_named: None,
            combos: Map::default(),
            combos_by_answers: Map::default(),
            combo_list: Vec::new(),
            naming_me: None,
            shared_mine: Map::default(),
        }
    }

    /// Finds the policies of the other direction that may name this workload, and the classes
    /// of the other ends' sides that have one.
    fn find_naming(&mut self) {
        let ctx = self.ctx;
        let key = ctx.named_as[slot(self.other)][&ctx.identity[self.i]];
        let shared = &ctx.named[slot(self.other)];
        let (known, policies) = {
            let map = shared.lock().expect("no pass panics");
            let entry = map.get(&key).expect("every pass that asks is counted");
            (entry.value.clone(), entry.policies.clone())
        };
        let value = known.unwrap_or_else(|| {
            Arc::new(self.named_me(policies.expect("made of these until made")))
        });
        // Counted down as each pass takes it, and dropped with the last.
        let mut map = shared.lock().expect("no pass panics");
        let entry = map.get_mut(&key).expect("every pass that asks is counted");
        entry.left -= 1;
        if entry.left == 0 {
            map.remove(&key);
        } else if entry.value.is_none() {
            entry.value = Some(value.clone());
            entry.policies = None;
        }
        self.naming_me = Some(value);
    }

    fn named_me(&self, policies: [Arc<NamingOf>; 2]) -> NamedMe {
        let index = &self.ctx.policy_classes[slot(self.other)];
        let count = self.ctx.class_policies[slot(self.other)].len();
        let mut classes = vec![0u64; count.div_ceil(64)];
        let mut numbers =
            [0, 1].map(|r| vec![0u64; self.ctx.naming[r].count(self.other).div_ceil(64)]);
        for (r, policies) in policies.iter().enumerate() {
            for id in policies.keys() {
                if let Some(n) = self.ctx.naming[r].number(*id, self.other) {
                    set_bit(&mut numbers[r], n as usize);
                }
                if let Some(found) = index.get(&(r as u8, *id)) {
                    for &c in found {
                        set_bit(&mut classes, c as usize);
                    }
                }
            }
        }
        NamedMe {
            policies,
            numbers,
            node_network: node_network(self.ctx, self.i),
            classes,
            theirs: (0..count).map(|_| OnceLock::new()).collect(),
        }
    }

    /// What names each pod shape of this workload (of several).
    fn shapes_named(&self) -> ShapesNamed {
        let ctx = self.ctx;
        let me = ctx.common[self.i];
        let index = &ctx.policy_classes[slot(self.other)];
        let mut classes = vec![0u64; ctx.class_policies[slot(self.other)].len().div_ceil(64)];
        let revisions = [(ctx.base, me.base), (ctx.head, me.head)];
        let policies = [0, 1].map(|r| {
            let (view, w) = revisions[r];
            let per_shape: Vec<_> = view
                .members(w)
                .map(|m| ctx.naming[r].naming(view, m, self.other))
                .collect();
            for id in per_shape.iter().flat_map(|p| p.keys()) {
                for &c in index.get(&(r as u8, *id)).into_iter().flatten() {
                    set_bit(&mut classes, c as usize);
                }
            }
            per_shape
        });
        ShapesNamed {
            policies,
            classes,
            node_network: node_network(self.ctx, self.i),
        }
    }

    /// The answer of a side of `class` (of the other ends') in revision `r` towards pod shape
    /// `s` of this workload, which some policy of such a side names: shared by every pass
    /// through [`Ctx::shape_theirs`], by what it depends on (as [`their_key`]).
    fn their_shape_answer(
        &self,
        named: &ShapesNamed,
        (r, s): (usize, usize),
        class: u32,
        answer: impl FnOnce() -> SideAnswer,
    ) -> SideAnswer {
        let ctx = self.ctx;
        let node_network = named.node_network >> (1 - r) & 1;
        let mut key = vec![r as u64, u64::from(class) << 1 | node_network as u64];
        let policies = &ctx.class_policies[slot(self.other)][class as usize];
        push_naming(&mut key, policies, |p| {
            (usize::from(p.revision) == r)
                .then(|| named.policies[r][s].get(&p.id))
                .flatten()
        });
        if self.other == Direction::Egress {
            let me = ctx.common[self.i];
            let view = [ctx.base, ctx.head][r];
            key.push(u64::from(view.port_class[[me.base, me.head][r]]));
        }
        shared_or_make(&ctx.shape_theirs[slot(self.other)], &key, answer)
    }

    /// Source and destination of the pair with peer `k`.
    fn ends(&self, k: usize) -> (usize, usize) {
        match self.d {
            Direction::Ingress => (k, self.i),
            Direction::Egress => (self.i, k),
        }
    }

    /// A pair with a workload whose pods carry several label sets: decided whole, when this
    /// side answers some pair of pod shapes differently. Such a pair is recorded by the
    /// destination's ingress pass when its ingress changed, else by the source's egress pass.
    /// When this workload is the one with several shapes, what the pair does is remembered per
    /// way this side's shapes' rules match the peer and class of the peer's side.
    fn exact(&mut self, k: usize, found: &mut Found) {
        let their_class = self.ctx.classes[slot(self.other)][k];
        let outcome = match their_class {
            u32::MAX => self.exact_outcome(k),
            _ => {
                let key = (their_class, self.exact_key(k));
                self.keyed_outcome(k, key)
            }
        };
        self.record_outcome(k, outcome, found);
    }

    /// [`Pass::exact`] for the peers of one pod shape of a class that every rule of this
    /// workload's shapes matches alike: their [`Pass::exact_key`] differs only by the peer's
    /// ports, so it is made once and the outcomes kept by class of the other end's side.
    fn exact_class(&mut self, class: &RoaringBitmap, found: &mut Found) {
        let Some(first) = class.min() else {
            return;
        };
        let ctx = self.ctx;
        let (base, head) = (ctx.base, ctx.head);
        let egress = self.d == Direction::Egress;
        let signature = self.exact_signature(first as usize);
        let mut outcomes: Map<[u32; 3], Outcome> = Map::default();
        // Classes that name no shape of this workload answer it as any peer they do not name:
        // what their pairs do depends on that answer only, which thousands of them share.
        let mut by_answers: Map<(usize, [u32; 2]), Outcome> = Map::default();
        for k in class {
            let k = k as usize;
            let them = ctx.common[k];
            let their_class = ctx.classes[slot(self.other)][k];
            let ports = match egress {
                true => [base.port_class[them.base], head.port_class[them.head]],
                false => [0, 0],
            };
            let at = [their_class, ports[0], ports[1]];
            let outcome = match outcomes.get(&at) {
                Some(outcome) => outcome.clone(),
                None => {
                    let mut key = signature.clone();
                    if egress {
                        key.extend(ports.map(u64::from));
                    }
                    let outcome = match self.unnamed_shapes_answer(k, their_class) {
                        Some(a) => by_answers
                            .entry((Arc::as_ptr(&a) as usize, ports))
                            .or_insert_with(|| self.keyed_outcome(k, (their_class, key)))
                            .clone(),
                        None => self.keyed_outcome(k, (their_class, key)),
                    };
                    outcomes.insert(at, outcome.clone());
                    outcome
                }
            };
            self.record_outcome(k, outcome, found);
        }
    }

    /// The answers (before, after) of the other ends' sides of `class` (peer `k`'s) towards
    /// this workload (of several pod shapes), when no policy of theirs names any of its shapes:
    /// interned, so that classes answering alike share them ([`Ctx::unnamed`] holds each until
    /// the comparison ends, so no address is reused meanwhile).
    fn unnamed_shapes_answer(&mut self, k: usize, class: u32) -> Option<Answers> {
        if self.shapes_named.is_none() {
            self.shapes_named = Some(Arc::new(self.shapes_named()));
        }
        let named = self.shapes_named.as_ref().expect("just set");
        if has_bit(&named.classes, class as usize) {
            return None;
        }
        let (ctx, i, other) = (self.ctx, self.i, self.other);
        Some(
            ctx.unnamed_answers(other, class, named.node_network, i, k)
                .answers
                .clone(),
        )
    }

    /// What the pair with peer `k` (of one pod shape) does, by its [`Pass::exact_key`] and
    /// the class of its side.
    fn keyed_outcome(&mut self, k: usize, key: (u32, Vec<u64>)) -> Outcome {
        match self.exacts.get(&key) {
            Some(outcome) => outcome.clone(),
            None => {
                let outcome = self.shared_outcome(k, &key);
                self.exacts.insert(key, outcome.clone());
                outcome
            }
        }
    }

    /// Records the pair with peer `k` as `outcome` says, unless another pass does.
    fn record_outcome(&self, k: usize, outcome: Outcome, found: &mut Found) {
        let Some(exact) = outcome else {
            return;
        };
        let (s, t) = self.ends(k);
        if self.d == Direction::Egress
            && exact.ingress.is_some()
            && self.ctx.is_candidate((t, Direction::Ingress), s as u32)
        {
            // The destination's ingress pass has this pair.
            return;
        }
        found.record((s, t), &exact, self.ctx.options);
    }

    fn exact_outcome(&mut self, k: usize) -> Outcome {
        let ctx = self.ctx;
        if !self.mine_changed(k) {
            return None;
        }
        let (s, t) = self.ends(k);
        let (in_changed, out_changed) = match self.d {
            Direction::Ingress => (
                true,
                shapes_changed(ctx, s, Direction::Egress, t, &mut Map::default()),
            ),
            Direction::Egress => (
                shapes_changed(ctx, t, Direction::Ingress, s, &mut Map::default()),
                true,
            ),
        };
        exact_pair(ctx, s, t, in_changed, out_changed)
    }

    /// Whether this side answers some pair of its and peer `k`'s pod shapes differently
    /// ([`shapes_changed`]); shared between the passes of a class of one pod shape, whose sides
    /// answer any peer alike.
    fn mine_changed(&mut self, k: usize) -> bool {
        let (ctx, d) = (self.ctx, self.d);
        let class = ctx.classes[slot(d)][self.i];
        if class == u32::MAX {
            return shapes_changed(ctx, self.i, d, k, &mut self.shapes);
        }
        let key = (k as u32, d, class);
        let known = ctx
            .multi_changed
            .lock()
            .expect("no pass panics")
            .get(&key)
            .copied();
        known.unwrap_or_else(|| {
            let changed = shapes_changed(ctx, self.i, d, k, &mut self.shapes);
            let mut shared = ctx.multi_changed.lock().expect("no pass panics");
            shared.insert(key, changed);
            changed
        })
    }

    /// `exact_outcome` for a peer `k` of one pod shape whose side has a class (`key`): from
    /// this side's answers per shape, remembered per way its rules match the peer, and the
    /// other end's answers towards each shape, remembered per class of its side.
    fn shared_outcome(&mut self, k: usize, key: &(u32, Vec<u64>)) -> Outcome {
        let (base, head, d, other) = (self.ctx.base, self.ctx.head, self.d, self.other);
        let (me, them) = (self.ctx.common[self.i], self.ctx.common[k]);
        let revisions = [(base, me.base, them.base), (head, me.head, them.head)];
        if !self.mine_shapes.contains_key(&key.1) {
            let answers = revisions.map(|(view, me, them)| {
                let peer = view.pod(view.member(them, 0));
                view.members(me)
                    .zip(view.side(me, d))
                    .map(|(m, side)| match d {
                        Direction::Ingress => decide(view, side, d, &peer, &view.pod(m)),
                        Direction::Egress => decide(view, side, d, &peer, &peer),
                    })
                    .collect::<Vec<SideAnswer>>()
            });
            self.mine_shapes.insert(key.1.clone(), answers);
        }
        if !self.theirs_shapes.contains_key(&key.0) {
            let class = key.0;
            let theirs = match self.unnamed_shapes_answer(k, class) {
                // No policy of such a side names any shape of this workload: it answers each
                // as any peer it does not name (see `class_answers`), the first
                // shape of each revision among them.
                Some(a) => [
                    vec![a.0.clone(); base.members(me.base).count()],
                    vec![a.1.clone(); head.members(me.head).count()],
                ],
                None => {
                    let named = self.shapes_named.clone().expect("found by the call above");
                    [0, 1].map(|r| {
                        let (view, me, them) = revisions[r];
                        let (peer, side) =
                            (view.pod(view.member(them, 0)), &view.side(them, other)[0]);
                        view.members(me)
                            .enumerate()
                            .map(|(s, m)| {
                                self.their_shape_answer(&named, (r, s), class, || {
                                    let pod = view.pod(m);
                                    match other {
                                        Direction::Ingress => {
                                            decide(view, side, other, &pod, &peer)
                                        }
                                        Direction::Egress => decide(view, side, other, &pod, &pod),
                                    }
                                })
                            })
                            .collect::<Vec<SideAnswer>>()
                    })
                }
            };
            self.theirs_shapes.insert(class, theirs);
        }
        let (mine, theirs) = (&self.mine_shapes[&key.1], &self.theirs_shapes[&key.0]);
        let same = |a: &[SideAnswer], b: &[SideAnswer]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.allowed == y.allowed)
        };
        let union = |v: &[SideAnswer]| {
            v.iter()
                .fold(ConnSet::none(), |acc, a| acc.union(&a.allowed))
        };
        // As `shapes_changed` says for each end: this workload's shapes pair with the peer's
        // one; the peer's one with this workload's shapes, the union of its answers when their
        // number changed.
        let aligned = mine[0].len() == mine[1].len();
        if aligned && same(&mine[0], &mine[1]) {
            return None;
        }
        let their_changed = if aligned {
            !same(&theirs[0], &theirs[1])
        } else {
            union(&theirs[0]) != union(&theirs[1])
        };
        // What gets through on one revision, and each end's answer over the shapes.
        let connection = |r: usize| {
            let allowed = mine[r]
                .iter()
                .zip(&theirs[r])
                .fold(ConnSet::none(), |acc, (m, t)| {
                    acc.union(&m.allowed.intersect(&t.allowed))
                });
            let answer = |v: &[SideAnswer]| {
                let mut rules: Vec<RuleRef> =
                    v.iter().flat_map(|a| a.rules.iter().copied()).collect();
                rules.sort_unstable();
                rules.dedup();
                rules
            };
            (allowed, answer(&mine[r]), answer(&theirs[r]))
        };
        let ((before, mine_b, theirs_b), (after, mine_h, theirs_h)) =
            (connection(0), connection(1));
        if before == after {
            return None;
        }
        let mine_rules = Some(SideRules {
            before: mine_b,
            after: mine_h,
        });
        let their_rules = their_changed.then_some(SideRules {
            before: theirs_b,
            after: theirs_h,
        });
        let (ingress, egress) = match d {
            Direction::Ingress => (mine_rules, their_rules),
            Direction::Egress => (their_rules, mine_rules),
        };
        Some(Exact::new(before, after, ingress, egress))
    }

    /// How the rules of this workload's shapes match peer `k` (of one pod shape), on both
    /// sides, with the peer's ports when egress named ports resolve on them.
    fn exact_key(&self, k: usize) -> Vec<u64> {
        let (base, head) = (self.ctx.base, self.ctx.head);
        let them = self.ctx.common[k];
        let mut key = self.exact_signature(k);
        if self.d == Direction::Egress {
            key.push(u64::from(base.port_class[them.base]));
            key.push(u64::from(head.port_class[them.head]));
        }
        key
    }

    /// [`Pass::exact_key`] without the peer's ports: how the rules match the peer.
    fn exact_signature(&self, k: usize) -> Vec<u64> {
        let (base, head, d) = (self.ctx.base, self.ctx.head, self.d);
        let (me, them) = (self.ctx.common[self.i], self.ctx.common[k]);
        let mut key = Vec::new();
        for (view, me, them) in [(base, me.base, them.base), (head, me.head, them.head)] {
            let peer = view.pod(view.member(them, 0));
            for side in view.side(me, d) {
                signature(view, side, d, &peer, &mut key);
                key.push(SEPARATOR);
            }
            key.push(SEPARATOR);
        }
        key
    }

    fn pods(&self, k: usize) -> [Endpoint<'c>; 4] {
        pods(self.ctx, self.i, k)
    }

    /// This side's answers (before, after) for peer `k`, given the signature already in
    /// `self.key`, or for a class (`self.key` then names it).
    fn my_answers(&mut self, k: usize) -> usize {
        if let Some(&at) = self.mine.get(self.key.as_slice()) {
            return at;
        }
        let (base, head, d) = (self.ctx.base, self.ctx.head, self.d);
        let me = self.ctx.common[self.i];
        let [me_b, me_h, them_b, them_h] = self.pods(k);
        // Ingress: named ports resolve on this workload; egress: on the peer.
        let (dest_b, dest_h) = match d {
            Direction::Ingress => (me_b, me_h),
            Direction::Egress => (them_b, them_h),
        };
        self.answers.push(Arc::new((
            decide(base, &base.side(me.base, d)[0], d, &them_b, &dest_b),
            decide(head, &head.side(me.head, d)[0], d, &them_h, &dest_h),
        )));
        self.mine.insert(self.key.clone(), self.answers.len() - 1);
        self.answers.len() - 1
    }

    /// The other end's answers towards this workload.
    fn their_answers(&mut self, k: usize) -> Answers {
        let (ctx, other) = (self.ctx, self.other);
        let class = ctx.classes[slot(other)][k];
        // With what names this workload known, a class's answers are kept by class already
        // (`Ctx::unnamed`, `NamedMe::theirs`): a map of them per pass was only overhead.
        let by_class = self.naming_me.is_some() && class != u32::MAX;
        if by_class {
            return self.their_class_answers(k, class);
        }
        if let Some(a) = self.theirs.get(&class) {
            return a.clone();
        }
        if class != u32::MAX && !ctx.may_be_named(other, class, self.i) {
            let on_node = node_network(ctx, self.i);
            return (ctx.unnamed_answers(other, class, on_node, self.i, k))
                .answers
                .clone();
        }
        let a = match class {
            // Several pod shapes: its own.
            u32::MAX => Arc::new(their_side_answers(ctx, self.i, k, other)),
            _ => self.signed_answers(k, class),
        };
        self.theirs.insert(class, a.clone());
        a
    }

    /// [`their_side_answers`] of peer `k`, of `class`, towards this workload, through
    /// [`Ctx::signed`].
    fn signed_answers(&mut self, k: usize, class: u32) -> Answers {
        let (ctx, other) = (self.ctx, self.other);
        let mut key = std::mem::take(&mut self.their_key);
        key.clear();
        key.push(u64::from(class));
        signature_towards(ctx, (k, other), self.i, &mut key);
        let a = shared_or_make(&ctx.signed[slot(other)], &key, || {
            (ctx.intern(their_side_answers(ctx, self.i, k, other))).answers
        });
        self.their_key = key;
        a
    }

    /// [`Pass::their_answers`] of a class of the other ends' sides, what names this workload
    /// known.
    fn their_class_answers(&mut self, k: usize, class: u32) -> Answers {
        let named = self
            .naming_me
            .clone()
            .expect("what names this workload is known");
        let mut key = std::mem::take(&mut self.their_key);
        let a = class_answers(self.ctx, &named, (self.i, k, class, self.other), &mut key)
            .answers
            .clone();
        self.their_key = key;
        a
    }

    /// What the pairs with peer `k` do, this side answering with `answer`.
    fn combo(&self, answer: usize, theirs: &Answers, found: &mut Found) -> Combo {
        let (ob, oh) = &**theirs;
        let (ab, ah) = &*self.answers[answer];
        if self.d == Direction::Egress && ob.allowed != oh.allowed {
            // The destination's ingress pass has this pair, with both sides.
            return Combo::Unchanged;
        }
        let before = ab.allowed.intersect(&ob.allowed);
        let after = ah.allowed.intersect(&oh.allowed);
        if before == after {
            return Combo::Unchanged;
        }
        let opened = after.subtract(&before);
        let closed = before.subtract(&after);
        let (o, c) = (!opened.is_empty(), !closed.is_empty());
        let rules = SideRules {
            before: allow_rules(ab),
            after: allow_rules(ah),
        };
        let group = found.group((self.i, self.d, &rules, o, c), &opened, &closed);
        let other = (ob.allowed != oh.allowed).then(|| {
            (
                SideRules {
                    before: allow_rules(ob),
                    after: allow_rules(oh),
                },
                opened,
                closed,
            )
        });
        Combo::Changed {
            before: Arc::new(before),
            after: Arc::new(after),
            opened: o,
            closed: c,
            group,
            other,
        }
    }

    /// Counts the pair with peer `k` as `combo` says.
    fn count(&self, combo: &Combo, k: usize, found: &mut Found) {
        let Combo::Changed {
            before,
            after,
            opened,
            closed,
            group,
            other,
        } = combo
        else {
            return;
        };
        let (s, t) = self.ends(k);
        let options = self.ctx.options;
        let pair = || PairChange {
            source: s as u32,
            destination: t as u32,
            before: before.clone(),
            after: after.clone(),
        };
        found.opened += usize::from(*opened);
        found.closed += usize::from(*closed);
        found.groups[*group].pairs += 1;
        let at = (s as u32, t as u32);
        found.groups[*group].example(options.examples, at, pair);
        if let Some((rules, o, c)) = other {
            let g = found.group((k, self.other, rules, *opened, *closed), o, c);
            found.groups[g].pairs += 1;
            found.groups[g].example(options.examples, at, pair);
        }
        if options.pairs {
            found.pairs.push(pair());
        }
    }

    /// The peers of one class, which this side's rules all match alike.
    fn class(&mut self, class: &RoaringBitmap, named: bool, found: &mut Found) {
        let Some(first) = class.min() else {
            return;
        };
        let ctx = self.ctx;
        let (base, head) = (ctx.base, ctx.head);
        // Two separators: no signature has them.
        let class_key = |key: &mut Vec<u64>, k: usize| {
            key.clear();
            key.extend([SEPARATOR, SEPARATOR, u64::from(first)]);
            if named {
                let them = ctx.common[k];
                key.push(u64::from(base.port_class[them.base]));
                key.push(u64::from(head.port_class[them.head]));
            }
        };
        let answer_for = |pass: &mut Self, k: usize| {
            let mut key = std::mem::take(&mut pass.key);
            class_key(&mut key, k);
            pass.key = key;
            pass.my_answers(k)
        };
        let unchanged = |a: &(SideAnswer, SideAnswer)| a.0.allowed == a.1.allowed;
        if !named {
            let fixed = answer_for(self, first as usize);
            if !unchanged(&self.answers[fixed]) {
                self.pairs_by_class(fixed, class, found);
            }
            // Else unchanged here; a change of the peer's own side is found by its own pass.
            return;
        }
        // This side answers the class's peers by their ports: counted by class of the other
        // end per way of having ports, as above (peer by peer, this was a fifth of the passes'
        // time).
        let mut by_ports: Map<(u32, u32), Vec<u32>> = Map::default();
        for k in class {
            let them = ctx.common[k as usize];
            by_ports
                .entry((base.port_class[them.base], head.port_class[them.head]))
                .or_default()
                .push(k);
        }
        let mut by_ports: Vec<((u32, u32), Vec<u32>)> = by_ports.into_iter().collect();
        by_ports.sort_unstable();
        for (_, peers) in by_ports {
            let answer = answer_for(self, peers[0] as usize);
            if !unchanged(&self.answers[answer]) {
                let peers = RoaringBitmap::from_sorted_iter(peers).expect("in class order");
                self.pairs_by_class(answer, &peers, found);
            }
        }
    }

    /// Counts the pair with peer `k`, this side answering with `answer` (which changed): what
    /// it does is worked out once per class of the other end's side.
    fn pair(&mut self, answer: usize, k: usize, found: &mut Found) {
        let at = self.combo_at(answer, k, found);
        self.count(&self.combo_list[at], k, found);
    }

    /// [`Pass::pair`] for each of `peers`, this side answering every one with `answer` (which
    /// changed). What a pair does depends only on the class of the other end's side, so the
    /// peers are tallied by it and each class's pairs counted at once, with its first peers as
    /// examples (the smallest pairs, as [`Group::example`] keeps): visiting each pair was most
    /// of the passes' time, with tens of thousands of peers per pass.
    fn pairs_by_class(&mut self, answer: usize, peers: &RoaringBitmap, found: &mut Found) {
        let ctx = self.ctx;
        if ctx.options.pairs {
            // Every pair is listed: one by one.
            for k in peers {
                self.pair(answer, k as usize, found);
            }
            return;
        }
        let classes = &ctx.classes[slot(self.other)];
        let keep = ctx.options.examples;
        // Reused from pass to pass on a thread (taken, so that no pass shares it).
        let mut tally = TALLY.take();
        if peers.len() * 2 > ctx.common.len() as u64 {
            // Most peers: tallied from the classes' sizes less the peers outside.
            for k in peers & &ctx.members[slot(self.other)].none {
                self.pair(answer, k as usize, found);
            }
            self.tally_outside(peers, &mut tally, keep);
        } else {
            self.tally_each(answer, peers, &mut tally, keep, found);
        }
        self.units(&mut tally, keep);
        // Per unit, what its pairs do when they also go to the peer's own group, one by one.
        let mut each_of: Vec<Option<usize>> = vec![None; tally.units.len()];
        for (u, unit) in tally.units.iter().enumerate() {
            let at = self.combo_at(answer, unit.first as usize, found);
            let Combo::Changed {
                opened,
                closed,
                group,
                other,
                ..
            } = &self.combo_list[at]
            else {
                continue;
            };
            if other.is_some() {
                each_of[u] = Some(at);
                continue;
            }
            found.opened += unit.peers * usize::from(*opened);
            found.closed += unit.peers * usize::from(*closed);
            found.groups[*group].pairs += unit.peers;
            let firsts = &tally.unit_firsts[u * keep..u * keep + keep.min(unit.peers)];
            for &k in firsts {
                let (s, t) = self.ends(k as usize);
                self.example(&self.combo_list[at], (s as u32, t as u32), found);
            }
        }
        // The classes of those units.
        let each: Vec<(u32, usize)> = (tally.entries.iter().zip(&tally.unit_of))
            .filter_map(|(t, &u)| Some((t.class, each_of[u as usize]?)))
            .collect();
        tally.entries.clear();
        tally.units.clear();
        let members = &ctx.members[slot(self.other)];
        let through_members: usize = each
            .iter()
            .map(|&(c, _)| members.of(c as usize).len())
            .sum();
        if through_members < peers.len() as usize {
            // Those classes' peers, rather than every peer asked for its class.
            for &(c, at) in &each {
                for &k in members.of(c as usize) {
                    if peers.contains(k) {
                        self.count(&self.combo_list[at], k as usize, found);
                    }
                }
            }
        } else if !each.is_empty() {
            let mut slot = std::mem::take(&mut tally.slot);
            slot.resize(members.of.count(), 0);
            for (e, &(c, _)) in each.iter().enumerate() {
                slot[c as usize] = e as u32 + 1;
            }
            for k in peers {
                let c = classes[k as usize];
                if let Some(&e) = slot.get(c as usize).filter(|&&e| e != 0) {
                    self.count(&self.combo_list[each[e as usize - 1].1], k as usize, found);
                }
            }
            for &(c, _) in &each {
                slot[c as usize] = 0;
            }
            tally.slot = slot;
        }
        TALLY.set(tally);
    }

    /// Tallies `peers` by class of their sides for the other direction (deciding those of none
    /// one by one, this side answering with `answer`), each class with its first peers.
    fn tally_each(
        &mut self,
        answer: usize,
        peers: &RoaringBitmap,
        tally: &mut Tally,
        keep: usize,
        found: &mut Found,
    ) {
        let classes = &self.ctx.classes[slot(self.other)];
        tally
            .slot
            .resize(self.ctx.class_policies[slot(self.other)].len(), 0);
        for k in peers {
            let c = classes[k as usize];
            if c == u32::MAX {
                // Several pod shapes: no class (not met here, such peers are decided exactly).
                self.pair(answer, k as usize, found);
                continue;
            }
            let e = match tally.slot[c as usize] {
                0 => {
                    tally.entries.push(Tallied {
                        class: c,
                        peers: 0,
                        first: k,
                    });
                    tally.firsts.resize(tally.entries.len() * keep, 0);
                    tally.slot[c as usize] = tally.entries.len() as u32;
                    tally.entries.len() - 1
                }
                s => s as usize - 1,
            };
            let n = tally.entries[e].peers as usize;
            if n < keep {
                tally.firsts[e * keep + n] = k;
            }
            tally.entries[e].peers += 1;
        }
        for t in &tally.entries {
            tally.slot[t.class as usize] = 0;
        }
    }

    /// [`Pass::tally_each`] for a set of most peers: the classes' sizes less the peers outside
    /// it, each class's first peers found by skipping those. Most changed sides that count by
    /// class meet every peer, or nearly; visiting each was most of the counting.
    fn tally_outside(&self, peers: &RoaringBitmap, tally: &mut Tally, keep: usize) {
        let ctx = self.ctx;
        let (classes, members) = (
            &ctx.classes[slot(self.other)],
            &ctx.members[slot(self.other)],
        );
        let all = ctx.common.len();
        let mut outside = RoaringBitmap::new();
        outside.insert_range(0..all as u32);
        outside -= peers;
        let count = members.of.count();
        tally.out.resize(count, 0);
        tally.outside.resize(all.div_ceil(64), 0);
        for k in &outside {
            set_bit(&mut tally.outside, k as usize);
            if let Some(c) = classes.get(k as usize).filter(|&&c| c != u32::MAX) {
                tally.out[*c as usize] += 1;
            }
        }
        for c in 0..count {
            let of = members.of(c);
            let n = of.len() - std::mem::take(&mut tally.out[c]) as usize;
            if n == 0 {
                continue;
            }
            let at = tally.entries.len();
            tally.firsts.resize((at + 1) * keep, 0);
            let mut firsts = (of.iter().copied())
                .filter(|&k| !has_bit(&tally.outside, k as usize))
                .take(keep.min(n));
            let first = firsts.next().expect("the class has peers inside");
            tally.firsts[at * keep] = first;
            for (j, k) in firsts.enumerate() {
                tally.firsts[at * keep + 1 + j] = k;
            }
            tally.entries.push(Tallied {
                class: c as u32,
                peers: n as u32,
                first,
            });
        }
        for k in &outside {
            tally.outside[k as usize / 64] = 0;
        }
    }

    /// Gathers the classes of `tally` into [`Tally::units`] by what their sides answer this
    /// workload: pairs whose other ends answer alike do alike, and so do those whose other
    /// ends' answers let the same through before and after, whatever rules let it (the rules
    /// only count when what gets through changed on that end too). Thousands of classes of a
    /// pass answer with a few such, and working out what each one's pairs did was most of the
    /// counting. Their [`Interned::unit`] tells. Each unit keeps its `keep` lowest peers.
    fn units(&mut self, tally: &mut Tally, keep: usize) {
        let (ctx, other, i) = (self.ctx, self.other, self.i);
        let named = (self.naming_me.clone()).expect("a pass counting by class knows what names");
        let mut key = std::mem::take(&mut self.their_key);
        let mut by_unit: Map<u32, u32> = Map::default();
        tally.unit_of.clear();
        tally.unit_firsts.clear();
        for (e, t) in tally.entries.iter().enumerate() {
            let firsts = &tally.firsts[e * keep..e * keep + keep.min(t.peers as usize)];
            let theirs =
                class_answers(ctx, &named, (i, t.first as usize, t.class, other), &mut key);
            let next = tally.units.len() as u32;
            let u = *by_unit.entry(theirs.unit).or_insert(next);
            tally.unit_of.push(u);
            if u == next {
                tally.units.push(Unit {
                    peers: 0,
                    first: t.first,
                });
                let filled = tally.unit_firsts.len();
                tally.unit_firsts.resize(filled + keep, u32::MAX);
            }
            let unit = &mut tally.units[u as usize];
            unit.peers += t.peers as usize;
            let lowest = &mut tally.unit_firsts[u as usize * keep..(u as usize + 1) * keep];
            for &k in firsts {
                // Kept ascending, unused slots (`u32::MAX`) last.
                let Some(last) = lowest.last_mut() else { break };
                if k >= *last {
                    break;
                }
                *last = k;
                lowest.sort_unstable();
            }
        }
        self.their_key = key;
    }

    /// Keeps the pair `(s, t)` of `combo` (changed) as an example of its group, if among the
    /// first.
    fn example(&self, combo: &Combo, (s, t): (u32, u32), found: &mut Found) {
        if let Combo::Changed {
            before,
            after,
            group,
            ..
        } = combo
        {
            found.groups[*group].example(self.ctx.options.examples, (s, t), || PairChange {
                source: s,
                destination: t,
                before: before.clone(),
                after: after.clone(),
            });
        }
    }

    /// The index in `combo_list` of what the pairs with peer `k` do, this side answering with
    /// `answer`: worked out once per class of the other end's side.
    fn combo_at(&mut self, answer: usize, k: usize, found: &mut Found) -> usize {
        let their_class = self.ctx.classes[slot(self.other)][k];
        // Their answers are kept by class (`Pass::their_class_answers`) and what a pass counts
        // by class comes once per class and answer: no map by class then.
        let by_class = self.naming_me.is_some() && their_class != u32::MAX;
        let known = match by_class {
            true => None,
            false => self.combos.get(&(answer, their_class)).copied(),
        };
        match known {
            Some(at) => at,
            None => {
                let theirs = self.their_answers(k);
                let by_answers = (answer, Arc::as_ptr(&theirs) as usize);
                let at = match self.combos_by_answers.get(&by_answers) {
                    Some(&at) => at,
                    None => {
                        let combo = self.combo(answer, &theirs, found);
                        self.combo_list.push(combo);
                        self.combos_by_answers
                            .insert(by_answers, self.combo_list.len() - 1);
                        self.combo_list.len() - 1
                    }
                };
                if !by_class {
                    self.combos.insert((answer, their_class), at);
                }
                at
            }
        }
    }

    /// The index in `answers` of `answers` taken from [`Ctx::mine`].
    fn shared_answer(&mut self, answers: &Answers) -> usize {
        let at = Arc::as_ptr(answers) as usize;
        if let Some(&i) = self.shared_mine.get(&at) {
            return i;
        }
        self.answers.push(answers.clone());
        self.shared_mine.insert(at, self.answers.len() - 1);
        self.answers.len() - 1
    }

    /// A peer some rule of this side may match or not, decided on its own.
    fn one_by_one(&mut self, k: usize, found: &mut Found) {
        let (ctx, d) = (self.ctx, self.d);
        if ctx.multi.contains(k as u32) {
            self.exact(k, found);
            return;
        }
        let class = ctx.classes[slot(d)][self.i];
        let shared = (class != u32::MAX).then(|| {
            let known = ctx.mine[slot(d)].lock().expect("no pass panics");
            known.get(&(class, k as u32)).cloned()
        });
        let answer = match shared.flatten() {
            Some(answers) => self.shared_answer(&answers),
            None => {
                let mut key = std::mem::take(&mut self.key);
                key.clear();
                signature_towards(ctx, (self.i, d), k, &mut key);
                self.key = key;
                let answer = self.my_answers(k);
                if class != u32::MAX {
                    let answers = self.answers[answer].clone();
                    self.shared_mine
                        .insert(Arc::as_ptr(&answers) as usize, answer);
                    let mut known = ctx.mine[slot(d)].lock().expect("no pass panics");
                    known.insert((class, k as u32), answers);
                }
                answer
            }
        };
        if self.answers[answer].0.allowed != self.answers[answer].1.allowed {
            self.pair(answer, k, found);
        }
    }
}

/// The answers (before, after) of the other ends' sides of `class` for `other` towards
/// workload `i` (peer `k` being one of them), `named` saying what names `i`. `key` is room for
/// [`their_key`].
fn class_answers<'n>(
    ctx: &'n Ctx<'n>,
    named: &'n NamedMe,
    (i, k, class, other): (usize, usize, u32, Direction),
    key: &mut Vec<u64>,
) -> &'n Interned {
    if !named.names_class(class) {
        // No policy of such a side names this workload: it answers as it answers any peer its
        // rules do not name, on the node's network or not like it (a rule that matches no peer
        // allows nothing, so the ports its named ports would resolve on do not count; nor do
        // they for one that matches every pod, see `naming::baseline`).
        return ctx.unnamed_answers(other, class, named.node_network, i, k);
    }
    named.theirs[class as usize].get_or_init(|| {
        their_key(ctx, (i, class, other), named, key);
        shared_or_make(&ctx.theirs[slot(other)], key, || {
            ctx.intern(their_side_answers(ctx, i, k, other))
        })
    })
}

/// What the answers of the other ends' sides of `class` for `other` towards workload `i`
/// depend on: the class, and how the rules of its policies that name `i` match it.
fn their_key(
    ctx: &Ctx<'_>,
    (i, class, other): (usize, u32, Direction),
    named: &NamedMe,
    key: &mut Vec<u64>,
) {
    key.clear();
    key.push(u64::from(class) << 2 | named.node_network as u64);
    let policies = &ctx.class_policies[slot(other)][class as usize];
    push_naming(key, policies, |p| named.naming(p));
    if other == Direction::Egress {
        // Named ports of their egress rules resolve on this workload.
        let me = ctx.common[i];
        key.push(u64::from(ctx.base.port_class[me.base]));
        key.push(u64::from(ctx.head.port_class[me.head]));
    }
}

/// A pass's peers by class of the other ends' sides ([`Pass::pairs_by_class`]).
#[derive(Default)]
struct Tally {
    /// Per class, its entry in `entries` plus one (0: not met yet).
    slot: Vec<u32>,
    entries: Vec<Tallied>,
    /// The first peers of each entry, `Options::examples` per entry.
    firsts: Vec<u32>,
    /// The entries gathered by [`Pass::units`]; per entry, its unit; per unit, its lowest
    /// peers, `Options::examples` per unit (`u32::MAX` for none).
    units: Vec<Unit>,
    unit_of: Vec<u32>,
    unit_firsts: Vec<u32>,
    /// For [`Pass::tally_outside`]: per class, its peers outside the set; a bit per peer
    /// outside it. Both cleared after use.
    out: Vec<u32>,
    outside: Vec<u64>,
}

struct Tallied {
    class: u32,
    peers: u32,
    first: u32,
}

/// Peers of a pass whose pairs do the same ([`Pass::units`]).
struct Unit {
    peers: usize,
    first: u32,
}

thread_local! {
    static TALLY: std::cell::Cell<Tally> = std::cell::Cell::new(Tally::default());
}

/// The answers (before, after) of peer `k`'s side for `other` towards workload `i`.
fn their_side_answers(
    ctx: &Ctx<'_>,
    i: usize,
    k: usize,
    other: Direction,
) -> (SideAnswer, SideAnswer) {
    let [me_b, me_h, them_b, them_h] = pods(ctx, i, k);
    let (base, head) = (ctx.base, ctx.head);
    let them = ctx.common[k];
    let (ob, oh) = (
        &base.side(them.base, other)[0],
        &head.side(them.head, other)[0],
    );
    match other {
        // The peer's ingress from this workload.
        Direction::Ingress => (
            decide(base, ob, other, &me_b, &them_b),
            decide(head, oh, other, &me_h, &them_h),
        ),
        // The peer's egress towards this workload.
        Direction::Egress => (
            decide(base, ob, other, &me_b, &me_b),
            decide(head, oh, other, &me_h, &me_h),
        ),
    }
}

/// The first pods of workload `i` and peer `k`: base and head of `i`, then of `k`.
fn pods<'c>(ctx: &Ctx<'c>, i: usize, k: usize) -> [Endpoint<'c>; 4] {
    let (base, head) = (ctx.base, ctx.head);
    let (me, them) = (ctx.common[i], ctx.common[k]);
    let m = |workload| Member {
        workload,
        labels: 0,
    };
    [
        base.pod(m(me.base)),
        head.pod(m(me.head)),
        base.pod(m(them.base)),
        head.pod(m(them.head)),
    ]
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
    for (m, side) in view.members(w).zip(view.side(w, d)) {
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
    // Where this side's rules cut the address space, when they say: between two such edges
    // the answers cannot change, whatever other policies cut there.
    let edges = side_edges(base, c.base, d)
        .zip(side_edges(head, c.head, d))
        .map(|(mut b, h)| {
            b.extend(h);
            b.sort_unstable();
            b.dedup();
            b
        });
    let mut last_changed = false;
    // One pod shape each: the answers depend on how the side's rules match the address only.
    let single_shapes = single(base, c.base) && single(head, c.head);
    let mut cache: Map<Vec<u64>, (SideAnswer, SideAnswer)> = Map::default();
    let mut key = Vec::new();
    for (n, &segment) in segments.iter().enumerate() {
        let family_starts = n == 0 || segments[n - 1].start.is_ipv4() != segment.start.is_ipv4();
        if !family_starts
            && edges
                .as_ref()
                .is_some_and(|e| e.binary_search(&segment.start).is_err())
        {
            // Answered as the range before, which ends where this one starts.
            if last_changed {
                out.last_mut().expect("recorded").range.end = segment.end;
            }
            continue;
        }
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
        last_changed = b.allowed != h.allowed;
        if !last_changed {
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

/// Where the rules of workload `w`'s side for `d` cut the address space ([`externals::edges`]),
/// unsorted; `None` when some policy of another kind than NetworkPolicy has a rule that tells
/// addresses apart.
fn side_edges(view: &View<'_>, w: usize, d: Direction) -> Option<Vec<std::net::IpAddr>> {
    let mut out = Vec::new();
    for side in view.side(w, d) {
        for id in policy_ids(view.engine, side) {
            match id {
                PolicyId::Network(p) => out.extend(externals::edges(view.engine, d, p)),
                _ if view
                    .engine
                    .rules(id, d)
                    .iter()
                    .all(|r| r.matches_addresses_alike()) => {}
                _ => return None,
            }
        }
    }
    Some(out)
}

fn next_after(ip: std::net::IpAddr) -> Option<std::net::IpAddr> {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v) => u32::from(v).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(v) => u128::from(v).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A pair that opened everything, for tests of what keeps pairs.
    pub(in crate::diff) fn pair(source: u32, destination: u32) -> PairChange {
        PairChange {
            source,
            destination,
            before: Arc::new(ConnSet::none()),
            after: Arc::new(ConnSet::all()),
        }
    }

    #[test]
    fn a_group_keeps_the_lowest_pairs_whatever_order_they_come_in() {
        let mut group = Group {
            workload: 0,
            direction: Direction::Ingress,
            rules: SideRules::default(),
            opened: ConnSet::none(),
            closed: ConnSet::none(),
            pairs: 0,
            examples: Vec::new(),
        };
        for (s, t) in [(9, 0), (7, 0), (8, 1), (1, 5), (8, 0), (1, 2), (30, 0)] {
            group.example(3, (s, t), || pair(s, t));
        }
        let kept: Vec<(u32, u32)> = group
            .examples
            .iter()
            .map(|p| (p.source, p.destination))
            .collect();
        assert_eq!(kept, [(1, 2), (1, 5), (7, 0)]);
    }
}
