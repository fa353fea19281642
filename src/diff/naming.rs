//! Which policies' rules may name a given peer, and how. A side answers a peer as its rules
//! match it (and, for named ports, as the destination's ports resolve them): a side none of
//! whose rules names the peer answers it as any other peer it does not name, a rule that
//! matches every pod (on the node's network or not, like the peer) naming none. A changed
//! side's pass therefore finds the other ends' answers towards it by class of their side and
//! the matches of the few policies that name it, shared by every pass.

use std::borrow::Cow;
use std::sync::Arc;

use foldhash::HashMap;

use crate::connectivity::Member;
use crate::model::{Direction, Labels};
use crate::semantics::selector::Anchor;
use crate::semantics::traffic::{CompiledRule, Endpoint, Match};
use crate::semantics::PolicyId;

use super::connections::View;

/// One revision's policies that apply to some workload, per direction, by the namespaces where
/// their rules may find pods (found through the namespaces' label index, not by asking every
/// policy for every workload).
pub struct Naming<'a> {
    /// Per direction, the policies by number.
    ids: [Vec<PolicyId>; 2],
    /// Per direction, each policy's number.
    numbers: [HashMap<PolicyId, u32>; 2],
    /// Per direction and policy number, the labels a pod must carry for the policy to name it
    /// ([`anchors`]): most policies found by namespace name their peers by a label few pods
    /// carry, and working out each of their rules' matches was most of a lookup.
    anchors: [Vec<Option<Vec<Anchor<'a>>>>; 2],
    /// The same for a pod not on its node's network, leaving out the rules that match every
    /// such pod and so name none ([`baseline`]): a policy allowing every pod on some ports
    /// otherwise named them all.
    anchors_off_node: [Vec<Option<Vec<Anchor<'a>>>>; 2],
    /// Per direction and namespace position of [`View::namespaces`], the policies whose rules
    /// find the namespace by its labels: one list for all the namespaces the same policies
    /// find (a team's), as such lists are long and alike.
    by_labels: [Vec<Arc<[u32]>>; 2],
    /// The same, for the policies whose rules name the namespace (their own) and do not find
    /// it by labels.
    by_name: [Vec<Vec<u32>>; 2],
    /// Per direction, the policies whose rules do not say where their pods are, by the labels
    /// a pod must carry to be named by them: on its node's network (`anchors`), then off it
    /// (`anchors_off_node`). A lookup met some 1,400 of them at full size, of which about 200
    /// may name the pod, and asking each was about a third of its time.
    anywhere: [[AnchorIndex<'a>; 2]; 2],
    /// Per direction, for each distinct list of `by_labels`, its policies by the labels a pod
    /// off its node's network must carry to be named by them (`anchors_off_node`): a list
    /// holds thousands of policies (those finding a team's namespaces), of which a pod's
    /// labels let a few hundred name it, and asking each was most of a lookup.
    listed_by_anchor: [Vec<AnchorIndex<'a>>; 2],
    /// Per direction and namespace position, its list's index in `listed_by_anchor`.
    listed_at: [Vec<u32>; 2],
}

/// Policy numbers by the labels a pod must carry for them to name it.
#[derive(Default)]
pub(super) struct AnchorIndex<'a> {
    /// Those that may name any pod.
    always: Vec<u32>,
    by_pair: HashMap<(&'a str, &'a str), Vec<u32>>,
    by_key: HashMap<&'a str, Vec<u32>>,
}

impl<'a> AnchorIndex<'a> {
    fn new(numbers: &[u32], anchors: &[Option<Vec<Anchor<'a>>>]) -> Self {
        let mut out = AnchorIndex::default();
        for &n in numbers {
            out.add(n, &anchors[n as usize]);
        }
        out
    }

    /// The index of a list of [`anchors`], numbered by their position in it.
    pub(super) fn of_list<'l>(anchors: impl Iterator<Item = &'l Option<Vec<Anchor<'a>>>>) -> Self
    where
        'a: 'l,
    {
        let mut out = AnchorIndex::default();
        for (n, anchors) in anchors.enumerate() {
            out.add(n as u32, anchors);
        }
        out
    }

    fn add(&mut self, n: u32, anchors: &Option<Vec<Anchor<'a>>>) {
        let Some(anchors) = anchors else {
            self.always.push(n);
            return;
        };
        for a in anchors {
            match *a {
                Anchor::Pair(k, v) => self.by_pair.entry((k, v)).or_default().push(n),
                Anchor::AnyOf(k, values) => {
                    for v in values {
                        self.by_pair.entry((k, v)).or_default().push(n);
                    }
                }
                Anchor::Key(k) => self.by_key.entry(k).or_default().push(n),
                Anchor::Nothing => {}
            }
        }
    }

    /// The policies that may name a pod labelled `labels`, each once, ascending.
    fn naming(&self, labels: &Labels) -> Vec<u32> {
        let mut out = Vec::new();
        self.push_naming(labels, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Appends to `out` the policies that may name a pod labelled `labels`, some maybe more
    /// than once, in no order.
    pub(super) fn push_naming(&self, labels: &Labels, out: &mut Vec<u32>) {
        out.extend_from_slice(&self.always);
        for (k, v) in labels.iter() {
            if let Some(found) = self.by_pair.get(&(k.as_str(), v.as_str())) {
                out.extend(found);
            }
            if let Some(found) = self.by_key.get(k.as_str()) {
                out.extend(found);
            }
        }
    }
}

impl<'a> Naming<'a> {
    pub fn new(view: &View<'a>) -> Self {
        let engine = view.engine;
        let count = view.namespaces().len();
        let mut out = Naming {
            ids: Default::default(),
            numbers: Default::default(),
            anchors: Default::default(),
            anchors_off_node: Default::default(),
            by_labels: Default::default(),
            by_name: [vec![Vec::new(); count], vec![Vec::new(); count]],
            anywhere: Default::default(),
            listed_by_anchor: Default::default(),
            listed_at: Default::default(),
        };
        let mut applied: Vec<(PolicyId, usize)> = view.applied().collect();
        applied.sort_unstable();
        let mut by_labels: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); count], vec![Vec::new(); count]];
        let mut found_anywhere: [Vec<u32>; 2] = Default::default();
        let (mut labels, mut names) = (Vec::new(), Vec::new());
        for (id, d) in applied {
            let direction = [Direction::Ingress, Direction::Egress][d];
            let rules = engine.rules(id, direction);
            let ns = engine.policy_namespace(id);
            let n = out.ids[d].len() as u32;
            out.ids[d].push(id);
            out.numbers[d].insert(id, n);
            out.anchors[d].push(anchors(rules));
            out.anchors_off_node[d].push(anchors_off_node(rules, direction));
            labels.clear();
            names.clear();
            let mut anywhere = false;
            for r in rules {
                match view.rule_scopes(r, ns) {
                    Some((l, named)) => {
                        labels.extend(l);
                        names.extend(named);
                    }
                    None => anywhere = true,
                }
            }
            if anywhere {
                found_anywhere[d].push(n);
                continue;
            }
            labels.sort_unstable();
            labels.dedup();
            for &p in &labels {
                by_labels[d][p].push(n);
            }
            names.sort_unstable();
            names.dedup();
            for &p in &names {
                if labels.binary_search(&p).is_err() {
                    out.by_name[d][p].push(n);
                }
            }
        }
        for (d, numbers) in found_anywhere.iter().enumerate() {
            out.anywhere[d] = [
                AnchorIndex::new(numbers, &out.anchors[d]),
                AnchorIndex::new(numbers, &out.anchors_off_node[d]),
            ];
        }
        for (d, lists) in by_labels.into_iter().enumerate() {
            let mut shared: HashMap<Vec<u32>, (Arc<[u32]>, u32)> = HashMap::default();
            let mut indexes = Vec::new();
            let (lists, at): (Vec<Arc<[u32]>>, Vec<u32>) = lists
                .into_iter()
                .map(|l| {
                    let (list, at) = shared.entry(l).or_insert_with_key(|l| {
                        indexes.push(AnchorIndex::new(l, &out.anchors_off_node[d]));
                        (l.as_slice().into(), indexes.len() as u32 - 1)
                    });
                    (list.clone(), *at)
                })
                .unzip();
            out.by_labels[d] = lists;
            out.listed_at[d] = at;
            out.listed_by_anchor[d] = indexes;
        }
        out
    }

    /// The number of policy `id` among those applying for `d`: `None` for one applying to no
    /// workload, which [`Naming::naming`] never returns.
    pub fn number(&self, id: PolicyId, d: Direction) -> Option<u32> {
        self.numbers[usize::from(d == Direction::Egress)]
            .get(&id)
            .copied()
    }

    /// Policy number `n`'s [`anchors`] for `d` (on its node's network) or [`anchors_off_node`].
    pub fn anchors(&self, n: u32, d: Direction, on_node: bool) -> &Option<Vec<Anchor<'a>>> {
        let slot = usize::from(d == Direction::Egress);
        match on_node {
            true => &self.anchors[slot][n as usize],
            false => &self.anchors_off_node[slot][n as usize],
        }
    }

    /// How many policies apply for `d`: numbers are below it.
    pub fn count(&self, d: Direction) -> usize {
        self.ids[usize::from(d == Direction::Egress)].len()
    }

    /// The policies of `view` (this revision's) with a rule for `d` that may match member `m`
    /// (certainly or not) otherwise than every pod of its kind ([`baseline`]), with how each
    /// of their rules matches it ([`match_code`]).
    pub fn naming(&self, view: &View<'_>, m: Member, d: Direction) -> HashMap<PolicyId, Vec<u64>> {
        let engine = view.engine;
        let slot = usize::from(d == Direction::Egress);
        let namespace = &engine.inventory.workloads[m.workload].namespace;
        let labels = view.namespace_labels_of(m.workload);
        let pod = engine.pod_in(m, labels);
        let at = view.namespace_position(m.workload);
        // A policy listed for the namespace has a rule that may match pods there: the lists
        // hold what `may_match_pods_in` keeps, found through the namespaces' label index.
        let by_labels = &self.by_labels[slot][at];
        let by_labels: Cow<'_, [u32]> = match pod.node_network {
            true => Cow::Borrowed(by_labels),
            false => Cow::Owned(
                self.listed_by_anchor[slot][self.listed_at[slot][at] as usize].naming(pod.labels),
            ),
        };
        let listed = (by_labels.iter())
            .chain(&self.by_name[slot][at])
            .map(|&n| (n, true));
        let anywhere = self.anywhere[slot][usize::from(!pod.node_network)].naming(pod.labels);
        let numbers = listed.chain(anywhere.iter().map(|&n| (n, false)));
        let mut out = HashMap::default();
        for (n, listed) in numbers {
            let anchors = match pod.node_network {
                true => &self.anchors[slot][n as usize],
                false => &self.anchors_off_node[slot][n as usize],
            };
            if !may_name(anchors, pod.labels) {
                continue;
            }
            let id = self.ids[slot][n as usize];
            let ns = engine.policy_namespace(id);
            let rules = engine.rules(id, d);
            if !listed
                && !rules
                    .iter()
                    .any(|r| r.may_match_pods_in(ns, namespace, labels))
            {
                continue;
            }
            let codes: Vec<u64> = rules
                .iter()
                .map(|r| match_code(r.peer_match(ns, &Endpoint::Pod(pod))))
                .collect();
            let as_every_pod = rules
                .iter()
                .zip(&codes)
                .all(|(r, &c)| c == baseline(r, d, pod.node_network));
            if !as_every_pod {
                out.insert(id, codes);
            }
        }
        out
    }
}

/// The labels one of which a pod must carry for some rule of `rules` to match it as a peer
/// ([`CompiledRule::pod_anchors`]), or `None` when some rule may match a pod whatever its
/// labels.
pub fn anchors(rules: &[CompiledRule]) -> Option<Vec<Anchor<'_>>> {
    anchors_of(rules.iter())
}

