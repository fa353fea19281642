//! The namespaces and workloads of the inventory, indexed by label, for the checks that ask
//! "does this peer select anything": a selector is then matched against the few namespaces or
//! workloads carrying a label it requires, not against all of them for every rule.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::model::{LabelSelector, Labels, Namespace, Workload};
use crate::semantics::{LabelIndex, Selector};

use super::Context;

/// The labels of every namespace in the inventory: the listed ones, and the ones only seen on
/// workloads or policies, and the namespaces every cluster has, out of scope or not (those carry
/// just `kubernetes.io/metadata.name`).
pub fn namespace_labels(ctx: &Context<'_>) -> HashMap<String, Labels> {
    let mut out: HashMap<String, Labels> = ctx
        .inventory
        .namespaces
        .iter()
        .map(|n| (n.name.clone(), n.labels.clone()))
        .collect();
    let seen = ctx
        .inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .chain(ctx.namespaces.iter().map(String::as_str))
        .chain(crate::analysis::SYSTEM_NAMESPACES)
        .chain(["default"]);
    for ns in seen {
        out.entry(ns.to_owned())
            .or_insert_with(|| Namespace::implicit(ns).labels);
    }
    out
}

/// The namespaces, and what each namespaceSelector met so far matched: one (single-threaded)
/// check's view.
pub struct NamespaceIndex<'a> {
    labels: &'a HashMap<String, Labels>,
    /// Sorted, so that sorting positions sorts names.
    names: Vec<&'a str>,
    index: LabelIndex<'a>,
    seen: RefCell<HashMap<&'a LabelSelector, Rc<[&'a str]>>>,
}

impl<'a> NamespaceIndex<'a> {
    pub fn new(labels: &'a HashMap<String, Labels>) -> Self {
        let mut named: Vec<(&str, &Labels)> = labels.iter().map(|(n, l)| (n.as_str(), l)).collect();
        named.sort_unstable_by_key(|(n, _)| *n);
        let (names, sets): (Vec<&str>, Vec<&Labels>) = named.into_iter().unzip();
        NamespaceIndex {
            labels,
            names,
            index: LabelIndex::new(sets),
            seen: RefCell::default(),
        }
    }

    pub fn labels(&self, namespace: &str) -> Option<&'a Labels> {
        self.labels.get(namespace)
    }

    /// Every namespace, sorted.
    pub fn all(&self) -> &[&'a str] {
        &self.names
    }

    /// The namespaces the selector matches, sorted.
    pub fn matching(&self, selector: &'a LabelSelector) -> Rc<[&'a str]> {
        if let Some(known) = self.seen.borrow().get(selector) {
            return known.clone();
        }
        let compiled = Selector::compile(selector);
        let mut positions: Vec<usize> = self.index.matching(&compiled).collect();
        positions.sort_unstable();
        let names: Rc<[&str]> = positions.into_iter().map(|i| self.names[i]).collect();
        self.seen.borrow_mut().insert(selector, names.clone());
        names
    }
}

/// The workloads of each namespace, indexed by the label sets of their pods.
pub struct WorkloadIndex<'a> {
    by_namespace: HashMap<&'a str, Workloads<'a>>,
}

struct Workloads<'a> {
    all: Vec<&'a Workload>,
    /// For each label set in `index`, the position of its workload in `all`.
    owner: Vec<usize>,
    index: LabelIndex<'a>,
}

impl<'a> WorkloadIndex<'a> {
    pub fn new(workloads: &'a [Workload]) -> Self {
        let mut grouped: HashMap<&str, Vec<&Workload>> = HashMap::new();
        for w in workloads {
            grouped.entry(w.namespace.as_str()).or_default().push(w);
        }
        let by_namespace = grouped
            .into_iter()
            .map(|(ns, all)| {
                let (owner, sets): (Vec<usize>, Vec<&Labels>) = all
                    .iter()
                    .enumerate()
                    .flat_map(|(i, w)| w.label_sets.iter().map(move |l| (i, l)))
                    .unzip();
                let index = LabelIndex::new(sets);
                (ns, Workloads { all, owner, index })
            })
            .collect();
        WorkloadIndex { by_namespace }
    }

    /// The namespaces with at least one workload.
    pub fn namespaces(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.by_namespace.keys().copied()
    }

    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.by_namespace.contains_key(namespace)
    }

    /// The workloads of a namespace, in inventory order.
    pub fn in_namespace(&self, namespace: &str) -> &[&'a Workload] {
        self.by_namespace
            .get(namespace)
            .map_or(&[][..], |w| w.all.as_slice())
    }

    /// Whether a pod of some workload of the namespace matches the selector.
    pub fn any(&self, namespace: &str, selector: &Selector) -> bool {
        self.by_namespace
            .get(namespace)
            .is_some_and(|w| w.index.any(selector))
    }

    /// The workloads of the namespace with a pod the selector matches, in inventory order.
    pub fn matching(&self, namespace: &str, selector: &Selector) -> Vec<&'a Workload> {
        let Some(w) = self.by_namespace.get(namespace) else {
            return Vec::new();
        };
        let mut positions: Vec<usize> = w.index.matching(selector).map(|i| w.owner[i]).collect();
        positions.sort_unstable();
        positions.dedup();
        positions.into_iter().map(|i| w.all[i]).collect()
    }
}
