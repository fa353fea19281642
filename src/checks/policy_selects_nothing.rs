//! NPC110 policy-selects-nothing: a policy whose podSelector matches no workload of its
//! namespace protects nothing and allows nothing: usually a label typo, a selector copied from
//! another namespace, or a policy that outlived its workload.

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
        is in scope are not reported.",
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
