//! Default-deny NetworkPolicies for what the analysis found open: pure, no I/O.
//!
//! `namespace` mode completes each namespace's default deny (adding only the missing direction);
//! `workloads` mode writes one deny-all per uncovered workload, selecting exactly its pod labels,
//! for charts installed into namespaces they share. Any generated egress deny comes with an
//! allow-dns policy, or every pod it isolates loses name resolution.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::model::{Inventory, Labels, NAMESPACE_NAME_LABEL};
use crate::semantics::Coverage;

pub const GENERATED_ANNOTATION: &str = "netpol-check.io/generated";

/// `--emit-default-deny=namespace|workloads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DenyMode {
    /// Complete each namespace's default deny.
    Namespace,
    /// One deny-all per uncovered workload, selecting exactly its pod labels.
    Workloads,
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub mode: DenyMode,
    /// Add allow-dns next to generated egress denies.
    pub dns: bool,
    /// Namespace of the cluster DNS pods (matched by `kubernetes.io/metadata.name`).
    pub dns_namespace: String,
    /// Labels of the cluster DNS pods.
    pub dns_selector: Vec<(String, String)>,
    /// Objects in this namespace get no `metadata.namespace`, so that Helm puts them in the
    /// release namespace.
    pub release_namespace: Option<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            mode: DenyMode::Namespace,
            dns: true,
            dns_namespace: "kube-system".into(),
            dns_selector: vec![("k8s-app".into(), "kube-dns".into())],
            release_namespace: None,
        }
    }
}

/// A generated NetworkPolicy manifest, in the field order people write them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyManifest {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: Spec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub pod_selector: Selector,
    pub policy_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    pub ports: Vec<Port>,
}

/// Both selectors in ONE peer: DNS pods in the DNS namespace (AND), not either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub namespace_selector: Selector,
    pub pod_selector: Selector,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    pub protocol: &'static str,
    pub port: u16,
}

impl PolicyManifest {
    /// The namespace the policy lands in: its own, or the release namespace.
    pub fn effective_namespace<'a>(&'a self, release: &'a str) -> &'a str {
        self.metadata.namespace.as_deref().unwrap_or(release)
    }

    /// The manifest as one YAML document (without a `---` marker).
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("a policy manifest always serialises")
    }
}

