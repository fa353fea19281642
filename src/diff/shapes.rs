//! Pod shapes that no policy can tell apart. A Deployment's pods carry `pod-template-hash`, a
//! StatefulSet's `controller-revision-hash`, and during a rollout a workload has pods of two
//! templates: several label sets that differ only in keys no selector reads. The comparison
//! decides pairs with a workload of several shapes whole and one by one, which is most of its
//! work at scale; shapes that every selector of both sides sees alike are one shape for it.

use std::collections::BTreeMap;
use std::fmt::Write;

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

use crate::model::{Inventory, Labels};

/// The label keys in which some workload's pod shapes differ that a policy of either side may
/// read.
pub struct ReadKeys {
    /// The keys in which some workload's shapes differ, and whether a policy may read each.
    differing: HashMap<String, bool>,
}

impl ReadKeys {
    /// Whether a selector of either side may read `key` (any key no workload's shapes differ
    /// in counts as read: it never decides anything here).
    pub fn may_read(&self, key: &str) -> bool {
        self.differing.get(key).copied().unwrap_or(true)
    }

    /// Looks at both inventories.
    pub fn of(inventories: [&Inventory; 2]) -> Self {
        let mut keys: HashSet<&str> = HashSet::default();
        for inventory in inventories {
            for w in inventory
                .workloads
                .iter()
                .filter(|w| w.label_sets.len() > 1)
            {
                let first = &w.label_sets[0];
                for other in &w.label_sets[1..] {
                    differing_keys(first, other, &mut keys);
                }
            }
        }
        // A key is found as text in the policies' debug form. Whatever the policy API, a
        // selector that reads a label names its key (matchLabels, matchExpressions, Cilium's
        // `k8s:key`, Calico's `key == 'v'` and `has(key)`), so a key found in no policy's text
        // is read by none. Keys with other characters than label keys allow (which the debug
        // form might escape) count as read; a key found by accident (`app` in `apps`) only
        // keeps shapes apart that could have been one.
        let (plain, mut read): (Vec<&str>, Vec<&str>) = keys.into_iter().partition(|k| {
            k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        });
        if !plain.is_empty() {
            for inventory in inventories {
                read.extend(found_in(&inventory.policies, &plain));
                read.extend(found_in(&inventory.cluster_policies, &plain));
                read.extend(found_in(&inventory.cilium_policies, &plain));
                read.extend(found_in(&inventory.calico_policies, &plain));
            }
        }
        let read: HashSet<&str> = read.into_iter().collect();
        let differing = plain
            .iter()
            .chain(read.iter())
            .map(|k| (k.to_string(), read.contains(k)))
            .collect();
        ReadKeys { differing }
    }

