//! NPC111 peer-selects-nothing: a peer whose namespaceSelector matches no known namespace, or
//! whose podSelector matches no workload where it looks, allows nothing: usually a label typo,
//! or `name: <namespace>` where namespaces only carry `kubernetes.io/metadata.name`.

use std::collections::BTreeSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{LabelSelector, NetworkPolicy, Peer, NAMESPACE_NAME_LABEL};
use crate::report::{Finding, Severity};
use crate::semantics::{Coverage, Selector};

use super::index::{NamespaceIndex, WorkloadIndex};
use super::{describe_selector, effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC111",
    name: "peer-selects-nothing",
    severity: Severity::Warning,
    summary: "A rule's peer selects no namespace or no workload in scope",
    explanation: "A peer's namespaceSelector is matched against the labels of namespaces, and \
        its podSelector against the labels of pods in the policy's namespace (or in the \
        namespaces its namespaceSelector matches). A peer that matches nothing allows nothing: \
        the traffic the rule was written for stays blocked. The usual cause is a typo or a \
        namespaceSelector on `name: <namespace>`, a label namespaces do not carry unless someone \
        set it; the API server sets `kubernetes.io/metadata.name` on every namespace. A \
        podSelector that matches only hostNetwork pods matches nothing either (SEMANTICS.md \
        point 5: their traffic is their node's), unless run with --host-network=pod. The rule \
        compares against the namespaces and workloads in scope (namespaces only seen through \
        their objects carry just `kubernetes.io/metadata.name`); a peer with an empty or no \
        podSelector is judged by its namespaceSelector only, a podSelector is not judged where \
        no workload is in scope, and the namespaces every cluster has (default, kube-system, \
        kube-public, kube-node-lease) always count as known.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: web}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {name: shop}}\n      podSelector: {matchLabels: {app: web}}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: payments\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: web}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-ingress\n  namespace: payments\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}\n      podSelector: {matchLabels: {app: web}}\n",
};

/// The label keys a selector reads.
fn keys(selector: &LabelSelector) -> impl Iterator<Item = &str> {
    selector
        .match_labels
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(selector.match_expressions.iter().map(|r| r.key.as_str()))
}

/// The value a selector seems to name a namespace by, under a key no namespace carries.
fn namespace_name_guess(selector: &LabelSelector, unknown_key: &str) -> Option<String> {
    selector
        .match_labels
        .iter()
        .find(|(k, _)| k == unknown_key)
        .map(|(_, v)| v.clone())
        .or_else(|| {
            selector
                .match_expressions
                .iter()
                .find(|r| r.key == unknown_key && r.operator == "In")
                .map(|r| r.values.join(", "))
        })
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    if ctx.inventory.workloads.is_empty() {
        return Vec::new();
    }
    let namespaces = ctx.namespace_index();
    let workloads = ctx.workload_index();
    let known_keys: BTreeSet<&str> = namespaces.label_keys().collect();
    let policies: Vec<&NetworkPolicy> = valid_policies(ctx).collect();
    // Only then can a podSelector match workloads and still select nothing.
    let node_network = (ctx.inventory.workloads.iter()).any(|w| ctx.coverage.on_node_network(w));
    let coverage = node_network.then_some(ctx.coverage);
    // Policy by policy, in parallel: each only reads the indexes.
    let per_policy = |p: &&NetworkPolicy| {
        let p = *p;
        let mut out = Vec::new();
        for (direction, index, rule) in effective_rules(p) {
            for (i, peer) in rule.peers.iter().enumerate() {
                if peer.ip_block.is_some() {
                    continue;
                }
                let field = format!(
                    "spec.{}[{index}].{}[{i}]",
                    direction.lower(),
                    peers_field(direction)
                );
                if let Some(f) = check_peer(
                    p,
                    peer,
                    &field,
                    namespaces,
                    ctx.namespaces,
                    (workloads, coverage),
                    &known_keys,
                ) {
                    out.push(f);
                }
            }
        }
        out
    };
    policies.par_iter().flat_map_iter(per_policy).collect()
}

