//! `--with-cluster`: manifests judged in the cluster they go into. The cluster's objects of the
//! namespaces the manifests touch are read; the manifests are applied over them as `kubectl
//! apply` or `helm upgrade` would (an object of the manifests replaces the cluster's object of
//! the same kind, namespace and name), and the objects of the same Helm release that the
//! manifests no longer have are removed, as `helm upgrade` removes them.
//!
//! [`merge`] is pure; [`load`] does the reading.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::Error;
use crate::model::Inventory;
use crate::source::cluster::{self, ClusterOptions, HelmOwned};
use crate::source::overlay;

/// `--with-cluster` or `--with-cluster=optional`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WithCluster {
    /// The cluster must be read: failing to is an error (exit 2).
    Required,
    /// Go on without the cluster when it cannot be read, and say so on stderr.
    Optional,
}

/// The label Helm charts put on every object of a release (Helm's own chart starter and the
/// Kubernetes recommended labels): the release name when `--release` does not give it.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// An object by kind, namespace (empty when cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        ObjectRef {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.namespace.as_str() {
            "" => write!(f, "{} {}", self.kind, self.name),
            ns => write!(f, "{} {}/{}", self.kind, ns, self.name),
        }
    }
}

/// What was read from the cluster.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// The cluster's objects: of the namespaces read, and the cluster-scoped ones.
    pub inventory: Inventory,
    pub helm_owned: Vec<HelmOwned>,
    pub context: String,
    pub server: String,
    pub cni: Option<crate::cni::Cni>,
    /// The namespaces whose objects were kept; empty with `all_namespaces`.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    pub notes: Vec<String>,
}

/// The cluster before and after the change.
#[derive(Debug, Clone)]
pub struct Merged {
    pub before: Inventory,
    pub after: Inventory,
    /// The policies the cluster keeps (of the namespaces read): neither replaced nor removed.
    pub from_cluster: BTreeSet<ObjectRef>,
    /// Objects of the release that the manifests no longer have: gone after the change.
    pub removed: Vec<ObjectRef>,
    /// Every object of the manifests (workloads, policies, namespaces).
    pub input: BTreeSet<ObjectRef>,
    /// The release whose objects were removed.
    pub release: Option<String>,
}

