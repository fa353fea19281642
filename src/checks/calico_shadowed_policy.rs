//! NPC404 calico-shadowed-policy: a Calico policy whose rules for a direction never run,
//! because an earlier policy of the same tier (lower `order`, or the same order and an earlier
//! name) selects every pod it selects and decides all of their traffic in that direction with
//! a catch-all rule (Allow, Deny or Pass with no source, destination, protocol or port
//! condition; SEMANTICS.md point 21: the first matching rule decides).

use crate::model::{CalicoRule, Direction, Workload};
use crate::report::{Finding, Severity};

use super::{calico_selected, describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC404",
    name: "calico-shadowed-policy",
    severity: Severity::Warning,
    summary: "A Calico policy never applies: an earlier policy of its tier decides everything for the same pods",
    explanation: "Within a tier Calico evaluates policies by `order` (lower first; equal orders \
        by name; no order last), and the first rule that matches decides: Allow and Deny end \
        the evaluation, Pass moves to the next tier. When an earlier policy of the same tier \
        selects every pod a later one selects and ends with a rule that matches everything \
        (an action with no source, destination, protocol or port condition), the later \
        policy's rules for that direction never run: usually an `order` set the wrong way \
        round. Policies that select no workload of the input are left to other checks.",
    bad_example: include_str!("examples/NPC404-bad.yaml"),
    good_example: include_str!("examples/NPC404-good.yaml"),
};

/// A rule that matches every connection: decides all that reaches it.
fn catch_all(rule: &CalicoRule) -> bool {
    rule.action != "Log"
        && rule.protocol.is_none()
        && rule.not_protocol.is_none()
        && !rule.icmp
        && !rule.http
        && rule.source.is_empty()
        && rule.destination.is_empty()
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if !set.has_calico() {
        return Vec::new();
    }
    let selected = calico_selected(ctx);
    // Per position and direction, whether the policy ends everything that reaches it.
    let ends_all: Vec<[bool; 2]> = set
        .calico()
        .iter()
        .map(|c| {
            let written = &ctx.inventory.calico_policies[c.index];
            Direction::BOTH.map(|d| written.rules(d).iter().any(catch_all))
        })
        .collect();
    let verdicts = &ctx.coverage.workloads;
    let mut out = Vec::new();
    for (later, c) in set.calico().iter().enumerate() {
        let policy = &ctx.inventory.calico_policies[c.index];
        for direction in Direction::BOTH {
            let d = crate::semantics::policy_set::slot(direction);
            let mine: &[usize] = &selected[later][d];
            let Some(&first) = mine.first() else {
                continue;
            };
            if policy.rules(direction).is_empty() {
                continue;
            }
            // The shadowing policy selects every pod this one selects, the first included:
            // its candidates are the earlier policies of the first workload's verdict.
            let earlier_of = |w: usize| -> &[usize] { verdicts[w].direction(direction).calico() };
            let shadowing = earlier_of(first).iter().copied().find(|&earlier| {
                earlier < later
                    && set.calico()[earlier].tier == c.tier
                    && ends_all[earlier][d]
                    && mine.iter().all(|&w| earlier_of(w).contains(&earlier))
            });
            let Some(earlier) = shadowing else {
                continue;
            };
            let earlier = &ctx.inventory.calico_policies[set.calico()[earlier].index];
            let workloads: Vec<&Workload> =
                mine.iter().map(|&w| &ctx.inventory.workloads[w]).collect();
            let name = crate::connectivity::describe::calico_policy_name;
            out.push(RULE.calico_finding(
                policy,
                format!(
                    "the {} rules of {} never run for {}: {} comes first in tier {} and \
                     decides all of their {} traffic with a rule that matches everything",
                    direction.lower(),
                    name(policy),
                    describe_workloads(&workloads),
                    name(earlier),
                    policy.tier,
                    direction.lower(),
                ),
                format!(
                    "Give {} a lower `order` than {} if its rules are meant to come first, or \
                     narrow the catch-all rule.",
                    policy.name, earlier.name
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    #[test]
    fn an_earlier_catch_all_shadows_and_the_right_order_does_not() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "allow-web");
        assert!(f[0].message.contains("deny-rest"), "{}", f[0].message);
        assert!(run(RULE.good_example, check).is_empty());
    }
}
