//! The workloads each rule of a policy matches as its peer, as sets over the workloads both
//! sides have: a changed side's peers then fall into a few classes (the peers every rule of it
//! matches alike), and each class is decided once instead of each peer.

use roaring::RoaringBitmap;

use crate::connectivity::Member;
use crate::model::Direction;
use crate::semantics::traffic::{Endpoint, Match};
use crate::semantics::PolicyId;

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

/// The peers of every rule of `id` for `d` in one revision. `common_of` maps the revision's
/// workload indexes to common ones (`u32::MAX`: only this side has it).
pub fn rule_peers(
    view: &View<'_>,
    id: PolicyId,
    d: Direction,
    common_of: &[u32],
) -> Vec<RulePeers> {
    let engine = view.engine;
    let rules = engine.rules(id, d);
    let policy_ns = engine.policy_namespace(id);
    let mut lists: Vec<[Vec<u32>; 3]> = (0..rules.len()).map(|_| Default::default()).collect();
    let mut rules_here: Vec<usize> = Vec::with_capacity(rules.len());
    for (ns, workloads) in view.namespaces() {
        let labels = engine.namespace_labels(ns);
        rules_here.clear();
        rules_here.extend(
            (0..rules.len()).filter(|&r| rules[r].may_match_pods_in(policy_ns, ns, labels)),
        );
        if rules_here.is_empty() {
            continue;
        }
        for &w in workloads {
            let k = common_of[w];
            if k == u32::MAX {
                continue;
            }
            if view.shape_count(w) <= 1 {
                let pod = Endpoint::Pod(engine.pod_in(
                    Member {
                        workload: w,
                        labels: 0,
                    },
                    labels,
                ));
                for &r in &rules_here {
                    let [hit, yes, unsure] = &mut lists[r];
                    match rules[r].peer_match(policy_ns, &pod) {
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
                }
            } else {
                for &r in &rules_here {
                    if view.members(w).any(|m| {
                        rules[r].peer_match(policy_ns, &Endpoint::Pod(engine.pod_in(m, labels)))
                            != Match::No
                    }) {
                        lists[r][0].push(k);
                    }
                }
            }
        }
    }
    lists
        .into_iter()
        .map(|[hit, yes, unsure]| RulePeers {
            hit: bitmap(hit),
            yes: bitmap(yes),
            unsure: bitmap(unsure),
        })
        .collect()
}

fn bitmap(mut v: Vec<u32>) -> RoaringBitmap {
    v.sort_unstable();
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
    for s in sets {
        if s.is_empty() {
            continue;
        }
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
    }
}