/// The namespaces the manifests name objects in.
pub fn touched(inventory: &Inventory) -> BTreeSet<String> {
    (inventory.object_namespaces())
        .chain(inventory.namespaces.iter().map(|n| n.name.as_str()))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the manifests' rules may name pods of other namespaces: a NetworkPolicy peer with a
/// namespaceSelector, or any policy of another API (their selectors can name namespaces in
/// ways not worth telling apart here). Then every namespace's pods are read.
pub fn peers_beyond_own_namespaces(inventory: &Inventory) -> bool {
    let np = inventory.policies.iter().any(|p| {
        p.ingress
            .iter()
            .chain(&p.egress)
            .flat_map(|r| &r.peers)
            .any(|peer| peer.namespace_selector.is_some())
    });
    np || !inventory.cilium_policies.is_empty()
        || !inventory.calico_policies.is_empty()
        || !inventory.cluster_policies.is_empty()
}

/// The release: `--release`, else the one value of the `app.kubernetes.io/instance` label of
/// the manifests' pods (none when they disagree or have none).
pub fn release_of(input: &Inventory, explicit: Option<&str>) -> Option<String> {
    if let Some(r) = explicit.filter(|r| !r.is_empty()) {
        return Some(r.to_owned());
    }
    let values: BTreeSet<&String> = input
        .workloads
        .iter()
        .flat_map(|w| &w.label_sets)
        .filter_map(|l| l.get(INSTANCE_LABEL))
        .collect();
    match values.len() {
        1 => values.into_iter().next().cloned(),
        _ => None,
    }
}

/// Every object of an inventory, by kind, namespace and name.
pub fn objects(inventory: &Inventory) -> BTreeSet<ObjectRef> {
    let mut set = policies(inventory);
    set.extend(
        inventory
            .workloads
            .iter()
            .map(|w| ObjectRef::new(w.kind.as_str(), &w.namespace, &w.name)),
    );
    set.extend(
        inventory
            .namespaces
            .iter()
            .map(|n| ObjectRef::new("Namespace", "", &n.name)),
    );
    set
}

/// The policies of an inventory, of every kind.
pub fn policies(inventory: &Inventory) -> BTreeSet<ObjectRef> {
    let np =
        (inventory.policies.iter()).map(|p| ObjectRef::new("NetworkPolicy", &p.namespace, &p.name));
    let cluster =
        (inventory.cluster_policies.iter()).map(|p| ObjectRef::new(p.kind.as_str(), "", &p.name));
    let cilium = (inventory.cilium_policies.iter()).map(|p| {
        ObjectRef::new(
            p.kind.as_str(),
            p.namespace.clone().unwrap_or_default(),
            &p.name,
        )
    });
    let calico = (inventory.calico_policies.iter()).map(|p| {
        ObjectRef::new(
            p.kind.as_str(),
            p.namespace.clone().unwrap_or_default(),
            &p.name,
        )
    });
    np.chain(cluster).chain(cilium).chain(calico).collect()
}

/// The cluster before the change, and after: `input` applied over it, and the objects of
/// `release` (in `release_namespace`, when both it and the object say one) that `input` no
/// longer has removed.
pub fn merge(
    base: &Inventory,
    helm_owned: &[HelmOwned],
    input: Inventory,
    release: Option<&str>,
    release_namespace: Option<&str>,
) -> Merged {
    let input_objects = objects(&input);
    let removed: Vec<ObjectRef> = match release {
        None => Vec::new(),
        Some(release) => helm_owned
            .iter()
            .filter(|h| h.release == release)
            .filter(
                |h| match (release_namespace, h.release_namespace.as_deref()) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                },
            )
            .map(|h| ObjectRef::new(&h.kind, &h.namespace, &h.name))
            .filter(|o| !input_objects.contains(o))
            .collect(),
    };
    let gone: BTreeSet<&ObjectRef> = removed.iter().collect();
    let mut kept = base.clone();
    kept.workloads
        .retain(|w| !gone.contains(&ObjectRef::new(w.kind.as_str(), &w.namespace, &w.name)));
    kept.policies
        .retain(|p| !gone.contains(&ObjectRef::new("NetworkPolicy", &p.namespace, &p.name)));
    kept.cilium_policies.retain(|p| {
        !gone.contains(&ObjectRef::new(
            p.kind.as_str(),
            p.namespace.clone().unwrap_or_default(),
            &p.name,
        ))
    });
    kept.cluster_policies
        .retain(|p| !gone.contains(&ObjectRef::new(p.kind.as_str(), "", &p.name)));
    kept.calico_policies.retain(|p| {
        !gone.contains(&ObjectRef::new(
            p.kind.as_str(),
            p.namespace.clone().unwrap_or_default(),
            &p.name,
        ))
    });
    let from_cluster: BTreeSet<ObjectRef> = policies(&kept)
        .into_iter()
        .filter(|o| !input_objects.contains(o))
        .collect();
    let after = overlay::apply_over(kept, input);
    Merged {
        before: base.clone(),
        after,
        from_cluster,
        removed,
        input: input_objects,
        release: release.map(str::to_owned),
    }
}

/// Reads the cluster for `input`: the namespaces it touches (every namespace with `all`, or
/// when its rules may name pods elsewhere), and the cluster-scoped policies.
pub fn load(options: &ClusterOptions, input: &Inventory, all: bool) -> Result<Base, Error> {
    let namespaces = touched(input);
    let all = all || namespaces.is_empty() || peers_beyond_own_namespaces(input);
    let options = match (all, namespaces.len()) {
        (false, 1) => ClusterOptions {
            namespace: namespaces.iter().next().cloned(),
            all_namespaces: false,
            namespace_may_be_missing: true,
            helm_workloads: true,
            progress: false,
            ..options.clone()
        },
        _ => ClusterOptions {
            namespace: None,
            all_namespaces: true,
            helm_workloads: true,
            progress: false,
            ..options.clone()
        },
    };
    let data = cluster::load(&options)?;
    let mut inventory = data.inventory;
    if !all {
        // Every namespace was listed for several: keep those the change touches, and what is
        // cluster-scoped.
        let keep = |ns: &str| namespaces.contains(ns);
        inventory.workloads.retain(|w| keep(&w.namespace));
        inventory.policies.retain(|p| keep(&p.namespace));
        inventory.namespaces.retain(|n| keep(&n.name));
        inventory.cilium_policies.retain(|p| {
            p.namespace
                .as_deref()
                .is_none_or(|n| keep(n) || p.kind.cluster_scoped())
        });
        inventory
            .calico_policies
            .retain(|p| p.namespace.as_deref().is_none_or(keep));
    }
    Ok(Base {
        inventory,
        helm_owned: data.helm_owned,
        context: data.context,
        server: data.server,
        cni: data.cni,
        namespaces: if all {
            Vec::new()
        } else {
            namespaces.into_iter().collect()
        },
        all_namespaces: all,
        notes: data.notes,
    })
}

