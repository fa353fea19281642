//! The namespaces and workloads of the inventory, indexed by label, for the checks that ask
//! "does this peer select anything": a selector is then matched against the few namespaces or
//! workloads carrying a label it requires, not against all of them for every rule.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use foldhash::{HashMap, HashSet};

use crate::model::{Direction, Inventory, LabelSelector, Labels, Namespace, Workload};
use crate::semantics::{Coverage, LabelIndex, Selector};

/// The labels of every namespace in the inventory, sorted by name: the listed ones, and the
/// ones only seen on workloads or policies, and the namespaces every cluster has, out of scope
/// or not (those carry just `kubernetes.io/metadata.name`).
fn namespace_labels<'a>(
    inventory: &'a Inventory,
    in_scope: &'a [String],
) -> Vec<(&'a str, Cow<'a, Labels>)> {
    let mut out: HashMap<&str, Cow<Labels>> = inventory
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), Cow::Borrowed(&n.labels)))
        .collect();
    let seen = inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .chain(in_scope.iter().map(String::as_str))
        .chain(crate::analysis::SYSTEM_NAMESPACES)
        .chain(["default"]);
    for ns in seen {
        out.entry(ns)
            .or_insert_with(|| Cow::Owned(Namespace::implicit(ns).labels));
    }
    let mut sorted: Vec<(&str, Cow<Labels>)> = out.into_iter().collect();
    sorted.sort_unstable_by_key(|(name, _)| *name);
    sorted
}

/// The namespaces each namespaceSelector of the valid policies matches, worked out once: many
/// peers share a selector (`{}`, `team: x`), and the table can be read from several threads.
pub struct NamespaceIndex<'a> {
    /// Every namespace (see [`namespace_labels`]), sorted, with its labels.
    namespaces: Vec<(&'a str, Cow<'a, Labels>)>,
    known: HashMap<&'a LabelSelector, Arc<[&'a str]>>,
}

impl<'a> NamespaceIndex<'a> {
    pub fn new(inventory: &'a Inventory, coverage: &'a Coverage, in_scope: &'a [String]) -> Self {
        let namespaces = namespace_labels(inventory, in_scope);
        let selectors: HashSet<&LabelSelector> = (inventory.policies.iter().enumerate())
            .filter(|(i, _)| coverage.includes(*i))
            .flat_map(|(_, p)| Direction::BOTH.into_iter().flat_map(|d| p.rules(d)))
            .flat_map(|r| &r.peers)
            .filter_map(|peer| peer.namespace_selector.as_ref())
            .collect();
        let index = LabelIndex::new(namespaces.iter().map(|(_, labels)| &**labels));
        let known = selectors
            .into_iter()
            .map(|sel| {
                let mut positions: Vec<usize> = index.matching(&Selector::compile(sel)).collect();
                positions.sort_unstable();
                let names: Arc<[&str]> = positions.into_iter().map(|i| namespaces[i].0).collect();
                (sel, names)
            })
            .collect();
        drop(index);
        NamespaceIndex { namespaces, known }
    }

    /// The namespaces the selector matches, sorted.
    pub fn matching(&self, selector: &LabelSelector) -> Arc<[&'a str]> {
        if let Some(known) = self.known.get(selector) {
            return known.clone();
        }
        let compiled = Selector::compile(selector);
        (self.namespaces.iter())
            .filter(|(_, labels)| compiled.matches(labels))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Every label key some namespace carries.
    pub fn label_keys(&self) -> impl Iterator<Item = &str> {
        (self.namespaces.iter()).flat_map(|(_, labels)| labels.keys().map(String::as_str))
    }
}

/// The workloads, indexed by the label sets of their pods. The sets are numbered namespace by
/// namespace, so one index answers for one namespace (a range of sets), for a few, or for the
/// whole cluster.
pub struct WorkloadIndex<'a> {
    workloads: &'a [Workload],
    index: LabelIndex<'a>,
    /// For each label set of `index`, the position of its workload in `workloads`.
    owner: Vec<u32>,
    /// Per namespace: its label sets in `index`, and its workloads' positions (ascending).
    by_namespace: HashMap<&'a str, (Range<usize>, Vec<u32>)>,
}

/// What searching one namespace costs, in label sets checked against the cluster-wide index:
/// a query looks the namespace up, then binary-searches its range.
const NAMESPACE_COST: usize = 8;

/// The workloads' positions grouped by namespace, in inventory order within each group and
/// the groups in the order their namespaces first appear.
pub fn namespace_groups(workloads: &[Workload]) -> Vec<(&str, Vec<u32>)> {
    let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut group_of: HashMap<&str, usize> = Default::default();
    for (i, w) in workloads.iter().enumerate() {
        let ns = w.namespace.as_str();
        // Manifests list a namespace's objects together: most lookups are skipped.
        let g = match groups.last() {
            Some((last, _)) if *last == ns => groups.len() - 1,
            _ => *group_of.entry(ns).or_insert_with(|| {
                groups.push((ns, Vec::new()));
                groups.len() - 1
            }),
        };
        groups[g].1.push(i as u32);
    }
    groups
}

