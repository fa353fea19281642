//! NPC306 cilium-host-policy: Cilium host policies (`nodeSelector` instead of
//! `endpointSelector`) protect nodes, not pods, and are outside this tool's scope
//! (SEMANTICS.md point 17): they are named, not evaluated.

use crate::connectivity::describe::cilium_policy_name;
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC306",
    name: "cilium-host-policy",
    severity: Severity::Info,
    summary: "A Cilium host policy (nodeSelector) is not evaluated",
    explanation: "A Cilium rule with `nodeSelector` instead of `endpointSelector` is a host \
        policy: it applies to the nodes' own network (the host firewall), not to pods. This \
        tool evaluates pod traffic only, so such rules take no part in any verdict, reach or \
        matrix answer; this finding names them so that their absence from the report is not \
        taken for an oversight. Traffic from a node to its pods is always allowed anyway \
        (SEMANTICS.md point 11). Policies Cilium refuses (a rule with both selectors, or \
        neither) are reported by NPC120 instead.",
    bad_example: include_str!("examples/NPC306-bad.yaml"),
    good_example: include_str!("examples/NPC306-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for policy in &ctx.inventory.cilium_policies {
        if crate::semantics::cilium_validation::refused(policy) {
            continue;
        }
        let hosts: Vec<String> = (policy.rules.iter())
            .filter(|r| r.node_selector)
            .map(|r| r.path())
            .collect();
        if hosts.is_empty() {
            continue;
        }
        let (what, verb) = match hosts.as_slice() {
            [one] => (
                one.clone(),
                "is a host policy (nodeSelector): it applies to nodes, not pods, and is",
            ),
            more => (
                more.join(", "),
                "are host policies (nodeSelector): they apply to nodes, not pods, and are",
            ),
        };
        out.push(
            RULE.cilium_finding(
                policy,
                format!(
                    "{name} {what} {verb} not evaluated; verdicts, reach and matrix leave \
                 {them} out",
                    them = if hosts.len() == 1 { "it" } else { "them" },
                    name = cilium_policy_name(policy),
                ),
                "Check node traffic with Cilium's own tools (cilium policy selectors, Hubble); \
             this finding is information only."
                    .to_owned(),
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_host_rules_of_a_policy_and_skips_refused_ones() {
        let yaml = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: mixed, namespace: shop}\nspecs:\n- endpointSelector: {}\n  ingress: [{fromEntities: [cluster]}]\n- nodeSelector: {}\n  ingress: [{fromEntities: [cluster]}]\n- nodeSelector: {}\n  egress: [{toEntities: [world]}]\n---\napiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: both}\nspec:\n  nodeSelector: {}\n  endpointSelector: {}\n  ingress: [{fromEntities: [cluster]}]\n";
        let f = run(yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(
            f[0].message,
            "CiliumNetworkPolicy shop/mixed specs[1], specs[2] are host policies (nodeSelector): \
             they apply to nodes, not pods, and are not evaluated; verdicts, reach and matrix \
             leave them out"
        );
    }
}