/// [`load`], or with `--with-cluster=optional` nothing when the cluster cannot be read (said
/// on stderr).
pub fn load_as(
    mode: WithCluster,
    options: &ClusterOptions,
    input: &Inventory,
    all: bool,
) -> Result<Option<Base>, Error> {
    match load(options, input, all) {
        Ok(base) => Ok(Some(base)),
        Err(e) if mode == WithCluster::Optional => {
            eprintln!(
                "warning: --with-cluster=optional: went on without the cluster: {}",
                crate::output::terminal::escape_lines(&e.to_string())
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The report's `cluster` field.
pub fn report_field(
    base: &Base,
    merged: &Merged,
    release: Option<&str>,
    changes: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "context": base.context,
        "server": base.server,
        "allNamespaces": base.all_namespaces,
        "namespaces": base.namespaces,
        "fromCluster": merged.from_cluster,
        "removed": merged.removed,
    });
    if let Some(r) = release {
        v["release"] = r.into();
    }
    if let Some(c) = changes {
        v["changes"] = c;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NetworkPolicy;

    fn policy(ns: &str, name: &str) -> NetworkPolicy {
        NetworkPolicy {
            namespace: ns.into(),
            name: name.into(),
            pod_selector: Default::default(),
            policy_types: None,
            ingress: vec![],
            egress: vec![],
            suppression: Default::default(),
            origin: Default::default(),
        }
    }

    fn owned(name: &str, release: &str) -> HelmOwned {
        HelmOwned {
            kind: "NetworkPolicy".into(),
            namespace: "apps".into(),
            name: name.into(),
            release: release.into(),
            release_namespace: Some("apps".into()),
        }
    }

    #[test]
    fn the_release_loses_what_its_new_render_lacks_and_others_keep_theirs() {
        let base = Inventory {
            policies: vec![
                policy("apps", "default-deny-all"),
                policy("apps", "web-allow"),
                policy("apps", "web-old"),
                policy("apps", "other-allow"),
            ],
            ..Default::default()
        };
        let helm = [
            owned("web-allow", "web"),
            owned("web-old", "web"),
            owned("other-allow", "other"),
        ];
        let input = Inventory {
            policies: vec![policy("apps", "web-allow")],
            ..Default::default()
        };
        let m = merge(&base, &helm, input, Some("web"), Some("apps"));
        let names: Vec<&str> = m.after.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default-deny-all", "other-allow", "web-allow"]);
        assert_eq!(
            m.removed,
            [ObjectRef::new("NetworkPolicy", "apps", "web-old")]
        );
        assert_eq!(m.before.policies.len(), 4);
        let from: Vec<String> = m.from_cluster.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            from,
            [
                "NetworkPolicy apps/default-deny-all",
                "NetworkPolicy apps/other-allow"
            ]
        );
        // Without a release nothing is removed; a release of another namespace is another.
        let input = Inventory::default();
        assert!(merge(&base, &helm, input.clone(), None, None)
            .removed
            .is_empty());
        assert!(merge(&base, &helm, input, Some("web"), Some("prod"))
            .removed
            .is_empty());
    }

    #[test]
    fn the_release_is_the_flag_else_the_one_instance_label() {
        let workload = |instance: &str| crate::model::Workload {
            kind: crate::model::WorkloadKind::Deployment,
            namespace: "apps".into(),
            name: "w".into(),
            label_sets: vec![[(INSTANCE_LABEL.to_owned(), instance.to_owned())]
                .into_iter()
                .collect()],
            pods: 1,
            host_network: false,
            ports: vec![],
            service_account: None,
            suppression: Default::default(),
            origin: Default::default(),
        };
        let one = Inventory {
            workloads: vec![workload("a"), workload("a")],
            ..Default::default()
        };
        assert_eq!(release_of(&one, None).as_deref(), Some("a"));
        assert_eq!(release_of(&one, Some("b")).as_deref(), Some("b"));
        let two = Inventory {
            workloads: vec![workload("a"), workload("b")],
            ..Default::default()
        };
        assert_eq!(release_of(&two, None), None);
        assert_eq!(release_of(&Inventory::default(), None), None);
    }
}
