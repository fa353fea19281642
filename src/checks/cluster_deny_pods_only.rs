//! NPC205 deny-isolates-pods-only: a cluster-scoped ingress Deny that isolates pods from other
//! pods only. Cluster-scoped ingress peers cannot be addresses (SEMANTICS.md point 13), so a
//! Baseline (or Admin) "deny from every namespace" leaves traffic from outside the cluster in:
//! the coverage verdict says `pods-only` (point 22), and this finding says why.

use std::collections::BTreeMap;

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::{DecidedBy, Isolation, Layer, PolicyId};

use super::{describe_cluster_rule, describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC205",
    name: "deny-isolates-pods-only",
    severity: Severity::Warning,
    summary: "A cluster-scoped ingress Deny isolates pods from other pods only, not from outside the cluster",
    explanation: "The ingress peers of ClusterNetworkPolicy, AdminNetworkPolicy and \
        BaselineAdminNetworkPolicy are namespaces and pods: they cannot be addresses, so no \
        cluster-scoped ingress rule matches traffic from outside the cluster (load balancers, \
        NodePorts, other networks). A Baseline (or Admin) Deny `from: [{namespaces: {}}]` looks \
        like a default deny but leaves the pods it decides for open to outside traffic: they \
        are isolated from pods only (`pods-only` in the report). The rule fires for the Deny \
        that makes workloads `pods-only` for ingress, naming them. Only a NetworkPolicy can \
        deny outside ingress: a default deny (`podSelector: {}`, `policyTypes: [Ingress]`) in \
        their namespaces, with the allows they need. A warning: the deny does protect from \
        pods, and NPC001 reports the pods as not isolated already, but without the reason.",
    bad_example: include_str!("examples/NPC205-bad.yaml"),
    good_example: include_str!("examples/NPC205-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    // The deny rule, and the workloads it makes pods-only.
    let mut by_rule: BTreeMap<(usize, usize), (Layer, Vec<&Workload>)> = BTreeMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        if v.ingress.isolation != Isolation::PodsOnly {
            continue;
        }
        if let Some(DecidedBy::Rule { rule, layer }) = v.ingress.decided_by() {
            if let PolicyId::Cluster(p) = rule.policy {
                by_rule
                    .entry((p, rule.index))
                    .or_insert_with(|| (*layer, Vec::new()))
                    .1
                    .push(w);
            }
        }
    }
    by_rule
        .into_iter()
        .map(|((p, index), (layer, mut workloads))| {
            workloads.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            let policy = &ctx.inventory.cluster_policies[p];
            let mut namespaces: Vec<&str> =
                workloads.iter().map(|w| w.namespace.as_str()).collect();
            namespaces.sort_unstable();
            namespaces.dedup();
            RULE.cluster_finding(
                policy,
                format!(
                    "{kind} {name} {rule} isolates {who} from pods only: cluster-scoped ingress \
                     rules cannot name addresses, so traffic from outside the cluster still \
                     reaches them",
                    kind = policy.kind,
                    name = policy.name,
                    rule = describe_cluster_rule(policy, Direction::Ingress, index),
                    who = describe_workloads(&workloads),
                ),
                format!(
                    "To deny ingress from outside the cluster too, add a NetworkPolicy default \
                     deny for ingress (podSelector: {{}}, policyTypes: [Ingress]) in namespace{s} \
                     {namespaces}, with NetworkPolicies allowing what the pods need; {then}",
                    s = if namespaces.len() > 1 { "s" } else { "" },
                    namespaces = namespaces.join(", "),
                    then = match layer {
                        Layer::Admin =>
                            "the NetworkPolicy tier then decides what the Admin tier \
                                         leaves, outside traffic included.",
                        _ =>
                            "the NetworkPolicy tier then decides for them, before the \
                              Baseline tier.",
                    },
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: data, labels: {app: db}}\nspec: {containers: [{name: db, image: postgres}]}\n---\n";

    fn cluster(kind_and_spec: &str) -> String {
        format!("{PODS}{kind_and_spec}")
    }

    const BANP_DENY_ALL: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n";

    #[test]
    fn table_of_cases() {
        // (policies, workloads named in the finding; none: silent)
        let cases: &[(String, Option<&str>)] = &[
            (cluster(BANP_DENY_ALL), Some("Pod data/db, Pod shop/web")),
            // An Admin deny of every pod does the same.
            (
                cluster("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n  priority: 3\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n"),
                Some("Pod data/db, Pod shop/web"),
            ),
            // Only the pods no NetworkPolicy isolates.
            (
                cluster(&format!("{BANP_DENY_ALL}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: d, namespace: data}}\nspec: {{podSelector: {{}}}}\n")),
                Some("Pod shop/web"),
            ),
            // The subject selects one namespace.
            (
                cluster(&BANP_DENY_ALL.replace("subject: {namespaces: {}}", "subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: data}}}")),
                Some("Pod data/db"),
            ),
            // A deny of some pods only leaves the anonymous pod in: open, not pods-only.
            (
                cluster(&BANP_DENY_ALL.replace("from: [{namespaces: {}}]", "from: [{namespaces: {matchLabels: {tenant: guest}}}]")),
                None,
            ),
            // Egress: a Deny of every pod there is not this rule's concern (egress can name networks).
            (
                cluster("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  egress: [{action: Deny, to: [{namespaces: {}}]}]\n"),
                None,
            ),
            // A fail-closed peer denies outside traffic too: isolated.
            (
                cluster(&BANP_DENY_ALL.replace("from: [{namespaces: {}}]", "from: [{futurePeer: {}}]")),
                None,
            ),
        ];
        for (yaml, who) in cases {
            let f = run(yaml, check);
            match who {
                Some(who) => {
                    assert_eq!(f.len(), 1, "{yaml}: {f:#?}");
                    assert!(
                        f[0].message
                            .contains(&format!("isolates {who} from pods only")),
                        "{}",
                        f[0].message
                    );
                }
                None => assert!(f.is_empty(), "{yaml}: {f:#?}"),
            }
        }
    }

    #[test]
    fn after_an_admin_deny_the_networkpolicies_decide_what_it_leaves() {
        let y = cluster("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n  priority: 3\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n");
        let f = run(&y, check);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].remediation.contains("in namespaces data, shop,")
                && f[0]
                    .remediation
                    .ends_with("decides what the Admin tier leaves, outside traffic included."),
            "{}",
            f[0].remediation
        );
    }

    #[test]
    fn message_and_remediation() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace, None);
        assert_eq!(
            (f[0].kind.as_str(), f[0].object.as_str()),
            ("ClusterNetworkPolicy", "baseline-lockdown")
        );
        assert_eq!(
            f[0].message,
            "ClusterNetworkPolicy baseline-lockdown spec.ingress[0] \"deny-all\" (Deny from \
             namespaces {}) isolates Pod shop/web from pods only: cluster-scoped ingress rules \
             cannot name addresses, so traffic from outside the cluster still reaches them"
        );
        assert!(f[0]
            .remediation
            .contains("(podSelector: {}, policyTypes: [Ingress]) in namespace shop,"));
    }
}
