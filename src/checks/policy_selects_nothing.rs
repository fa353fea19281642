//! NPC110 policy-selects-nothing: a policy whose podSelector matches no workload of its
//! namespace protects nothing and allows nothing: usually a label typo, a selector copied from
//! another namespace, or a policy that outlived its workload. When the input also holds custom
//! resources, an operator may create the pods the policy is meant for (a Prometheus object
//! becomes a StatefulSet only in the cluster): the finding is then information, not advice to
//! delete the policy.

use crate::report::{Finding, Severity};
use std::collections::HashMap;

use crate::model::Workload;
use crate::semantics::Selector;

use super::{describe_selector, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC110",
    name: "policy-selects-nothing",
    severity: Severity::Warning,
    summary: "A NetworkPolicy's podSelector matches no workload of its namespace",
    explanation: "A NetworkPolicy applies only to the pods its podSelector matches in its own \
        namespace. When no workload there carries matching labels, the policy isolates nothing \
        and its rules allow nothing: the workload it was written for (a label typo, a renamed \
        app, a policy in the wrong namespace) stays as open as before. The rule looks at the \
        pod-template labels of every workload in the namespace. Policies with an empty \
        podSelector (they select every pod, present and future) and namespaces where no workload \
        is in scope are not reported. When the input holds custom resources (objects of kinds \
        that are not built into Kubernetes, such as monitoring.coreos.com's Prometheus), the \
        operators that handle them create pods the input does not show, and the policy may be \
        meant for those: the finding is then at info.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: database}}\n  policyTypes: [Ingress]\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    // Grouped once: comparing each policy with every workload of the cluster would cost
    // policies x workloads (2 billion matches on the benchmark's cluster).
    let mut by_namespace: HashMap<&str, Vec<&Workload>> = HashMap::new();
    for w in &ctx.inventory.workloads {
        by_namespace
            .entry(w.namespace.as_str())
            .or_default()
            .push(w);
    }
    let custom = custom_resource_kinds(ctx);
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        if p.pod_selector.is_empty() {
            continue;
        }
        let Some(workloads) = by_namespace.get(p.namespace.as_str()) else {
            continue;
        };
        let selector = Selector::compile(&p.pod_selector);
        if workloads
            .iter()
            .any(|w| w.label_sets.iter().any(|l| selector.matches(l)))
        {
            continue;
        }
        let names: Vec<String> = workloads
            .iter()
            .take(3)
            .map(|w| format!("{} {}", w.kind, w.name))
            .collect();
        let more = if workloads.len() > 3 {
            format!(" and {} more", workloads.len() - 3)
        } else {
            String::new()
        };
        if !custom.is_empty() {
            let mut f = RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} spec.podSelector {sel} matches no workload of \
                     namespace {ns} in the input ({names}{more}); the input also holds custom \
                     resources ({kinds}), and the pods their operators create may be the ones it \
                     selects",
                    ns = p.namespace,
                    name = p.name,
                    sel = describe_selector(&p.pod_selector),
                    names = names.join(", "),
                    kinds = custom.join(", "),
                ),
                format!(
                    "Check that the pods the operators create in namespace {} carry labels \
                     spec.podSelector matches; if none will, fix the selector.",
                    p.namespace
                ),
            );
            f.severity = Severity::Info;
            out.push(f);
            continue;
        }
        out.push(RULE.policy_finding(
            p,
            format!(
                "NetworkPolicy {ns}/{name} spec.podSelector {sel} matches no workload of namespace \
                 {ns} ({names}{more}): it isolates nothing and its rules allow nothing",
                ns = p.namespace,
                name = p.name,
                sel = describe_selector(&p.pod_selector),
                names = names.join(", "),
            ),
            format!(
                "Make spec.podSelector match the pod-template labels of the workloads it is meant \
                 for (check for typos and the namespace {}), or delete the policy if its workload \
                 is gone.",
                p.namespace
            ),
        ));
    }
    out
}

