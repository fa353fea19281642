//! One inventory applied over another, as `kubectl apply` applies manifests to a cluster: an
//! object of the manifests replaces the cluster's object of the same kind, namespace and name,
//! and the cluster's other objects stay.

use std::collections::HashSet;
use std::hash::Hash;

use crate::model::Inventory;

fn apply<T, K: Eq + Hash>(base: Vec<T>, top: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let replaced: HashSet<K> = top.iter().map(&key).collect();
    let mut out: Vec<T> = base
        .into_iter()
        .filter(|item| !replaced.contains(&key(item)))
        .collect();
    out.extend(top);
    out
}

/// `top` applied over `base`.
pub fn apply_over(base: Inventory, top: Inventory) -> Inventory {
    let mut skipped_kinds = base.skipped_kinds;
    for (k, n) in top.skipped_kinds {
        *skipped_kinds.entry(k).or_default() += n;
    }
    let mut pod_owners = base.pod_owners;
    pod_owners.extend(top.pod_owners);
    Inventory {
        namespaces: apply(base.namespaces, top.namespaces, |n| n.name.clone()),
        workloads: apply(base.workloads, top.workloads, |w| {
            (w.kind, w.namespace.clone(), w.name.clone())
        }),
        policies: apply(base.policies, top.policies, |p| {
            (p.namespace.clone(), p.name.clone())
        }),
        cluster_policies: apply(base.cluster_policies, top.cluster_policies, |p| {
            (p.kind, p.name.clone())
        }),
        cilium_policies: apply(base.cilium_policies, top.cilium_policies, |p| {
            (p.kind, p.namespace.clone(), p.name.clone())
        }),
        cilium_mode: top.cilium_mode.or(base.cilium_mode),
        calico_policies: apply(base.calico_policies, top.calico_policies, |p| {
            (p.kind, p.namespace.clone(), p.name.clone())
        }),
        calico_tiers: apply(base.calico_tiers, top.calico_tiers, |t| t.name.clone()),
        skipped_kinds,
        ignored_policies: apply(base.ignored_policies, top.ignored_policies, |p| {
            (p.kind.clone(), p.namespace.clone(), p.name.clone())
        }),
        pod_owners,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NetworkPolicy, Origin};

    fn policy(name: &str, file: &str) -> NetworkPolicy {
        NetworkPolicy {
            namespace: "shop".into(),
            name: name.into(),
            pod_selector: Default::default(),
            policy_types: None,
            ingress: vec![],
            egress: vec![],
            suppression: Default::default(),
            origin: Origin {
                file: Some(file.into()),
                line: None,
            },
        }
    }

    #[test]
    fn an_applied_object_replaces_its_namesake_and_the_others_stay() {
        let base = Inventory {
            policies: vec![policy("a", "cluster"), policy("b", "cluster")],
            ..Default::default()
        };
        let top = Inventory {
            policies: vec![policy("b", "chart"), policy("c", "chart")],
            ..Default::default()
        };
        let got: Vec<(String, String)> = apply_over(base, top)
            .policies
            .into_iter()
            .map(|p| (p.name, p.origin.file.unwrap().to_string()))
            .collect();
        let want = [("a", "cluster"), ("b", "chart"), ("c", "chart")];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
        );
    }
}