/// The policies to add. `inventory` and `coverage` are those of the analysed input.
pub fn default_denies(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
) -> Vec<PolicyManifest> {
    let mut taken: HashSet<(String, String)> = inventory
        .policies
        .iter()
        .map(|p| (p.namespace.clone(), p.name.clone()))
        .collect();
    let mut out = Vec::new();
    match options.mode {
        DenyMode::Namespace => {
            for ns in namespaces_to_protect(inventory) {
                let deny = coverage.default_deny(inventory, ns);
                let (name, types): (&str, Vec<&'static str>) = match (deny.ingress, deny.egress) {
                    (true, true) => continue,
                    (false, false) => ("default-deny-all", vec!["Ingress", "Egress"]),
                    (false, true) => ("default-deny-ingress", vec!["Ingress"]),
                    (true, false) => ("default-deny-egress", vec!["Egress"]),
                };
                let egress = types.contains(&"Egress");
                out.push(policy(
                    options,
                    ns,
                    free_name(&mut taken, ns, name),
                    Labels::new(),
                    types,
                    vec![],
                ));
                if egress && options.dns {
                    out.push(dns_policy(
                        options,
                        ns,
                        free_name(&mut taken, ns, "allow-dns"),
                        Labels::new(),
                    ));
                }
            }
        }
        DenyMode::Workloads => {
            for (w, v) in inventory.workloads.iter().zip(&coverage.workloads) {
                let labels = &w.label_sets[0];
                // An empty selector would deny the whole shared namespace, the very thing this
                // mode avoids; such a workload keeps its NPC001 finding.
                if w.host_network || v.covered() || labels.is_empty() {
                    continue;
                }
                let name = format!("{}-default-deny", w.name);
                out.push(policy(
                    options,
                    &w.namespace,
                    free_name(&mut taken, &w.namespace, &name),
                    labels.clone(),
                    vec!["Ingress", "Egress"],
                    vec![],
                ));
                if options.dns {
                    let name = format!("{}-allow-dns", w.name);
                    out.push(dns_policy(
                        options,
                        &w.namespace,
                        free_name(&mut taken, &w.namespace, &name),
                        labels.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// Namespaces that hold workloads or that the input creates.
fn namespaces_to_protect(inventory: &Inventory) -> BTreeSet<&str> {
    let mut set: BTreeSet<&str> = inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    set.extend(inventory.namespaces.iter().map(|n| n.name.as_str()));
    set
}

/// `name`, or `name-generated` (then `name-generated-2`, ...) when the input or an earlier
/// generated policy already has that name there: two workloads of one name (a Deployment and a
/// StatefulSet `web`) must not get one policy name. The name returned is taken from then on.
fn free_name(taken: &mut HashSet<(String, String)>, namespace: &str, name: &str) -> String {
    let mut candidate = name.to_owned();
    let mut n = 1;
    while taken.contains(&(namespace.to_owned(), candidate.clone())) {
        n += 1;
        candidate = if n == 2 {
            format!("{name}-generated")
        } else {
            format!("{name}-generated-{}", n - 1)
        };
    }
    taken.insert((namespace.to_owned(), candidate.clone()));
    candidate
}

fn policy(
    options: &GenerateOptions,
    namespace: &str,
    name: String,
    pod_labels: Labels,
    policy_types: Vec<&'static str>,
    egress: Vec<EgressRule>,
) -> PolicyManifest {
    PolicyManifest {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: Metadata {
            name,
            namespace: (options.release_namespace.as_deref() != Some(namespace))
                .then(|| namespace.to_owned()),
            annotations: BTreeMap::from([(GENERATED_ANNOTATION.to_owned(), "true".to_owned())]),
        },
        spec: Spec {
            pod_selector: Selector {
                match_labels: pod_labels.into_iter().collect(),
            },
            policy_types,
            egress,
        },
    }
}

fn dns_policy(
    options: &GenerateOptions,
    namespace: &str,
    name: String,
    pod_labels: Labels,
) -> PolicyManifest {
    let rule = EgressRule {
        to: vec![Peer {
            namespace_selector: Selector {
                match_labels: BTreeMap::from([(
                    NAMESPACE_NAME_LABEL.to_owned(),
                    options.dns_namespace.clone(),
                )]),
            },
            pod_selector: Selector {
                match_labels: options.dns_selector.iter().cloned().collect(),
            },
        }],
        ports: vec![
            Port {
                protocol: "UDP",
                port: 53,
            },
            Port {
                protocol: "TCP",
                port: 53,
            },
        ],
    };
    policy(
        options,
        namespace,
        name,
        pod_labels,
        vec!["Egress"],
        vec![rule],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::workload;
    use crate::model::NetworkPolicy;

    fn deny(ns: &str, name: &str, types: &[&str]) -> NetworkPolicy {
        crate::model::fixtures::policy(ns, name, &[], Some(types), 0, 0)
    }

    fn run(inv: &Inventory, options: &GenerateOptions) -> Vec<PolicyManifest> {
        let coverage = Coverage::evaluate(inv, |_| true);
        default_denies(inv, &coverage, options)
    }

    fn names(ps: &[PolicyManifest]) -> Vec<(String, Option<String>)> {
        ps.iter()
            .map(|p| (p.metadata.name.clone(), p.metadata.namespace.clone()))
            .collect()
    }

    #[test]
    fn namespace_mode_adds_deny_all_and_dns_where_nothing_denies() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(
            names(&got),
            [
                ("default-deny-all".to_string(), Some("shop".to_string())),
                ("allow-dns".to_string(), Some("shop".to_string()))
            ]
        );
        assert_eq!(got[0].spec.policy_types, ["Ingress", "Egress"]);
        assert!(got[0].spec.pod_selector.match_labels.is_empty());
    }

    #[test]
    fn namespace_mode_completes_an_existing_ingress_deny() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny-in", &["Ingress"])],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-egress");
        assert_eq!(got[0].spec.policy_types, ["Egress"]);
        assert_eq!(got[1].metadata.name, "allow-dns");
    }

    #[test]
    fn no_dns_policy_without_an_egress_deny_or_with_no_dns() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny-out", &["Egress"])],
            ..Default::default()
        };
        assert_eq!(
            names(&run(&inv, &GenerateOptions::default())),
            [("default-deny-ingress".to_string(), Some("shop".to_string()))]
        );
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            ..Default::default()
        };
        let options = GenerateOptions {
            dns: false,
            ..Default::default()
        };
        assert_eq!(run(&inv, &options).len(), 1);
    }

    #[test]
    fn fully_denied_namespaces_get_nothing() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny", &["Ingress", "Egress"])],
            ..Default::default()
        };
        assert!(run(&inv, &GenerateOptions::default()).is_empty());
    }

    #[test]
    fn release_namespace_policies_carry_no_namespace() {
        let inv = Inventory {
            workloads: vec![
                workload("<release>", "web", &[]),
                workload("other", "x", &[]),
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            release_namespace: Some("<release>".into()),
            dns: false,
            ..Default::default()
        };
        assert_eq!(
            names(&run(&inv, &options)),
            [
                ("default-deny-all".to_string(), None),
                ("default-deny-all".to_string(), Some("other".to_string()))
            ]
        );
    }

    #[test]
    fn workloads_mode_selects_exactly_the_pod_labels() {
        let mut hostnet = workload("shared", "agent", &[("app", "agent")]);
        hostnet.host_network = true;
        let inv = Inventory {
            workloads: vec![
                workload("shared", "web", &[("app", "web"), ("tier", "fe")]),
                workload("shared", "nolabels", &[]),
                hostnet,
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: DenyMode::Workloads,
            ..Default::default()
        };
        let got = run(&inv, &options);
        assert_eq!(
            got.iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>(),
            ["web-default-deny", "web-allow-dns"]
        );
        let labels: Vec<(&str, &str)> = got[0]
            .spec
            .pod_selector
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(labels, [("app", "web"), ("tier", "fe")]);
        assert_eq!(
            got[1].spec.pod_selector, got[0].spec.pod_selector,
            "DNS only for that workload"
        );
    }

    #[test]
    fn dns_peer_is_one_item_with_both_selectors_on_udp_and_tcp_53() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            ..Default::default()
        };
        let yaml = run(&inv, &GenerateOptions::default())[1].to_yaml();
        assert_eq!(
            yaml,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  \
             namespace: shop\n  annotations:\n    netpol-check.io/generated: 'true'\nspec:\n  \
             podSelector: {}\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n    - namespaceSelector:\n        \
             matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        \
             matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - protocol: UDP\n      port: 53\n    \
             - protocol: TCP\n      port: 53\n"
        );
    }

    #[test]
    fn names_already_taken_get_a_suffix() {
        let mut taken = deny("shop", "default-deny-all", &["Ingress"]);
        taken
            .pod_selector
            .match_labels
            .push(("app".into(), "x".into()));
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![taken],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-all-generated");
    }

    #[test]
    fn names_taken_by_the_input_or_an_earlier_generated_policy_are_not_reused() {
        let mut taken = deny("shop", "default-deny-all", &["Ingress"]);
        taken
            .pod_selector
            .match_labels
            .push(("app".into(), "x".into()));
        let mut also = taken.clone();
        also.name = "default-deny-all-generated".into();
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![taken, also],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-all-generated-2");
    }

    #[test]
    fn two_workloads_of_one_name_get_policies_of_distinct_names() {
        // A Deployment and a StatefulSet `web` in one namespace: the fuzzer's first finding.
        let inv = Inventory {
            workloads: vec![
                workload("shop", "web", &[("app", "web")]),
                workload("shop", "web", &[("app", "web-db")]),
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: DenyMode::Workloads,
            ..Default::default()
        };
        let names: Vec<String> = run(&inv, &options)
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
        assert_eq!(
            names,
            [
                "web-default-deny",
                "web-allow-dns",
                "web-default-deny-generated",
                "web-allow-dns-generated"
            ]
        );
    }
}