    /// A label set as the policies see it: without the keys none reads.
    fn project<'l>(&self, labels: &'l Labels) -> BTreeMap<&'l str, &'l str> {
        labels
            .iter()
            .filter(|(k, _)| self.may_read(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// A workload's pod shapes as the policies see them: the index of the first label set of
    /// each group of label sets that differ only in keys no policy reads.
    pub fn shapes(&self, label_sets: &[Labels]) -> Vec<u32> {
        if label_sets.len() <= 1 {
            return vec![0];
        }
        let mut seen: Vec<BTreeMap<&str, &str>> = Vec::new();
        let mut out = Vec::new();
        for (i, labels) in label_sets.iter().enumerate() {
            let p = self.project(labels);
            if !seen.contains(&p) {
                seen.push(p);
                out.push(i as u32);
            }
        }
        out
    }

    /// Whether two workloads' label sets differ in a way some policy may read.
    pub fn labels_differ(&self, a: &[Labels], b: &[Labels]) -> bool {
        if a == b {
            return false;
        }
        self.distinct(a) != self.distinct(b)
    }

    /// The label sets of a workload's pod shapes, as the policies see them.
    fn distinct<'l>(&self, sets: &'l [Labels]) -> Vec<BTreeMap<&'l str, &'l str>> {
        self.shapes(sets)
            .into_iter()
            .map(|i| {
                sets.get(i as usize)
                    .map(|l| self.project(l))
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The keys present in one set and not the other, or with another value.
fn differing_keys<'l>(a: &'l Labels, b: &'l Labels, out: &mut HashSet<&'l str>) {
    for (k, v) in a {
        if b.get(k) != Some(v) {
            out.insert(k);
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            out.insert(k);
        }
    }
}

/// The keys of `keys` that the debug form of some of `items` contains.
fn found_in<'k, T: std::fmt::Debug + Sync>(items: &[T], keys: &[&'k str]) -> Vec<&'k str> {
    let found = items
        .par_iter()
        .map_init(String::new, |text, item| {
            text.clear();
            let _ = write!(text, "{item:?}");
            keys.iter().map(|k| text.contains(k)).collect::<Vec<bool>>()
        })
        .reduce(
            || vec![false; keys.len()],
            |a, b| a.iter().zip(&b).map(|(x, y)| *x || *y).collect(),
        );
    keys.iter()
        .zip(found)
        .filter(|(_, f)| *f)
        .map(|(k, _)| *k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::manifests::{load_read, Loaded, ManifestOptions};

    /// A Deployment whose pods are mid-rollout: its template's labels, and pods of two
    /// ReplicaSets (the same labels with two `pod-template-hash` values and a `version`).
    const ROLLOUT: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, pod-template-hash: aaa, version: "1"}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-2
  namespace: shop
  labels: {app: web, pod-template-hash: bbb, version: "2"}
spec: {containers: [{name: c, image: i}]}
"#;

    fn inventory(policies: &str) -> Inventory {
        let mut text = ROLLOUT.to_owned();
        text.push_str("---\n");
        text.push_str(policies);
        let loaded = [Loaded {
            name: "t.yaml".into(),
            text,
        }];
        let mut inv = load_read(&loaded, &ManifestOptions::default()).expect("reads");
        // One workload with both pods' label sets, as a ReplicaSet's pods are folded.
        let second = inv.workloads.remove(1).label_sets.remove(0);
        inv.workloads[0].label_sets.push(second);
        inv
    }

    fn shapes(policies: &str) -> Vec<u32> {
        let inv = inventory(policies);
        let keys = ReadKeys::of([&inv, &inv]);
        keys.shapes(&inv.workloads[0].label_sets)
    }

    const NETWORK: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
        metadata: {name: p, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n";

    #[test]
    fn shapes_apart_only_in_keys_no_policy_reads_are_one() {
        assert_eq!(shapes(NETWORK), vec![0]);
        assert_eq!(shapes(""), vec![0]);
    }

    #[test]
    fn a_key_any_policy_api_reads_keeps_shapes_apart() {
        let cases = [
            // A NetworkPolicy's peer.
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
             metadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  \
             - from: [{podSelector: {matchExpressions: [{key: version, operator: In, values: [\"2\"]}]}}]\n",
            // A cluster-scoped policy's subject.
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n\
             metadata: {name: a}\nspec:\n  priority: 1\n  subject: {pods: {namespaceSelector: {}, \
             podSelector: {matchLabels: {version: \"1\"}}}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n",
            // Cilium, with its label source prefix.
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: shop}\n\
             spec:\n  endpointSelector: {matchLabels: {\"k8s:version\": \"1\"}}\n  ingress: [{}]\n",
            // Calico's selector language.
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: k, namespace: shop}\n\
             spec:\n  selector: has(version)\n  types: [Ingress]\n",
        ];
        for policy in cases {
            assert_eq!(shapes(policy), vec![0, 1], "{policy}");
        }
    }

    #[test]
    fn a_read_key_changed_tells_workloads_apart_and_an_unread_one_does_not() {
        let inv = inventory(NETWORK);
        let keys = ReadKeys::of([&inv, &inv]);
        let sets = &inv.workloads[0].label_sets;
        let mut rehashed = sets.clone();
        for l in &mut rehashed {
            l.insert("pod-template-hash".into(), "ccc".into());
        }
        assert!(!keys.labels_differ(sets, &rehashed));
        assert!(!keys.labels_differ(sets, &sets[..1]));
        let mut relabelled = sets.clone();
        relabelled[0].insert("app".into(), "api".into());
        assert!(keys.labels_differ(sets, &relabelled));
    }
}