impl<'a> WorkloadIndex<'a> {
    pub fn new(workloads: &'a [Workload]) -> Self {
        // Grouped by namespace in inventory order, then the groups sorted by name: what a
        // stable sort by namespace gives, without comparing names 100,000 times over.
        let mut groups = namespace_groups(workloads);
        groups.sort_unstable_by_key(|(ns, _)| *ns);
        let mut owner = Vec::with_capacity(workloads.len());
        let mut sets = Vec::with_capacity(workloads.len());
        let mut by_namespace = HashMap::default();
        for (ns, members) in groups {
            let start = sets.len();
            for &i in &members {
                for labels in &workloads[i as usize].label_sets {
                    sets.push(labels);
                    owner.push(i);
                }
            }
            by_namespace.insert(ns, (start..sets.len(), members));
        }
        WorkloadIndex {
            workloads,
            index: LabelIndex::new(sets),
            owner,
            by_namespace,
        }
    }

    /// The namespaces with at least one workload, sorted.
    pub fn namespaces(&self) -> Vec<&'a str> {
        let mut out: Vec<&str> = self.by_namespace.keys().copied().collect();
        out.sort_unstable();
        out
    }

    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.by_namespace.contains_key(namespace)
    }

    /// The positions in `index` of one namespace's label sets.
    fn sets_of(&self, namespace: &str) -> Range<usize> {
        (self.by_namespace)
            .get(namespace)
            .map_or(0..0, |(r, _)| r.clone())
    }

    /// The label sets of one namespace that the selector matches.
    fn matching_in_namespace<'s>(
        &'s self,
        namespace: &str,
        selector: &'s Selector,
    ) -> impl Iterator<Item = usize> + 's {
        self.index
            .matching_within(selector, self.sets_of(namespace))
    }

    /// Whether the namespaces are better searched one by one than all at once, when `limit`
    /// answers are enough: one by one stops once it has them, and with matches spread over
    /// the namespaces that comes early.
    fn one_by_one(&self, namespaces: &[&str], selector: &Selector, limit: usize) -> bool {
        let everywhere = self.index.candidates_len(selector);
        let until_enough = limit
            .saturating_mul(namespaces.len())
            .checked_div(everywhere)
            .map_or(namespaces.len(), |n| {
                n.saturating_add(1).min(namespaces.len())
            });
        until_enough.saturating_mul(NAMESPACE_COST) <= everywhere
    }

    /// About how many label sets a query for the selector in these namespaces looks at.
    pub fn cost(&self, namespaces: &[&str], selector: &Selector) -> usize {
        let everywhere = self.index.candidates_len(selector);
        everywhere.min(namespaces.len().saturating_mul(NAMESPACE_COST))
    }

    /// Whether a pod of some workload in one of the namespaces (sorted) matches the selector.
    pub fn any_in(&self, namespaces: &[&str], selector: &Selector) -> bool {
        if self.one_by_one(namespaces, selector, 1) {
            return namespaces
                .iter()
                .any(|ns| self.matching_in_namespace(ns, selector).next().is_some());
        }
        self.any_in_where(namespaces, selector, |_| true)
    }

    /// Whether some workload in one of the namespaces (sorted), with a pod the selector
    /// matches, is one `wanted` accepts.
    pub fn any_in_where(
        &self,
        namespaces: &[&str],
        selector: &Selector,
        wanted: impl Fn(&Workload) -> bool,
    ) -> bool {
        self.any_position_in_where(namespaces, selector, |i| wanted(&self.workloads[i]))
    }

    /// [`any_in_where`](Self::any_in_where), with `wanted` given the workload's position in
    /// the inventory: a caller that answers from its own table by position spares reading
    /// each candidate workload.
    pub fn any_position_in_where(
        &self,
        namespaces: &[&str],
        selector: &Selector,
        wanted: impl Fn(usize) -> bool,
    ) -> bool {
        // `wanted` is asked first: it is cheap, and when it turns every workload down (a named
        // port no destination defines) matching the selector against each would be most of
        // the work. It may turn most matches down: no early stop to count on.
        let wanted = |set: usize| wanted(self.owner[set] as usize);
        if self.one_by_one(namespaces, selector, usize::MAX) {
            return namespaces.iter().any(|ns| {
                self.index
                    .matching_where(selector, self.sets_of(ns), wanted)
                    .next()
                    .is_some()
            });
        }
        let accepted = |set: usize| {
            wanted(set)
                && (namespaces)
                    .binary_search(&self.workloads[self.owner[set] as usize].namespace.as_str())
                    .is_ok()
        };
        // Bound first: the iterator borrows `accepted`, which a tail expression's temporary
        // would outlive (edition 2021).
        let found = (self.index)
            .matching_where(selector, 0..self.index.set_count(), accepted)
            .next()
            .is_some();
        found
    }

    /// Up to `limit` workloads of the namespaces (sorted) with a pod the selector matches, by
    /// namespace and then in inventory order.
    pub fn matching_in(
        &self,
        namespaces: &[&str],
        selector: &Selector,
        limit: usize,
    ) -> Vec<&'a Workload> {
        let mut positions: Vec<u32> = Vec::new();
        if self.one_by_one(namespaces, selector, limit) {
            for ns in namespaces {
                let Some((_, members)) = self.by_namespace.get(ns) else {
                    continue;
                };
                let start = positions.len();
                if selector.matches_everything() {
                    positions.extend(members.iter().take(limit - start));
                } else {
                    positions.extend(
                        self.matching_in_namespace(ns, selector)
                            .map(|set| self.owner[set]),
                    );
                    positions[start..].sort_unstable();
                    positions.dedup();
                }
                if positions.len() >= limit {
                    break;
                }
            }
        } else {
            positions.extend(
                self.index
                    .matching(selector)
                    .map(|set| self.owner[set])
                    .filter(|&i| {
                        let ns = self.workloads[i as usize].namespace.as_str();
                        namespaces.binary_search(&ns).is_ok()
                    }),
            );
            // A workload with several matching label sets is there more than once.
            positions.sort_unstable();
            positions.dedup();
            let key = |i: &u32| (self.workloads[*i as usize].namespace.as_str(), *i);
            if positions.len() > limit && limit > 0 {
                positions.select_nth_unstable_by_key(limit - 1, key);
                positions.truncate(limit);
            }
            positions.sort_unstable_by_key(key);
        }
        positions.truncate(limit);
        positions
            .into_iter()
            .map(|i| &self.workloads[i as usize])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::workload;
    use crate::model::LabelSelector;

    fn select(pairs: &[(&str, &str)]) -> Selector {
        Selector::compile(&LabelSelector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        })
    }

    /// 40 namespaces (more than FEW_NAMESPACES), each with an api and a web workload.
    fn cluster() -> Vec<Workload> {
        (0..40)
            .rev()
            .flat_map(|n| {
                let ns = format!("ns-{n:02}");
                [
                    workload(&ns, "web", &[("app", "web")]),
                    workload(&ns, "api", &[("app", "api")]),
                ]
            })
            .collect()
    }

    fn names(ws: &[&Workload]) -> Vec<String> {
        ws.iter()
            .map(|w| format!("{}/{}", w.namespace, w.name))
            .collect()
    }

    #[test]
    fn few_and_many_namespaces_give_the_same_answer_in_the_same_order() {
        let workloads = cluster();
        let index = WorkloadIndex::new(&workloads);
        let all: Vec<String> = (0..40).map(|n| format!("ns-{n:02}")).collect();
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let api = select(&[("app", "api")]);
        // Many namespaces: the cluster-wide index, then sorted by namespace.
        assert_eq!(
            names(&index.matching_in(&all, &api, 3)),
            ["ns-00/api", "ns-01/api", "ns-02/api"]
        );
        // A few: one by one.
        assert_eq!(
            names(&index.matching_in(&all[5..7], &api, 10)),
            ["ns-05/api", "ns-06/api"]
        );
        // Everything, in inventory order within a namespace (web was listed first).
        assert_eq!(
            names(&index.matching_in(&all, &Selector::everything(), 3)),
            ["ns-00/web", "ns-00/api", "ns-01/web"]
        );
        assert!(index.any_in(&all, &api));
        assert!(index.any_in_where(&all, &api, |w| w.namespace == "ns-39"));
        assert!(!index.any_in_where(&all, &api, |w| w.name == "web"));
        // By position, in many namespaces and in a few: the workload must also be in them.
        let ns_39_api = |i: usize| workloads[i].namespace == "ns-39" && workloads[i].name == "api";
        assert!(index.any_position_in_where(&all, &api, ns_39_api));
        assert!(index.any_position_in_where(&all[38..], &api, ns_39_api));
        assert!(!index.any_position_in_where(&all[..39], &api, ns_39_api));
        assert!(!index.any_position_in_where(&all[..2], &api, ns_39_api));
        assert!(index.any_in(&all[..1], &api));
        assert!(!index.any_in(&all, &select(&[("app", "db")])));
        assert!(!index.any_in(&["elsewhere"], &api));
        assert!(index
            .matching_in(&all, &select(&[("app", "db")]), 4)
            .is_empty());
    }
}
