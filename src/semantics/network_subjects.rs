//! The NetworkPolicies' subjects compiled and indexed (SEMANTICS.md points 1-3): selectors
//! compiled once, policies grouped by namespace and by a label their podSelector requires, so a
//! workload is only ever compared with the policies of its own namespace that can select it.
//! Part of [`super::PolicySet`].

// Looked up for each of 100,000 workloads and their labels: SipHash was a fifth of the
// coverage.
use foldhash::HashMap;

use crate::model::{Inventory, Labels};

use super::selector::Anchor;
use super::{PolicyTypes, Selector};

/// A policy with its selector compiled and its effective types resolved.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    /// Index into `Inventory::policies`.
    pub index: usize,
    pub selector: Selector,
    pub types: PolicyTypes,
}

/// The counted NetworkPolicies, compiled and indexed.
#[derive(Debug, Clone, Default)]
pub struct NetworkSubjects {
    policies: Vec<CompiledPolicy>,
    /// Compiled policy positions (into `policies`) per namespace.
    by_namespace: HashMap<String, Vec<usize>>,
    /// Per namespace, the policies by a label their podSelector requires: a workload is only
    /// matched against the policies that can select it. A chart with 2,500 workloads and 2,500
    /// policies in one namespace was otherwise 6 million selector matches.
    by_label: HashMap<String, PolicyLookup>,
    /// Per `Inventory::policies` entry: whether it counts (invalid policies do not).
    included: Vec<bool>,
}

impl NetworkSubjects {
    pub fn compile(inventory: &Inventory, include: impl Fn(usize) -> bool) -> Self {
        let mut out = NetworkSubjects {
            included: vec![false; inventory.policies.len()],
            ..Default::default()
        };
        for (index, policy) in inventory.policies.iter().enumerate() {
            if !include(index) {
                continue;
            }
            out.included[index] = true;
            let position = out.policies.len();
            out.by_namespace
                .entry(policy.namespace.clone())
                .or_default()
                .push(position);
            let selector = Selector::compile(&policy.pod_selector);
            out.by_label
                .entry(policy.namespace.clone())
                .or_default()
                .add(position, &selector);
            out.policies.push(CompiledPolicy {
                index,
                selector,
                types: PolicyTypes::of(policy),
            });
        }
        out
    }

    /// Whether `Inventory::policies[index]` counts.
    pub fn includes(&self, index: usize) -> bool {
        self.included.get(index).copied().unwrap_or(false)
    }

    /// The counted policies, in inventory order.
    pub fn policies(&self) -> &[CompiledPolicy] {
        &self.policies
    }

    /// The compiled policies of a namespace.
    pub fn policies_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a CompiledPolicy> {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &self.policies[i])
    }

    /// Number of counted policies in a namespace.
    pub fn policy_count(&self, namespace: &str) -> usize {
        self.by_namespace.get(namespace).map_or(0, Vec::len)
    }

    /// The policies of `namespace` whose podSelector selects `labels`, in inventory order.
    pub fn selecting<'a>(
        &'a self,
        namespace: &str,
        labels: &'a Labels,
    ) -> impl Iterator<Item = &'a CompiledPolicy> + 'a {
        let candidates = self
            .by_label
            .get(namespace)
            .map(|lookup| lookup.candidates(labels))
            .unwrap_or_default();
        candidates
            .into_iter()
            .map(|i| &self.policies[i])
            .filter(move |p| p.selector.matches(labels))
    }
}

/// The policies of one namespace (positions in `NetworkSubjects::policies`, ascending), by what their
/// podSelector requires.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyLookup {
    /// Selectors with no requirement an index can use (`{}`, NotIn, DoesNotExist only).
    unanchored: Vec<usize>,
    by_pair: HashMap<String, HashMap<String, Vec<usize>>>,
    by_key: HashMap<String, Vec<usize>>,
}

impl PolicyLookup {
    pub(crate) fn add(&mut self, position: usize, selector: &Selector) {
        match selector.anchors().next() {
            None => self.unanchored.push(position),
            Some(Anchor::Nothing) => {}
            Some(Anchor::Pair(k, v)) => self.pair(k, v).push(position),
            Some(Anchor::AnyOf(k, values)) => {
                for v in values {
                    self.pair(k, v).push(position);
                }
            }
            Some(Anchor::Key(k)) => self.key(k).push(position),
        }
    }

    /// Adds a Calico policy by what its selector requires of a pod's labels (Calico's
    /// pseudo-labels included: callers look up with them).
    pub(crate) fn add_calico(
        &mut self,
        position: usize,
        selector: &super::calico_selector::CalicoSelector,
    ) {
        use super::calico_selector::CalicoAnchor;
        match selector.anchor() {
            None => self.unanchored.push(position),
            Some(CalicoAnchor::Nothing) => {}
            Some(CalicoAnchor::Pair(k, v)) => self.pair(k, v).push(position),
            Some(CalicoAnchor::AnyOf(k, values)) => {
                for v in values {
                    self.pair(k, v).push(position);
                }
            }
            Some(CalicoAnchor::Key(k)) => self.key(k).push(position),
        }
    }

    fn key(&mut self, key: &str) -> &mut Vec<usize> {
        if !self.by_key.contains_key(key) {
            self.by_key.insert(key.to_owned(), Vec::new());
        }
        self.by_key.get_mut(key).expect("inserted above")
    }

    fn pair(&mut self, key: &str, value: &str) -> &mut Vec<usize> {
        // Looked up before anything is copied: most policies share their key (`app`) and
        // many their value. Policies are added on one core while the other waits, and a copy
        // of both for each of 20,000 policies showed in that pause.
        if !self.by_pair.contains_key(key) {
            self.by_pair.insert(key.to_owned(), HashMap::default());
        }
        let values = self.by_pair.get_mut(key).expect("inserted above");
        if !values.contains_key(value) {
            values.insert(value.to_owned(), Vec::new());
        }
        values.get_mut(value).expect("inserted above")
    }

    /// The policies that may select pods with these labels, ascending.
    pub(crate) fn candidates(&self, labels: &Labels) -> Vec<usize> {
        self.candidates_with(labels, &[])
    }

    /// [`candidates`](Self::candidates) for these labels and `extra` pairs besides (Calico's
    /// pseudo-labels, which win over a label of the same key), without building the map.
    pub(crate) fn candidates_with(&self, labels: &Labels, extra: &[(&str, &str)]) -> Vec<usize> {
        let mut out = self.unanchored.clone();
        let pairs = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .chain(extra.iter().copied());
        for (k, v) in pairs {
            if let Some(list) = self.by_pair.get(k).and_then(|values| values.get(v)) {
                out.extend_from_slice(list);
            }
            if let Some(list) = self.by_key.get(k) {
                out.extend_from_slice(list);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
