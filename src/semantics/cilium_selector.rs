//! Cilium's endpoint selectors (SEMANTICS.md point 17), compiled into label selectors over
//! what a pod's security identity holds: its labels that Cilium keeps, its namespace's name and
//! labels, and its service account.
//!
//! Sources (cilium/cilium):
//! - `pkg/labels/labels.go`: a selector key may carry a source prefix (`k8s:`, `any:`,
//!   `reserved:`, ...); a key without one is `any:`. Pod labels have the `k8s` source, so `k8s:`,
//!   `any:` and unprefixed keys select them, and other sources never do.
//! - `pkg/labelsfilter/filter.go` `defaultLabelPrefixCfg`: the labels Cilium leaves out of
//!   identities, which no selector can therefore match (see [`in_identity`]).
//! - `pkg/k8s/apis/cilium.io/const.go`: the pseudo-labels every pod's identity carries:
//!   `io.kubernetes.pod.namespace`, `io.cilium.k8s.namespace.labels.<key>`,
//!   `io.cilium.k8s.policy.serviceaccount`, `io.cilium.k8s.policy.cluster`.
//! - `pkg/k8s/apis/cilium.io/utils/utils.go` `ParseToCiliumRule` and `getEndpointSelector`: a
//!   CiliumNetworkPolicy's `endpointSelector` always gets its namespace added; its
//!   `fromEndpoints`/`toEndpoints` selectors too, unless they name `io.kubernetes.pod.namespace`
//!   or a namespace label, or a `reserved:` label; a CiliumClusterwideNetworkPolicy's peers get
//!   `io.kubernetes.pod.namespace` Exists (every pod, no reserved identity).

use crate::model::{LabelSelector, Labels, Requirement, NAMESPACE_NAME_LABEL};

use super::Selector;

/// `io.kubernetes.pod.namespace`: the pod's namespace name.
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// `io.cilium.k8s.namespace.labels.<key>`: the pod's namespace's labels.
pub const NAMESPACE_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";
/// `io.cilium.k8s.policy.serviceaccount`: the pod's service account.
pub const SERVICE_ACCOUNT: &str = "io.cilium.k8s.policy.serviceaccount";
/// `io.cilium.k8s.policy.cluster`: the cluster's name, `default` unless Cluster Mesh names it.
pub const CLUSTER: &str = "io.cilium.k8s.policy.cluster";
/// The cluster name a single cluster has (the agent's `cluster-name` default).
const CLUSTER_NAME: &str = "default";

/// What a pod offers a Cilium selector.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub labels: &'a Labels,
    /// With `kubernetes.io/metadata.name`.
    pub namespace_labels: &'a Labels,
    pub service_account: &'a str,
}

/// A compiled Cilium endpoint selector: every part must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSelector {
    /// Requirements on the pod's own labels.
    pods: Selector,
    /// Requirements on its namespace's labels (the name as `kubernetes.io/metadata.name`).
    namespaces: Selector,
    /// Requirements on its service account, keyed by [`SERVICE_ACCOUNT`].
    service_account: Selector,
}