/// Kinds the Kubernetes API serves without a CustomResourceDefinition (every built-in API
/// group): anything else in the input is a custom resource.
const BUILT_IN_KINDS: &[&str] = &[
    "APIService",
    "Binding",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "ConfigMap",
    "ControllerRevision",
    "CronJob",
    "CSIDriver",
    "CSINode",
    "CSIStorageCapacity",
    "CustomResourceDefinition",
    "DaemonSet",
    "Deployment",
    "DeviceClass",
    "Endpoints",
    "EndpointSlice",
    "Event",
    "FlowSchema",
    "HorizontalPodAutoscaler",
    "Ingress",
    "IngressClass",
    "IPAddress",
    "Job",
    "Lease",
    "LimitRange",
    "List",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodDisruptionBudget",
    "PodTemplate",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "ReplicaSet",
    "ReplicationController",
    "ResourceClaim",
    "ResourceClaimTemplate",
    "ResourceQuota",
    "ResourceSlice",
    "Role",
    "RoleBinding",
    "RuntimeClass",
    "Secret",
    "Service",
    "ServiceAccount",
    "ServiceCIDR",
    "StatefulSet",
    "StorageClass",
    "StorageVersionMigration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
];

/// The custom resource kinds of the input (Helm hooks included), sorted.
pub(super) fn custom_resource_kinds<'a>(ctx: &Context<'a>) -> Vec<&'a str> {
    let mut kinds: Vec<&str> = ctx
        .inventory
        .skipped_kinds
        .keys()
        .map(|k| k.strip_suffix(" (Helm hook)").unwrap_or(k))
        .filter(|k| !k.is_empty() && !BUILT_IN_KINDS.contains(k))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run, DB_POD as POD};

    fn policy(ns: &str, selector: &str) -> String {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: {ns}}}\nspec:\n  podSelector: {selector}\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_selector_and_the_workloads() {
        let f = run(
            &format!(
                "{POD}{}",
                policy(
                    "shop",
                    "{matchExpressions: [{key: app, operator: In, values: [web]}]}"
                )
            ),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.podSelector app in (web) matches no workload of namespace \
             shop (Pod db): it isolates nothing and its rules allow nothing"
        );
    }

    #[test]
    fn with_custom_resources_in_the_input_it_is_info_and_does_not_say_delete() {
        let yaml = format!(
            "{POD}apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {{name: k, namespace: shop}}\nspec: {{}}\n---\n{}",
            policy("shop", "{matchLabels: {app.kubernetes.io/name: prometheus}}")
        );
        let f = run(&yaml, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].message.contains("custom resources (Prometheus)"),
            "{}",
            f[0].message
        );
        assert!(!f[0].remediation.contains("delete"), "{}", f[0].remediation);
    }

    #[test]
    fn built_in_kinds_are_not_custom_resources() {
        let yaml = format!(
            "{POD}apiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: shop}}\nspec: {{}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: shop}}\n---\n{}",
            policy("shop", "{matchLabels: {app: web}}")
        );
        let f = run(&yaml, check);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].remediation.contains("delete the policy"));
    }

    #[test]
    fn a_policy_in_another_namespace_selects_nothing_there() {
        let yaml = format!(
            "{POD}apiVersion: v1\nkind: Pod\nmetadata: {{name: x, namespace: other}}\nspec: {{containers: [{{name: x, image: x}}]}}\n---\n{}",
            policy("other", "{matchLabels: {app: db}}")
        );
        assert_eq!(run(&yaml, check).len(), 1);
    }

    #[test]
    fn silent_for_empty_selectors_and_namespaces_without_workloads() {
        assert!(run(&format!("{POD}{}", policy("shop", "{}")), check).is_empty());
        assert!(run(
            &format!("{POD}{}", policy("empty", "{matchLabels: {app: x}}")),
            check
        )
        .is_empty());
        assert!(run(
            &format!(
                "{POD}{}",
                policy("shop", "{matchExpressions: [{key: app, operator: Exists}]}")
            ),
            check
        )
        .is_empty());
    }
}
