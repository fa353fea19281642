//! The workloads each rule of a policy matches as its peer, as sets over the workloads both
//! sides have: a changed side's peers then fall into a few classes (the peers every rule of it
//! matches alike), and each class is decided once instead of each peer.

use std::sync::Arc;

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::connectivity::Member;
use crate::model::{Direction, Labels};
use crate::semantics::traffic::{Endpoint, Match, NamespaceMatch};
use crate::semantics::{LabelIndex, PolicyId, Selector};

use super::connections::View;

/// One rule's peers, as common workload indexes.
#[derive(Debug, Default)]
pub struct RulePeers {
    /// The peers some pod shape of which the rule may match (certainly or not): those whose
    /// answer a change of the rule may change.
    pub hit: RoaringBitmap,
    /// The peers with one pod shape that the rule certainly matches.
    pub yes: RoaringBitmap,
    /// The peers with one pod shape whose match is unknown: its reason shows in the answer, so
    /// they are decided one by one.
    pub unsure: RoaringBitmap,
}

/// The pod shapes of a view's workloads, indexed by their labels: most rules name their peers
/// by a label few pods carry, and matching every pod of the namespaces a rule looks in was
/// most of the time spent finding rules' peers.
pub struct PodIndex<'a> {
    members: Vec<Member>,
    index: LabelIndex<'a>,
    /// Per workload, where its label sets start in `label_set`, which numbers alike the sets
    /// that are alike: a rule's selectors say the same of pods labelled alike, and a large
    /// cluster has hundreds of label sets for a hundred thousand pods (matching each pod was
    /// most of the time left finding rules' peers).
    first: Vec<u32>,
    label_set: Vec<u32>,
    label_sets: usize,
    /// Per namespace position, the common workloads of one pod shape off their node's
    /// network: a rule that says the same of every pod of a namespace (most rules that find
    /// peers by namespace alone) says it of all of them at once. Matching each was most of
    /// the time spent finding such rules' peers.
    plain: Vec<RoaringBitmap>,
    /// The other workloads of each namespace.
    odd: Vec<Vec<usize>>,
}

impl<'a> PodIndex<'a> {
    /// `common_of` maps the view's workload indexes to common ones (`u32::MAX`: only this
    /// revision has it).
    pub fn new(view: &View<'a>, common_of: &[u32]) -> Self {
        let engine = view.engine;
        let members: Vec<Member> = (0..engine.inventory.workloads.len())
            .flat_map(|w| view.members(w))
            .collect();
        let labels_of = |m: Member| {
            engine
                .pod_in(m, view.namespace_labels_of(m.workload))
                .labels
        };
        // Every label set of each workload, not only the shapes the view tells apart: a
        // member's `labels` counts them all.
        let mut first = Vec::with_capacity(engine.inventory.workloads.len());
        let mut label_set = Vec::new();
        let mut sets: HashMap<&Labels, u32> = HashMap::default();
        for w in 0..engine.inventory.workloads.len() {
            first.push(label_set.len() as u32);
            for m in engine.members_of(w) {
                let next = sets.len() as u32;
                label_set.push(*sets.entry(labels_of(m)).or_insert(next));
            }
        }
        let label_sets = sets.len();
        let labels: Vec<&Labels> = members.iter().map(|&m| labels_of(m)).collect();
        let index = LabelIndex::new(labels);
        let (plain, odd) = view
            .namespaces()
            .iter()
            .map(|(_, workloads)| {
                let (plain, odd): (Vec<usize>, Vec<usize>) =
                    workloads.iter().partition(|&&w| plain(view, w));
                let mut plain: Vec<u32> = (plain.into_iter())
                    .map(|w| common_of[w])
                    .filter(|&k| k != u32::MAX)
                    .collect();
                plain.sort_unstable();
                let plain = RoaringBitmap::from_sorted_iter(plain).expect("sorted");
                (plain, odd)
            })
            .unzip();
        PodIndex {
            members,
            index,
            first,
            label_set,
            label_sets,
            plain,
            odd,
        }
    }
}

