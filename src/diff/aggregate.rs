//! The comparison's groups taken together across workloads: the sides that changed alike (the
//! same direction, the same rules before and after, the same connections opened and closed)
//! are one change to review, not one per workload. A policy's rule that starts matching a
//! peer changes the side of every workload the policy selects, each the same way; listed per
//! workload, a 1% change of a 100,000-workload cluster was 150,000 entries saying the same
//! thing a hundred times over.

use std::collections::HashMap;

use crate::model::Direction;
use crate::semantics::ConnSet;

use super::connections::{keep_lowest, Group, PairChange, SideRules};

/// Groups of several workloads' sides that changed alike.
pub struct Aggregate<'g> {
    /// The first group of the aggregate, for what they all share.
    pub first: &'g Group,
    /// Common indexes of the workloads whose sides these are, in the order their groups came.
    pub workloads: Vec<usize>,
    pub pairs: usize,
    /// The lowest pairs of all the groups, at most as many as any one group keeps.
    pub examples: Vec<PairChange>,
}

type Key<'g> = (Direction, &'g SideRules, &'g ConnSet, &'g ConnSet);

/// Takes `groups` together, in the order of their first group; `examples` pairs at most each.
pub fn aggregate(groups: &[Group], examples: usize) -> Vec<Aggregate<'_>> {
    let mut at: HashMap<Key<'_>, usize> = HashMap::new();
    let mut out: Vec<Aggregate<'_>> = Vec::new();
    for g in groups {
        let key = (g.direction, &g.rules, &g.opened, &g.closed);
        match at.get(&key) {
            Some(&i) => {
                let a = &mut out[i];
                a.workloads.push(g.workload);
                a.pairs += g.pairs;
                keep_lowest(&mut a.examples, g.examples.iter().cloned(), examples);
            }
            None => {
                at.insert(key, out.len());
                out.push(Aggregate {
                    first: g,
                    workloads: vec![g.workload],
                    pairs: g.pairs,
                    examples: g.examples.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::connections::tests::pair;
    use super::*;
    use crate::semantics::{PolicyId, RuleRef};

    fn group(workload: usize, rules: &SideRules, opened: ConnSet, pairs: &[(u32, u32)]) -> Group {
        Group {
            workload,
            direction: Direction::Ingress,
            rules: rules.clone(),
            opened,
            closed: ConnSet::none(),
            pairs: pairs.len(),
            examples: pairs.iter().map(|&(s, t)| pair(s, t)).collect(),
        }
    }

    #[test]
    fn sides_that_changed_alike_are_one_change_with_their_pairs_counted_and_the_lowest_kept() {
        let rule = |index: usize| SideRules {
            before: Vec::new(),
            after: vec![RuleRef {
                policy: PolicyId::Network(0),
                direction: Direction::Ingress,
                index,
            }],
        };
        let (one, two) = (rule(0), rule(1));
        let groups = [
            group(5, &one, ConnSet::all(), &[(9, 5), (7, 5)]),
            group(3, &two, ConnSet::all(), &[(9, 3)]),
            group(2, &one, ConnSet::all(), &[(1, 2), (8, 2)]),
            // The same rules, but something else opened: another change.
            group(4, &one, ConnSet::none(), &[(0, 4)]),
            group(6, &one, ConnSet::all(), &[(7, 6)]),
        ];
        let taken = aggregate(&groups, 3);
        type Taken = (usize, Vec<usize>, usize, Vec<(u32, u32)>);
        let summary: Vec<Taken> = taken
            .iter()
            .map(|a| {
                (
                    a.first.workload,
                    a.workloads.clone(),
                    a.pairs,
                    a.examples
                        .iter()
                        .map(|p| (p.source, p.destination))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (5, vec![5, 2, 6], 5, vec![(1, 2), (7, 5), (7, 6)]),
                (3, vec![3], 1, vec![(9, 3)]),
                (4, vec![4], 1, vec![(0, 4)]),
            ]
        );
    }
}