fn check_peer<'a>(
    p: &'a NetworkPolicy,
    peer: &'a Peer,
    field: &str,
    namespaces: &NamespaceIndex<'a>,
    in_scope: &[String],
    // The coverage only when some workload is on its node's network.
    (workloads, node_network): (&WorkloadIndex<'_>, Option<&Coverage>),
    known_keys: &BTreeSet<&str>,
) -> Option<Finding> {
    let looked_in: Arc<[&str]> = match &peer.namespace_selector {
        None => Arc::from([p.namespace.as_str()]),
        Some(sel) => {
            let matched = namespaces.matching(sel);
            if matched.is_empty() {
                return Some(no_namespace(p, sel, field, in_scope, known_keys));
            }
            matched
        }
    };
    let pods = peer.pod_selector.as_ref().filter(|s| !s.is_empty())?;
    // Namespaces without any workload in scope (kube-system when not included, a namespace of
    // another chart) cannot be judged.
    if !looked_in.iter().any(|ns| workloads.has_namespace(ns)) {
        return None;
    }
    let s = Selector::compile(pods);
    let Some(coverage) = node_network else {
        if workloads.any_in(&looked_in, &s) {
            return None;
        }
        return Some(no_workload(p, pods, field, &looked_in));
    };
    if workloads.any_in_where(&looked_in, &s, |w| !coverage.on_node_network(w)) {
        return None;
    }
    let host: Vec<String> = workloads
        .matching_in(&looked_in, &s, 4)
        .into_iter()
        .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
        .collect();
    if host.is_empty() {
        return Some(no_workload(p, pods, field, &looked_in));
    }
    Some(
        RULE.policy_finding(
            p,
            format!(
                "NetworkPolicy {ns}/{name} {field} podSelector {sel} matches only hostNetwork \
             workloads ({list}), whose traffic is their node's: no selector matches it, so this \
             peer allows nothing",
                ns = p.namespace,
                name = p.name,
                sel = describe_selector(pods),
                list = host.join(", "),
            ),
            "Admit the nodes by address (an ipBlock holding the node addresses), or drop \
         hostNetwork from those pods; if the CNI polices hostNetwork pods like any pod \
         (OVN-Kubernetes), run with --host-network=pod."
                .to_owned(),
        ),
    )
}

fn no_workload(
    p: &NetworkPolicy,
    pods: &LabelSelector,
    field: &str,
    looked_in: &[&str],
) -> Finding {
    let shown: Vec<&str> = looked_in.iter().take(3).copied().collect();
    let more = if looked_in.len() > 3 {
        format!(" and {} more", looked_in.len() - 3)
    } else {
        String::new()
    };
    let plural = if looked_in.len() == 1 { "" } else { "s" };
    RULE.policy_finding(
        p,
        format!(
            "NetworkPolicy {ns}/{name} {field} podSelector {sel} matches no workload in \
             namespace{plural} {where_}{more}: this peer allows nothing",
            ns = p.namespace,
            name = p.name,
            sel = describe_selector(pods),
            where_ = shown.join(", "),
        ),
        format!(
            "Make {field}.podSelector match the pod-template labels of the workloads meant (check \
             for typos), and check the namespace it looks in: without a namespaceSelector a \
             podSelector only looks in the policy's namespace {}.",
            p.namespace
        ),
    )
}