/// Where a selector is written, which decides the namespace Cilium adds to it.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// A CiliumNetworkPolicy's `endpointSelector`: always its own namespace.
    Subject(&'a str),
    /// A CiliumNetworkPolicy's `fromEndpoints`/`toEndpoints`: its own namespace unless the
    /// selector names namespaces itself.
    Peer(&'a str),
    /// A CiliumClusterwideNetworkPolicy: every namespace.
    Cluster,
}

/// A key's label source, and the key without it.
fn split_source(key: &str) -> (&str, &str) {
    match key.split_once(':') {
        // Label keys cannot contain ':' in Kubernetes, so the part before one is a source.
        Some((source, rest)) => (source, rest),
        None => ("any", key),
    }
}

/// Whether Cilium keeps a pod label with this key in identities (the default label prefix
/// configuration of `pkg/labelsfilter/filter.go`). A label is kept unless an ignore prefix
/// matches it and no include prefix matches a longer part of it.
pub fn in_identity(key: &str) -> bool {
    // Include prefixes: the length of the longest that matches.
    let included = [
        POD_NAMESPACE,
        "io.cilium.k8s.namespace.labels",
        "app.kubernetes.io",
        CLUSTER,
    ]
    .iter()
    .filter(|p| key.starts_with(*p))
    .map(|p| p.len())
    .max()
    .unwrap_or(0);
    // Ignore prefixes (anchored regular expressions there): the length of the shortest match.
    let mut ignored: Option<usize> = None;
    let mut ignore = |len: usize| ignored = Some(ignored.map_or(len, |i| i.min(len)));
    for prefix in [
        "io.kubernetes",
        "kubernetes.io",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "batch.kubernetes.io/job-completion-index",
        "k8s.io",
        "pod-template-generation",
        "pod-template-hash",
        "controller-revision-hash",
        "etcd_node",
    ] {
        if key.starts_with(prefix) {
            ignore(prefix.len());
        }
    }
    // `.*beta\.kubernetes\.io`: greedy, so the match ends after the last occurrence.
    if let Some(at) = key.rfind("beta.kubernetes.io") {
        ignore(at + "beta.kubernetes.io".len());
    }
    // `annotation.*`: the whole key.
    if key.starts_with("annotation") {
        ignore(key.len());
    }
    match ignored {
        None => true,
        Some(ignored) => included > ignored,
    }
}

/// One requirement as the three parts see it.
enum Target {
    Pod(String),
    Namespace(String),
    ServiceAccount,
    Cluster,
    /// A label no pod's identity carries (another source, or one Cilium filters out).
    Absent,
}

fn target(key: &str) -> Target {
    let (source, key) = split_source(key);
    if source != "any" && source != "k8s" {
        return Target::Absent;
    }
    if key == POD_NAMESPACE {
        Target::Namespace(NAMESPACE_NAME_LABEL.to_owned())
    } else if let Some(label) = key.strip_prefix(NAMESPACE_LABELS_PREFIX) {
        Target::Namespace(label.to_owned())
    } else if key == SERVICE_ACCOUNT {
        Target::ServiceAccount
    } else if key == CLUSTER {
        Target::Cluster
    } else if in_identity(key) {
        Target::Pod(key.to_owned())
    } else {
        Target::Absent
    }
}

/// Whether a key names the pod's namespace or its labels (which lifts a CNP peer's confinement).
fn names_namespace(key: &str) -> bool {
    let (source, key) = split_source(key);
    (source == "any" || source == "k8s")
        && (key == POD_NAMESPACE || key.starts_with("io.cilium.k8s.namespace.labels"))
}

impl EndpointSelector {
    pub fn compile(selector: &LabelSelector, scope: Scope<'_>) -> Self {
        let requirements = selector
            .match_labels
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: "In".to_owned(),
                values: vec![v.clone()],
            })
            .chain(selector.match_expressions.iter().cloned());
        let (mut pods, mut namespaces, mut accounts) = (
            LabelSelector::default(),
            LabelSelector::default(),
            LabelSelector::default(),
        );
        let mut never = false;
        let mut names_ns = false;
        let mut reserved = false;
        for r in requirements {
            names_ns |= names_namespace(&r.key);
            reserved |= split_source(&r.key).0 == "reserved";
            let out = match target(&r.key) {
                Target::Pod(key) => Some((&mut pods, key)),
                Target::Namespace(key) => Some((&mut namespaces, key)),
                Target::ServiceAccount => Some((&mut accounts, SERVICE_ACCOUNT.to_owned())),
                Target::Cluster => {
                    let mut cluster = Labels::new();
                    cluster.insert(CLUSTER.to_owned(), CLUSTER_NAME.to_owned());
                    let one = LabelSelector {
                        match_labels: vec![],
                        match_expressions: vec![r.clone()],
                    };
                    never |= !Selector::compile(&one).matches(&cluster);
                    None
                }
                // A label no pod carries: `In`/`Exists` fail, `NotIn`/`DoesNotExist` hold.
                Target::Absent => {
                    never |= !matches!(r.operator.as_str(), "NotIn" | "DoesNotExist");
                    None
                }
            };
            if let Some((selector, key)) = out {
                selector.match_expressions.push(Requirement { key, ..r });
            }
        }
        let confine = |ns: &str, namespaces: &mut LabelSelector| {
            namespaces
                .match_labels
                .push((NAMESPACE_NAME_LABEL.to_owned(), ns.to_owned()));
        };
        match scope {
            Scope::Subject(ns) => confine(ns, &mut namespaces),
            Scope::Peer(ns) if !names_ns && !reserved => confine(ns, &mut namespaces),
            Scope::Peer(_) | Scope::Cluster => {}
        }
        if never {
            // An unknown operator compiles to a selector that matches nothing.
            pods.match_expressions.push(Requirement {
                key: String::new(),
                operator: "(matches no pod)".to_owned(),
                values: vec![],
            });
        }
        EndpointSelector {
            pods: Selector::compile(&pods),
            namespaces: Selector::compile(&namespaces),
            service_account: Selector::compile(&accounts),
        }
    }

    pub fn matches(&self, pod: Identity<'_>) -> bool {
        self.pods.matches(pod.labels)
            && self.namespaces.matches(pod.namespace_labels)
            && (self.service_account.matches_everything() || {
                let mut account = Labels::new();
                account.insert(SERVICE_ACCOUNT.to_owned(), pod.service_account.to_owned());
                self.service_account.matches(&account)
            })
    }

    /// The requirements on the pod's own labels: what an index narrows candidates by.
    pub fn pods(&self) -> &Selector {
        &self.pods
    }

    /// The requirements on the pod's namespace labels: no pod of a namespace they refuse
    /// matches.
    pub fn namespaces(&self) -> &Selector {
        &self.namespaces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        }
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_labels: vec![],
            match_expressions: vec![Requirement {
                key: key.into(),
                operator: op.into(),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    struct Pod {
        labels: Labels,
        ns: Labels,
        sa: &'static str,
    }

    impl Pod {
        fn new(ns: &str, l: &[(&str, &str)], ns_l: &[(&str, &str)]) -> Self {
            let mut ns_labels = labels(ns_l);
            ns_labels.insert(NAMESPACE_NAME_LABEL.into(), ns.into());
            Pod {
                labels: labels(l),
                ns: ns_labels,
                sa: "default",
            }
        }
        fn id(&self) -> Identity<'_> {
            Identity {
                labels: &self.labels,
                namespace_labels: &self.ns,
                service_account: self.sa,
            }
        }
    }

    #[test]
    fn p17_source_prefixes_any_and_k8s_match_pod_labels_others_never() {
        let web = Pod::new("a", &[("app", "web")], &[]);
        for key in ["app", "k8s:app", "any:app"] {
            let s = EndpointSelector::compile(&sel(&[(key, "web")]), Scope::Cluster);
            assert!(s.matches(web.id()), "{key}");
        }
        for key in ["reserved:app", "container:app", "cidr:app"] {
            let s = EndpointSelector::compile(&sel(&[(key, "web")]), Scope::Cluster);
            assert!(!s.matches(web.id()), "{key}");
        }
        let reserved_host =
            EndpointSelector::compile(&sel(&[("reserved:host", "")]), Scope::Cluster);
        assert!(
            !reserved_host.matches(web.id()),
            "reserved identities are never pods"
        );
        let not_reserved =
            EndpointSelector::compile(&expr("reserved:host", "DoesNotExist", &[]), Scope::Cluster);
        assert!(not_reserved.matches(web.id()));
    }

    #[test]
    fn p17_labels_cilium_filters_out_of_identities_never_match() {
        let pod = Pod::new(
            "a",
            &[
                ("pod-template-hash", "abc"),
                ("kubernetes.io/os", "linux"),
                ("app.kubernetes.io/name", "shop"),
                ("statefulset.kubernetes.io/pod-name", "db-0"),
                ("topology.beta.kubernetes.io/zone", "z1"),
                ("job-name", "migrate"),
            ],
            &[],
        );
        for key in [
            "pod-template-hash",
            "kubernetes.io/os",
            "statefulset.kubernetes.io/pod-name",
            "topology.beta.kubernetes.io/zone",
        ] {
            let s = EndpointSelector::compile(&expr(key, "Exists", &[]), Scope::Cluster);
            assert!(!s.matches(pod.id()), "{key} is filtered out");
            let s = EndpointSelector::compile(&expr(key, "DoesNotExist", &[]), Scope::Cluster);
            assert!(s.matches(pod.id()), "{key} is absent from the identity");
        }
        // app.kubernetes.io is included explicitly; job-name matches no ignore prefix.
        for key in ["app.kubernetes.io/name", "job-name"] {
            let s = EndpointSelector::compile(&expr(key, "Exists", &[]), Scope::Cluster);
            assert!(s.matches(pod.id()), "{key} is kept");
        }
    }

    #[test]
    fn p17_pseudo_labels_namespace_namespace_labels_service_account() {
        let mut pod = Pod::new("shop", &[("app", "web")], &[("team", "blue")]);
        pod.sa = "api";
        let by_ns = EndpointSelector::compile(&sel(&[(POD_NAMESPACE, "shop")]), Scope::Cluster);
        assert!(by_ns.matches(pod.id()));
        let other_ns = EndpointSelector::compile(&sel(&[(POD_NAMESPACE, "db")]), Scope::Cluster);
        assert!(!other_ns.matches(pod.id()));
        let by_ns_label = EndpointSelector::compile(
            &sel(&[("io.cilium.k8s.namespace.labels.team", "blue")]),
            Scope::Cluster,
        );
        assert!(by_ns_label.matches(pod.id()));
        let by_sa = EndpointSelector::compile(&sel(&[(SERVICE_ACCOUNT, "api")]), Scope::Cluster);
        assert!(by_sa.matches(pod.id()));
        let other_sa =
            EndpointSelector::compile(&sel(&[(SERVICE_ACCOUNT, "default")]), Scope::Cluster);
        assert!(!other_sa.matches(pod.id()));
        let cluster = EndpointSelector::compile(&sel(&[(CLUSTER, "default")]), Scope::Cluster);
        assert!(cluster.matches(pod.id()));
    }

    #[test]
    fn p17_cnp_subject_is_confined_to_its_namespace_whatever_it_says() {
        let here = Pod::new("shop", &[], &[]);
        let there = Pod::new("db", &[], &[]);
        let all = EndpointSelector::compile(&LabelSelector::default(), Scope::Subject("shop"));
        assert!(all.matches(here.id()));
        assert!(!all.matches(there.id()));
        let named =
            EndpointSelector::compile(&sel(&[(POD_NAMESPACE, "db")]), Scope::Subject("shop"));
        assert!(
            !named.matches(there.id()),
            "the policy's namespace is always added"
        );
    }

    #[test]
    fn p17_cnp_peers_are_confined_unless_they_name_namespaces() {
        let here = Pod::new("shop", &[("app", "web")], &[("team", "blue")]);
        let there = Pod::new("db", &[("app", "web")], &[("team", "blue")]);
        let plain = EndpointSelector::compile(&sel(&[("app", "web")]), Scope::Peer("shop"));
        assert!(plain.matches(here.id()));
        assert!(!plain.matches(there.id()));
        let by_label = EndpointSelector::compile(
            &sel(&[
                ("app", "web"),
                ("io.cilium.k8s.namespace.labels.team", "blue"),
            ]),
            Scope::Peer("shop"),
        );
        assert!(by_label.matches(there.id()));
        // A negative term on the namespace lifts the confinement too: every other namespace.
        let not_shop = EndpointSelector::compile(
            &expr(POD_NAMESPACE, "NotIn", &["shop"]),
            Scope::Peer("shop"),
        );
        assert!(not_shop.matches(there.id()));
        assert!(!not_shop.matches(here.id()));
        let ccnp = EndpointSelector::compile(&sel(&[("app", "web")]), Scope::Cluster);
        assert!(ccnp.matches(there.id()) && ccnp.matches(here.id()));
    }

    #[test]
    fn in_identity_follows_the_default_prefix_rules() {
        assert!(in_identity("app"));
        assert!(in_identity(POD_NAMESPACE));
        assert!(in_identity(
            "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"
        ));
        assert!(!in_identity("io.kubernetes.container.name"));
        assert!(!in_identity("k8s.io/thing"));
        assert!(!in_identity("annotation.foo"));
        assert!(!in_identity("controller-revision-hash"));
        assert!(in_identity("batch.kubernetes.io/job-name"));
    }
}
