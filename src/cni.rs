//! Which CNI runs the cluster's pod network, read from the DaemonSets of kube-system, and
//! whether it enforces NetworkPolicy at all. Pure: the cluster source lists the DaemonSets.

use serde::{Deserialize, Serialize};

/// A DaemonSet as CNI detection sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSetInfo {
    pub name: String,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cni {
    /// `Calico`, `Cilium`, `flannel`, ... or `unknown`.
    pub name: String,
    /// `None` when the CNI is unknown: we do not guess.
    pub enforces_network_policy: Option<bool>,
}

/// Plugins recognised by DaemonSet name or image, with whether they enforce NetworkPolicy.
const KNOWN: &[(&str, &[&str], &[&str], bool)] = &[
    // (name, DaemonSet names, image fragments, enforces)
    ("Canal", &["canal"], &[], true),
    ("Calico", &["calico-node"], &["calico/node"], true),
    ("Cilium", &["cilium"], &["cilium/cilium"], true),
    ("Weave", &["weave-net"], &["weaveworks/weave-kube"], true),
    (
        "Antrea",
        &["antrea-agent"],
        &["antrea/antrea-agent", "antrea/antrea-ubuntu"],
        true,
    ),
    (
        "kube-router",
        &["kube-router"],
        &["cloudnativelabs/kube-router"],
        true,
    ),
];

/// Recognises the CNI from kube-system's DaemonSets.
pub fn detect(daemon_sets: &[DaemonSetInfo]) -> Cni {
    let has_image = |fragment: &str| {
        daemon_sets
            .iter()
            .any(|d| d.images.iter().any(|i| i.contains(fragment)))
    };
    let has_name = |name: &str| daemon_sets.iter().any(|d| d.name == name);
    for (name, ds_names, images, enforces) in KNOWN {
        if ds_names.iter().any(|n| has_name(n)) || images.iter().any(|i| has_image(i)) {
            return found(name, Some(*enforces));
        }
    }
    // The AWS VPC CNI enforces policies only with its network policy agent container.
    if has_name("aws-node") || has_image("amazon-k8s-cni") {
        let agent = has_image("aws-network-policy-agent");
        return found("AWS VPC CNI", Some(agent));
    }
    if has_name("kube-flannel-ds") || has_name("kube-flannel") || has_image("flannel") {
        return found("flannel", Some(false));
    }
    found("unknown", None)
}

fn found(name: &str, enforces: Option<bool>) -> Cni {
    Cni {
        name: name.to_owned(),
        enforces_network_policy: enforces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(name: &str, images: &[&str]) -> DaemonSetInfo {
        DaemonSetInfo {
            name: name.into(),
            images: images.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn flannel_alone_enforces_nothing() {
        let c = detect(&[
            ds("kube-proxy", &["registry.k8s.io/kube-proxy:v1.33.0"]),
            ds("kube-flannel-ds", &["ghcr.io/flannel-io/flannel:v0.26.0"]),
        ]);
        assert_eq!(c.name, "flannel");
        assert_eq!(c.enforces_network_policy, Some(false));
    }

    #[test]
    fn canal_is_flannel_with_calico_policy() {
        let c = detect(&[ds(
            "canal",
            &[
                "docker.io/calico/node:v3.28.0",
                "ghcr.io/flannel-io/flannel:v0.26.0",
            ],
        )]);
        assert_eq!(c.name, "Canal");
        assert_eq!(c.enforces_network_policy, Some(true));
    }

    #[test]
    fn recognises_the_common_plugins() {
        for (d, i, name) in [
            ("calico-node", "docker.io/calico/node:v3.28.0", "Calico"),
            ("cilium", "quay.io/cilium/cilium:v1.16.0", "Cilium"),
            ("weave-net", "weaveworks/weave-kube:2.8.1", "Weave"),
            (
                "antrea-agent",
                "antrea/antrea-agent-ubuntu:v2.1.0",
                "Antrea",
            ),
            (
                "kube-router",
                "docker.io/cloudnativelabs/kube-router",
                "kube-router",
            ),
        ] {
            let c = detect(&[ds(d, &[i])]);
            assert_eq!(
                (c.name.as_str(), c.enforces_network_policy),
                (name, Some(true))
            );
        }
    }

    #[test]
    fn aws_vpc_cni_enforces_only_with_its_agent() {
        let without = detect(&[ds(
            "aws-node",
            &["602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.0"],
        )]);
        assert_eq!(without.enforces_network_policy, Some(false));
        let with = detect(&[ds(
            "aws-node",
            &[
                "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.0",
                "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.0",
            ],
        )]);
        assert_eq!(
            (with.name.as_str(), with.enforces_network_policy),
            ("AWS VPC CNI", Some(true))
        );
    }

    #[test]
    fn unknown_is_not_a_guess() {
        let c = detect(&[ds("kube-proxy", &["registry.k8s.io/kube-proxy:v1.33.0"])]);
        assert_eq!(c, found("unknown", None));
    }
}
