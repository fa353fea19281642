//! NPC401 calico-tier-silent-deny: a Calico tier other than `default` whose policies select
//! pods, and that ends, for those pods, without a rule for what its policies do not name: the
//! tier's default action (Deny unless the Tier says Pass) then drops that traffic silently
//! (SEMANTICS.md point 21). Authors of a `security` or `platform` tier often mean its policies
//! to deny a few things and leave the rest to the application teams' policies; without a final
//! `Pass` rule, the rest never gets there.

use std::collections::BTreeMap;

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::DecidedBy;

use super::{describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC401",
    name: "calico-tier-silent-deny",
    severity: Severity::Warning,
    summary: "A Calico tier selects pods and ends without a rule for the rest: its default action denies it silently",
    explanation: "Calico evaluates tiers in order; in a tier that holds a policy selecting a \
        pod, traffic that no rule of the tier's policies matches gets the tier's \
        `defaultAction`, which is Deny unless the Tier object says Pass. A tier meant to deny \
        a few things and leave the rest to later tiers (and to the application teams' \
        Kubernetes NetworkPolicies in the `default` tier) must end with a `Pass` rule, or set \
        `defaultAction: Pass`; otherwise everything its rules do not name is dropped before \
        any later policy sees it. The finding names the tier, the direction and the pods that \
        an anonymous peer (point 22) cannot reach because of it. The `default` tier is left \
        out: denying what no policy allows is what it is for.",
    bad_example: include_str!("examples/NPC401-bad.yaml"),
    good_example: include_str!("examples/NPC401-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if !set.has_calico() {
        return Vec::new();
    }
    // (tier, direction) -> the deciding policy and the workloads.
    let mut silent: BTreeMap<(usize, usize), (usize, Vec<&Workload>)> = BTreeMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        for (d, dv) in [(0, &v.ingress), (1, &v.egress)] {
            if let Some(DecidedBy::CalicoTier { tier, policy }) = dv.decided_by().cloned() {
                if set.calico_tiers()[tier].builtin.is_some() {
                    continue;
                }
                let index = match policy {
                    crate::semantics::PolicyId::Calico(i) => i,
                    _ => continue,
                };
                silent
                    .entry((tier, d))
                    .or_insert_with(|| (index, Vec::new()))
                    .1
                    .push(w);
            }
        }
    }
    silent
        .into_iter()
        .map(|((tier, d), (index, workloads))| {
            let direction = Direction::BOTH[d];
            let name = &set.calico_tiers()[tier].name;
            let policy = &ctx.inventory.calico_policies[index];
            RULE.calico_finding(
                policy,
                format!(
                    "Calico tier {name} ends without a rule for {} traffic its policies do not \
                     name, so its default action denies it for {}: later tiers, and the \
                     NetworkPolicies of the `default` tier, never see it",
                    direction.lower(),
                    describe_workloads(&workloads),
                ),
                format!(
                    "If the tier is meant to deny only what its rules name, end its last policy \
                     ({}) with `- action: Pass`, or set `defaultAction: Pass` on Tier {name}; \
                     if denying the rest is meant, say so with an explicit final Deny rule.",
                    crate::connectivity::describe::calico_policy_name(policy)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    #[test]
    fn a_tier_without_a_final_pass_is_reported_and_with_one_it_is_not() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("Calico tier security"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("ingress"), "{}", f[0].message);
        assert!(
            f[0].message.contains("Deployment shop/db"),
            "{}",
            f[0].message
        );
        assert!(run(RULE.good_example, check).is_empty());
    }

    #[test]
    fn the_default_tier_is_not_reported() {
        let yaml = format!(
            "{}apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: deny}}\nspec:\n  selector: all()\n  types: [Ingress]\n",
            crate::checks::testutil::DB_POD
        );
        assert!(run(&yaml, check).is_empty());
    }
}