fn no_namespace(
    p: &NetworkPolicy,
    sel: &LabelSelector,
    field: &str,
    in_scope: &[String],
    known_keys: &BTreeSet<&str>,
) -> Finding {
    // The namespaces in scope (sorted), not the implicit system ones.
    let mut names: Vec<&str> = in_scope.iter().map(String::as_str).collect();
    let more = if names.len() > 5 {
        format!(" and {} more", names.len() - 5)
    } else {
        String::new()
    };
    names.truncate(5);
    let unknown = keys(sel).find(|k| *k != NAMESPACE_NAME_LABEL && !known_keys.contains(k));
    let remediation = match unknown {
        Some(key) => {
            let value = namespace_name_guess(sel, key).unwrap_or_else(|| "<namespace>".into());
            format!(
                "No namespace in scope carries the label {key}. To select a namespace by name use \
                 the label the API server sets on every namespace: namespaceSelector: \
                 {{matchLabels: {{{NAMESPACE_NAME_LABEL}: {value}}}}} (or add the label {key} to \
                 the namespaces meant)."
            )
        }
        None => format!(
            "Make {field}.namespaceSelector match the labels of the namespaces meant (check for \
             typos), or select a namespace by name with {NAMESPACE_NAME_LABEL}."
        ),
    };
    RULE.policy_finding(
        p,
        format!(
            "NetworkPolicy {ns}/{name} {field} namespaceSelector {sel} matches no namespace in \
             scope ({names}{more}): this peer allows nothing",
            ns = p.namespace,
            name = p.name,
            sel = describe_selector(sel),
            names = names.join(", "),
        ),
        remediation,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    const PODS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: data, labels: {team: data}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: data, labels: {app: db}}\nspec: {containers: [{name: db, image: pg}]}\n---\n";

    fn policy(from: &str) -> String {
        format!("{PODS}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress: [{{from: [{from}]}}]\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn a_name_label_suggests_the_metadata_name_label() {
        let f = run(
            &policy("{namespaceSelector: {matchLabels: {name: data}}}"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.ingress[0].from[0] namespaceSelector name=data matches no \
             namespace in scope (data, shop): this peer allows nothing"
        );
        assert!(
            f[0].remediation
                .contains("{matchLabels: {kubernetes.io/metadata.name: data}}"),
            "{}",
            f[0].remediation
        );
    }

    #[test]
    fn a_known_key_with_a_wrong_value_gets_no_suggestion() {
        let f = run(
            &policy("{namespaceSelector: {matchLabels: {team: dta}}}"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(!f[0].remediation.contains("No namespace in scope carries"));
    }

    #[test]
    fn pod_selectors_look_where_the_peer_looks() {
        // db is in data, not in the policy's namespace.
        let f = run(&policy("{podSelector: {matchLabels: {app: db}}}"), check);
        assert_eq!(f.len(), 1);
        assert!(f[0]
            .message
            .contains("matches no workload in namespace shop"));
        for ok in [
            "{podSelector: {matchLabels: {app: web}}}",
            "{namespaceSelector: {matchLabels: {team: data}}, podSelector: {matchLabels: {app: db}}}",
            "{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}",
            "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}",
            "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}",
            "{podSelector: {}}",
            "{ipBlock: {cidr: 10.0.0.0/8}}",
        ] {
            assert!(run(&policy(ok), check).is_empty(), "{ok}");
        }
        let f = run(
            &policy("{namespaceSelector: {matchLabels: {team: data}}, podSelector: {matchLabels: {app: web}}}"),
            check,
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn a_pod_selector_matching_only_host_network_pods_selects_nothing_in_the_node_model() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: demo, labels: {app: agent}}\nspec: {hostNetwork: true, containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: demo, labels: {app: web}}\nspec: {containers: [{name: w, image: w}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: demo}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: agent}}}]}]\n";
        let f = run(yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message
                .contains("matches only hostNetwork workloads (Pod demo/agent)"),
            "{}",
            f[0].message
        );
        let inv = crate::checks::testutil::inventory(yaml);
        let coverage = crate::semantics::Coverage::evaluate_with(
            &inv,
            |_| true,
            crate::semantics::HostNetwork::Pod,
        );
        let namespaces = ["demo".to_owned()];
        assert!(check(&Context::new(&inv, &coverage, &namespaces, None)).is_empty());
    }

    #[test]
    fn silent_without_workloads() {
        let yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {name: x}}}]}]\n";
        assert!(run(yaml, check).is_empty());
    }
}
