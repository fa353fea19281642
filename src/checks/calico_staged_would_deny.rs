//! NPC405 calico-staged-would-deny: staged Calico policies (StagedNetworkPolicy,
//! StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy) never enforce and never count as
//! protection; this note says what enforcing them would close: the workloads open today in a
//! direction that they would isolate, so that teams see what enforcing them breaks before
//! they do.

use std::collections::BTreeMap;

use crate::model::{CalicoPolicyKind, Direction, Inventory, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::{Coverage, Isolation};

use super::{describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC405",
    name: "calico-staged-would-deny",
    severity: Severity::Info,
    summary: "Enforcing a staged Calico policy would deny traffic that flows today",
    explanation: "Calico's staged policies let a team see what a policy would do before it \
        enforces it; netpol-check reads them, reports them, and never counts them as \
        protection. This note evaluates the cluster as if every staged policy with \
        `stagedAction: Set` (the default) were enforced, and names, per staged policy and \
        direction, the workloads it selects that are open today and would be isolated then: \
        traffic from peers no rule names would stop flowing. Staged deletions \
        (`stagedAction: Delete`) are not evaluated.",
    bad_example: include_str!("examples/NPC405-bad.yaml"),
    good_example: include_str!("examples/NPC405-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let inv = ctx.inventory;
    let staged: Vec<usize> = (0..inv.calico_policies.len())
        .filter(|&i| {
            let p = &inv.calico_policies[i];
            p.kind.staged() && p.staged_action.as_deref().unwrap_or("Set") == "Set"
        })
        .collect();
    if staged.is_empty() {
        return Vec::new();
    }
    // The cluster with the staged policies enforced: converted in place, same positions.
    let mut enforced: Inventory = inv.clone();
    let mut kubernetes: BTreeMap<usize, usize> = BTreeMap::new();
    for &i in &staged {
        let p = &mut enforced.calico_policies[i];
        match p.kind {
            CalicoPolicyKind::StagedNetworkPolicy => p.kind = CalicoPolicyKind::NetworkPolicy,
            CalicoPolicyKind::StagedGlobalNetworkPolicy => {
                p.kind = CalicoPolicyKind::GlobalNetworkPolicy
            }
            _ => {
                if let Some(np) = p.staged_kubernetes.clone() {
                    kubernetes.insert(enforced.policies.len(), i);
                    enforced.policies.push(*np);
                }
            }
        }
    }
    let after = Coverage::evaluate_with(
        &enforced,
        |i| i >= inv.policies.len() || ctx.coverage.includes(i),
        ctx.coverage.host_network(),
    );
    let mut closing: BTreeMap<(usize, usize), Vec<&Workload>> = BTreeMap::new();
    for (w_index, w) in inv.workloads.iter().enumerate() {
        let before = &ctx.coverage.workloads[w_index];
        let now = &after.workloads[w_index];
        for (d, direction) in Direction::BOTH.into_iter().enumerate() {
            if before.direction(direction).isolation != Isolation::Open
                || now.direction(direction).isolation == Isolation::Open
            {
                continue;
            }
            let v = now.direction(direction);
            let mut by: Vec<usize> = v
                .calico()
                .iter()
                .map(|&p| after.set.calico()[p].index)
                .filter(|i| staged.contains(i))
                .collect();
            by.extend(v.policies.iter().filter_map(|p| kubernetes.get(p).copied()));
            by.sort_unstable();
            by.dedup();
            for i in by {
                closing.entry((i, d)).or_default().push(w);
            }
        }
    }
    closing
        .into_iter()
        .map(|((i, d), workloads)| {
            let policy = &inv.calico_policies[i];
            let direction = Direction::BOTH[d];
            RULE.calico_finding(
                policy,
                format!(
                    "enforcing staged {} would isolate {} for {}: open today, {} traffic from \
                     peers no rule names would stop flowing",
                    crate::connectivity::describe::calico_policy_name(policy),
                    describe_workloads(&workloads),
                    direction.lower(),
                    direction.lower(),
                ),
                "Check that the staged policy's rules name every peer those workloads talk to \
                 today (Calico's flow logs show what a staged policy would deny) before \
                 enforcing it."
                    .to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    #[test]
    fn a_staged_deny_over_an_open_workload_is_noted_and_a_deletion_is_not() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("Deployment shop/db"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("for ingress"), "{}", f[0].message);
        assert_eq!(f[0].kind, "projectcalico.org/StagedNetworkPolicy");
        assert!(run(RULE.good_example, check).is_empty());
    }
}
