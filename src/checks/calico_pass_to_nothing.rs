//! NPC402 calico-pass-to-nothing: a Calico `Pass` rule (or a tier whose `defaultAction` is
//! Pass ends the walk) handing a pod's traffic to later tiers of which none selects the pod:
//! past the last tier that applies, Calico allows (SEMANTICS.md point 21). The author of a
//! Pass usually expects a later tier, often the application's NetworkPolicies in `default`, to
//! decide; when nothing there selects the pod, the Pass allows, like an Allow.

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::calico::BuiltinTier;
use crate::semantics::traffic::Action;
use crate::semantics::{DirectionVerdict, PolicyId};

use super::{calico_selected, describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC402",
    name: "calico-pass-to-nothing",
    severity: Severity::Info,
    summary: "A Calico Pass rule hands traffic to later tiers where nothing selects the pod: it is allowed",
    explanation: "`action: Pass` skips the rest of the tier and goes on to the next tier that \
        holds a policy selecting the pod. When no later tier does (no Calico policy, no \
        Kubernetes NetworkPolicy of the `default` tier, no Baseline cluster-scoped policy), \
        Calico allows the traffic: the Pass acts as an Allow. That is often not what the author \
        of a platform tier meant, who expected the application team's policies to decide. The \
        finding names the rule and the pods for which nothing comes after it.",
    bad_example: include_str!("examples/NPC402-bad.yaml"),
    good_example: include_str!("examples/NPC402-good.yaml"),
};

/// Whether anything after tier `tier` selects the side.
fn later(ctx: &Context<'_>, v: &DirectionVerdict, tier: usize) -> bool {
    let set = &ctx.coverage.set;
    let tiers = set.calico_tiers();
    v.calico().iter().any(|&p| set.calico()[p].tier > tier)
        || tiers
            .iter()
            .enumerate()
            .skip(tier + 1)
            .any(|(_, t)| match t.builtin {
                Some(BuiltinTier::Default) => v.middle_isolated(),
                Some(BuiltinTier::KubeBaseline) => v
                    .cluster()
                    .iter()
                    .any(|&p| set.cluster()[p].layer == crate::semantics::Layer::Baseline),
                _ => false,
            })
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if !set.has_calico() {
        return Vec::new();
    }
    let selected = calico_selected(ctx);
    let mut out = Vec::new();
    for (position, c) in set.calico().iter().enumerate() {
        for direction in Direction::BOTH {
            let d = crate::semantics::policy_set::slot(direction);
            let rules = set.rules(PolicyId::Calico(c.index), direction);
            let Some(index) = rules.iter().position(|r| r.action == Action::Pass) else {
                continue;
            };
            let nothing_after: Vec<&Workload> = selected[position][d]
                .iter()
                .filter(|&&w| {
                    let v = ctx.coverage.workloads[w].direction(direction);
                    !later(ctx, v, c.tier)
                })
                .map(|&w| &ctx.inventory.workloads[w])
                .collect();
            if nothing_after.is_empty() {
                continue;
            }
            let policy = &ctx.inventory.calico_policies[c.index];
            let name = crate::connectivity::describe::calico_policy_name(policy);
            out.push(
                RULE.calico_finding(
                    policy,
                    format!(
                        "{name} {}[{index}] passes {} traffic on to later tiers, but none selects \
                     {}: Calico allows what reaches the end, so the Pass allows like an Allow",
                        direction.lower(),
                        direction.lower(),
                        describe_workloads(&nothing_after),
                    ),
                    "Write the decision the later tier was expected to make: an Allow or Deny in \
                 this tier, a policy in a later tier (or a NetworkPolicy) selecting those pods, \
                 or a namespace default deny."
                        .to_owned(),
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    #[test]
    fn a_pass_with_nothing_after_is_reported_and_a_later_policy_silences_it() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].message.contains("ingress[0]"), "{}", f[0].message);
        assert!(
            f[0].message.contains("Deployment shop/db"),
            "{}",
            f[0].message
        );
        assert!(run(RULE.good_example, check).is_empty());
    }
}