fn anchors_of<'r>(rules: impl Iterator<Item = &'r CompiledRule>) -> Option<Vec<Anchor<'r>>> {
    let mut out = Vec::new();
    for r in rules {
        out.extend(r.pod_anchors()?);
    }
    Some(out)
}

/// [`anchors`] for a pod not on its node's network, of the rules (for `d`) that may match such
/// a pod otherwise than every one ([`baseline`]).
pub fn anchors_off_node(rules: &[CompiledRule], d: Direction) -> Option<Vec<Anchor<'_>>> {
    let naming = rules.iter().filter(|r| baseline(r, d, false) == NO);
    anchors_of(naming)
}

/// Whether rules of `anchors` ([`anchors`]) may match a pod carrying `labels`.
pub fn may_name(anchors: &Option<Vec<Anchor<'_>>>, labels: &Labels) -> bool {
    anchors
        .as_ref()
        .is_none_or(|a| a.iter().any(|a| a.carried_by(labels)))
}

/// How rule `r` (for `d`) matches a pod it does not tell apart from the others ([`match_code`]):
/// yes when it matches every pod (of the node's network or not, as `node_network` says), else
/// no. A policy whose rules all match a pod so does not name it: every pod of the kind is
/// answered alike by it. Not so an egress rule with named ports that matches every pod: they
/// resolve on the destination, which its answer then depends on.
pub fn baseline(r: &CompiledRule, d: Direction, node_network: bool) -> u64 {
    let resolves_on_peer = d == Direction::Egress && r.has_named_port();
    match r.matches_every_pod(node_network) && !resolves_on_peer {
        true => YES,
        false => NO,
    }
}

/// A rule's match on a peer as a number: what an answer depends on.
pub fn match_code(m: Match) -> u64 {
    match m {
        Match::Yes => YES,
        Match::No => NO,
        // The reason tells unknowns apart: a static string's address.
        Match::Unknown(why) => (why.as_ptr() as u64) << 2 | 2,
        Match::UnknownUnless(why) => (why.as_ptr() as u64) << 2 | 3,
    }
}

const YES: u64 = 0;
const NO: u64 = 1;
