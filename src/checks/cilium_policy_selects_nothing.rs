//! NPC304 cilium-policy-selects-nothing: a rule of a Cilium policy whose `endpointSelector`
//! matches no workload of the input: of the policy's namespace for a CiliumNetworkPolicy, of
//! any namespace for a CiliumClusterwideNetworkPolicy (SEMANTICS.md point 17). It isolates
//! nothing and allows nothing. Host policies (`nodeSelector`) select nodes, not pods: NPC306
//! names them instead. As for NPC110, custom resources in the input (a Prometheus object) may
//! become the pods the policy is meant for: the finding is then information.

use std::collections::HashMap;

use crate::model::Workload;

use crate::connectivity::describe::cilium_policy_name;
use crate::report::{Finding, Severity};
use crate::semantics::cilium_selector::Identity;

use super::{cilium_selected, describe_selector, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC304",
    name: "cilium-policy-selects-nothing",
    severity: Severity::Warning,
    summary: "A Cilium policy's endpointSelector matches no workload",
    explanation: "A CiliumNetworkPolicy applies to the pods of its own namespace that its \
        `endpointSelector` matches, a CiliumClusterwideNetworkPolicy to matching pods of every \
        namespace. When no workload of the input matches, the policy (or the `specs` entry) \
        puts nothing in default deny and allows nothing: usually a label typo, a label Cilium \
        leaves out of identities (`pod-template-hash`, `kubernetes.io/...`), a `reserved:` \
        label, or a policy in the wrong namespace. Selection follows Cilium's rules, \
        pseudo-labels such as `io.kubernetes.pod.namespace` included. A CiliumNetworkPolicy in \
        a namespace with no workload in the input is not reported, nor are host policies \
        (`nodeSelector`: NPC306). When the input holds custom resources, whose operators create \
        pods the input does not show, the finding is at info, as for NPC110.",
    bad_example: include_str!("examples/NPC304-bad.yaml"),
    good_example: include_str!("examples/NPC304-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if set.cilium().is_empty() {
        return Vec::new();
    }
    let selected = cilium_selected(ctx);
    let workloads: Vec<_> = (ctx.inventory.workloads.iter())
        .filter(|w| !ctx.coverage.on_node_network(w))
        .collect();
    // Scanning every workload for each policy that selects nothing was a tenth of a run on
    // 20,000 Cilium policies: a namespaced one only looks at its own namespace's.
    let mut namespaces: HashMap<&str, Vec<&Workload>> = HashMap::new();
    for w in &workloads {
        namespaces.entry(w.namespace.as_str()).or_default().push(*w);
    }
    let custom = super::policy_selects_nothing::custom_resource_kinds(ctx);
    let mut out = Vec::new();
    for (position, c) in set.cilium().iter().enumerate() {
        if !selected[position].is_empty() {
            continue;
        }
        let candidates = match &c.namespace {
            Some(ns) => match namespaces.get(ns.as_str()) {
                Some(own) => own,
                None => continue,
            },
            None if workloads.is_empty() => continue,
            None => &workloads,
        };
        // The verdicts name the rules of the least isolated label set of each workload and
        // only for directions the rule takes part in: any label set may still match.
        let matches = candidates.iter().any(|w| {
            w.label_sets.iter().any(|labels| {
                c.subject.matches(Identity {
                    labels,
                    namespace_labels: set.namespace_labels(&w.namespace),
                    service_account: w.service_account(),
                })
            })
        });
        if matches {
            continue;
        }
        let policy = &ctx.inventory.cilium_policies[c.index];
        let rule = &policy.rules[c.spec];
        let selector = rule
            .endpoint_selector
            .as_ref()
            .map_or_else(|| "{}".to_owned(), describe_selector);
        let scope = match &c.namespace {
            Some(ns) => format!("of namespace {ns} "),
            None => String::new(),
        };
        let effect = if custom.is_empty() {
            "it puts no pod in default deny and its rules allow nothing".to_owned()
        } else {
            format!(
                "the input also holds custom resources ({}), and the pods their operators \
                 create may be the ones it selects",
                custom.join(", ")
            )
        };
        let mut f = RULE.cilium_finding(
            policy,
            format!(
                "{name} {path}.endpointSelector {selector} matches no workload {scope}in the \
                 input: {effect}",
                name = cilium_policy_name(policy),
                path = rule.path(),
            ),
            format!(
                "Fix the labels of {path}.endpointSelector in {name} (Cilium leaves \
                 `pod-template-hash` and `kubernetes.io/...` labels out of identities), or \
                 delete the policy if its workload is gone.",
                path = rule.path(),
                name = policy.name,
            ),
        );
        if !custom.is_empty() {
            f.severity = Severity::Info;
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cases_say, examples};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web, pod-template-hash: abc}}\nspec: {containers: [{name: web, image: nginx}]}\n---\n";

    fn cnp(kind: &str, selector: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: {kind}\nmetadata: {{name: p, namespace: shop}}\nspec:\n  endpointSelector: {selector}\n  ingress: [{{fromEntities: [world]}}]\n"
        )
    }

    #[test]
    fn table_of_cases() {
        let cnp_kind = "CiliumNetworkPolicy";
        let ccnp = "CiliumClusterwideNetworkPolicy";
        let cases: Vec<(String, Option<&str>)> = vec![
            (format!("{POD}{}", cnp(cnp_kind, "{matchLabels: {app: web}}")), None),
            (format!("{POD}{}", cnp(cnp_kind, "{}")), None),
            (
                format!("{POD}{}", cnp(cnp_kind, "{matchLabels: {app: db}}")),
                Some("CiliumNetworkPolicy shop/p spec.endpointSelector app=db matches no workload of namespace shop in the input"),
            ),
            // Cilium leaves pod-template-hash out of identities.
            (
                format!("{POD}{}", cnp(cnp_kind, "{matchLabels: {pod-template-hash: abc}}")),
                Some("pod-template-hash=abc matches no workload"),
            ),
            // The namespace pseudo-label selects.
            (
                format!("{POD}{}", cnp(ccnp, "{matchLabels: {io.kubernetes.pod.namespace: shop}}")),
                None,
            ),
            (
                format!("{POD}{}", cnp(ccnp, "{matchLabels: {io.kubernetes.pod.namespace: other}}")),
                Some("CiliumClusterwideNetworkPolicy p spec.endpointSelector io.kubernetes.pod.namespace=other matches no workload in the input"),
            ),
            // A namespace with no workload in the input: nothing to compare with.
            (cnp(cnp_kind, "{matchLabels: {app: db}}"), None),
            // An operator may create the pods.
            (
                format!(
                    "{POD}apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {{name: k8s, namespace: shop}}\n---\n{}",
                    cnp(cnp_kind, "{matchLabels: {app: prometheus}}")
                ),
                Some("custom resources (Prometheus)"),
            ),
        ];
        cases_say(&cases, check);
    }
}
