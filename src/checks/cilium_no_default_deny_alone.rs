//! NPC303 cilium-default-deny-disabled-alone: a Cilium policy with `enableDefaultDeny.<dir>:
//! false` is the only policy selecting a pod for that direction, so the pod stays open there
//! (SEMANTICS.md point 18): its allow rules add to nothing, since everything is allowed.

use std::collections::BTreeMap;

use crate::connectivity::describe::cilium_policy_name;
use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::Isolation;

use super::{describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC303",
    name: "cilium-default-deny-disabled-alone",
    severity: Severity::Warning,
    summary: "A Cilium policy with enableDefaultDeny false is the only one selecting a pod: it stays open",
    explanation: "`enableDefaultDeny: {ingress: false}` (or `egress`) lets a Cilium policy add \
        rules without putting the pods it selects in default deny, for policies meant to sit \
        next to others (DNS visibility, a cluster-wide allow). When no other policy selects a \
        pod for that direction, nothing turns default deny on: the pod accepts (sends) all \
        traffic, and the policy's allow rules, which read as a restriction, restrict nothing. \
        The rule fires for pods that are open in that direction and whose only selecting policy \
        is this one (no other Cilium policy, NetworkPolicy or cluster-scoped policy). Remove \
        the `enableDefaultDeny` line, or add a policy that turns default deny on.",
    bad_example: include_str!("examples/NPC303-bad.yaml"),
    good_example: include_str!("examples/NPC303-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if set.cilium().is_empty() {
        return Vec::new();
    }
    let mut open: BTreeMap<(usize, Direction), Vec<&Workload>> = BTreeMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        for d in Direction::BOTH {
            let dv = v.direction(d);
            let Some(&first) = dv.cilium().first() else {
                continue;
            };
            let policy = set.cilium()[first].index;
            let alone = dv.isolation == Isolation::Open
                && dv.policies.is_empty()
                && dv.cluster().is_empty()
                && dv.cilium().iter().all(|&p| set.cilium()[p].index == policy);
            let disabled = dv.cilium().iter().any(|&p| {
                let c = &set.cilium()[p];
                ctx.inventory.cilium_policies[policy].rules[c.spec].enable_default_deny(d)
                    == Some(false)
            });
            if alone && disabled {
                open.entry((policy, d)).or_default().push(w);
            }
        }
    }
    open.into_iter()
        .map(|((i, d), workloads)| {
            let policy = &ctx.inventory.cilium_policies[i];
            let dir = d.lower();
            RULE.cilium_finding(
                policy,
                format!(
                    "{name} sets enableDefaultDeny.{dir} false and is the only policy selecting \
                     {who} for {dir}: nothing turns default deny on, so they stay open for \
                     {dir} and the policy's {dir} rules restrict nothing",
                    name = cilium_policy_name(policy),
                    who = describe_workloads(&workloads),
                ),
                format!(
                    "Remove enableDefaultDeny.{dir} from {name} if it is meant to restrict \
                     {dir}, or add a policy that turns default deny on for these pods.",
                    name = policy.name
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cases_say, examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\n";
    const OFF: &str = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: web-off, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  enableDefaultDeny: {ingress: false}\n  ingress: [{fromEndpoints: [{matchLabels: {app: gw}}]}]\n---\n";

    #[test]
    fn table_of_cases() {
        let cases: Vec<(String, Option<&str>)> = vec![
            (
                format!("{POD}{OFF}"),
                Some("is the only policy selecting Pod shop/web for ingress"),
            ),
            // Another Cilium policy turns default deny on.
            (
                format!(
                    "{POD}{OFF}apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec:\n  endpointSelector: {{}}\n  ingress: [{{}}]\n"
                ),
                None,
            ),
            // A NetworkPolicy isolates the pod.
            (
                format!(
                    "{POD}{OFF}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec: {{podSelector: {{}}}}\n"
                ),
                None,
            ),
            // Egress off, ingress on: only egress is open, and the policy has no egress rule,
            // so it does not take part in egress at all.
            (
                format!(
                    "{POD}{}",
                    OFF.replace("{ingress: false}", "{egress: false}")
                ),
                None,
            ),
            // Selects nothing: NPC304's business.
            (OFF.to_owned(), None),
        ];
        cases_say(&cases, check);
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "CiliumNetworkPolicy shop/web-from-gateway sets enableDefaultDeny.ingress false and \
             is the only policy selecting Deployment shop/web for ingress: nothing turns default \
             deny on, so they stay open for ingress and the policy's ingress rules restrict \
             nothing"
        );
    }
}