/// Whether workload `w` of `view` has one pod shape, off its node's network.
fn plain(view: &View<'_>, w: usize) -> bool {
    view.shape_count(w) == 1
        && !(view.engine)
            .pod_in(view.member(w, 0), view.namespace_labels_of(w))
            .node_network
}

/// A policy's rules for a direction in a revision (base `false`, head `true`).
pub type RulesKey = (bool, PolicyId, Direction);

/// The peers of the rules of `keys` (revision: base `false`, head `true`; policy; direction),
/// per key in rule order. Rules whose peers are written alike (in any policy, either
/// direction) match the same workloads and share one set, worked out once; `memo` keeps them
/// from one call to the next. `common_of` maps each revision's workload indexes to common
/// ones (`u32::MAX`: only that revision has it).
pub fn rule_peers(
    views: [&View<'_>; 2],
    pods: [&PodIndex<'_>; 2],
    common_of: [&[u32]; 2],
    keys: Vec<RulesKey>,
    memo: &mut HashMap<(bool, String), Arc<RulePeers>>,
) -> Vec<(RulesKey, Vec<Arc<RulePeers>>)> {
    let identities: Vec<Vec<(bool, String)>> = keys
        .par_iter()
        .map(|&(is_head, id, d)| {
            let engine = views[usize::from(is_head)].engine;
            let ns = engine.policy_namespace(id);
            engine
                .rules(id, d)
                .iter()
                .map(|r| (is_head, r.peers_key(ns)))
                .collect()
        })
        .collect();
    let mut todo: Vec<(&(bool, String), PolicyId, Direction, usize)> = Vec::new();
    let mut seen: HashSet<&(bool, String)> = HashSet::default();
    for (&(_, id, d), rules) in keys.iter().zip(&identities) {
        for (r, identity) in rules.iter().enumerate() {
            if !memo.contains_key(identity) && seen.insert(identity) {
                todo.push((identity, id, d, r));
            }
        }
    }
    let done: Vec<((bool, String), Arc<RulePeers>)> = todo
        .into_par_iter()
        .map(|(identity, id, d, r)| {
            let is_head = identity.0;
            let view = views[usize::from(is_head)];
            let at = usize::from(is_head);
            let peers = one_rule(view, pods[at], id, d, r, common_of[at]);
            (identity.clone(), Arc::new(peers))
        })
        .collect();
    memo.extend(done);
    keys.into_iter()
        .zip(identities)
        .map(|(key, rules)| (key, rules.iter().map(|i| memo[i].clone()).collect()))
        .collect()
}

/// The peers of rule `r` of `id` for `d` in one revision.
fn one_rule(
    view: &View<'_>,
    pods: &PodIndex<'_>,
    id: PolicyId,
    d: Direction,
    r: usize,
    common_of: &[u32],
) -> RulePeers {
    let engine = view.engine;
    let rule = &engine.rules(id, d)[r];
    let policy_ns = engine.policy_namespace(id);
    let (mut hit, mut yes, mut unsure) = (Vec::new(), Vec::new(), Vec::new());
    let (mut all_yes, mut all_unsure) = (RoaringBitmap::new(), RoaringBitmap::new());
    let namespaces = view.namespaces();
    let positions: Vec<usize> = match view.rule_namespaces(rule, policy_ns) {
        Some(p) => p,
        None => (0..namespaces.len())
            .filter(|&p| {
                let (ns, workloads) = &namespaces[p];
                let labels = view.namespace_labels_of(workloads[0]);
                rule.may_match_pods_in(policy_ns, ns, labels)
            })
            .collect(),
    };
    // `known`: the rule's match on the pods of the member's namespace not on their node's
    // network, when their labels are all it depends on (`CompiledRule::namespace_match`); with
    // what its selectors said of each label set so far (0: not asked, 1: one matches, 2: none).
    let mut decide = |m: Member, known: Option<(&NamespaceMatch<'_>, Option<&mut [u8]>)>| {
        let k = common_of[m.workload];
        if k == u32::MAX {
            return;
        }
        let labels = view.namespace_labels_of(m.workload);
        let pod = engine.pod_in(m, labels);
        let answer = match known {
            Some((known, said)) if !pod.node_network => known.given(|selectors| {
                let any = || selectors.iter().any(|s| s.matches(pod.labels));
                let Some(said) = said else { return any() };
                let set = pods.label_set[pods.first[m.workload] as usize + m.labels] as usize;
                if said[set] == 0 {
                    said[set] = if any() { 1 } else { 2 };
                }
                said[set] == 1
            }),
            _ => rule.peer_match(policy_ns, &Endpoint::Pod(pod)),
        };
        if view.shape_count(m.workload) > 1 {
            // Several shapes: a hit when any of them may match.
            if answer != Match::No {
                hit.push(k);
            }
            return;
        }
        match answer {
            Match::No => {}
            Match::Yes => {
                hit.push(k);
                yes.push(k);
            }
            Match::Unknown(_) | Match::UnknownUnless(_) => {
                hit.push(k);
                unsure.push(k);
            }
        }
    };
    let mut said = Said {
        lists: Vec::new(),
        sets: pods.label_sets,
    };
    let scanned: usize = positions.iter().map(|&p| namespaces[p].1.len()).sum();
    // Only the pods carrying a label the rule's peers require can match them: looked up in the
    // index when they are fewer than the pods of the namespaces the rule looks in.
    let carrying = rule.pod_anchors().and_then(|anchors| {
        let lists: Vec<&[u32]> = anchors
            .iter()
            .flat_map(|&a| pods.index.anchor_lists(a))
            .collect();
        (lists.iter().map(|l| l.len()).sum::<usize>() < scanned).then_some((pods, lists))
    });
    match carrying {
        Some((pods, lists)) => {
            let mut inside = vec![false; namespaces.len()];
            for &p in &positions {
                inside[p] = true;
            }
            let mut entries: Vec<u32> = lists
                .into_iter()
                .flatten()
                .copied()
                .filter(|&e| inside[view.namespace_position(pods.members[e as usize].workload)])
                .collect();
            // Peers of several kinds may require labels a pod carries together.
            entries.sort_unstable();
            entries.dedup();
            // Per namespace met, what the rule says of its pods, as below.
            let mut known_in: HashMap<usize, (Option<NamespaceMatch<'_>>, Option<usize>)> =
                HashMap::default();
            for e in entries {
                let m = pods.members[e as usize];
                let p = view.namespace_position(m.workload);
                let (known, at) = known_in.entry(p).or_insert_with(|| {
                    let (ns, workloads) = &namespaces[p];
                    let labels = view.namespace_labels_of(workloads[0]);
                    let known = rule.namespace_match(policy_ns, ns, labels);
                    let at = said.at(known.as_ref());
                    (known, at)
                });
                decide(m, known.as_ref().map(|k| (k, said.of(*at))));
            }
        }
        None => {
            for p in positions {
                let (ns, workloads) = &namespaces[p];
                let labels = view.namespace_labels_of(workloads[0]);
                let known = rule.namespace_match(policy_ns, ns, labels);
                // The same of every plain workload: all at once, the others one by one.
                let each: &[usize] = match known {
                    Some(NamespaceMatch::All(answer)) => {
                        let plain = &pods.plain[p];
                        match answer {
                            Match::No => {}
                            Match::Yes => all_yes |= plain,
                            Match::Unknown(_) | Match::UnknownUnless(_) => all_unsure |= plain,
                        }
                        &pods.odd[p]
                    }
                    _ => workloads,
                };
                let at = said.at(known.as_ref());
                for &w in each {
                    for m in view.members(w) {
                        decide(m, known.as_ref().map(|k| (k, said.of(at))));
                    }
                }
            }
        }
    }
    let (mut yes, mut unsure) = (bitmap(yes), bitmap(unsure));
    let mut hit = bitmap(hit);
    hit |= &all_yes;
    hit |= &all_unsure;
    yes |= all_yes;
    unsure |= all_unsure;
    RulePeers { hit, yes, unsure }
}

/// What the pods' selectors a rule asks in the namespaces it looks in (the same few lists, its
/// peers' selectors that look there) said of each label set so far: 0 not asked, 1 one
/// matches, 2 none.
struct Said {
    lists: Vec<(Vec<*const Selector>, Vec<u8>)>,
    sets: usize,
}

impl Said {
    /// Where the answers of `known`'s selectors are kept, when its pods' labels decide.
    fn at(&mut self, known: Option<&NamespaceMatch<'_>>) -> Option<usize> {
        let Some(NamespaceMatch::ByLabels { selectors, .. }) = known else {
            return None;
        };
        let asked: Vec<*const Selector> = selectors.iter().map(|&s| s as *const _).collect();
        Some(match self.lists.iter().position(|(a, _)| *a == asked) {
            Some(at) => at,
            None => {
                self.lists.push((asked, vec![0; self.sets]));
                self.lists.len() - 1
            }
        })
    }

    fn of(&mut self, at: Option<usize>) -> Option<&mut [u8]> {
        at.map(|at| &mut self.lists[at].1[..])
    }
}

fn bitmap(mut v: Vec<u32>) -> RoaringBitmap {
    v.sort_unstable();
    // A workload of several pod shapes is a hit once per shape that may match.
    v.dedup();
    RoaringBitmap::from_sorted_iter(v).expect("sorted")
}

/// Splits `set` into the classes of its members that every one of `sets` holds alike (each
/// class a subset of or disjoint from each set), without empty classes.
pub fn refine<'s>(
    set: RoaringBitmap,
    sets: impl IntoIterator<Item = &'s RoaringBitmap>,
) -> Vec<RoaringBitmap> {
    let mut classes = if set.is_empty() {
        Vec::new()
    } else {
        vec![set]
    };
    // A side's rules are its base's then its head's, mostly the same rules, whose peers are
    // worked out once ([`rule_peers`]): each set once.
    let mut seen: Vec<*const RoaringBitmap> = Vec::new();
    for s in sets {
        if s.is_empty() || seen.contains(&std::ptr::from_ref(s)) {
            continue;
        }
        seen.push(s);
        let mut next = Vec::with_capacity(classes.len() + 1);
        for c in classes {
            if c.is_disjoint(s) || c.is_subset(s) {
                next.push(c);
            } else {
                let inside = &c & s;
                next.push(c - &inside);
                next.push(inside);
            }
        }
        classes = next;
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u32]) -> RoaringBitmap {
        v.iter().copied().collect()
    }

    #[test]
    fn refining_keeps_together_exactly_the_members_every_set_holds_alike() {
        let all = set(&[0, 1, 2, 3, 4, 5, 6, 7]);
        let a = set(&[0, 1, 2, 3]);
        let b = set(&[2, 3, 4, 5, 100]);
        let empty = RoaringBitmap::new();
        let mut classes: Vec<Vec<u32>> = refine(all, [&a, &empty, &b])
            .iter()
            .map(|c| c.iter().collect())
            .collect();
        classes.sort();
        assert_eq!(
            classes,
            vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7]]
        );
        assert!(refine(RoaringBitmap::new(), [&a]).is_empty());
        // A set met again, or an equal one, splits nothing more.
        let again = a.clone();
        let mut twice: Vec<Vec<u32>> = refine(set(&[0, 1, 2, 3, 4, 5, 6, 7]), [&a, &b, &a, &again])
            .iter()
            .map(|c| c.iter().collect())
            .collect();
        twice.sort();
        assert_eq!(twice, classes);
    }
}
